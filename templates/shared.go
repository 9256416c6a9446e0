package templates

import (
	"encoding/binary"
	"hash/maphash"
	htmltemplate "html/template"
	"strings"
	"sync"
)

// Render once per edition variant.
//
// Readers who get the same stories on the same date in the same time zone
// get the same message but for a few personal values: their address,
// name and links. The Renderer renders such a variant once, with
// placeholders of the same length standing for the personal values, and
// makes each reader's message by putting their values, escaped the way
// the template escapes them there, in the placeholders' places.
//
// That is exact, not approximate: a variant is used only once it has proved
// itself, and anything it cannot prove is rendered per reader as before.
//   - Render A has a placeholder of each value's length in its place
//     ("~a0~a0~a…"); where they appear in the output are the slots. Wrap and
//     the subject's length limit see a value of the same length without
//     spaces, so they break lines at the same places.
//   - Render P puts a probe, `&+<"'=` repeated to the value's length, in
//     the values the output shows, and placeholders of other lengths in
//     the others. P must be A's output piece for piece, with at each slot
//     the probe escaped one way: none (the text part and subject), HTML
//     text or quoted attribute, or a URL attribute (whole or in part); each
//     changes the probe differently. So the output takes the values
//     verbatim but for that escaping, and depends on nothing else of them.
//     Any other escaping (script, style, unquoted attribute), a template
//     that changes a value (upper), and the variant is not used.
//   - A reader's value is escaped by html/template itself, in a one-action
//     template of the slot's escaping. The values a variant shows must be
//     printable ASCII without spaces, as the placeholders are; the message
//     must fit MaxBytes with all its stories, as the reader's own first
//     rendering would. Otherwise that reader's message is rendered alone.
//
// Only the embedded templates share: they show personal values verbatim
// and decide on nothing but whether one is empty. A placeholder cannot
// prove that of an override, which might compare a value with a constant
// ({{if eq .Name "Ana"}}): with any of the three templates overridden,
// every message is rendered alone. The checks above still run, and would
// catch an edit of the embedded templates that changes a value.
//
// A variant costs two renderings, so it is made when its key comes a
// second time; a key seen once is rendered alone.

// The personal values of a View, in this order.
const (
	personalEmail = iota
	personalName
	personalArchive
	personalPreferences
	personalUnsubscribe
	personalFields
)

type personal [personalFields]string

// personalOf returns v's personal values.
func personalOf(v *View) personal {
	return personal{v.Email, v.Name, v.ArchiveURL, v.PreferencesURL, v.UnsubscribeURL}
}

// setPersonal puts p in v, with the footer links made from them as view
// makes them.
func (v *View) setPersonal(p personal) {
	v.Email, v.Name, v.ArchiveURL, v.PreferencesURL, v.UnsubscribeURL = p[0], p[1], p[2], p[3], p[4]
	v.FooterLinks = footerLinks(v.ArchiveURL, v.PreferencesURL, v.UnsubscribeURL)
}

// footerLinks lists the personal links that are set, in display order.
func footerLinks(archive, preferences, unsubscribe string) []Link {
	var out []Link
	for _, l := range []Link{{"View in browser", archive}, {"Preferences", preferences}, {"Unsubscribe", unsubscribe}} {
		if l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

// escaping is how a template escapes a value at one place of the output.
type escaping uint8

const (
	escapeNone    escaping = iota // text part, subject
	escapeHTML                    // HTML text, quoted attribute
	escapeURL                     // a whole URL attribute (href="{{.}}")
	escapeURLPart                 // part of a URL attribute (href="/x?q={{.}}")
	escapings
)

// escapers holds one-action html/template templates, one per HTML
// escaping, so that a value is escaped by html/template itself.
type escapers struct {
	tmpl   [escapings]*htmltemplate.Template
	prefix [escapings]string
	suffix [escapings]string
}

func newEscapers() *escapers {
	e := &escapers{}
	for _, c := range []struct {
		esc           escaping
		before, after string
	}{
		{escapeHTML, "<p>", "</p>"},
		{escapeURL, `<a href="`, `">`},
		{escapeURLPart, `<a href="/x?q=`, `">`},
	} {
		e.tmpl[c.esc] = htmltemplate.Must(htmltemplate.New("").Parse(c.before + "{{.}}" + c.after))
		e.prefix[c.esc], e.suffix[c.esc] = c.before, c.after
	}
	return e
}

// escape returns s as the template writes it at a place with escaping esc.
func (e *escapers) escape(esc escaping, s string) (string, bool) {
	if esc == escapeNone {
		return s, true
	}
	var b strings.Builder
	if err := e.tmpl[esc].Execute(&b, s); err != nil {
		return "", false
	}
	out, ok := strings.CutPrefix(b.String(), e.prefix[esc])
	if !ok {
		return "", false
	}
	return strings.CutSuffix(out, e.suffix[esc])
}

// layout is one part of a variant: pieces[0], then for each slot its
// value and pieces[i+1].
type layout struct {
	pieces []string
	slots  []slot
	fixed  int // the pieces' total length
}

type slot struct {
	field int
	esc   escaping
}

// variant is an edition rendered for every reader of one variant key.
type variant struct {
	ok    bool                 // false: render each reader's message alone
	shown [personalFields]bool // values the output shows
	parts [3]layout            // subject, text, HTML
}

func (v *variant) size() int {
	n := 64
	for _, l := range v.parts {
		for _, p := range l.pieces {
			n += len(p) + 16
		}
		n += 16 * len(l.slots)
	}
	return n
}

// variants caches variants by key, and counts the keys seen without one.
// Memory is bounded: past maxVariantBytes, or maxSeen keys, it starts
// again empty.
type variants struct {
	mu    sync.Mutex
	m     map[uint64]*variant
	seen  map[uint64]bool
	bytes int
}

const (
	maxVariantBytes = 8 << 20 // about 80 variants of 20-story editions
	maxSeen         = 1 << 16
)

// get returns the variant of k, or nil; build reports whether to build it
// (k was seen before).
func (vs *variants) get(k uint64) (v *variant, build bool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if v := vs.m[k]; v != nil {
		return v, false
	}
	if vs.seen[k] {
		return nil, true
	}
	if vs.seen == nil || len(vs.seen) >= maxSeen {
		vs.seen = map[uint64]bool{}
	}
	vs.seen[k] = true
	return nil, false
}

func (vs *variants) put(k uint64, v *variant) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	size := v.size()
	if vs.m == nil || vs.bytes+size > maxVariantBytes {
		vs.m, vs.bytes = map[uint64]*variant{}, 0
	}
	vs.m[k], vs.bytes = v, vs.bytes+size
}

// renderShared returns the message of v (a personal edition's view, more
// stories left out by the engine) made from its variant, and false when it
// must be rendered alone.
func (r *Renderer) renderShared(v View, more int) (rendered, bool) {
	if !r.sharable || !r.cache.enabled() {
		return rendered{}, false
	}
	more = max(more, 0)
	p := personalOf(&v)
	k, ok := r.variantKey(&v, more, p)
	if !ok {
		return rendered{}, false
	}
	vr, build := r.shared.get(k)
	if build {
		vr = r.buildVariant(v, more, p)
		r.shared.put(k, vr)
	}
	if vr == nil || !vr.ok {
		return rendered{}, false
	}
	for f, shown := range vr.shown {
		if shown && !placeable(p[f]) {
			return rendered{}, false
		}
	}
	var esc [personalFields][escapings]string // each value escaped once per escaping
	var done [personalFields][escapings]bool
	var out [3]string
	for i, l := range vr.parts {
		n := l.fixed
		for _, s := range l.slots {
			if !done[s.field][s.esc] {
				e, ok := r.escapers.escape(s.esc, p[s.field])
				if !ok {
					return rendered{}, false
				}
				esc[s.field][s.esc], done[s.field][s.esc] = e, true
			}
			n += len(esc[s.field][s.esc])
		}
		// One allocation of the exact size, not a builder doubling its
		// way up to a 45 KB HTML part.
		var b strings.Builder
		b.Grow(n)
		b.WriteString(l.pieces[0])
		for j, s := range l.slots {
			b.WriteString(esc[s.field][s.esc])
			b.WriteString(l.pieces[j+1])
		}
		out[i] = b.String()
	}
	o := rendered{Subject: out[0], Text: out[1], HTML: out[2], Stories: len(v.Stories), DateISO: v.DateISO,
		size: wireSize(out[1]) + wireSize(out[2])}
	if o.size > r.maxBytes {
		return rendered{}, false // the reader's own rendering trims stories
	}
	return o, true
}

// variantKey hashes what v's output depends on apart from the personal
// values, and the personal values' lengths (placeholders have them). It
// returns false when a story has no cache key.
func (r *Renderer) variantKey(v *View, more int, p personal) (uint64, bool) {
	var h maphash.Hash
	h.SetSeed(r.cache.seed)
	num := func(n int) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(n))
		h.Write(b[:])
	}
	str := func(s string) {
		num(len(s))
		h.WriteString(s)
	}
	str(v.Date)
	str(v.DateISO)
	str(v.Since)
	num(boolInt(v.Weekly))
	num(more)
	num(len(v.Lead))
	for _, l := range v.Lead {
		str(l)
	}
	num(len(v.Stories))
	for _, sv := range v.Stories {
		if sv.key == 0 {
			return 0, false
		}
		num(int(sv.key))
		num(sv.Number)
	}
	for _, s := range p {
		num(len(s))
	}
	return h.Sum64(), true
}

// placeable reports whether s can stand where a placeholder stood:
// printable ASCII without spaces, as placeholders are.
func placeable(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// minShown is the shortest value a placeholder can stand for: shorter ones
// could not be told apart from the text around them, nor carry the probe.
const minShown = len(probe)

// probe is what render P puts in the values the output shows: each
// escaping changes it differently.
const probe = `&+<"'=`

// placeholder returns a value of n bytes for field f in spelling set:
// "~a0~a0~a…" differs at every third byte from another set's and another
// field's.
func placeholder(set byte, f, n int) string {
	unit := []byte{'~', set, byte('0' + f)}
	b := make([]byte, n)
	for i := range b {
		b[i] = unit[i%len(unit)]
	}
	return string(b)
}

// buildVariant renders v's variant for readers whose values have the
// lengths of p's (renders A and P above) and says whether it may be used.
func (r *Renderer) buildVariant(v View, more int, p personal) *variant {
	all := v.Stories
	exec := func(q personal) ([3]string, bool) {
		w := v
		w.setPersonal(q)
		w.setStories(all, len(all), more)
		o, err := r.execute(w)
		return [3]string{o.Subject, o.Text, o.HTML}, err == nil
	}
	var a, pr personal
	for f, s := range p {
		if s != "" {
			a[f] = placeholder('a', f, len(s))
		}
	}
	outA, ok := exec(a)
	if !ok {
		return &variant{}
	}
	vr := &variant{}
	for f := range a {
		for _, part := range outA {
			if a[f] != "" && strings.Contains(part, a[f]) {
				vr.shown[f] = true
			}
		}
	}
	for f, s := range p {
		switch {
		case s == "":
		case vr.shown[f] && len(s) < minShown:
			return &variant{}
		case vr.shown[f]:
			pr[f] = strings.Repeat(probe, len(s)/len(probe)+1)[:len(s)]
		default:
			// Not shown: another length, to prove that nothing depends
			// on it.
			pr[f] = placeholder('b', f, len(s)+3)
		}
	}
	outP, ok := exec(pr)
	if !ok {
		return &variant{}
	}
	for i := range outA {
		l := split(outA[i], a, vr.shown)
		if !r.findEscapings(&l, outP[i], pr) {
			return &variant{}
		}
		vr.parts[i] = l
	}
	vr.ok = true
	return vr
}

// split cuts s at each placeholder of a that the output shows.
func split(s string, a personal, shown [personalFields]bool) layout {
	var l layout
	for {
		at, field := -1, 0
		for f, ph := range a {
			if !shown[f] {
				continue
			}
			if i := strings.Index(s, ph); i >= 0 && (at < 0 || i < at) {
				at, field = i, f
			}
		}
		if at < 0 {
			l.pieces = append(l.pieces, s)
			l.fixed += len(s)
			return l
		}
		l.pieces = append(l.pieces, s[:at])
		l.fixed += at
		l.slots = append(l.slots, slot{field: field})
		s = s[at+len(a[field]):]
	}
}

// findEscapings sets each slot's escaping from out, the part rendered with
// the probes pr: the one escaping whose probe makes out piece by piece.
func (r *Renderer) findEscapings(l *layout, out string, pr personal) bool {
	rest, ok := strings.CutPrefix(out, l.pieces[0])
	if !ok {
		return false
	}
	for i := range l.slots {
		found, next := 0, ""
		for esc := range escapings {
			e, ok := r.escapers.escape(esc, pr[l.slots[i].field])
			if !ok {
				continue
			}
			if after, ok := strings.CutPrefix(rest, e); ok && strings.HasPrefix(after, l.pieces[i+1]) {
				l.slots[i].esc, next, found = esc, after[len(l.pieces[i+1]):], found+1
			}
		}
		if found != 1 {
			return false
		}
		rest = next
	}
	return rest == ""
}
