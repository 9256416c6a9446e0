package digest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// needed marks exactly the stories that Compose puts in some edition of
// a group: for a fixed lower bound, that edition; for a bound that may be
// any time from the group's on (a subscriber's last digest), the union of
// the editions of every such bound. Checked against Compose itself over
// random rankings, publication times and topics.
func TestRunReaders_Needed(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	floor := now.Add(-24 * time.Hour)
	topics := []string{"steel", "autos", "Tariffs", "grain"}
	rng := rand.New(rand.NewPCG(17, 1))
	for trial := range 300 {
		limit := rng.IntN(6) // 0: no limit
		e := &Engine{Now: func() time.Time { return now }, Config: Config{MaxStories: limit}}
		stories := make([]Story, 5+rng.IntN(40))
		for i := range stories {
			st := &stories[i]
			for range 1 + rng.IntN(3) {
				// Some before the floor, some sharing a time.
				age := time.Duration(rng.IntN(30)) * time.Hour
				st.Articles = append(st.Articles, Article{Title: fmt.Sprint(i), Published: now.Add(-age)})
			}
			if rng.IntN(3) > 0 {
				st.Topics = []string{topics[rng.IntN(len(topics))]}
			}
			if rng.IntN(4) == 0 {
				st.Summary.Topics = []string{topics[rng.IntN(len(topics))]}
			}
		}
		var g readerGroup
		if rng.IntN(2) == 0 {
			g.topics = []string{topics[rng.IntN(len(topics))]}
		}
		g.since, g.later = floor, rng.IntN(2) == 0
		rd := &runReaders{groups: []readerGroup{g}}
		if rng.IntN(3) == 0 {
			rd.archive = 1 + rng.IntN(3)
		}

		// The bounds that matter: the group's, and just before each
		// story's newest article (any other bound gives one of these
		// editions).
		bounds := []time.Time{g.since}
		if g.later {
			for _, st := range stories {
				if t := newestPublished(st).Add(-time.Nanosecond); t.After(g.since) {
					bounds = append(bounds, t)
				}
			}
		}
		want := make([]bool, len(stories))
		for i := range min(rd.archive, len(stories)) {
			want[i] = true
		}
		for _, since := range bounds {
			ed, err := e.Compose(t.Context(), Subscriber{Topics: g.topics}, "2026-12-06", stories, DeliverOptions{Since: since})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range ed.Stories {
				for i := range stories {
					if &stories[i].Articles[0] == &in.Articles[0] {
						want[i] = true
					}
				}
			}
		}
		got := rd.needed(stories, limit)
		for i := range stories {
			if got[i] != want[i] {
				t.Fatalf("trial %d (limit %d, group %+v, archive %d): story %d needed %v, Compose says %v",
					trial, limit, g, rd.archive, i, got[i], want[i])
			}
		}
	}
}

func TestTopicKey(t *testing.T) {
	if topicKey([]string{"Steel", "autos", "steel"}) != topicKey([]string{"AUTOS", "steel"}) {
		t.Error("the same topics in another order and case have different keys")
	}
	if topicKey(nil) == topicKey([]string{"steel"}) || topicKey([]string{"a b"}) == topicKey([]string{"a", "b"}) {
		t.Error("different topic sets share a key")
	}
}
