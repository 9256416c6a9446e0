package export

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Markdown renders d as CommonMark: the subject as the title, then each
// story with its link, dateline, summary, key points, topics and the other
// outlets. All text is escaped, so nothing an article says becomes a link,
// a heading or HTML.
func Markdown(d Document) string {
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var b strings.Builder
	title := d.Subject
	if title == "" {
		title = "Digest " + d.Date
	}
	fmt.Fprintf(&b, "# %s\n\n", escape(title))
	if len(d.Stories) > 0 {
		line := countText(len(d.Stories), d.Frequency)
		if d.Since != nil {
			line += " since " + d.Since.In(loc).Format("Monday 2 January 2006, 15:04 MST")
		}
		fmt.Fprintf(&b, "%s\n\n", escape(line))
	}
	for _, p := range d.Lead {
		fmt.Fprintf(&b, "%s\n\n", escape(p))
	}
	for _, s := range d.Stories {
		writeStory(&b, s, loc)
	}
	if d.More > 0 {
		more := fmt.Sprintf("…and %d more stories", d.More)
		if d.More == 1 {
			more = "…and 1 more story"
		}
		if d.Frequency == "weekly" {
			more = fmt.Sprintf("…and %d more this week", d.More)
		}
		fmt.Fprintf(&b, "%s\n\n", escape(more))
	}
	if len(d.Stories) == 0 {
		b.WriteString("No major trade news this time.\n\n")
	}
	if len(d.Stories) > 0 {
		b.WriteString("---\n\n*Summaries are made automatically from the linked reports; check the original before relying on a detail.*\n")
	}
	return b.String()
}

func countText(n int, frequency string) string {
	s := fmt.Sprintf("%d stories", n)
	if n == 1 {
		s = "1 story"
	}
	if frequency == "weekly" {
		s += " this week"
	}
	return s
}

func writeStory(b *strings.Builder, s Story, loc *time.Location) {
	head := escape(s.Headline)
	if s.URL != "" {
		head = "[" + head + "](" + linkTarget(s.URL) + ")"
	}
	fmt.Fprintf(b, "## %d. %s\n\n", s.Rank, head)
	var meta []string
	if !s.Published.IsZero() {
		meta = append(meta, s.Published.In(loc).Format("2 Jan 2006, 15:04 MST"))
	}
	if len(s.Outlets) > 0 && s.Outlets[0].Name != "" {
		meta = append(meta, s.Outlets[0].Name)
	}
	switch {
	case s.SummaryBy == "llm":
		meta = append(meta, "AI-generated summary")
	case s.Unfaithful:
		// As in the email: why a reader who expects AI summaries finds an
		// excerpt.
		meta = append(meta, "Summary extracted from the article (the AI summary stated facts the article does not)")
	default:
		meta = append(meta, "Summary extracted from the article")
	}
	fmt.Fprintf(b, "*%s*\n\n", escape(strings.Join(meta, " · ")))
	for _, p := range s.Summary {
		fmt.Fprintf(b, "%s\n\n", escape(p))
	}
	for _, k := range s.KeyPoints {
		fmt.Fprintf(b, "- %s\n", escape(k))
	}
	if len(s.KeyPoints) > 0 {
		b.WriteString("\n")
	}
	if len(s.Topics) > 0 {
		fmt.Fprintf(b, "Topics: %s\n\n", escape(strings.Join(s.Topics, ", ")))
	}
	if len(s.Outlets) > 1 {
		var names []string
		for _, o := range s.Outlets[1:] {
			n := escape(o.Name)
			if o.URL != "" {
				n = "[" + n + "](" + linkTarget(o.URL) + ")"
			}
			names = append(names, n)
		}
		fmt.Fprintf(b, "Also reported by: %s\n\n", strings.Join(names, ", "))
	}
}

// escape makes untrusted text literal in CommonMark: every ASCII
// punctuation character that can start markup is backslash-escaped, and a
// line that would open a list, a heading or a quote is made plain.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '(', ')', '<', '>', '#', '|', '~', '!', '&', '{', '}':
			b.WriteByte('\\')
		case '-', '+', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	out := b.String()
	// "1. text" would start an ordered list.
	if j := strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && j < len(out) && out[j] == '.' {
		out = out[:j] + "\\" + out[j:]
	}
	return out
}

// linkTarget writes a URL (already checked to be http(s)) so that it cannot
// end the link early: spaces, parentheses and angle brackets are
// percent-encoded.
func linkTarget(u string) string {
	if !utf8.ValidString(u) || len(u) > maxURL {
		return ""
	}
	r := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\\", "%5C")
	return r.Replace(u)
}
