package cluster

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

var updateFeatures = flag.Bool("update-features", false, "rewrite testdata/features.sha256 from the current code")

// featuresGolden holds, for each set of real and made-up articles, how
// many articles it has and the SHA-256 of their encoded features in
// order: written by a build before parse was made cheaper, so that a
// change meant only to save CPU is seen to encode every article's
// features byte for byte as before.
const featuresGolden = "testdata/features.sha256"

// TestFeatures_Unchanged checks that every article of the test sets and of
// the public corpora (the feeds' items, the summarisation and extraction
// texts, in a dozen languages) encodes to the features recorded in
// featuresGolden. Raise featuresVersion and rewrite the file
// (-update-features) only when the features are meant to change.
func TestFeatures_Unchanged(t *testing.T) {
	// With the lead text, which a clusterer without an Embedder leaves
	// out (TestFeatures_NoLeadText).
	c := New(Config{Embedder: &embedder{}})
	sets := map[string][]digest.Article{}
	for _, s := range testSets(t, 20) {
		sets[s.name] = s.arts
	}
	for name, arts := range corpusArticles(t) {
		sets[name] = arts
	}
	got := map[string]string{}
	for name, arts := range sets {
		h := sha256.New()
		for _, a := range arts {
			b := c.EncodeFeatures(a)
			fmt.Fprintf(h, "%d:", len(b))
			h.Write(b)
		}
		got[name] = fmt.Sprintf("%d %s", len(arts), hex.EncodeToString(h.Sum(nil)))
	}
	if *updateFeatures {
		testutil.WriteGolden(t, featuresGolden, got, fmt.Sprintf("featuresVersion %d: set, articles, SHA-256 of their encoded features", featuresVersion))
		return
	}
	want := testutil.ReadGolden(t, featuresGolden)
	version := ""
	if len(want.Comments) > 0 {
		version, _, _ = strings.Cut(strings.TrimPrefix(want.Comments[0], "featuresVersion "), ":")
	}
	if version != fmt.Sprint(featuresVersion) {
		t.Fatalf("%s was written for featuresVersion %s, this is %d: rewrite it with -update-features", featuresGolden, version, featuresVersion)
	}
	// The corpus's sets are skipped when the corpus is absent.
	want.Compare(t, got, func(name string) bool { return strings.HasPrefix(name, "corpus/") })
}

// TestFeatures_NoLeadText checks the features of a clusterer without an
// Embedder on every article of TestFeatures_Unchanged's sets: they are the
// features with the lead text (byte for byte those of the golden file)
// less that text, flagged in their second byte; they decode to the same
// document; and they are current for a clusterer without an Embedder
// only, while those with the lead text are current for both.
func TestFeatures_NoLeadText(t *testing.T) {
	plain, embedding := New(Config{}), New(Config{Embedder: &embedder{}})
	sets := map[string][]digest.Article{}
	for _, s := range testSets(t, 20) {
		sets[s.name] = s.arts
	}
	for name, arts := range corpusArticles(t) {
		sets[name] = arts
	}
	n, saved := 0, 0
	for name, arts := range sets {
		for k, a := range arts {
			without, with := plain.EncodeFeatures(a), embedding.EncodeFeatures(a)
			if without == nil || with == nil {
				if without != nil || with != nil {
					t.Errorf("%s #%d: features %v without the lead text, %v with it", name, k, without != nil, with != nil)
				}
				continue
			}
			n++
			// version, LeadSentences, identity, lead text, the rest
			r := reader{b: with[2:]}
			r.skipString()
			identityEnd := len(with) - len(r.b)
			r.skipString()
			leadEnd := len(with) - len(r.b)
			want := slices.Concat([]byte{with[0], with[1] | noLeadText}, with[2:identityEnd], []byte{0}, with[leadEnd:])
			if !bytes.Equal(without, want) {
				t.Fatalf("%s #%d: without the lead text\n%x\nwant\n%x", name, k, without, want)
			}
			saved += len(with) - len(without)
			fw, err := plain.DecodeFeatures(without)
			if err != nil {
				t.Fatalf("%s #%d: %v", name, k, err)
			}
			fl, err := embedding.DecodeFeatures(with)
			if err != nil {
				t.Fatalf("%s #%d: %v", name, k, err)
			}
			if !reflect.DeepEqual(fw.d, fl.d) || fw.lead != "" || fw.leadKept || !fl.leadKept {
				t.Fatalf("%s #%d: decoded without the lead text %+v, with it %+v", name, k, fw, fl)
			}
			if !plain.KeptCurrent(without) || embedding.KeptCurrent(without) || !plain.KeptCurrent(with) || !embedding.KeptCurrent(with) {
				t.Fatalf("%s #%d: current: without the lead text %v (plain) %v (embedding), with it %v %v", name, k,
					plain.KeptCurrent(without), embedding.KeptCurrent(without), plain.KeptCurrent(with), embedding.KeptCurrent(with))
			}
			if _, err := embedding.DecodeFeatures(without); !errors.Is(err, ErrStaleFeatures) {
				t.Fatalf("%s #%d: an embedding clusterer decoded features without the lead text: %v", name, k, err)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d articles with features", n)
	}
	t.Logf("%d articles: %d bytes of lead text left out, %.0f an article", n, saved, float64(saved)/float64(n))
}

// corpusArticles returns the public corpora's texts as articles, by set:
// every item of the news feeds, the summarisation articles and the
// extraction pages' expected texts. A corpus that is absent gives no set.
func corpusArticles(t testing.TB) map[string][]digest.Article {
	t.Helper()
	out := map[string][]digest.Article{}
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "feeds", "news", "*"))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := gofeed.NewParser().ParseString(string(raw))
		if err != nil {
			continue // a feed in a legacy encoding the parser refuses
		}
		for _, it := range f.Items {
			a := digest.Article{URL: it.Link, SourceID: filepath.Base(p), SourceName: f.Title, Title: it.Title,
				Text: htmlText(cmpOr(it.Content, it.Description))}
			if it.PublishedParsed != nil {
				a.Published = *it.PublishedParsed
			}
			a.ContentHash = digest.ContentHash(a.Text)
			out["corpus/feeds"] = append(out["corpus/feeds"], a)
		}
	}
	if raw, err := os.ReadFile(filepath.Join(corpusDir, "summarization-frank", "pairs.jsonl")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var p struct {
				ID, Article string
			}
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatalf("parse summarisation corpus: %v", err)
			}
			out["corpus/frank"] = append(out["corpus/frank"], digest.Article{URL: "urn:" + p.ID, Text: p.Article, ContentHash: digest.ContentHash(p.Article)})
		}
	}
	pages, _ := filepath.Glob(filepath.Join(corpusDir, "extraction-realworld", "*", "truth.json"))
	for _, p := range pages {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var truth struct {
			Title        string `json:"title"`
			ExpectedText string `json:"expected_text"`
		}
		if err := json.Unmarshal(raw, &truth); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if truth.ExpectedText == "" {
			continue
		}
		out["corpus/realworld"] = append(out["corpus/realworld"], digest.Article{URL: "urn:" + filepath.Base(filepath.Dir(p)),
			SourceName: filepath.Base(filepath.Dir(p)), Title: truth.Title, Text: truth.ExpectedText, ContentHash: digest.ContentHash(truth.ExpectedText)})
	}
	return out
}

// BenchmarkFeatures reads the features of the labelled set's and the
// corpora's real articles and of the farm's wire texts, as the gather
// does for each new article (go test -run - -bench Features ./digest/cluster).
func BenchmarkFeatures(b *testing.B) {
	arts, _, _ := loadLabelled(b)
	for _, set := range corpusArticles(b) {
		arts = append(arts, set...)
	}
	for _, set := range []struct {
		name string
		arts []digest.Article
	}{{"real", arts}, {"farm", farmArticles(20, 50)}} {
		b.Run(set.name, func(b *testing.B) {
			c := New(Config{})
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				for _, a := range set.arts {
					c.EncodeFeatures(a)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*len(set.arts)), "cpu-µs/article")
		})
	}
}
