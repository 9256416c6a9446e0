package rank

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/parallel"
)

var now = time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)

const (
	tariffText   = `The European Commission will raise the tariff on steel imports above quota from 25% to 40%, and exporters in Turkey and India will need to apply for country allocations. The safeguard duty follows complaints from steelmakers. Importers said the tariff would raise prices for car makers.`
	footballText = `Riverside United beat Castlegate Rovers 3-1 at Millbrook Park on Saturday. Luis Ferraz equalised before half-time, Sam Whitlock scored a penalty and Kofi Mensah sealed the win. Manager Elena Brankovic praised the response after the break.`
	recipeText   = `Brown the chicken, soften the onions, then stir in the rice, a little pork sausage, sugar and stock. Simmer for 25 minutes. Dairy-free cooks can skip the butter. Rice, chicken and pork make a cheap weeknight dinner.`
)

func story(key, title, text string, published time.Time, sources ...string) digest.Story {
	st := digest.Story{Key: key}
	if len(sources) == 0 {
		sources = []string{"Wire"}
	}
	for i, src := range sources {
		a := digest.Article{SourceID: "id:" + src, SourceName: src, Title: title, Text: text, Published: published}
		if i > 0 {
			a.Text = "" // only the lead's text is scored
		}
		st.Articles = append(st.Articles, a)
	}
	return st
}

func TestRanker_Assess(t *testing.T) {
	r := New(Config{})
	tests := []struct {
		name       string
		title      string
		text       string
		wantKeep   bool
		wantTopics []string // must be among the assigned topics
		notTopics  []string
	}{
		{"tariff story", "EU raises steel tariff to 40%", tariffText, true, []string{"tariffs"}, []string{"autos", "agriculture"}},
		{"football", "Riverside United win the derby", footballText, false, nil, []string{"tariffs"}},
		{"recipe uses farm words only", "Chicken and rice pot", recipeText, false, nil, []string{"agriculture"}},
		{"agricultural market access", "EU opens rice quota to Thailand in trade deal",
			"The trade agreement gives Thai rice a duty-free tariff-rate quota of 100,000 tonnes, and poultry a quota of 80,000 tonnes. Thailand will cut tariffs on EU dairy and pork. Farmers' groups criticised the rice quota.",
			true, []string{"agriculture", "trade-agreements"}, nil},
		{"phrase across case and plural", "RULES OF ORIGIN", "Exporters must meet the Rules of Origin and hold Proofs of Origin, customs said; cumulation applies.", true, []string{"customs-origin"}, nil},
		{"empty", "", "", false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := r.Assess(tt.title, tt.text)
			if kept := a.Relevance >= r.threshold; kept != tt.wantKeep {
				t.Errorf("relevance %.3f, kept %v, want %v (scores %v)", a.Relevance, kept, tt.wantKeep, a.TopicScores)
			}
			if a.Relevance < 0 || a.Relevance > 1 || math.IsNaN(a.Relevance) {
				t.Errorf("relevance %v out of 0..1", a.Relevance)
			}
			for _, want := range tt.wantTopics {
				if !slices.Contains(a.Topics, want) {
					t.Errorf("topics %v lack %q (scores %v)", a.Topics, want, a.TopicScores)
				}
			}
			for _, bad := range tt.notTopics {
				if slices.Contains(a.Topics, bad) {
					t.Errorf("topics %v contain %q", a.Topics, bad)
				}
			}
		})
	}
}

// TestRanker_AssessLength checks that relevance is a density: the same
// article repeated five times is not more relevant, and trade words diluted
// in a long text count for less.
func TestRanker_AssessLength(t *testing.T) {
	r := New(Config{})
	one := r.Assess("Steel tariff", tariffText)
	five := r.Assess("Steel tariff", strings.Repeat(tariffText+"\n\n", 5))
	if math.Abs(one.Relevance-five.Relevance) > 0.05 {
		t.Errorf("relevance of one copy %.3f, of five copies %.3f: length should not matter", one.Relevance, five.Relevance)
	}
	diluted := r.Assess("Steel tariff", tariffText+"\n\n"+strings.Repeat(footballText+"\n\n", 6))
	if diluted.Relevance >= one.Relevance {
		t.Errorf("diluted relevance %.3f >= undiluted %.3f", diluted.Relevance, one.Relevance)
	}
	short := r.Assess("", "Tariff.")
	undamped := New(Config{MinWords: 1}).Assess("", "Tariff.")
	if short.Relevance >= undamped.Relevance/2 {
		t.Errorf("a one-word text scores %.3f, %.3f without MinWords: MinWords should damp it", short.Relevance, undamped.Relevance)
	}
}

func TestMatcher_score(t *testing.T) {
	m := newMatcher(map[string]float64{"rules of origin": 3, "origin": 1, "tariff": 2, "tariffs": 2.5, "trade war": 3, "zero": 0})
	// The vocab also numbers another matcher's stems, as a Ranker's does.
	v := vocab{}
	v.add(newMatcher(map[string]float64{"apply": 1, "escalate": 1}))
	v.add(m)
	m.index(v)
	tests := []struct {
		text string
		want float64
	}{
		{"rules of origin", 3},            // the phrase, not also "origin"
		{"Rules  of\nOrigin apply", 3},    // case and spacing
		{"origin of the rules", 1},        // order matters
		{"Tariffs and a tariff", 5},       // plural stems alike; the larger weight once per spelling
		{"tariffication tariffsville", 0}, // word boundaries
		{"the trade-war escalates", 3},    // hyphen is a word boundary
		{"zero", 0},                       // non-positive weights are ignored
		{"", 0},
	}
	for _, tt := range tests {
		toks := stems(tt.text)
		if got := m.score(toks, v.appendIDs(nil, toks)); got != tt.want {
			t.Errorf("score(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestRanker_Rank(t *testing.T) {
	r := New(Config{})
	fresh := story("fresh", "EU steel tariff", tariffText, now.Add(-time.Hour))
	old := story("old", "EU steel tariff", tariffText, now.Add(-36*time.Hour))
	football := story("football", "Derby", footballText, now)
	got := r.Rank([]digest.Story{old, football, fresh}, now)
	if keys := storyKeys(got); !slices.Equal(keys, []string{"fresh", "old"}) {
		t.Fatalf("ranked %v, want [fresh old] (football dropped, newer first)", keys)
	}
	for _, st := range got {
		if st.Relevance < r.threshold || st.Score <= 0 || !slices.Contains(st.Topics, "tariffs") {
			t.Errorf("story %s: relevance %.3f score %.3f topics %v", st.Key, st.Relevance, st.Score, st.Topics)
		}
	}
	// 36 h is two half-lives: a quarter of the score.
	if ratio := got[1].Score / got[0].Score; math.Abs(ratio-math.Exp2(-35.0/18)) > 0.01 {
		t.Errorf("score ratio old/fresh = %.3f, want %.3f", ratio, math.Exp2(-35.0/18))
	}
}

func TestRanker_RankFactors(t *testing.T) {
	at := now.Add(-2 * time.Hour)
	base := story("base", "EU steel tariff", tariffText, at)
	tests := []struct {
		name   string
		cfg    Config
		other  digest.Story
		higher bool // other ranks above base
	}{
		{"more outlets", Config{}, story("other", "EU steel tariff", tariffText, at, "Wire", "Ledger", "Daily"), true},
		{"same outlet twice counts once", Config{}, story("other", "EU steel tariff", tariffText, at, "Wire", "Wire"), false},
		{"source weight by name", Config{SourceWeights: map[string]float64{"Ledger": 2}}, story("other", "EU steel tariff", tariffText, at, "Ledger"), true},
		{"source weight by id", Config{SourceWeights: map[string]float64{"id:Ledger": 0.5}}, story("other", "EU steel tariff", tariffText, at, "Ledger"), false},
		{"high importance", Config{}, withSummary(story("other", "EU steel tariff", tariffText, at), digest.Summary{Importance: 5}), true},
		{"low importance", Config{}, withSummary(story("other", "EU steel tariff", tariffText, at), digest.Summary{Importance: 1}), false},
		{"newer", Config{}, story("other", "EU steel tariff", tariffText, at.Add(time.Hour)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.cfg).Rank([]digest.Story{base, tt.other}, now)
			if len(got) != 2 {
				t.Fatalf("got %d stories", len(got))
			}
			if first := got[0].Key == "other"; first != tt.higher {
				t.Errorf("other first = %v, want %v (scores %s %.4f, %s %.4f)", first, tt.higher, got[0].Key, got[0].Score, got[1].Key, got[1].Score)
			}
		})
	}
}

func withSummary(st digest.Story, s digest.Summary) digest.Story {
	st.Summary = s
	return st
}

func TestRanker_RankLLMTopics(t *testing.T) {
	r := New(Config{})
	// A terse item the terms barely see, which an LLM classified.
	terse := story("terse", "Update on the talks", "Officials met again in Geneva on Tuesday.", now)
	if got := r.Rank([]digest.Story{terse}, now); len(got) != 0 {
		t.Fatalf("without LLM topics the terse story should be dropped, relevance %.3f", got[0].Relevance)
	}
	terse.Summary.Topics = []string{"Trade agreements", "Geneva"}
	got := r.Rank([]digest.Story{terse}, now)
	if len(got) != 1 {
		t.Fatal("with an LLM topic the story should be kept")
	}
	if !slices.Equal(got[0].Topics, []string{"trade-agreements"}) || got[0].Relevance != r.cfg.LLMTopicRelevance {
		t.Errorf("topics %v relevance %.3f", got[0].Topics, got[0].Relevance)
	}
	// LLM topics that name no configured topic change nothing.
	football := withSummary(story("f", "Derby", footballText, now), digest.Summary{Topics: []string{"Sport"}})
	if got := r.Rank([]digest.Story{football}, now); len(got) != 0 {
		t.Errorf("football with topic Sport kept")
	}
}

// TestRanker_RankTwice checks that ranking ranked stories again gives the
// same result: the engine ranks before and after summarising.
func TestRanker_RankTwice(t *testing.T) {
	r := New(Config{})
	in := []digest.Story{
		story("a", "EU steel tariff", tariffText, now.Add(-5*time.Hour), "Wire", "Ledger"),
		story("b", "EU steel tariff", tariffText, now.Add(-time.Hour)),
		story("c", "Derby", footballText, now),
	}
	once := r.Rank(in, now)
	twice := r.Rank(once, now)
	if len(once) != len(twice) {
		t.Fatalf("%d stories, then %d", len(once), len(twice))
	}
	for i := range once {
		if once[i].Key != twice[i].Key || once[i].Score != twice[i].Score || !slices.Equal(once[i].Topics, twice[i].Topics) {
			t.Errorf("story %d: %+v then %+v", i, once[i], twice[i])
		}
	}
}

func TestRanker_RankTies(t *testing.T) {
	r := New(Config{})
	var in []digest.Story
	for _, k := range []string{"c", "a", "b"} {
		in = append(in, story(k, "EU steel tariff", tariffText, now))
	}
	if keys := storyKeys(r.Rank(in, now)); !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Errorf("ties ordered %v, want by key", keys)
	}
}

func TestRanker_RankUndatedAndFuture(t *testing.T) {
	r := New(Config{})
	undated := story("undated", "EU steel tariff", tariffText, time.Time{})
	future := story("future", "EU steel tariff", tariffText, now.Add(5*time.Hour))
	got := r.Rank([]digest.Story{undated, future}, now)
	if len(got) != 2 || got[0].Score != got[1].Score {
		t.Errorf("undated and future stories should both score as fresh: %v", got)
	}
}

func storyKeys(stories []digest.Story) []string {
	var out []string
	for _, st := range stories {
		out = append(out, st.Key)
	}
	return out
}

func TestFilterTopics(t *testing.T) {
	a := digest.Story{Key: "a", Topics: []string{"tariffs"}}
	b := digest.Story{Key: "b", Topics: []string{"autos"}, Summary: digest.Summary{Topics: []string{"Supply chains"}}}
	c := digest.Story{Key: "c"}
	all := []digest.Story{a, b, c}
	tests := []struct {
		topics []string
		want   []string
	}{
		{nil, []string{"a", "b", "c"}},
		{[]string{"tariffs"}, []string{"a"}},
		{[]string{"TARIFFS", "autos"}, []string{"a", "b"}},
		{[]string{"supply-chains"}, []string{"b"}},
		{[]string{"wto-disputes"}, nil},
	}
	for _, tt := range tests {
		if got := storyKeys(FilterTopics(all, tt.topics)); !slices.Equal(got, tt.want) {
			t.Errorf("FilterTopics(%v) = %v, want %v", tt.topics, got, tt.want)
		}
	}
}

func TestCanonicalTopic(t *testing.T) {
	topics := DefaultTopics()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"tariffs", "tariffs", true},
		{"Tariffs", "tariffs", true},
		{"export_controls", "export-controls", true},
		{"Export controls and sanctions", "export-controls", true},
		{"WTO & disputes", "wto-disputes", true},
		{"Trade agreements", "trade-agreements", true},
		{"tariff", "tariffs", true},
		{" supply chains ", "supply-chains", true},
		{"trade", "", false}, // too short a prefix to guess
		{"sport", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := CanonicalTopic(topics, tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CanonicalTopic(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ValidTopic(topics, tt.in) != tt.ok {
			t.Errorf("ValidTopic(%q) = %v", tt.in, !tt.ok)
		}
	}
}

func TestDefaultTopics(t *testing.T) {
	topics := DefaultTopics()
	want := []string{"tariffs", "trade-agreements", "wto-disputes", "export-controls", "supply-chains",
		"customs-origin", "agriculture", "autos", "currencies"}
	if got := TopicNames(topics); !slices.Equal(got, want) {
		t.Fatalf("TopicNames = %v, want %v", got, want)
	}
	for _, tp := range topics {
		if tp.Label == "" || len(tp.Terms) < 5 {
			t.Errorf("topic %s: label %q, %d terms", tp.Name, tp.Label, len(tp.Terms))
		}
		for term, w := range mergeTerms(tp.Terms, tp.Context) {
			if w <= 0 || w > 3 || len(stems(term)) == 0 {
				t.Errorf("topic %s: term %q weight %v", tp.Name, term, w)
			}
		}
		// Each topic's anchors must recognise its own name's subject.
		if a := New(Config{}).Assess(tp.Label, ""); a.TopicScores[tp.Name] == 0 && tp.Name != "agriculture" && tp.Name != "autos" {
			t.Errorf("topic %s: its label %q matches none of its terms", tp.Name, tp.Label)
		}
	}
}

func mergeTerms(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestNew_defaults(t *testing.T) {
	half := 0.5
	r := New(Config{Threshold: &half, Topics: []Topic{{Name: "x", Terms: map[string]float64{"widget": 3}}}})
	if r.threshold != 0.5 || r.cfg.HalfLife != 18*time.Hour || len(r.cfg.Topics) != 1 || r.cfg.GeneralTerms == nil {
		t.Errorf("config %+v", r.cfg)
	}
	if a := r.Assess("Widget widget widget", "widget"); !slices.Equal(a.Topics, []string{"x"}) {
		t.Errorf("custom topic not assigned: %+v", a)
	}
}

func TestValidateTopics(t *testing.T) {
	terms := map[string]float64{"widget": 2}
	tests := []struct {
		name    string
		topics  []Topic
		wantErr string
	}{
		{"defaults", DefaultTopics(), ""},
		{"none", nil, ""},
		{"empty name", []Topic{{Terms: terms}}, "topic 1: name is empty"},
		{"bad name", []Topic{{Name: "Export Controls", Terms: terms}}, `topic 1 ("Export Controls"): name may hold`},
		{"duplicate name", []Topic{{Name: "a", Terms: terms}, {Name: "a", Terms: terms}}, `topic 2 ("a"): name or label "a" is used twice`},
		{"label clashes with a name", []Topic{{Name: "tariffs", Terms: terms}, {Name: "duties", Label: "Tariffs", Terms: terms}}, `topic 2 ("duties")`},
		{"no positive term", []Topic{{Name: "a", Terms: map[string]float64{"x": 0}}}, "needs at least one term"},
		{"context only", []Topic{{Name: "a", Context: terms}}, "needs at least one term"},
		{"empty term", []Topic{{Name: "a", Terms: map[string]float64{" ": 1}}}, "empty term"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTopics(tt.topics)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestRanker_RankConcurrent shares one Ranker between goroutines (run with
// -race); each must get the same order.
func TestRanker_RankConcurrent(t *testing.T) {
	r := New(Config{})
	in := []digest.Story{
		story("a", "EU steel tariff", tariffText, now.Add(-5*time.Hour), "Wire", "Ledger"),
		story("b", "EU steel tariff", tariffText, now.Add(-time.Hour)),
		story("c", "Derby", footballText, now),
	}
	want := storyKeys(r.Rank(in, now))
	done := make(chan []string, 4)
	for range 4 {
		go func() { done <- storyKeys(r.Rank(slices.Clone(in), now)) }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("concurrent rank %v, want %v", got, want)
		}
	}
}

// TestRanker_ThresholdZeroKeepsEverything: relevance.threshold 0 means
// keep every story, including one that scores exactly 0; unset means the
// default.
func TestRanker_ThresholdZeroKeepsEverything(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	football := digest.Story{Key: "f", Articles: []digest.Article{{Title: "Riverside United win the derby",
		Text: "Riverside United beat Castlegate Rovers 3-1 on Saturday.", Published: now}}}
	zero := 0.0
	r := New(Config{Threshold: &zero})
	if rel, thr := r.Relevance(football); rel != 0 || thr != 0 {
		t.Fatalf("relevance %v, threshold %v; want a story scoring exactly 0 and threshold 0", rel, thr)
	}
	if got := r.Rank([]digest.Story{football}, now); len(got) != 1 {
		t.Errorf("threshold 0 kept %d stories, want 1", len(got))
	}
	d := New(Config{})
	if _, thr := d.Relevance(football); thr != DefaultThreshold {
		t.Errorf("unset threshold is %v, want %v", thr, DefaultThreshold)
	}
	if got := d.Rank([]digest.Story{football}, now); len(got) != 0 {
		t.Errorf("default threshold kept the football story")
	}
}

// TestRanker_RankWeek: over a week, Monday's story told by four outlets
// with importance 5 leads Friday's minor one; over a day the fresh one
// leads. RankWeek orders the stories RankSplit kept by the relevance it
// set, without their texts (the engine drops them once summarised).
func TestRanker_RankWeek(t *testing.T) {
	r := New(Config{})
	major := withSummary(story("major", "EU steel tariff", tariffText, now.Add(-4*24*time.Hour), "Wire", "Ledger", "Daily", "Post"),
		digest.Summary{Importance: 5})
	minor := withSummary(story("minor", "EU steel tariff", tariffText, now.Add(-time.Hour)), digest.Summary{Importance: 2})
	football := story("football", "Derby", footballText, now)
	in := []digest.Story{minor, football, major}
	kept, _ := r.RankSplit(in, now)
	if keys := storyKeys(kept); !slices.Equal(keys, []string{"minor", "major"}) {
		t.Fatalf("RankSplit = %v, want the fresh minor story first", keys)
	}
	for i := range kept {
		kept[i].Articles = slices.Clone(kept[i].Articles)
		kept[i].Articles[0].Text = ""
	}
	week := r.RankWeek(kept, now)
	if keys := storyKeys(week); !slices.Equal(keys, []string{"major", "minor"}) {
		t.Fatalf("RankWeek = %v, want the week's major story first", keys)
	}
	relevance := map[string]float64{}
	for _, st := range kept {
		relevance[st.Key] = st.Relevance
	}
	for _, st := range week {
		if st.Relevance != relevance[st.Key] {
			t.Errorf("RankWeek assessed %q again without its text: relevance %.3f, RankSplit's %.3f", st.Key, st.Relevance, relevance[st.Key])
		}
	}
	if r.cfg.HalfLife != DefaultConfig().HalfLife {
		t.Fatalf("RankWeek changed the ranker's own half-life to %s", r.cfg.HalfLife)
	}
}

// TestRanker_RankSplitRerank checks the engine's one assessment per run:
// RankSplit keeps what Rank keeps and returns the dropped stories with the
// relevance Relevance reports; Rerank, once summaries arrive, orders the
// kept stories as Rank would, without reading their texts (they are
// blanked here, which Rank would score as irrelevant).
func TestRanker_RankSplitRerank(t *testing.T) {
	r := New(Config{})
	in := []digest.Story{
		story("a", "EU steel tariff", tariffText, now.Add(-5*time.Hour), "Wire", "Ledger"),
		story("b", "EU steel tariff", tariffText, now.Add(-time.Hour)),
		story("c", "Derby", footballText, now),
		story("d", "EU steel tariff", tariffText, now.Add(-3*time.Hour)),
		story("e", "Update on the talks", "Officials met again in Geneva on Tuesday.", now),
	}
	kept, dropped := r.RankSplit(in, now)
	if want := storyKeys(r.Rank(in, now)); !slices.Equal(storyKeys(kept), want) {
		t.Fatalf("RankSplit kept %v, Rank %v", storyKeys(kept), want)
	}
	if keys := storyKeys(dropped); !slices.Equal(keys, []string{"c", "e"}) {
		t.Fatalf("dropped %v, want [c e]", keys)
	}
	for _, st := range dropped {
		if rel, thr := r.Relevance(st); st.Relevance != rel || thr != r.Threshold() || rel >= thr {
			t.Errorf("dropped %s: relevance %.3f, Relevance says %.3f of %.3f", st.Key, st.Relevance, rel, thr)
		}
	}
	summaries := map[string]digest.Summary{
		"a": {Importance: 1},
		"b": {Topics: []string{"Trade agreements"}},
		"d": {Importance: 5},
	}
	withSummaries := func(stories []digest.Story) []digest.Story {
		out := slices.Clone(stories)
		for i := range out {
			out[i].Summary = summaries[out[i].Key]
		}
		return out
	}
	want := r.Rank(withSummaries(kept), now)
	blank := withSummaries(kept)
	for i := range blank {
		blank[i].Articles = slices.Clone(blank[i].Articles)
		blank[i].Articles[0].Text = ""
	}
	got := r.Rerank(blank, now)
	if !slices.Equal(storyKeys(got), storyKeys(want)) {
		t.Fatalf("Rerank %v, Rank %v", storyKeys(got), storyKeys(want))
	}
	for i := range want {
		if got[i].Score != want[i].Score || got[i].Relevance != want[i].Relevance || !slices.Equal(got[i].Topics, want[i].Topics) {
			t.Errorf("story %s: Rerank %.4f %.3f %v, Rank %.4f %.3f %v", want[i].Key,
				got[i].Score, got[i].Relevance, got[i].Topics, want[i].Score, want[i].Relevance, want[i].Topics)
		}
	}
}

// TestRanker_RankSplitSpread checks that a batch large enough to be
// assessed on several goroutines (AssessLeads, parallel.Each) is ranked
// exactly as on one, story by story: the same stories kept and dropped,
// in the same order, with the same relevance, topics and score, and the
// input left as it was.
func TestRanker_RankSplitSpread(t *testing.T) {
	r := New(Config{})
	texts := []string{tariffText, footballText, "Officials met again in Geneva on Tuesday.", tariffText + "\n\n" + footballText}
	var in []digest.Story
	for i := range 4 * parallel.MinPerWorker {
		in = append(in, story(fmt.Sprint(i), fmt.Sprint("Story ", i%7), texts[i%len(texts)], now.Add(-time.Duration(i)*time.Minute)))
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	wantKept, wantDropped := r.RankSplit(in, now) // one goroutine
	runtime.GOMAXPROCS(max(prev, 2))
	kept, dropped := r.RankSplit(in, now)
	if len(wantKept) == 0 || len(wantDropped) == 0 {
		t.Fatalf("the batch should have kept and dropped stories: %d and %d", len(wantKept), len(wantDropped))
	}
	same := func(what string, got, want []digest.Story) {
		if !slices.Equal(storyKeys(got), storyKeys(want)) {
			t.Fatalf("%s %v, want %v", what, storyKeys(got), storyKeys(want))
		}
		for i := range want {
			if got[i].Score != want[i].Score || got[i].Relevance != want[i].Relevance || !slices.Equal(got[i].Topics, want[i].Topics) {
				t.Errorf("%s %s: %.4f %.3f %v, want %.4f %.3f %v", what, want[i].Key,
					got[i].Score, got[i].Relevance, got[i].Topics, want[i].Score, want[i].Relevance, want[i].Topics)
			}
		}
	}
	same("kept", kept, wantKept)
	same("dropped", dropped, wantDropped)
	for _, st := range in {
		if st.Relevance != 0 || st.Topics != nil {
			t.Fatalf("input story %s changed: %.3f %v", st.Key, st.Relevance, st.Topics)
		}
	}
}

// TestRanker_AssessmentVersion checks that kept assessments are told apart
// by what an assessment reads: the same settings give the same version,
// a changed term weight, topic or density another, and settings that only
// order the stories (threshold, half-life) the same.
func TestRanker_AssessmentVersion(t *testing.T) {
	base := New(Config{}).AssessmentVersion()
	if base == "" || base != New(Config{}).AssessmentVersion() {
		t.Fatalf("version %q, then %q", base, New(Config{}).AssessmentVersion())
	}
	topics := DefaultTopics()
	topics[0].Terms = maps.Clone(topics[0].Terms)
	topics[0].Terms["tariff"]++
	thr := 0.5
	for name, cfg := range map[string]Config{
		"saturation":    {Saturation: 9},
		"term weight":   {Topics: topics},
		"general terms": {GeneralTerms: map[string]float64{"trade": 1}},
		"topic density": {TopicMinDensity: 2},
	} {
		if v := New(cfg).AssessmentVersion(); v == base || v == "" {
			t.Errorf("%s changed: version %q, default %q", name, v, base)
		}
	}
	if v := New(Config{Threshold: &thr, HalfLife: time.Hour}).AssessmentVersion(); v != base {
		t.Errorf("threshold and half-life changed the version: %q, default %q", v, base)
	}
	if v := New(Config{GeneralTerms: map[string]float64{"trade": math.NaN()}}).AssessmentVersion(); v != "" {
		t.Errorf("a weight JSON cannot hold gave version %q, want none", v)
	}
}

// TestAssess_ScratchReused checks that Assess, whose working slices are
// reused from one call to the next (scratch), gives each text the
// assessment it gives it alone: after longer and shorter texts, and from
// several goroutines at once (run with -race).
func TestAssess_ScratchReused(t *testing.T) {
	r := New(Config{})
	texts := []struct{ title, text string }{
		{"EU steel tariff", tariffText},
		{"Derby", footballText},
		{"Supper", recipeText},
		{"", ""},
	}
	want := make([]Assessment, len(texts))
	for i, tt := range texts {
		want[i] = New(Config{}).Assess(tt.title, tt.text) // a ranker of its own, assessed first
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for k := range 50 {
				i := (g + k*3) % len(texts)
				if got := r.Assess(texts[i].title, texts[i].text); !reflect.DeepEqual(got, want[i]) {
					done <- fmt.Errorf("goroutine %d, call %d: Assess(%q) = %+v, want %+v", g, k, texts[i].title, got, want[i])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestOrder_StableSortOfStories checks order against a stable sort of the
// stories themselves by score, newest article and key, on windows with
// many ties (few scores, times and keys), so that the sort of keys and the
// permutation after it keep the order of stories equal in all three.
func TestOrder_StableSortOfStories(t *testing.T) {
	for seed := range 50 {
		n := seed * 7
		stories := make([]digest.Story, n)
		for i := range stories {
			h := (i*2654435761 + seed*40503) % 1000003
			st := digest.Story{Key: fmt.Sprint(h % 3), Score: float64(h % 4), Relevance: float64(i)}
			for k := range 1 + h%3 {
				st.Articles = append(st.Articles, digest.Article{ID: int64(i*10 + k), Published: now.Add(-time.Duration((h+k)%5) * time.Hour)})
			}
			stories[i] = st
		}
		want := slices.Clone(stories)
		slices.SortStableFunc(want, func(a, b digest.Story) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			if c := latest(b).Compare(latest(a)); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
		got := slices.Clone(stories)
		order(got)
		for i := range want {
			// Relevance was set to each story's place in the input: equal
			// places mean the same story, ties kept in input order.
			if got[i].Relevance != want[i].Relevance || !reflect.DeepEqual(got[i].Articles, want[i].Articles) {
				t.Fatalf("seed %d: story %d is input %v, want input %v", seed, i, got[i].Relevance, want[i].Relevance)
			}
		}
	}
}
