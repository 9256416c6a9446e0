package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// notice is one trade-remedy notice: who imposes what rate on which goods
// from where.
type notice struct {
	country, product, origin string
	rate                     int
}

// noticeStyles are three outlets' ways of writing a notice; the texts are
// alike in every word but the slots.
var noticeStyles = []struct{ title, body string }{
	{"%[1]s sets %[4]d%% anti-dumping duty on %[2]s from %[3]s",
		"%[1]s set a definitive anti-dumping duty of %[4]d%% on imports of %[2]s from %[3]s for five years, according to a notice published on Wednesday. The investigating authority found that exporters in %[3]s sold %[2]s below normal value and that the imports caused material injury to producers in %[1]s. The duty applies from the day after publication."},
	{"%[1]s imposes %[4]d%% anti-dumping duties on %[2]s from %[3]s",
		"Importers in %[1]s will pay an anti-dumping duty of %[4]d%% on %[2]s shipped from %[3]s, the trade ministry said. The ministry concluded that %[2]s from %[3]s had been dumped and had hurt domestic producers. The measure lasts five years and takes effect on publication in the official gazette."},
	{"%[1]s: %[4]d%% anti-dumping duty on %[2]s from %[3]s",
		"The government of %[1]s has imposed a %[4]d%% anti-dumping duty on %[2]s originating in %[3]s. The decision follows a complaint by local manufacturers, who said imports of %[2]s from %[3]s had doubled in two years. The duty will be collected for five years from publication."},
}

func noticeArticle(n notice, style int, outlet string, at time.Time) digest.Article {
	s := noticeStyles[style%len(noticeStyles)]
	title := fmt.Sprintf(s.title, n.country, n.product, n.origin, n.rate)
	text := fmt.Sprintf(s.body, n.country, n.product, n.origin, n.rate)
	url := fmt.Sprintf("https://%s.example/%s", strings.ReplaceAll(strings.ToLower(outlet), " ", "-"), digest.ContentHash(title)[:12])
	return digest.Article{URL: url, SourceID: url, SourceName: outlet, Title: title, Text: text, Published: at, ContentHash: digest.ContentHash(text)}
}

// noticeBatch returns count notices of 7 countries, 5 goods and 11
// origins in the three styles, from four outlets, published at random
// hours over the first hours (seeded by seed), every undatedEvery-th
// without a time: many pairs in one bucket of the near-duplicate scan.
func noticeBatch(count int, seed uint64, hours, undatedEvery int) []digest.Article {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	base := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	var notices []digest.Article
	for i := range count {
		n := notice{country: fmt.Sprint("Country", i%7), product: fmt.Sprint("goods", i%5), origin: fmt.Sprint("Origin", i%11), rate: 5 + i%9}
		at := base.Add(time.Duration(rng.IntN(hours)) * time.Hour)
		if i%undatedEvery == 0 {
			at = time.Time{} // undated: scanned against every other
		}
		notices = append(notices, noticeArticle(n, i, fmt.Sprint("Outlet ", i%4), at))
	}
	return notices
}

// TestClusterer_TemplateChain is the chain of six notices in which each
// differs from the next in one slot, and the first and last share no
// country, product or rate. Single-link clustering made them one story
// "also reported by" five outlets; they are six events. A second outlet's
// copy of the first notice joins it.
func TestClusterer_TemplateChain(t *testing.T) {
	chain := []notice{
		{"Brazil", "steel", "India", 32}, {"Brazil", "steel", "Chile", 19}, {"Peru", "steel", "Chile", 12},
		{"Peru", "rice", "Chile", 12}, {"Peru", "rice", "Japan", 12}, {"Kenya", "rice", "Japan", 12},
	}
	var arts []digest.Article
	for i, n := range chain {
		arts = append(arts, noticeArticle(n, 0, fmt.Sprintf("Outlet %d", i), t0.Add(time.Duration(i)*10*time.Minute)))
	}
	arts = append(arts, noticeArticle(chain[0], 1, "Another Outlet", t0.Add(3*time.Hour)))
	stories, err := New(Config{}).Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, arts, stories)
	if len(stories) != 6 {
		for _, st := range stories {
			t.Logf("story: %s", titles(st))
		}
		t.Fatalf("%d stories, want 6", len(stories))
	}
	for _, st := range stories {
		if len(st.Articles) == 2 && (st.Articles[0].Title == arts[0].Title || st.Articles[1].Title == arts[0].Title) {
			return
		}
	}
	t.Errorf("the second outlet's copy of %q did not join it", arts[0].Title)
}

func titles(st digest.Story) string {
	var ts []string
	for _, a := range st.Articles {
		ts = append(ts, a.Title)
	}
	return strings.Join(ts, " | ")
}

// TestClusterer_FiftyFeedsOfNotices is a run over 50 feeds that each
// carry three notices from one template, drawn from 40 distinct notices
// (so most notices come from several outlets, in three writing styles):
// every story must be one notice, and the copies of a notice must find
// each other. Two products are outside the product lexicon.
func TestClusterer_FiftyFeedsOfNotices(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	countries := []string{"Vietnam", "Thailand", "Indonesia", "Turkey", "Egypt", "South Africa", "Argentina", "Colombia", "Canada", "Malaysia"}
	products := []string{"ceramic tiles", "plywood", "polyethylene", "fasteners", "citric acid", "hardwood flooring", "glass fibre", "tyres"}
	seen := map[notice]bool{}
	var distinct []notice
	for len(distinct) < 40 {
		n := notice{countries[rng.IntN(len(countries))], products[rng.IntN(len(products))], countries[rng.IntN(len(countries))], 5 + rng.IntN(40)}
		if n.origin == n.country || seen[n] {
			continue
		}
		seen[n] = true
		distinct = append(distinct, n)
	}
	var arts []digest.Article
	var gold []string
	for f := range 50 {
		for k := range 3 {
			n := distinct[rng.IntN(len(distinct))]
			arts = append(arts, noticeArticle(n, f, fmt.Sprintf("Feed %02d", f), t0.Add(time.Duration(f*3+k)*7*time.Minute)))
			gold = append(gold, fmt.Sprint(n))
		}
	}
	stories, err := New(Config{}).Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, arts, stories)
	s := comparePairs(predictedLabels(t, arts, stories), gold)
	distinctIn := map[string]bool{}
	for _, g := range gold {
		distinctIn[g] = true
	}
	t.Logf("150 notices (%d distinct) → %d stories; pairwise precision %.3f recall %.3f (fp %d, fn %d)",
		len(distinctIn), len(stories), s.precision(), s.recall(), s.fp, s.fn)
	if s.fp > 0 {
		for _, st := range stories {
			if g := storyGold(st, arts, gold); len(g) > 1 {
				t.Errorf("one story holds %d notices: %s", len(g), titles(st))
			}
		}
	}
	if s.recall() < 0.9 {
		t.Errorf("copies of a notice not found: recall %.3f, want ≥ 0.9", s.recall())
	}
}

// storyGold returns the distinct gold labels of a story's articles.
func storyGold(st digest.Story, arts []digest.Article, gold []string) map[string]bool {
	byURL := map[string]string{}
	for i, a := range arts {
		byURL[a.URL] = gold[i]
	}
	out := map[string]bool{}
	for _, a := range st.Articles {
		out[byURL[a.URL]] = true
	}
	return out
}

// TestClusterer_SameOutletNeedsMore: a pair scoring between Threshold and
// SameOutletThreshold is one story when two outlets report it and two
// stories when one outlet published both: an outlet rarely reports one
// event twice.
func TestClusterer_SameOutletNeedsMore(t *testing.T) {
	a := art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0)
	b := art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(time.Hour))
	docs := analyse([]digest.Article{a, b}, 2)
	c := New(Config{})
	_, ent := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab)
	score := c.score(&docs[0], &docs[1], ent)
	cfg := Config{Threshold: score - 0.05, LinkThreshold: score - 0.05, SameOutletThreshold: score + 0.05}
	a.SourceName, b.SourceName = "Harbour Ledger", "Meridian Trade"
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 1 {
		t.Errorf("two outlets, score %.3f: %d stories, want 1", score, len(st))
	}
	b.SourceName = "HARBOUR LEDGER"
	st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b})
	if len(st) != 2 {
		t.Errorf("one outlet, score %.3f: %d stories, want 2", score, len(st))
	}
	// One outlet's pair scores less than two outlets' (see timeAdjust).
	docs = analyse([]digest.Article{a, b}, 2)
	score = c.score(&docs[0], &docs[1], ent)
	cfg.SameOutletThreshold = score - 0.01
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 1 {
		t.Errorf("one outlet above its bar, score %.3f: %d stories, want 1", score, len(st))
	}
}

// TestClusterer_SameOutletMedia: an outlet's video or live page of an
// event is held to the bar of another outlet's report, not the same-outlet
// bar: outlets publish those beside their report of the event.
func TestClusterer_SameOutletMedia(t *testing.T) {
	a := art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0)
	b := art("b", "Brussels raises duty on out-of-quota steel – video", steelB, t0.Add(time.Hour))
	a.SourceName, b.SourceName = "Harbour Ledger", "Harbour Ledger"
	docs := analyse([]digest.Article{a, b}, 2)
	c := New(Config{})
	_, ent := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab)
	score := c.score(&docs[0], &docs[1], ent)
	cfg := Config{Threshold: score - 0.05, LinkThreshold: score - 0.05, SameOutletThreshold: score + 0.05}
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 1 {
		t.Errorf("one outlet's report and video, score %.3f: %d stories, want 1", score, len(st))
	}
	b.Title = "Brussels raises duty on out-of-quota steel – a video game of tariffs"
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 2 {
		t.Errorf("one outlet's two reports: %d stories, want 2", len(st))
	}
}

func TestMediaTitle(t *testing.T) {
	for title, want := range map[string]bool{
		"Moments of protest during Trump's State of the Union address – video": true,
		"Super blue blood moon - in pictures":                                  true,
		"Tottenham Hotspur v Manchester United: Premier League – live!":        true,
		"Video: Brazil's coffee harvest":                                       true,
		"Podcast: the week in trade":                                           true,
		"Update: Airbus shares fall 6% after lower delivery goal":              true,
		"UPDATE 2-Airbus cuts delivery target":                                 true,
		"Airbus cuts delivery target - update":                                 true,
		"Update 2026: the year in tariffs":                                     false,
		"Firms update supply chains as tariffs bite":                           false,
		"EU to lift steel safeguard tariff to 40%":                             false,
		"TikTok bans political video ads":                                      false,
		"Live cattle exports: Australia extends ban":                           false,
		"": false,
	} {
		if got := mediaTitle(title); got != want {
			t.Errorf("mediaTitle(%q) = %v, want %v", title, got, want)
		}
	}
}

// TestClusterer_Joins checks the evidence each story gives for its
// articles.
func TestClusterer_Joins(t *testing.T) {
	arts := []digest.Article{
		art("a", "EU to lift steel safeguard tariff to 40%", steelA, t0),
		art("b", "Brussels raises duty on out-of-quota steel", steelB, t0.Add(time.Hour)),
		art("c", "EU to lift steel safeguard tariff to 40%", steelA, t0.Add(2*time.Hour)),
	}
	stories, err := New(Config{}).Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 1 || len(stories[0].Joins) != 3 {
		t.Fatalf("stories %v", stories)
	}
	st := stories[0]
	if st.Joins[0].Via != digest.JoinLead {
		t.Errorf("lead joined by %q", st.Joins[0].Via)
	}
	for k, j := range st.Joins[1:] {
		a := st.Articles[k+1]
		want := digest.JoinSameEvent
		if a.URL == "c" || (a.URL == "a" && st.Lead().URL == "c") {
			want = digest.JoinIdentical
		}
		if j.Via != want || j.With == k+1 || j.With < 0 || j.With >= 3 || j.Detail == "" {
			t.Errorf("article %s joined %+v, want via %s", a.URL, j, want)
		}
	}
}

// TestClusterer_PlaceClash checks that two reports whose titles name
// places the other report never mentions stay apart however alike their
// words, and that a report mentioning the other title's place may join it.
func TestClusterer_PlaceClash(t *testing.T) {
	const ban = "Mills will not be allowed to sell sugar abroad this season, the food ministry said, as dry weather cut the cane harvest. Sugar prices rose as traders cut their estimates of world supply for the season, the International Sugar Organization said."
	const output = "Mills began crushing cane this week and expect to sell more sugar abroad this season, the millers' association said, as rain lifted the cane harvest. Sugar prices fell as traders raised their estimates of world supply for the season, the International Sugar Organization said."
	a := art("a", "India bans sugar exports for the season", ban, t0)
	b := art("b", "Thai mills expect bigger cane crush as rain lifts sugar output", output, t0.Add(time.Hour))
	a.SourceName, b.SourceName = "Meridian Trade", "Pacific Markets"
	docs := analyse([]digest.Article{a, b}, 2)
	if !placeClash(&docs[0], &docs[1]) {
		t.Fatal("India and Thailand titles, neither place in the other text: no clash")
	}
	c := New(Config{})
	_, ent := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab)
	score := c.score(&docs[0], &docs[1], ent)
	cfg := Config{Threshold: score - 0.05, LinkThreshold: score - 0.05, MinSharedEntities: 1}
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 2 {
		t.Errorf("place clash, score %.3f above the bar: %d stories, want 2", score, len(st))
	}
	// The same pair where the second report says India's decision moved
	// the market: the places no longer clash, and the score joins them.
	b.Text += " Thailand expects to take market share after India's decision."
	docs = analyse([]digest.Article{a, b}, 2)
	if placeClash(&docs[0], &docs[1]) {
		t.Fatal("the Thai report mentions India: clash")
	}
	_, ent = entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab)
	score = c.score(&docs[0], &docs[1], ent)
	cfg = Config{Threshold: score - 0.05, LinkThreshold: score - 0.05, MinSharedEntities: 1}
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 1 {
		t.Errorf("no clash, score %.3f above the bar: %d stories, want 1", score, len(st))
	}
}

// TestClusterer_ProductClash checks that two reports whose titles name
// goods the other report never mentions stay apart: one subject (EU-China
// trade remedies), one day, two events.
func TestClusterer_ProductClash(t *testing.T) {
	a := art("a", "EU opens anti-dumping probe into Chinese tinplate",
		"The European Commission opened an anti-dumping investigation into imports from China after a complaint by European producers, the Official Journal said. The Commission has 14 months to decide whether to impose duties on Chinese imports.", t0)
	b := art("b", "EU and China agree minimum prices for Chinese electric cars",
		"The European Commission and China agreed minimum import prices in place of duties after the anti-subsidy investigation, the Official Journal said. The Commission will review the Chinese prices every year.", t0.Add(time.Hour))
	a.SourceName, b.SourceName = "Customs Weekly", "Asia Tech Trade"
	docs := analyse([]digest.Article{a, b}, 2)
	if !productClash(&docs[0], &docs[1]) {
		t.Fatal("tinplate and cars, neither in the other text: no clash")
	}
	_, ent := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab)
	score := New(Config{}).score(&docs[0], &docs[1], ent)
	cfg := Config{Threshold: score - 0.05, LinkThreshold: score - 0.05, MinSharedEntities: 1}
	if st, _ := New(cfg).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 2 {
		t.Errorf("product clash, score %.3f above the bar: %d stories, want 2", score, len(st))
	}
	b.Text += " Tinplate is not covered."
	docs = analyse([]digest.Article{a, b}, 2)
	if productClash(&docs[0], &docs[1]) {
		t.Error("the second report mentions tinplate: clash")
	}
}

// TestClusterer_FigureClash: two notices whose titles do not align well
// enough for the slot test, with rates neither text states of the other,
// share one place; they are two notices. A paraphrase that rounds the rate
// or states it only in its text is not a clash.
func TestClusterer_FigureClash(t *testing.T) {
	a := noticeArticle(notice{"Vietnam", "fasteners", "Turkey", 42}, 2, "Feed 01", t0)
	b := noticeArticle(notice{"Turkey", "ceramic tiles", "South Africa", 32}, 0, "Feed 02", t0.Add(time.Hour))
	docs := analyse([]digest.Article{a, b}, 2)
	if !figureClash(&docs[0], &docs[1]) {
		t.Fatalf("42%% and 32%%: no clash")
	}
	if st, _ := New(Config{}).Cluster(context.Background(), []digest.Article{a, b}); len(st) != 2 {
		t.Errorf("%d stories, want 2", len(st))
	}
	for _, tt := range []struct{ a, b, textB string }{
		{"US sets 41.2% duty on foil from Thailand", "Thai foil makers hit with 41% US margin", ""},
		{"China's exports rise 5.8%", "Beijing's surplus widens to $97bn", "Exports grew 5.8% last month."},
		// British style spells the unit out in two words.
		{"US raises duties on Canadian lumber to 20.6%", "Canadian mills face 20.6 per cent US charge", ""},
	} {
		x, y := art("x", tt.a, "", t0), art("y", tt.b, tt.textB, t0)
		docs := analyse([]digest.Article{x, y}, 2)
		if figureClash(&docs[0], &docs[1]) {
			t.Errorf("%q ~ %q: clash", tt.a, tt.b)
		}
	}
	// Titles quoting different figures of one event do not clash when
	// both texts state one distinctive figure of it (see shareFigure);
	// without it they do.
	for _, tt := range []struct {
		textA string
		clash bool
	}{
		{"Intel's maker will shed roughly 15k jobs.", false},
		{"Intel's maker will shed jobs.", true},
	} {
		x := art("x", "Chipmaker sheds 15% of staff and suspends payout", tt.textA, t0)
		y := art("y", "Asian suppliers slide after Santa Clara group's $10bn savings drive", "Intel said it would eliminate more than 15,000 positions.", t0)
		docs := analyse([]digest.Article{x, y}, 2)
		if got := figureClash(&docs[0], &docs[1]); got != tt.clash {
			t.Errorf("%q: clash %v, want %v", tt.textA, got, tt.clash)
		}
	}
	// An ordinal is not a count: the 20th package is not 20 tankers.
	x := art("x", "UK sanctions 20 more shadow fleet tankers", "Britain sanctioned 20 more tankers.", t0)
	y := art("y", "EU adopts 20th sanctions package against Russia", "The EU adopted a 20th package, adding 90 tankers.", t0)
	docs = analyse([]digest.Article{x, y}, 2)
	if !figureClash(&docs[0], &docs[1]) {
		t.Error("20 and 20th: no clash")
	}
}

// TestClusterer_ProductKinds checks that a word for a kind of goods ("pig
// meat", "vehicles") does not clash with a good of that kind ("pork",
// "cars"), while two goods still do.
func TestClusterer_ProductKinds(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		clash bool
	}{
		{"China launches anti-dumping probe into European pork", "Beijing hits back with inquiry into EU pig meat", false},
		{"US cuts tariff on Korean cars to 15%", "Washington trims levy on Korean vehicles", false},
		{"China launches anti-dumping probe into European pork", "China launches anti-dumping probe into European brandy", true},
	} {
		docs := analyse([]digest.Article{art("x", tt.a, "", t0), art("y", tt.b, "", t0)}, 2)
		if got := productClash(&docs[0], &docs[1]); got != tt.clash {
			t.Errorf("%q ~ %q: clash %v, want %v", tt.a, tt.b, got, tt.clash)
		}
	}
}
