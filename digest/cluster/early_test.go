package cluster

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/keysort"
)

// farmArticles is the loopback feed farm's output (digest/feed/internal/farm)
// as the clusterer sees it after gathering: feeds × items wire texts from
// one template, told apart by country, goods, weekday and the story and
// wire numbers, so that nearly every pair is a near-duplicate whose titles
// conflict.
func farmArticles(feeds, items int) []digest.Article {
	countries := []string{"Japan", "Canada", "Mexico", "Brazil", "India", "Vietnam", "Germany", "Kenya", "Chile", "Korea"}
	goods := []string{"steel", "soybeans", "semiconductors", "electric vehicles", "aluminium", "rice", "solar panels", "beef", "lithium", "textiles"}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	var out []digest.Article
	for n := range feeds {
		for i := range items {
			c, g := countries[(n+i)%len(countries)], goods[(n*7+i)%len(goods)]
			pub := now.Add(-time.Hour - time.Duration(i)*17*time.Minute)
			title := fmt.Sprintf("%s weighs new duties on %s imports (%03d-%02d)", c, g, n, i)
			text := fmt.Sprintf("Officials in %s said on %s that they were considering new duties on imports of %s after a surge in shipments over the past quarter, in story %d of wire %d.\n\n", c, pub.Weekday(), g, i, n) +
				fmt.Sprintf("The trade ministry will publish a consultation next month. Industry groups have asked for safeguard measures, while importers warned that higher tariffs on %s would raise costs for manufacturers and consumers alike.\n\n", g) +
				"Analysts said the move could prompt retaliation from trading partners and complicate talks on a wider agreement, which have stalled over rules of origin and agricultural market access.\n\n" +
				fmt.Sprintf("Exports of %s from %s to the region rose by a fifth last year, according to customs data, and the government has said it wants any new measures to comply with its commitments at the World Trade Organization.", g, c)
			url := fmt.Sprintf("http://127.0.0.%d/news/%03d/%02d", 2+n%8, n, i)
			out = append(out, digest.Article{URL: url, SourceID: fmt.Sprint("farm-", n), SourceName: fmt.Sprintf("Farm wire %03d", n),
				Title: title, Text: text, Published: pub, ContentHash: digest.ContentHash(text)})
		}
	}
	return out
}

// canonicalGrouping returns the grouping of the articles' docs in the
// order cluster takes them, and that order (canonicalOrder).
func canonicalGrouping(c *Clusterer, articles []digest.Article) (*grouping, []int) {
	docs := analyse(articles, c.cfg.LeadSentences)
	at := canonicalOrder(articles)
	keysort.Permute(docs, at)
	return newGrouping(&c.cfg, docs), at
}

// clusterAllLinks is Cluster as it was before pairs that clash were left
// out of the links: every candidate pair becomes a link and join refuses
// the clashing ones. It returns the links too.
func clusterAllLinks(tb testing.TB, c *Clusterer, articles []digest.Article) ([]digest.Story, []link) {
	tb.Helper()
	g, at := canonicalGrouping(c, articles)
	links, err := c.links(context.Background(), g, false)
	if err != nil {
		tb.Fatal(err)
	}
	g.joinAll(links)
	return g.stories(articles, at), links
}

// TestClusterer_ClashingPairsNeverLinked checks that leaving the pairs that
// clash out of the links, some before they are scored, changes no story,
// no lead and no join (the evidence each article is shown with) on the
// farm's templated wire texts, templated notices, the labelled set and a
// synthetic day; that the links made are exactly those of every pair that
// do not clash; and that on the farm's texts it does leave out nearly
// every pair.
func TestClusterer_ClashingPairsNeverLinked(t *testing.T) {
	c := New(Config{})
	for _, set := range testSets(t, 30) {
		t.Run(set.name, func(t *testing.T) {
			got, err := c.Cluster(context.Background(), set.arts)
			if err != nil {
				t.Fatal(err)
			}
			want, all := clusterAllLinks(t, c, set.arts)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%d stories, %d with every pair linked (or other members, leads or joins)", len(got), len(want))
			}
			g, _ := canonicalGrouping(c, set.arts)
			links, err := c.links(context.Background(), g, true)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d articles, %d stories identical; %d links instead of %d (%d clashing pairs left out)",
				len(set.arts), len(got), len(links), len(all), g.conflicting)
			apart := slices.DeleteFunc(slices.Clone(all), func(l link) bool { return g.clash(l.i, l.j) })
			if !slices.Equal(links, apart) {
				t.Errorf("%d links, want the %d of every pair that do not clash", len(links), len(apart))
			}
			if len(apart) < len(all) && g.conflicting == 0 {
				t.Errorf("%d clashing links left out, none counted", len(all)-len(apart))
			}
			if set.name == "farm" && 10*len(links) > len(all) {
				t.Errorf("farm: %d links of %d: the clashing pairs must be left out", len(links), len(all))
			}
		})
	}
}

// stories turns the groups into stories (storyPlans, makeStories), as
// cluster does once it has let go of the grouping; at[k] is the input
// index of docs[k], nil when the docs are in the articles' order.
func (g *grouping) stories(articles []digest.Article, at []int) []digest.Story {
	if at == nil {
		at = make([]int, len(articles))
		for i := range at {
			at[i] = i
		}
	}
	return makeStories(articles, at, g.storyPlans(at))
}
