package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// testSets are the batches the incremental tests run on: the farm's
// templated wire texts, templated notices, the labelled set and a
// synthetic day.
func testSets(tb testing.TB, farmFeeds int) []struct {
	name string
	arts []digest.Article
} {
	arts, _, _ := loadLabelled(tb)
	notices := noticeBatch(400, 7, 72, 17)
	return []struct {
		name string
		arts []digest.Article
	}{
		{"farm", farmArticles(farmFeeds, 50)},
		{"notices", notices},
		{"labelled", arts},
		{"synthetic", syntheticOver(1500, 11, 14*time.Hour)},
	}
}

// storedFeatures returns the features of each article as a later run reads
// them back from the store: encoded and decoded.
func storedFeatures(tb testing.TB, c *Clusterer, arts []digest.Article) []Features {
	tb.Helper()
	out := make([]Features, len(arts))
	for i, a := range arts {
		f, err := c.DecodeFeatures(c.Features(a).Encode())
		if err != nil {
			tb.Fatalf("article %d: %v", i, err)
		}
		out[i] = f
	}
	return out
}

// withoutTexts returns the articles as the engine loads them for
// clustering from kept features: no text.
func withoutTexts(arts []digest.Article) []digest.Article {
	out := slices.Clone(arts)
	for i := range out {
		out[i].Text = ""
	}
	return out
}

// TestFeatures_Encode checks that features read back from their encoding
// are the features (every field, to the bit), that ClusterFeatures on them
// without the texts makes Cluster's stories, leads and joins, and that
// features of another version or LeadSentences are refused as stale.
func TestFeatures_Encode(t *testing.T) {
	c := New(Config{})
	for _, set := range testSets(t, 20) {
		t.Run(set.name, func(t *testing.T) {
			size := 0
			for _, a := range set.arts {
				f := c.Features(a)
				b := f.Encode()
				size += len(b)
				got, err := c.DecodeFeatures(b)
				if err != nil {
					t.Fatal(err)
				}
				// The article's URL, outlet, time and whether its title
				// marks a media item come from its row, not from its
				// features.
				f.d.url, f.d.outlet, f.d.when, f.d.media = "", "", time.Time{}, false
				if !reflect.DeepEqual(got, f) {
					t.Fatalf("%q: decoded features differ", a.Title)
				}
			}
			t.Logf("%d articles, %d bytes of features each on average", len(set.arts), size/len(set.arts))
			want, err := c.Cluster(context.Background(), set.arts)
			if err != nil {
				t.Fatal(err)
			}
			bare := withoutTexts(set.arts)
			got, err := c.ClusterFeatures(context.Background(), bare, storedFeatures(t, c, set.arts), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, storiesOf(want, bare)) {
				t.Fatalf("%d stories from features, %d from texts (or other members, leads or joins)", len(got), len(want))
			}
		})
	}
	b := c.Features(digest.Article{Title: "EU steel tariff", Text: "The EU raised its steel tariff."}).Encode()
	other := New(Config{LeadSentences: 3})
	if _, err := other.DecodeFeatures(b); !errors.Is(err, ErrStaleFeatures) {
		t.Errorf("LeadSentences 3 decoding features of 2: %v, want ErrStaleFeatures", err)
	}
	b[0]++
	if _, err := c.DecodeFeatures(b); !errors.Is(err, ErrStaleFeatures) {
		t.Errorf("another version: %v, want ErrStaleFeatures", err)
	}
}

// storiesOf returns stories with their articles replaced by the ones of

// TestClusterKept checks that ClusterKept, which decodes kept features
// straight into the batch (and reads the text of an article whose features
// are missing), makes Cluster's stories, leads and joins, and returns the
// encoded features of exactly the articles it read; with a KeptReader
// and only the features' heads, too: both passes read the features with
// it, a batch at a time (in ID order, so the IDs are given in the
// articles' order and shuffled), the second pass all of them unless the
// window's term counts are held (heldTerms: none; too few for the window,
// so the ones held are let go of; all).
func TestClusterKept(t *testing.T) {
	c := New(Config{})
	defer func(n int) { weighBatch = n }(weighBatch)
	weighBatch = 7 // several batches in every set
	defer func(n int64) { heldTerms = n }(heldTerms)
	const holdAll, holdSome = 1 << 40, 4 << 10
	for _, set := range testSets(t, 20) {
		for _, run := range []struct {
			reread, shuffled bool
			held             int64
		}{{false, false, 0}, {true, false, 0}, {true, true, 0}, {true, true, holdSome}, {true, false, holdAll}} {
			reread := run.reread
			t.Run(fmt.Sprintf("%s/again=%v/shuffled=%v/held=%d", set.name, reread, run.shuffled, run.held), func(t *testing.T) {
				heldTerms = run.held
				want, err := c.Cluster(context.Background(), set.arts)
				if err != nil {
					t.Fatal(err)
				}
				arts := withoutTexts(set.arts)
				features := make([][]byte, len(arts))
				kept := map[int64][]byte{}
				ids := make([]int64, len(arts)) // by index: the ID given
				index := map[int64]int{}        // by ID given: the index
				for i := range ids {
					ids[i] = int64(i + 1)
				}
				if run.shuffled {
					rand.New(rand.NewPCG(uint64(len(ids)), 7)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
				}
				for i, a := range set.arts {
					arts[i].ID = ids[i]
					index[ids[i]] = i
					if i%7 == 3 { // not kept: read from the text
						arts[i].Text = a.Text
						continue
					}
					features[i] = c.Features(a).Encode()
					kept[arts[i].ID] = features[i]
				}
				var again digest.KeptReader
				asked := 0
				if reread {
					again = func(_ context.Context, ids []int64) (map[int64][]byte, error) {
						if len(ids) > weighBatch {
							t.Errorf("%d features read again at once, want at most %d", len(ids), weighBatch)
						}
						asked += len(ids)
						out := map[int64][]byte{}
						for _, id := range ids {
							out[id] = kept[id]
						}
						return out, nil
					}
				}
				if reread {
					for i := range features {
						if features[i] != nil {
							features[i] = features[i][:digest.KeptHead]
						}
					}
				}
				got, fresh, err := c.ClusterKept(context.Background(), arts, features, nil, again)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case !reread:
				case run.held != holdAll && asked != 2*len(kept):
					t.Errorf("%d features read holding %d bytes of terms, want the %d kept twice", asked, run.held, len(kept))
				case run.held == holdAll && asked != len(kept):
					t.Errorf("%d features read holding every article's terms, want the %d kept once", asked, len(kept))
				}
				for _, st := range got { // the IDs the articles came with
					for k := range st.Articles {
						st.Articles[k].ID = set.arts[index[st.Articles[k].ID]].ID
					}
				}
				for i := range arts {
					arts[i].ID = set.arts[i].ID
				}
				if !reflect.DeepEqual(got, storiesOf(want, arts)) {
					t.Fatalf("%d stories from kept features, %d from texts (or other members, leads or joins)", len(got), len(want))
				}
				for i, a := range set.arts {
					if wantFresh := i%7 == 3; (fresh[i] != nil) != wantFresh || (wantFresh && !slices.Equal(fresh[i], c.Features(a).Encode())) {
						t.Fatalf("article %d: fresh features %v, want them only for the articles read", i, fresh[i] != nil)
					}
				}
			})
		}
	}
}

// TestClusterKept_Changed checks that features gone, stale or changed by
// the time ClusterKept reads them (first or again) make it fail with
// digest.ErrKeptChanged, and that the reader's error is returned.
func TestClusterKept_Changed(t *testing.T) {
	c := New(Config{})
	defer func(n int64) { heldTerms = n }(heldTerms)
	heldTerms = 0 // every article's term counts read again
	arts := []digest.Article{
		{ID: 1, Title: "EU raises steel tariff to 40%", Text: "The European Commission will raise the tariff on steel imports to 40% from 25%, Helena Marwick said in Brussels."},
		{ID: 2, Title: "Brussels lifts steel duties to 40%", Text: "Steel imports into the European Union will face a 40% tariff, up from 25%, the European Commission said on Monday."},
	}
	other := c.Features(digest.Article{Title: "Japan cuts rice tariff", Text: "Japan will cut its tariff on rice imports, the farm ministry in Tokyo said."}).Encode()
	failed := errors.New("store closed")
	for name, tc := range map[string]struct {
		again digest.KeptReader
		want  error
	}{
		"gone": {func(context.Context, []int64) (map[int64][]byte, error) { return map[int64][]byte{}, nil }, digest.ErrKeptChanged},
		"changed": {func() digest.KeptReader {
			reads := 0
			return func(context.Context, []int64) (map[int64][]byte, error) {
				if reads++; reads == 1 { // the first pass's
					return map[int64][]byte{1: c.Features(arts[0]).Encode(), 2: c.Features(arts[1]).Encode()}, nil
				}
				return map[int64][]byte{1: other, 2: other}, nil
			}
		}(), digest.ErrKeptChanged},
		"stale": {func(context.Context, []int64) (map[int64][]byte, error) {
			return map[int64][]byte{1: {featuresVersion - 1, 2}, 2: {featuresVersion - 1, 2}}, nil
		}, digest.ErrKeptChanged},
		"error": {func(context.Context, []int64) (map[int64][]byte, error) { return nil, failed }, failed},
	} {
		t.Run(name, func(t *testing.T) {
			features := [][]byte{c.Features(arts[0]).Encode(), c.Features(arts[1]).Encode()}
			_, _, err := c.ClusterKept(context.Background(), withoutTexts(arts), features, nil, tc.again)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// arts with the same URL (the same articles without their texts).
func storiesOf(stories []digest.Story, arts []digest.Article) []digest.Story {
	byURL := map[string]digest.Article{}
	for _, a := range arts {
		byURL[a.URL] = a
	}
	out := slices.Clone(stories)
	for i := range out {
		out[i].Articles = slices.Clone(out[i].Articles)
		for k, a := range out[i].Articles {
			out[i].Articles[k] = byURL[a.URL]
		}
	}
	return out
}

func FuzzDecodeFeatures(f *testing.F) {
	c := New(Config{})
	f.Add(c.Features(digest.Article{Title: "EU raises steel tariff to 40%", Text: "The European Commission will raise the tariff on steel imports to 40% from 25%, Helena Marwick said in Brussels."}).Encode())
	f.Add([]byte{featuresVersion, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := c.DecodeFeatures(b)
		if err != nil {
			return
		}
		if again, err := c.DecodeFeatures(got.Encode()); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("features decoded from %x do not survive another encoding: %v", b, err)
		}
	})
}

// TestClusterer_LinksOfNewArticles checks that with some articles marked
// new, the links made are exactly those of clustering afresh that have a
// new article in them: the near-duplicate scan and the candidate pairs
// skip the pairs of earlier articles, and no other.
func TestClusterer_LinksOfNewArticles(t *testing.T) {
	c := New(Config{})
	rng := rand.New(rand.NewPCG(3, 4))
	for _, set := range testSets(t, 20) {
		t.Run(set.name, func(t *testing.T) {
			docs := analyse(set.arts, c.cfg.LeadSentences)
			all, err := c.links(context.Background(), newGrouping(&c.cfg, docs), true)
			if err != nil {
				t.Fatal(err)
			}
			for _, share := range []float64{0.02, 0.3, 1} {
				g := newGrouping(&c.cfg, docs)
				g.fresh = make([]bool, len(docs))
				for i := range g.fresh {
					g.fresh[i] = rng.Float64() < share
				}
				got, err := c.links(context.Background(), g, true)
				if err != nil {
					t.Fatal(err)
				}
				want := slices.DeleteFunc(slices.Clone(all), func(l link) bool { return g.old(l.i, l.j) })
				if !slices.Equal(got, want) {
					t.Fatalf("%.0f%% new: %d links, want the %d of the %d afresh that have a new article", 100*share, len(got), len(want), len(all))
				}
			}
		})
	}
}

// incrementally clusters arts as a run every so often would: in batches
// (by publication time, undated last), each run with the features of the
// articles so far, the earlier ones assigned to the stories of the run
// before. It returns the last run's stories.
func incrementally(tb testing.TB, c *Clusterer, arts []digest.Article, batches int) []digest.Story {
	tb.Helper()
	order := make([]int, len(arts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpTime(arts[a].Published, arts[b].Published) })
	feats := storedFeatures(tb, c, arts)
	story := map[string]int64{} // by URL: the story of the last run
	var stories []digest.Story
	for b := 1; b <= batches; b++ {
		upTo := order[:len(order)*b/batches]
		slices.Sort(upTo) // a run reads the window in the store's order
		var (
			batch []digest.Article
			f     []Features
			prior []int64
		)
		for _, i := range upTo {
			batch, f, prior = append(batch, arts[i]), append(f, feats[i]), append(prior, story[arts[i].URL])
		}
		var err error
		stories, err = c.ClusterFeatures(context.Background(), batch, f, prior)
		if err != nil {
			tb.Fatal(err)
		}
		checkPartition(tb, batch, stories)
		// Every story of the run before is within one story of this run.
		in := map[int64]int{}
		for s, st := range stories {
			for _, a := range st.Articles {
				p := story[a.URL]
				if k, ok := in[p]; ok && p != 0 && k != s {
					tb.Fatalf("run %d split an earlier story (%q)", b, a.Title)
				}
				in[p] = s
			}
		}
		for s, st := range stories {
			for _, a := range st.Articles {
				story[a.URL] = int64(s + 1)
			}
		}
	}
	return stories
}

// TestClusterer_Incremental feeds the labelled set and the other test sets
// to the clusterer in one, two and three runs (by publication time) and
// compares the stories of the last run with clustering everything at once:
// one run is Cluster itself; in more, earlier stories never split, and the
// labelled set's pairwise precision and recall, printed for the
// development and validation parts, without and with the grown set, (go test -v -run
// TestClusterer_Incremental ./digest/cluster), stay above TestEvaluate's
// floors. Pairs put together differently are printed with their titles.
func TestClusterer_Incremental(t *testing.T) {
	c := New(Config{})
	for _, set := range testSets(t, 20) {
		t.Run(set.name, func(t *testing.T) {
			whole, err := c.Cluster(context.Background(), set.arts)
			if err != nil {
				t.Fatal(err)
			}
			if one := incrementally(t, c, set.arts, 1); !reflect.DeepEqual(one, whole) {
				t.Fatalf("one run: %d stories, Cluster %d (or other members, leads or joins)", len(one), len(whole))
			}
			want := predictedLabels(t, set.arts, whole)
			for _, batches := range []int{2, 3} {
				got := predictedLabels(t, set.arts, incrementally(t, c, set.arts, batches))
				diff := comparePairs(got, want)
				t.Logf("%d runs: %d pairs together as at once, %d together only in runs, %d only at once", batches, diff.tp, diff.fp, diff.fn)
				for i := range got {
					for j := i + 1; j < len(got) && set.name == "labelled"; j++ {
						if (got[i] == got[j]) != (want[i] == want[j]) {
							t.Logf("  together %s: %q ~ %q", map[bool]string{true: "only in runs", false: "only at once"}[got[i] == got[j]], set.arts[i].Title, set.arts[j].Title)
						}
					}
				}
			}
		})
	}
	set := loadLabelledSet(t)
	for _, grown := range []bool{false, true} {
		for _, part := range []string{development, validation} {
			floorP, floorR := floorPrecision, floorRecall
			switch {
			case part == development:
				floorP, floorR = floorDevPrecision, floorDevRecall
			case grown:
				floorP, floorR = floorGrownPrecision, floorGrownRecall
			}
			arts, gold := set.part(part, grown)
			for _, batches := range []int{1, 2, 3} {
				s := comparePairs(predictedLabels(t, arts, incrementally(t, c, arts, batches)), gold)
				t.Logf("%s (grown %v) in %d runs: pairwise precision %.3f  recall %.3f  F1 %.3f  (tp %d, fp %d, fn %d)", part, grown, batches, s.precision(), s.recall(), s.f1(), s.tp, s.fp, s.fn)
				if s.precision() < floorP || s.recall() < floorR {
					t.Errorf("%s (grown %v) in %d runs below TestEvaluate's floors (%.2f, %.2f)", part, grown, batches, floorP, floorR)
				}
			}
		}
	}
}
