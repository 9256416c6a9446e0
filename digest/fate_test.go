package digest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/internal/memstore"
	"github.com/tradedigest/tradedigest/digest/rank"
)

const (
	euSteel           = `The European Commission will raise the tariff on steel imports that exceed their quota from 25% to 40% from 1 January 2027, and cut the duty-free quota volumes by 18%, Trade Commissioner Helena Marwick announced in Brussels on Wednesday. Quotas fall to 31.2 million tonnes from 38 million tonnes. Turkey, India and South Korea keep country allocations. Eurofer welcomed the decision.`
	euSteelSameOutlet = `Brussels will charge a 40% duty on out-of-quota steel, up from 25%, and shrink the quotas by 18% to 31.2 million tonnes, Helena Marwick announced on Wednesday. The regime starts on 1 January 2027. Eurofer said jobs would be saved, while Turkey asked for consultations and South Korea wants a bigger share of the quota.`
	usSteel           = `The United States will raise its tariff on steel from Canada to 50% from 25% next Monday, Commerce Secretary Linda Parr said. Canada ships about 6 million tonnes of steel a year to the United States. Ottawa promised to respond dollar for dollar, and the Canadian Steel Producers Association warned that jobs in Ontario were at risk.`
	football          = `Riverside United beat Castlegate Rovers 3-1 at Millbrook Park on Saturday. Luis Ferraz equalised before half-time, Sam Whitlock scored a penalty and Kofi Mensah sealed the win. Manager Elena Brankovic praised the response after the break.`
)

func item(outlet, url, title, text string, at time.Time) digest.Article {
	return digest.Article{SourceName: outlet, URL: url, Title: title, Text: text, Published: at}
}

// TestEngine_Run_AccountsForEveryArticle runs the real clusterer and ranker
// over two sources and checks that every article the run read has exactly
// one recorded fate, and the right one: lead, another outlet's report, a
// same-outlet report merged into its story, a duplicate (by URL and by
// title and text), off-topic with its score and threshold, outside the
// window; the two feed items with the same placeholder body under
// different titles and links are two articles.
func TestEngine_Run_AccountsForEveryArticle(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	e.Clusterer = cluster.New(cluster.Config{})
	e.Ranker = rank.New(rank.Config{})
	e.Config.GatherConcurrency = 1 // the first source's copy is the one stored
	ctx := context.Background()
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	ledger := staticSource("https://ledger.example/feed",
		item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/eu-steel-2", "Brussels raises duty on out-of-quota steel and trims quotas", euSteelSameOutlet, h(4*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/p1", "Peru sets 12% anti-dumping duty on rice from Chile", "Something new here", h(3*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/p2", "Kenya sets 12% anti-dumping duty on rice from Japan", "Something new here", h(3*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/derby", "Riverside United win the derby", football, h(2*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/old", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(30*time.Hour)),
	)
	meridian := staticSource("https://meridian.example/feed",
		item("Meridian Trade", "https://ledger.example/eu-steel", "EU steel tariff", euSteel, h(5*time.Hour)), // same URL
		item("Meridian Trade", "https://meridian.example/copy", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Meridian Trade", "https://meridian.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel+" Mexico was spared.", h(1*time.Hour)),
	)
	rep, err := e.Run(ctx, digest.RunOptions{Sources: []digest.Source{ledger, meridian}, Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.CheckAccount(); err != nil {
		t.Fatal(err)
	}
	if rep.ArticlesFetched != 9 || rep.ArticlesNew != 7 || rep.ArticlesRead != 9 || len(rep.Articles) != 9 {
		t.Fatalf("fetched %d, new %d, read %d, %d lines; want 9, 7, 9, 9", rep.ArticlesFetched, rep.ArticlesNew, rep.ArticlesRead, len(rep.Articles))
	}
	byURL := map[string][]digest.ArticleFate{}
	for _, l := range rep.Articles {
		byURL[l.URL] = append(byURL[l.URL], l)
		t.Logf("%-14s %-15s %q: %s", l.Fate, l.Source, l.Title, l.Detail)
	}
	fate := func(url, source string) digest.ArticleFate {
		for _, l := range byURL[url] {
			if l.Source == source {
				return l
			}
		}
		t.Fatalf("no account line for %s from %s", url, source)
		return digest.ArticleFate{}
	}
	lead := fate("https://ledger.example/eu-steel", "Harbour Ledger")
	if lead.Fate != digest.FateLead || lead.ArticleID == 0 {
		t.Errorf("EU steel: %+v, want the lead", lead)
	}
	if f := fate("https://ledger.example/eu-steel-2", "Harbour Ledger"); f.Fate != digest.FateMerged || f.Story != lead.Story || f.Join == nil || f.Join.Score < 0.36 {
		t.Errorf("same outlet's second report: %+v, want merged into the EU steel story with its evidence", f)
	}
	if f := fate("https://ledger.example/eu-steel", "Meridian Trade"); f.Fate != digest.FateDuplicate || f.Key != digest.DuplicateURL || f.Of != lead.ArticleID {
		t.Errorf("same URL from another feed: %+v, want a duplicate of %d by URL", f, lead.ArticleID)
	}
	if f := fate("https://meridian.example/copy", "Meridian Trade"); f.Fate != digest.FateDuplicate || f.Key != digest.DuplicateContent || f.Of != lead.ArticleID {
		t.Errorf("same title and text: %+v, want a duplicate of %d by content", f, lead.ArticleID)
	}
	// The gather leaves a duplicate's detail to the report Run hands back.
	if f, want := fate("https://ledger.example/eu-steel", "Meridian Trade"), fmt.Sprintf("the same article as stored article %d (same canonical URL)", lead.ArticleID); f.Detail != want {
		t.Errorf("same URL's detail %q, want %q", f.Detail, want)
	}
	p1, p2 := fate("https://ledger.example/p1", "Harbour Ledger"), fate("https://ledger.example/p2", "Harbour Ledger")
	if p1.ArticleID == 0 || p2.ArticleID == 0 || p1.ArticleID == p2.ArticleID || p1.Fate == digest.FateDuplicate || p2.Fate == digest.FateDuplicate {
		t.Errorf("placeholder items: %+v and %+v, want two stored articles", p1, p2)
	}
	if f := fate("https://ledger.example/derby", "Harbour Ledger"); f.Fate != digest.FateOffTopic || f.Threshold != rank.DefaultThreshold || f.Relevance >= f.Threshold {
		t.Errorf("football: %+v, want off-topic with its score below the threshold", f)
	}
	if f := fate("https://ledger.example/old", "Harbour Ledger"); f.Fate != digest.FateOutsideWindow {
		t.Errorf("30-hour-old item: %+v, want outside the window", f)
	}
	if f := fate("https://meridian.example/us-steel", "Meridian Trade"); f.Fate != digest.FateLead {
		t.Errorf("US steel: %+v, want the lead of its own story", f)
	}

	// A second run reads the same feeds (all duplicates now) and the
	// stored window: every one of them is accounted for again.
	now = t0.Add(time.Hour)
	rep, err = e.Run(ctx, digest.RunOptions{Sources: []digest.Source{ledger, meridian}, Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.CheckAccount(); err != nil {
		t.Fatal(err)
	}
	// 9 fetched (all duplicates) + the 6 stored articles of the window
	// (the 30-hour-old one is outside it).
	if rep.ArticlesRead != 15 || rep.Fates[digest.FateDuplicate] != 9 || rep.ArticlesNew != 0 {
		t.Errorf("second run: read %d, fates %v, new %d; want 15 read, 9 duplicates, 0 new", rep.ArticlesRead, rep.Fates, rep.ArticlesNew)
	}
}
