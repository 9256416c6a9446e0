package cluster

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestFrameAdjust(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b digest.Article
		want float64
	}{
		{"one central bank's decision in other words",
			digest.Article{Title: "Bank of England cuts rates to 3.5%", Text: "The Bank of England lowered its benchmark interest rate by a quarter point."},
			digest.Article{Title: "Pound slides as Threadneedle trims borrowing costs", Text: "Sterling fell after the central bank eased policy."},
			sameEvent},
		{"one court's ruling",
			digest.Article{Title: "Appeals court halts Canada's lumber levy", Text: "A Canadian court found the surcharge unlawful."},
			digest.Article{Title: "Ottawa loses bid to keep timber charge as judges side with mills", Text: "The judges ordered refunds."},
			sameEvent},
		{"two countries' central banks",
			digest.Article{Title: "Bank of England cuts rates to 3.5%", Text: "The Bank of England lowered its benchmark interest rate."},
			digest.Article{Title: "Yen rises as BOJ holds rates", Text: "The Bank of Japan kept its interest rate at 1%."},
			0},
		{"one country, a rate decision and a ruling",
			digest.Article{Title: "Bank of England cuts rates to 3.5%", Text: "The Bank of England lowered its benchmark interest rate."},
			digest.Article{Title: "UK court rules against tax on imported cars", Text: "The High Court in London found the charge unlawful."},
			0},
		{"one company's layoffs and an investigation of it",
			digest.Article{Title: "Acme to axe 900 jobs in Ohio", Text: "Acme Corp will cut 900 jobs at its plants in Ohio."},
			digest.Article{Title: "Regulator investigating Acme over pricing", Text: "Acme Corp is under investigation by the state attorney general."},
			-otherEvents},
		{"a title that names no kind of event",
			digest.Article{Title: "Acme shares slide", Text: "Acme Corp shares fell 8% after it said it would axe 900 jobs."},
			digest.Article{Title: "Regulator investigating Acme over pricing", Text: "Acme Corp is under investigation by the state attorney general."},
			0},
		{"one strike, where one report names no country",
			digest.Article{Title: "Dockworkers strike at US ports", Text: "Dock workers walked off the job at ports on the US East Coast."},
			digest.Article{Title: "Longshoremen's walkout shuts container terminals", Text: "Picket lines went up outside terminals in Baltimore and Newark."},
			weakEvent},
		{"a strike named by a lead only, where one report names no country",
			digest.Article{Title: "Dockworkers strike at US ports", Text: "Dock workers walked off the job at ports on the US East Coast."},
			digest.Article{Title: "Container lines reroute ships", Text: "Shipping lines diverted vessels as the strike went on."},
			0},
		{"no singular event",
			digest.Article{Title: "UK and India sign trade agreement", Text: "Britain and India signed a free trade agreement."},
			digest.Article{Title: "London and New Delhi ink pact", Text: "The accord cuts tariffs on whisky."},
			0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := analyse([]digest.Article{tc.a, tc.b}, 2)
			if got := frameAdjust(&docs[0], &docs[1]); got != tc.want {
				t.Errorf("frameAdjust = %.2f, want %.2f (events %b, %b)", got, tc.want, docs[0].events, docs[1].events)
			}
		})
	}
}

func TestTimeAdjust(t *testing.T) {
	at := func(outlet string, when time.Time) *doc { return &doc{outlet: outlet, when: when} }
	for _, tc := range []struct {
		name string
		a, b *doc
		want float64
	}{
		{"two outlets within minutes", at("a", t0), at("b", t0.Add(time.Minute)), nearTime - timeSlope/60},
		{"two outlets hours apart", at("a", t0), at("b", t0.Add(3*time.Hour)), timeSlope * (evenHours - 3)},
		{"even", at("a", t0), at("b", t0.Add(evenHours*time.Hour)), 0},
		{"later, either way", at("a", t0.Add(10*time.Hour)), at("b", t0), -2 * timeSlope},
		{"days apart", at("a", t0), at("b", t0.Add(40*time.Hour)), -farTime},
		{"one outlet within minutes", at("a", t0), at("a", t0.Add(time.Minute)), 0},
		{"one outlet days apart", at("a", t0), at("a", t0.Add(40*time.Hour)), -farTime},
		{"the same stamp", at("a", t0), at("b", t0), 0},
		{"undated", at("a", t0), at("b", time.Time{}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := timeAdjust(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("timeAdjust = %.4f, want %.4f", got, tc.want)
			}
		})
	}
}

// TestClusterer_SingularEventCandidates checks that two reports of one
// ruling that share only a name common in the batch (the country) are
// compared, and joined: candidates skips names that many articles use,
// but not the frame of a singular event.
func TestClusterer_SingularEventCandidates(t *testing.T) {
	var arts []digest.Article
	for k := range 60 {
		arts = append(arts, art(fmt.Sprintf("filler%02d", k), fmt.Sprintf("US exports of product %d rose %d%% in October", k, 10+k),
			fmt.Sprintf("Shipments of the item numbered %d grew, the US Census Bureau said.", k), t0.Add(time.Duration(k)*time.Minute)))
	}
	arts = append(arts,
		art("court-a", "US trade court strikes down steel quota", "The US Court of International Trade ruled that the quota on steel was unlawful and ordered it lifted within 30 days.", t0),
		art("court-b", "Judges void White House steel quota", "A panel of judges in New York found that the administration had no power to cap steel imports, and importers expect refunds.", t0.Add(2*time.Hour)))
	stories, err := New(Config{}).Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, arts, stories)
	if !slices.ContainsFunc(groups(stories), func(g []string) bool { return slices.Equal(g, []string{"court-a", "court-b"}) }) {
		t.Errorf("the two reports of the ruling are not one story: %v", groups(stories))
	}
}
