package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func art(url, title, text string, at time.Time) digest.Article {
	return digest.Article{URL: url, SourceID: url, Title: title, Text: text, Published: at, ContentHash: digest.ContentHash(text)}
}

const (
	steelA   = `The European Commission will raise the tariff on steel imports above quota from 25% to 40% from 1 January 2027 and cut quota volumes by 18%, Trade Commissioner Helena Marwick said in Brussels. Quotas fall to 31.2 million tonnes from 38 million tonnes. Turkey, India and South Korea get country allocations. Eurofer welcomed the decision, saying it protects 20,000 jobs.`
	steelB   = `Brussels will charge a 40% duty on out-of-quota steel, up from 25%, and shrink quotas by 18% to 31.2 million tonnes, Helena Marwick announced. The regime starts on 1 January 2027. Eurofer said 20,000 jobs would be saved, while Turkey asked for consultations and South Korea wants a bigger share.`
	steelUS  = `The United States will raise its tariff on steel from Canada to 50% from 25% next Monday, Commerce Secretary Linda Parr said. Canada ships about 6 million tonnes of steel a year to the United States. Ottawa promised to respond dollar for dollar, and the Canadian Steel Producers Association warned that 23,000 jobs in Ontario were at risk.`
	football = `Riverside United beat Castlegate Rovers 3-1 at Millbrook Park on Saturday. Luis Ferraz equalised before half-time, Sam Whitlock scored a penalty and Kofi Mensah sealed the win. Manager Elena Brankovic praised the response after the break.`
)

// groups returns the stories as sorted lists of article URLs, sorted.
func groups(stories []digest.Story) [][]string {
	var out [][]string
	for _, st := range stories {
		var g []string
		for _, a := range st.Articles {
			g = append(g, a.URL)
		}
		slices.Sort(g)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

func TestClusterer_Cluster(t *testing.T) {
	edited := strings.Replace(steelA, "Trade Commissioner", "EU trade chief", 1) + " The proposal goes to member states in December."
	tests := []struct {
		name     string
		articles []digest.Article
		want     [][]string
	}{
		{"empty", nil, nil},
		{"one article", []digest.Article{art("a", "Steel", steelA, t0)}, [][]string{{"a"}}},
		{"same title and text, different urls", []digest.Article{
			art("a", "Steel", steelA, t0), art("b", "Steel", steelA, t0.Add(90*24*time.Hour)),
		}, [][]string{{"a", "b"}}},
		// The same body under another headline and link is another
		// article: it joins only as a near-duplicate, within the window.
		{"same text, different titles and urls", []digest.Article{
			art("a", "Steel", steelA, t0), art("b", "Steel (copy)", steelA, t0.Add(90*24*time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		{"same url", []digest.Article{
			art("a", "Steel", steelA, t0), art("a", "Steel updated", steelUS, t0.Add(time.Hour)),
		}, [][]string{{"a", "a"}}},
		// Templated texts ("wellness calendar, Aug. 16-23") recur weekly:
		// near-duplicates join only within the window.
		{"near duplicate far apart in time", []digest.Article{
			art("a", "Steel", steelA, t0), art("b", "Steel", edited, t0.Add(10*24*time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		{"near duplicate within window", []digest.Article{
			art("a", "EU steel tariff rises to 40%", steelA, t0), art("b", "EU raises steel tariff", edited, t0.Add(3*time.Hour)),
		}, [][]string{{"a", "b"}}},
		{"same event, different wording", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(2*time.Hour)),
		}, [][]string{{"a", "b"}}},
		{"same event outside the window", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(72*time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		{"same event, one without a date", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("b", "Brussels raises duty on out-of-quota steel", steelB, time.Time{}),
		}, [][]string{{"a", "b"}}},
		{"same subject, different event", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("b", "US raises steel tariffs on Canadian imports to 50%", steelUS, t0.Add(time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		{"unrelated", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("b", "Riverside United win the derby", football, t0),
		}, [][]string{{"a"}, {"b"}}},
		{"transitive", []digest.Article{
			art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
			art("c", "Riverside United win the derby", football, t0),
			art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(time.Hour)),
			art("d", "EU raises steel tariff", edited, t0.Add(2*time.Hour)),
		}, [][]string{{"a", "b", "d"}, {"c"}}},
		// Feeds carry many items with an empty body: same (empty) content
		// hash, different stories.
		{"empty texts", []digest.Article{
			art("a", "", "", time.Time{}), art("b", "", "", time.Time{}),
			art("c", "Juno swoops around Jupiter", "", t0), art("d", "Mapping the proteome", "", t0),
		}, [][]string{{"a"}, {"b"}, {"c"}, {"d"}}},
		// Short items are the same only when nothing else identifies them:
		// same source, title and text, no link.
		{"short items with the same title and text, different links", []digest.Article{
			art("a", "Featured Advertiser", "", t0), art("b", "Featured Advertiser", "", t0.Add(30*24*time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		{"short items with the same title and text, no links", []digest.Article{
			{SourceID: "f", Title: "Featured Advertiser", Text: "Call now", Published: t0, ContentHash: digest.ContentHash("Call now")},
			{SourceID: "f", Title: "Featured Advertiser", Text: "Call now", Published: t0.Add(30 * 24 * time.Hour), ContentHash: digest.ContentHash("Call now")},
		}, [][]string{{"", ""}}},
		{"placeholder text, different titles and links", []digest.Article{
			art("a", "EU opens anti-dumping probe into Chinese tinplate", "Something new here", t0),
			art("b", "Peru sets 12% duty on rice from Chile", "Something new here", t0),
		}, [][]string{{"a"}, {"b"}}},
		{"same short text, different titles", []digest.Article{
			art("a", "Steel duty rises", "Read more on our website.", t0), art("b", "Rice quota opens", "Read more on our website.", t0),
		}, [][]string{{"a"}, {"b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := New(Config{}).Cluster(context.Background(), tt.articles)
			if err != nil {
				t.Fatal(err)
			}
			if got := groups(stories); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
			checkPartition(t, tt.articles, stories)
		})
	}
}

// TestClusterer_NearDuplicatesInTimeOrder checks the near-duplicate scan
// alone (same-event joins are switched off by an unreachable entity
// minimum): buckets are walked in time order, and a copy with no date
// still meets dated copies at either end of the batch.
func TestClusterer_NearDuplicatesInTimeOrder(t *testing.T) {
	// Long enough that a one-sentence edit moves few SimHash bits.
	long := steelA + "\n\n" + steelB + "\n\n" + steelUS
	edited, corrected := long+" Updated at noon.", long+" Corrected."
	tests := []struct {
		name     string
		articles []digest.Article
		want     [][]string
	}{
		{"far apart", []digest.Article{
			art("a", "Steel", long, t0), art("b", "Steel", edited, t0.Add(10*24*time.Hour)),
		}, [][]string{{"a"}, {"b"}}},
		// An undated copy is near both, but a story does not span more
		// than the window: it joins one of them.
		{"far apart, with an undated copy", []digest.Article{
			art("a", "Steel", long, t0), art("u", "Steel", corrected, time.Time{}),
			art("b", "Steel", edited, t0.Add(10*24*time.Hour)),
		}, [][]string{{"a", "u"}, {"b"}}},
		{"no chain longer than the window, out of input order", []digest.Article{
			art("c", "Steel", edited, t0.Add(80*time.Hour)), art("a", "Steel", long, t0),
			art("b", "Steel", corrected, t0.Add(40*time.Hour)),
		}, [][]string{{"a", "b"}, {"c"}}},
		{"within the window, out of input order", []digest.Article{
			art("c", "Steel", edited, t0.Add(45*time.Hour)), art("a", "Steel", long, t0),
			art("b", "Steel", corrected, t0.Add(40*time.Hour)),
		}, [][]string{{"a", "b", "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := New(Config{MinSharedEntities: 1 << 20}).Cluster(context.Background(), tt.articles)
			if err != nil {
				t.Fatal(err)
			}
			if got := groups(stories); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
		})
	}
}

// checkPartition asserts that every article is in exactly one story and
// that each story's key is its lead's content hash.
func checkPartition(tb testing.TB, articles []digest.Article, stories []digest.Story) {
	tb.Helper()
	n := 0
	for _, st := range stories {
		if len(st.Articles) == 0 {
			tb.Fatalf("story %q has no articles", st.Key)
		}
		if st.Key != st.Lead().ContentHash {
			tb.Errorf("story key %q, lead content hash %q", st.Key, st.Lead().ContentHash)
		}
		n += len(st.Articles)
	}
	if n != len(articles) {
		tb.Fatalf("%d articles in stories, %d in input", n, len(articles))
	}
	// Compare as multisets: identical articles may occur twice in the input.
	count := map[string]int{}
	for _, a := range articles {
		count[fmt.Sprintf("%s|%s|%s", a.URL, a.Title, a.Text)]++
	}
	for _, st := range stories {
		for _, a := range st.Articles {
			count[fmt.Sprintf("%s|%s|%s", a.URL, a.Title, a.Text)]--
		}
	}
	for k, v := range count {
		if v != 0 {
			tb.Fatalf("article %.40q appears %d times more in the input than in stories", k, v)
		}
	}
}

func TestClusterer_ClusterLogs(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	arts := []digest.Article{
		art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
		art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(time.Hour)),
		art("c", "EU to lift steel safeguard tariff to 40%", steelA, t0.Add(2*time.Hour)),
		art("d", "Riverside United win the derby", football, t0),
	}
	if _, err := New(Config{Logger: log}).Cluster(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"articles=4", "stories=2", "identical_joins=1", "same_event_joins=1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %q", buf.String(), want)
		}
	}
}

func TestClusterer_ClusterLead(t *testing.T) {
	short := art("short", "EU steel", steelB, t0)
	long := art("long", "EU steel", steelA+" Member states vote in December.", t0.Add(time.Hour))
	same1 := art("early", "EU steel", steelA, t0)
	same2 := art("late", "EU steel", strings.Replace(steelA, "Brussels", "Brusselx", 1), t0.Add(time.Hour))
	undated := art("undated", "EU steel", strings.Replace(steelA, "Brussels", "Brussely", 1), time.Time{})
	tests := []struct {
		name     string
		in       []digest.Article
		wantLead string
		wantRest []string
	}{
		{"longest text leads", []digest.Article{short, long}, "long", []string{"short"}},
		{"tie: earliest leads", []digest.Article{same2, same1}, "early", []string{"late"}},
		{"tie: dated before undated", []digest.Article{undated, same2}, "late", []string{"undated"}},
		{"tie: input order", []digest.Article{same2, art("late2", "EU steel", strings.Replace(steelA, "Brussels", "Brusselz", 1), t0.Add(time.Hour))}, "late", []string{"late2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := New(Config{}).Cluster(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(stories) != 1 {
				t.Fatalf("got %d stories, want 1", len(stories))
			}
			st := stories[0]
			if st.Lead().URL != tt.wantLead {
				t.Errorf("lead = %s, want %s", st.Lead().URL, tt.wantLead)
			}
			var rest []string
			for _, a := range st.Articles[1:] {
				rest = append(rest, a.URL)
			}
			if !slices.Equal(rest, tt.wantRest) {
				t.Errorf("rest = %v, want %v", rest, tt.wantRest)
			}
			if st.Key != st.Lead().ContentHash {
				t.Errorf("key = %s, want lead hash %s", st.Key, st.Lead().ContentHash)
			}
		})
	}
}

func TestClusterer_ClusterKeyWithoutHash(t *testing.T) {
	a := art("a", "EU steel", steelA, t0)
	a.ContentHash = ""
	stories, err := New(Config{}).Cluster(context.Background(), []digest.Article{a})
	if err != nil {
		t.Fatal(err)
	}
	if stories[0].Key == "" {
		t.Fatal("story without key when the lead has no content hash")
	}
}

// TestClusterer_ClusterDeterministic checks that the same input gives the
// same stories, and that reordering the input changes neither the groups
// nor the leads.
func TestClusterer_ClusterDeterministic(t *testing.T) {
	arts, _, _ := loadLabelled(t)
	c := New(Config{})
	first, err := c.Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Cluster(context.Background(), slices.Clone(arts))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keysOf(first)) != fmt.Sprint(keysOf(again)) {
		t.Fatal("two runs on the same input differ")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 5; round++ {
		shuffled := slices.Clone(arts)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := c.Cluster(context.Background(), shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(groups(got), groups(first), slices.Equal) {
			t.Fatalf("round %d: shuffled input gives other groups", round)
		}
		a, b := slices.Sorted(slices.Values(keysOf(got))), slices.Sorted(slices.Values(keysOf(first)))
		if !slices.Equal(a, b) {
			t.Fatalf("round %d: shuffled input gives other leads", round)
		}
	}
}

func keysOf(stories []digest.Story) []string {
	var out []string
	for _, st := range stories {
		out = append(out, st.Key)
	}
	return out
}

func TestClusterer_ClusterCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	arts := synthetic(200, 1)
	if _, err := New(Config{}).Cluster(ctx, arts); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// embedder is a hand-written Embedder: vectors come from a function.
type embedder struct {
	embed func(texts []string) ([][]float32, error)
	calls int
}

func (e *embedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.calls++
	return e.embed(texts)
}

func TestClusterer_ClusterEmbeddings(t *testing.T) {
	// Two reports that share few words and one name; only the embeddings
	// (here: a vector that says "steel event") join them when two shared
	// names are required (the default asks one: see MinSharedEntities).
	a := art("a", "Quota regime unveiled", "On Tuesday Marwick presented a new quota regime to ministers. Officials welcomed the idea.", t0)
	b := art("b", "Exporters attack plan", "Exporters attacked the plan drafted by Marwick and his staff.", t0.Add(time.Hour))
	c := art("c", "Riverside United win the derby", football, t0)
	vec := func(texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i, s := range texts {
			if strings.Contains(s, "Marwick") {
				out[i] = []float32{1, 0.1}
			} else {
				out[i] = []float32{0, 1}
			}
		}
		return out, nil
	}
	tests := []struct {
		name  string
		embed func([]string) ([][]float32, error)
		want  [][]string
	}{
		{"no embedder keeps them apart", nil, [][]string{{"a"}, {"b"}, {"c"}}},
		{"close embeddings join", vec, [][]string{{"a", "b"}, {"c"}}},
		{"embedder error: clustering goes on without", func([]string) ([][]float32, error) {
			return nil, errors.New("503 from /embeddings")
		}, [][]string{{"a"}, {"b"}, {"c"}}},
		{"wrong number of vectors is ignored", func([]string) ([][]float32, error) {
			return [][]float32{{1}}, nil
		}, [][]string{{"a"}, {"b"}, {"c"}}},
		{"mismatched dimensions are ignored", func(texts []string) ([][]float32, error) {
			return [][]float32{{1, 0}, {1}, {0, 1}}, nil
		}, [][]string{{"a"}, {"b"}, {"c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{MinSharedEntities: 2}
			var e *embedder
			if tt.embed != nil {
				e = &embedder{embed: tt.embed}
				cfg.Embedder = e
			}
			stories, err := New(cfg).Cluster(context.Background(), []digest.Article{a, b, c})
			if err != nil {
				t.Fatal(err)
			}
			if got := groups(stories); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
			if e != nil && e.calls != 1 {
				t.Errorf("embedder called %d times, want 1 batch", e.calls)
			}
		})
	}
}

func TestSimhash(t *testing.T) {
	// A short article: about 170 words.
	long := steelA + "\n\n" + steelB + "\n\n" + steelUS
	same, _ := simhash(nlp.Tokens(long))
	edited, _ := simhash(nlp.Tokens(strings.Replace(long, "Brussels", "Luxembourg", 1)))
	other, _ := simhash(nlp.Tokens(steelUS))
	max := DefaultConfig().NearDuplicateBits
	if d := hamming(same, edited); d > max {
		t.Errorf("one-word edit: hamming %d, want <= %d", d, max)
	}
	if d := hamming(same, other); d <= 2*max {
		t.Errorf("different text: hamming %d, want > %d", d, 2*max)
	}
}

func TestUnionFind(t *testing.T) {
	u := newUnionFind(6)
	u.union(0, 1)
	u.union(2, 3)
	u.union(1, 3)
	u.union(3, 3)
	for _, tc := range []struct {
		a, b int
		same bool
	}{{0, 2, true}, {1, 3, true}, {0, 4, false}, {4, 5, false}} {
		if got := u.find(tc.a) == u.find(tc.b); got != tc.same {
			t.Errorf("same(%d,%d) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestEntities(t *testing.T) {
	got := map[string]bool{}
	for _, e := range entities(nlp.Tokens("The European Commission said on Wednesday. Trade Commissioner Helena Marwick met Turkey's minister; duties of 62.9% hit 140,000 tonnes of steel in 2027. Turkey objected. Timber duties rose to 20.6 per cent.")) {
		got[e.key] = e.head
	}
	for key, head := range map[string]bool{
		"european commission": false, "commission": true, "european": false,
		"trade commissioner helena marwick": false, "helena": false, "marwick": true,
		"turkey": true, "#62.9%": true, "#140000": true, "#2027": true,
		// A percentage in words is the same figure.
		"#20.6%": true,
	} {
		h, ok := got[key]
		if !ok || h != head {
			t.Errorf("entity %q: present %v head %v; want head %v (all: %v)", key, ok, h, head, got)
		}
	}
	for _, bad := range []string{"the", "duty", "minister", "wednesday"} {
		if _, ok := got[bad]; ok {
			t.Errorf("entities %v contain %q", got, bad)
		}
	}
}

// TestProductEntities checks that the goods named in the title and
// opening sentences are entities, synonyms made one, and those named
// further on are not.
func TestProductEntities(t *testing.T) {
	d := parse(art("a", "Washington doubles levies on Canada's timber",
		"Mills will pay more. Ottawa will fight. Later paragraphs mention steel.", t0), 2)
	has := func(key string) bool {
		return slices.ContainsFunc(d.entities, func(e entry) bool { return e.id == termID(key, true) })
	}
	if !has("$lumber") {
		t.Error("timber in the title: no $lumber entity")
	}
	if has("$steel") || has("$tariff") {
		t.Error("steel after the lead, or levies, made entities")
	}
}

func TestEntityOverlap(t *testing.T) {
	// Entity ids are per batch: analyse the texts together.
	docs := analyse([]digest.Article{
		{Text: "Donald Trump spoke in Lisbon about fires."},
		{Text: "A nuclear button, said Donald Trump about Kim."},
		{Text: "Unrelated filler text."},
	}, 2)
	// One person named in full in both texts is one shared entity.
	a, b := docs[0].entities, docs[1].entities
	if n, _ := entityOverlap(a, b, docs[0].tab); n != 1 {
		t.Errorf("shared entities = %d, want 1 (Trump)", n)
	}
	if n, w := entityOverlap(a, nil, docs[0].tab); n != 0 || w != 0 {
		t.Errorf("overlap with nothing = %d, %v", n, w)
	}
}

func TestConfig_withDefaults(t *testing.T) {
	d := DefaultConfig()
	tests := []struct {
		name  string
		in    Config
		check func(Config) bool
	}{
		{"zero takes defaults", Config{}, func(c Config) bool {
			return c.Window == d.Window && c.Threshold == d.Threshold && c.NearDuplicateBits == d.NearDuplicateBits &&
				c.LeadWeight == d.LeadWeight && c.MinSharedEntities == d.MinSharedEntities && c.Logger != nil
		}},
		{"set values stay", Config{Window: time.Hour, Threshold: 0.5, MinSharedEntities: 4}, func(c Config) bool {
			return c.Window == time.Hour && c.Threshold == 0.5 && c.MinSharedEntities == 4
		}},
		{"near-duplicate bits capped", Config{NearDuplicateBits: 40}, func(c Config) bool { return c.NearDuplicateBits == 15 }},
		{"lead sentences capped", Config{LeadSentences: 200}, func(c Config) bool { return c.LeadSentences == 127 }},
		{"lead sentences kept", Config{LeadSentences: 5}, func(c Config) bool { return c.LeadSentences == 5 }},
		{"negative weight is zero", Config{LeadWeight: 1, BodyWeight: -1}, func(c Config) bool {
			return c.LeadWeight == 1 && c.BodyWeight == 0 && c.EntityWeight == 0
		}},
		{"all weights negative take defaults", Config{LeadWeight: -1, BodyWeight: -1, EntityWeight: -1}, func(c Config) bool {
			return c.LeadWeight == d.LeadWeight && c.EntityWeight == d.EntityWeight
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); !tt.check(got) {
				t.Errorf("withDefaults() = %+v", got)
			}
		})
	}
}

// TestClusterer_ClusterConcurrent shares one Clusterer between goroutines
// (run with -race); each must get the same stories.
func TestClusterer_ClusterConcurrent(t *testing.T) {
	arts := synthetic(200, 3)
	c := New(Config{})
	want, err := c.Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got, err := c.Cluster(context.Background(), arts)
			if err == nil && fmt.Sprint(keysOf(got)) != fmt.Sprint(keysOf(want)) {
				err = errors.New("concurrent run gave other stories")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestClusterer_BestFit: an article alone goes to the story it fits best
// (grouping.home), not to the first that a link reaches it from. a's link
// with b, one hour apart, is tried before its link with c, eight hours
// apart (closerFirst), though c scores higher; b and c are one outlet's,
// so a story holds a with one of them only, and a goes to c. (c is as many
// hours after a as leaves its score alone, see timeAdjust, and states a
// figure of a's as b does, see shareFigure.)
func TestClusterer_BestFit(t *testing.T) {
	a := art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0)
	b := art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(time.Hour))
	c := art("c", "EU to lift steel safeguard tariff to 40%", `The European Commission will raise the tariff on steel imports above quota from 25% to 40% from 1 January 2027 and cut quota volumes by 18%, Trade Commissioner Helena Marwick said in Brussels. Ukraine asked for a country allocation of its own for its mills, which ship 31.2 million tonnes less.`, t0.Add(evenHours*time.Hour))
	a.SourceName, b.SourceName, c.SourceName = "Harbour Ledger", "Meridian Trade", "Meridian Trade"
	arts := []digest.Article{a, b, c}
	docs := analyse(arts, 2)
	c0 := New(Config{})
	score := func(i, j int) float64 {
		_, ent := entityOverlap(docs[i].entities, docs[j].entities, docs[i].tab)
		return c0.score(&docs[i], &docs[j], ent)
	}
	ab, ac, bc := score(0, 1), score(0, 2), score(1, 2)
	if ac <= ab || hamming(docs[0].simhash, docs[2].simhash) <= c0.cfg.NearDuplicateBits {
		t.Fatalf("fixture: a~c %.3f must score above a~b %.3f without being a near-duplicate", ac, ab)
	}
	cfg := Config{Threshold: min(ab, ac) - 0.01, LinkThreshold: 0.01, SameOutletThreshold: bc + 0.01}
	cl := New(cfg)
	links, err := cl.links(context.Background(), newGrouping(&cl.cfg, analyse(arts, 2)), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 || links[0].j != 1 || links[1].j != 2 {
		t.Fatalf("fixture: links %+v, want a~b tried before a~c", links)
	}
	stories, err := cl.Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := groups(stories), [][]string{{"a", "c"}, {"b"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("stories %v, want %v (a~b %.3f one hour apart, a~c %.3f eight hours apart, b and c one outlet's)", got, want, ab, ac)
	}
}

// TestCandidates_Within checks that the window test of candidate pairs
// from the articles' stamps decides as within does: around the window's
// bounds, with undated articles, times with a monotonic clock reading,
// times beyond the stamped years and a second's fractions.
func TestCandidates_Within(t *testing.T) {
	base := time.Date(2026, 12, 7, 9, 30, 0, 123456789, time.UTC)
	now := time.Now() // with a monotonic clock reading
	var times []time.Time
	for _, b := range []time.Time{base, now, time.Date(1899, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))} {
		for _, d := range []time.Duration{0, 1, -1, time.Hour, 48 * time.Hour, 48*time.Hour + 1, -48*time.Hour - 1, 300 * 24 * time.Hour} {
			times = append(times, b.Add(d))
		}
	}
	times = append(times, time.Time{}, now.Round(0), now.Add(48*time.Hour).Round(0))
	docs := make([]doc, len(times))
	for i, tm := range times {
		docs[i].when = tm
	}
	cs := newCandidates(docs, 48*time.Hour)
	for i := range docs {
		for j := range docs {
			if got, want := cs.within(i, j), within(&docs[i], &docs[j], 48*time.Hour); got != want {
				t.Errorf("%v and %v: within %v from stamps, %v from times", times[i], times[j], got, want)
			}
		}
	}
}
