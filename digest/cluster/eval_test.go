package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest"
)

// corpusDir is ../shared/corpus seen from the module root; this package is
// two levels below it.
const corpusDir = "../../../shared/corpus"

// labelled is one article of testdata/labelled.json.
type labelled struct {
	ID string `json:"id"`
	// Case groups related stories (hard negatives on one subject, a
	// template's notices) so that the development/validation split keeps
	// them together; empty means the cluster id.
	Case      string `json:"case"`
	Cluster   string `json:"cluster"`
	Source    string `json:"source"`
	Title     string `json:"title"`
	Published string `json:"published"`
	Text      string `json:"text"`
	// Corpus names a feed under corpusDir whose item with Title supplies
	// the text and time.
	Corpus string `json:"corpus"`
	// Scrapinghub is the id of an article of the extraction corpus whose
	// annotated text is the article's text.
	Scrapinghub string `json:"scrapinghub"`
}

// The labelled set is split by case into a development part, on which the
// clusterer is tuned, and a validation part, which is only measured. The
// split was fixed, by this hash, before any tuning on the grown set.
const (
	development = "development"
	validation  = "validation"
)

// splitOf returns the part a case belongs to: FNV-1a 32 of the case id,
// even for development, odd for validation.
func splitOf(caseID string) string {
	h := fnv.New32a()
	h.Write([]byte(caseID))
	if h.Sum32()%2 == 1 {
		return validation
	}
	return development
}

// labelledSet is the labelled set, resolved: articles with their gold
// cluster and their part of the split.
type labelledSet struct {
	arts    []digest.Article
	gold    []string
	split   []string
	file    []string // the file each article comes from
	cases   []string // the case each article belongs to (its cluster when none)
	missing int      // corpus items left out because the corpus is absent
}

// part returns the articles and gold labels of one part ("" for all);
// without grown, those of grownFile are left out.
func (s labelledSet) part(name string, grown bool) ([]digest.Article, []string) {
	var arts []digest.Article
	var gold []string
	for i := range s.arts {
		if (name == "" || s.split[i] == name) && (grown || s.file[i] != grownFile) {
			arts = append(arts, s.arts[i])
			gold = append(gold, s.gold[i])
		}
	}
	return arts, gold
}

// loadLabelled reads the labelled set and resolves corpus references. It
// returns the articles, their gold cluster ids and how many corpus items
// were left out because the corpus is absent.
func loadLabelled(tb testing.TB) ([]digest.Article, []string, int) {
	s := loadLabelledSet(tb)
	return s.arts, s.gold, s.missing
}

// labelledFiles are the files of the labelled set and how each is split:
// labelled.json by the hash of each case (splitOf), development.json, cases
// written after that split to tune on, wholly development, and grown.json,
// cases added later and split by the same hash as labelled.json. The
// validation part is the odd cases of labelled.json and grown.json.
var labelledFiles = []struct{ name, part string }{
	{"labelled.json", ""},
	{"development.json", development},
	{"grown.json", ""},
}

// grownFile holds the cases added last; TestEvaluate reports the set with
// and without them, so that the figures before they were added can still
// be compared.
const grownFile = "grown.json"

// loadLabelledSet is loadLabelled with each article's part of the split.
func loadLabelledSet(tb testing.TB) labelledSet {
	tb.Helper()
	var all []labelled
	fixed := map[int]string{} // index in all -> part, for files not split by hash
	files := map[int]string{} // index in all -> file
	ids := map[string]bool{}
	for _, f := range labelledFiles {
		raw, err := os.ReadFile(filepath.Join("testdata", f.name))
		if err != nil {
			tb.Fatalf("read labelled set: %v", err)
		}
		var set struct {
			Articles []labelled `json:"articles"`
		}
		if err := json.Unmarshal(raw, &set); err != nil {
			tb.Fatalf("parse labelled set %s: %v", f.name, err)
		}
		for _, l := range set.Articles {
			if ids[l.ID] {
				tb.Fatalf("%s: article id %s used twice", f.name, l.ID)
			}
			ids[l.ID] = true
			if f.part != "" {
				fixed[len(all)] = f.part
			}
			files[len(all)] = f.name
			all = append(all, l)
		}
	}
	feeds := map[string]*gofeed.Feed{}
	bodies := readScrapinghub(tb)
	var out labelledSet
	for k, l := range all {
		a := digest.Article{SourceID: l.Source, SourceName: l.Source, Title: l.Title, Text: l.Text, URL: "urn:" + l.ID}
		if l.Published != "" {
			t, err := time.Parse(time.RFC3339, l.Published)
			if err != nil {
				tb.Fatalf("article %s: bad time: %v", l.ID, err)
			}
			a.Published = t
		}
		if l.Scrapinghub != "" {
			if bodies == nil {
				out.missing++
				continue
			}
			text, ok := bodies[l.Scrapinghub]
			if !ok {
				tb.Fatalf("article %s: not in the extraction corpus", l.ID)
			}
			a.Text = text
		}
		if l.Corpus != "" {
			f, ok := feeds[l.Corpus]
			if !ok {
				f = readFeed(tb, filepath.Join(corpusDir, l.Corpus))
				feeds[l.Corpus] = f
			}
			if f == nil {
				out.missing++
				continue
			}
			item := findItem(f, l.Title)
			if item == nil {
				tb.Fatalf("article %s: no item titled %q in %s", l.ID, l.Title, l.Corpus)
			}
			a.SourceID, a.SourceName = l.Corpus, f.Title
			a.Text = htmlText(cmpOr(item.Content, item.Description))
			if item.PublishedParsed != nil {
				a.Published = *item.PublishedParsed
			} else if item.UpdatedParsed != nil {
				a.Published = *item.UpdatedParsed
			}
		}
		a.ContentHash = digest.ContentHash(a.Text)
		out.arts = append(out.arts, a)
		out.gold = append(out.gold, l.Cluster)
		part, ok := fixed[k]
		if !ok {
			part = splitOf(cmpOr(l.Case, l.Cluster))
		}
		out.split = append(out.split, part)
		out.file = append(out.file, files[k])
		out.cases = append(out.cases, cmpOr(l.Case, l.Cluster))
	}
	return out
}

// readScrapinghub returns the annotated article texts of the extraction
// corpus by id; nil when the corpus is absent.
func readScrapinghub(tb testing.TB) map[string]string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, "article-extraction-scrapinghub", "ground-truth.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatalf("read extraction corpus: %v", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var g struct {
			ID          string `json:"id"`
			ArticleBody string `json:"articleBody"`
		}
		if err := json.Unmarshal([]byte(line), &g); err != nil {
			tb.Fatalf("parse extraction corpus: %v", err)
		}
		out[g.ID] = g.ArticleBody
	}
	return out
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func readFeed(tb testing.TB, path string) *gofeed.Feed {
	tb.Helper()
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatalf("open corpus feed: %v", err)
	}
	defer fh.Close()
	f, err := gofeed.NewParser().Parse(fh)
	if err != nil {
		tb.Fatalf("parse corpus feed %s: %v", path, err)
	}
	return f
}

func findItem(f *gofeed.Feed, title string) *gofeed.Item {
	for _, it := range f.Items {
		if strings.TrimSpace(html.UnescapeString(it.Title)) == title {
			return it
		}
	}
	return nil
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	blockRE = regexp.MustCompile(`(?i)</?(p|br|div|h[1-6]|li)[^>]*>`)
)

// htmlText is a crude HTML-to-text conversion, enough for feed summaries.
func htmlText(s string) string {
	s = blockRE.ReplaceAllString(s, "\n\n")
	s = html.UnescapeString(tagRE.ReplaceAllString(s, " "))
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

// pairScores counts pairwise agreement between predicted and gold labels.
type pairScores struct{ tp, fp, fn int }

func (p pairScores) precision() float64 { return ratio(p.tp, p.tp+p.fp) }
func (p pairScores) recall() float64    { return ratio(p.tp, p.tp+p.fn) }
func (p pairScores) f1() float64 {
	pr, rc := p.precision(), p.recall()
	if pr+rc == 0 {
		return 0
	}
	return 2 * pr * rc / (pr + rc)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// add counts one pair: predicted together or not, gold together or not.
func (p *pairScores) add(pred, gold bool) {
	switch {
	case pred && gold:
		p.tp++
	case pred && !gold:
		p.fp++
	case !pred && gold:
		p.fn++
	}
}

func comparePairs(pred, gold []string) pairScores {
	var s pairScores
	for i := range pred {
		for j := i + 1; j < len(pred); j++ {
			s.add(pred[i] == pred[j], gold[i] == gold[j])
		}
	}
	return s
}

// predictedLabels maps each input article to the key of its story, by URL
// (unique in the labelled set).
func predictedLabels(tb testing.TB, arts []digest.Article, stories []digest.Story) []string {
	tb.Helper()
	byURL := map[string]string{}
	for si, st := range stories {
		for _, a := range st.Articles {
			byURL[a.URL] = fmt.Sprint(si)
		}
	}
	out := make([]string, len(arts))
	for i, a := range arts {
		out[i] = byURL[a.URL]
	}
	return out
}

// Floors for the validation part of labelled.json (the set without
// grownFile), set below the figures measured when the defaults were chosen
// on its development part (validation precision 0.905, recall 0.826;
// development, with development.json, 0.947 and 0.837), so that a change
// that makes clustering clearly worse fails while small moves do not.
const (
	floorPrecision = 0.85
	floorRecall    = 0.75
)

// Floors for the validation part of the grown set (with grownFile). When
// its cases were added, before any change to the clusterer, it measured
// precision 0.848, recall 0.667; after the changes chosen on its
// development part (per cent and ordinal figures, kinds of goods, goods as
// entities), 0.886 and 0.738; after an outlet's media items were held to
// the cross-outlet bar and links nearer in time were tried first
// (closerFirst), 0.943 and 0.786. The goals (precision 0.95, recall 0.90)
// are not reached on either validation part. The frames of singular
// events (events.go) joined the development part's last paraphrases that
// shared almost no word or name ("Judges void White House levies" for a
// trade court's ruling on emergency tariffs, "Sterling firms as Bailey's
// committee narrowly resists a cut" for the Bank of England's decision,
// "Japanese currency strengthens after Ueda's quarter-point move": 0.06 to
// 0.20 against 0.22; development recall 0.939 to 1.000), and titles that
// name different kinds of events kept WeWork's layoffs apart from the
// attorney general's investigation (precision 0.957 to 0.985); both left
// the validation parts unchanged. The remaining development errors: a
// false merge of two impeachment-hearing reports on different witnesses
// (0.28: one subject and day, one kind of event), and in the dev4 cases
// written after the frames, two paraphrases without a shared word that
// counts ("Fed cuts rates by a quarter point" and "Treasury yields slide
// as Powell's panel eases again", 0.20 with the frame; "Boeing to cut 10%
// of its workforce" and "Planemaker axes 17,000 jobs", 0.20), and an
// export ban joined to another good's quota of its country, whose text
// names the good, before its own paraphrase (nearer in time). Tried and
// dropped there: a smaller bonus (0.03) for leads naming one kind of event
// of any sort (fixed Boeing, but pairs clustered alone lost precision,
// 0.753 to 0.726); "ruling" and its synonyms ("rules") as a ruling's word
// (joined two WTO stories); more headline synonyms (approve, reject,
// announce, resign, strike, extend: no change). Then, for generality
// rather than single pairs: the time between two outlets' reports
// (timeAdjust: a rise of up to 0.04 within hours, a fall of up to 0.05
// over days), the inflections nlp.Stem leaves apart made one (normalStem:
// "raised" and "raise") and general headline synonym groups (jobs and
// workforce, walkout and strike, unveil and announce): development recall
// 0.958 to 0.986 (Boeing's layoffs and the Fed's cut joined), precision
// 0.971 to 0.972; validation precision 0.944 to 1.000, recall 0.810 to
// 0.857 (labelled.json alone: 0.905 to 1.000 and 0.826 to 0.870). Left on
// development: the impeachment witnesses, and the export ban joined to
// the quota first. The development part then had nothing left to teach,
// and the 'dev5/' cases of development.json were added (paraphrases with
// little shared wording and hard negatives of one subject and day;
// development recall 0.986 to 0.758). On them: figures keyed by value
// ("15,000" and "15k", "$1.84bn" and "1.84 billion"), a capitalised word
// opening a sentence meeting the name another article writes ("Samsung
// has offered 5.1%"), every key of an article making candidates (goods,
// a company's first word) and an outlet's "Update:" held to the
// cross-outlet bar: development recall 0.758 to 0.792 (halves by
// halfOf: 0.787 to 0.800, 0.689 to 0.756), precision 0.968 to 0.969;
// validation recall 0.857 to 0.881, precision 1.000 (labelled.json alone
// unchanged, 1.000 and 0.870). Tried after it and dropped: titles whose
// figures are a percentage and an amount ("Chipmaker sheds 15% of staff",
// "Santa Clara group's $10bn savings drive") not clashing by figures
// (development recall 0.792 to 0.808, half A 0.800 to 0.827, half B
// unchanged), which lowered validation precision (with grownFile) from
// 1.000 to 0.974 and left its recall at 0.881. Left on development: pairs
// whose wording shares one event and nothing else ("Dockworkers strike at
// ports from Maine to Texas", "Longshoremen's walkout shuts Atlantic and
// Gulf container terminals": 0.16), and links refused because a closer
// hard negative of the same outlet joined first (Grasberg's halt and a
// Freeport export permit). Then weak kinds of events (events.go: a
// stoppage, a halt, a cut, a raise) named by both leads with an actor in
// common add weakEvent (0.05): development recall 0.792 to 0.825 (half A
// 0.800 to 0.840, half B 0.756 to 0.778), precision 0.969 to 0.961 (one
// more false pair, the Grasberg force majeure report joined to the
// permit's story through the copper report); validation unchanged, 1.000
// and 0.881 (labelled.json alone 1.000 and 0.870). Tariffs and curbs as
// weak kinds were dropped: in trade news nearly every lead names them,
// and isolated pairs of labelled.json fell to precision 0.786. Then an
// article alone goes to the story that takes it where it has its
// strongest pair, rather than to the first link's (grouping.home): the
// bauxite ban's paraphrase no longer joins the nickel quota first, nor the
// copper report the Freeport permit (development precision 0.961 to
// 0.981, recall 0.825 to 0.842; half A 0.955/0.840 to 0.985/0.867, half B
// 0.972/0.778 to 0.973/0.800), and Maersk's return to Suez joins the
// canal's revenue report (0.37) instead of its paraphrase (0.28);
// validation unchanged, 1.000 and 0.881. Tried and dropped there: the mean
// pair rather than the strongest (half A 0.969/0.840), an hourly discount
// of the fit (0.003 to 0.01 an hour: half B 0.944/0.756), and moving
// articles between stories after every link is tried (no gain). Then three
// word-level causes of the last misses: compounds written open or
// hyphenated ("dock workers", "lay-offs") made the tables' one word
// (joinCompounds: the port strike's third report, half B recall 0.844 to
// 0.889), trade verbs without a synonym group (extend and prolong, delay
// and postpone, curb and restriction: the OPEC+ third report, 0.18 to
// 0.22, joined in the whole part, not in its half) and titles' figures
// not clashing where both texts state one distinctive figure (Intel's
// "15% of staff" and "$10bn savings drive", both quoting 15,000 jobs: half
// A recall 0.947 to 0.973): development precision 0.982 to 0.983, recall
// 0.908 to 0.958; pairs clustered alone 0.815/0.842 to 0.816/0.850;
// validation unchanged, 1.000 and 0.881 (labelled.json alone 1.000 and
// 0.870). Left on development: the impeachment witnesses, Maersk's return
// and the canal's revenue, the export-control trio ("New US rules cut off
// Chinese access to advanced memory": 0.13 and 0.07) and "Beijing's
// buyers shun American beans" (0.19 and 0.15). Then, instead of more
// word lists, words one derivational ending apart made one term by
// Porter's steps 1 to 3 where no table word is met (derivedStem:
// "routings" and "route"), chosen over the full stemmer, which scored
// alike on development: half B 0.976/0.889 to 1.000/0.911, half A, the
// whole part and its pairs clustered alone unchanged; validation (with
// grownFile) recall 0.881 to 0.905 (38 of 42), precision 1.000
// (labelled.json alone 0.870 to 0.913); pairs of labelled.json clustered
// alone 0.846/0.898 to 0.833/0.918. Re-fitting Threshold, LinkThreshold,
// the three weights and LeadSentences by development F1 (with precision
// 0.97 on both halves) left the defaults: none scored above them there.
const (
	floorGrownPrecision = 0.90
	floorGrownRecall    = 0.75
)

// Floors for the development part, with and without grownFile, which
// TestClusterer_Incremental holds its runs to. They were TestEvaluate's
// floors until the cases of development.json marked 'dev5/' were added:
// paraphrases written to be hard, which most of the clusterer's signals
// miss (development recall 0.986 to 0.758 with grownFile, 0.742 at the
// time without it). They stay below the figures measured then, so that a
// change that makes clustering clearly worse fails.
const (
	floorDevPrecision = 0.90
	floorDevRecall    = 0.70
)

// Floors for pairs of labelled.json clustered alone, where average linkage
// cannot help (measured: precision 0.872, recall 0.837).
const (
	floorIsolatedPrecision = 0.80
	floorIsolatedRecall    = 0.80
)

// TestEvaluate prints pairwise precision, recall and F1 of the clusterer on
// the development and validation parts of the labelled set and on all of
// it (go test -v -run 'TestEvaluate$' ./digest/cluster), each part clustered
// on its own, and the pairs it gets wrong.
func TestEvaluate(t *testing.T) {
	set := loadLabelledSet(t)
	if set.missing > 0 {
		t.Logf("%d corpus items left out: %s is absent (clone shared/ beside the repository to include them)", set.missing, corpusDir)
	}
	scores := map[bool]map[string]pairScores{false: {}, true: {}} // by grown, then part
	for _, grown := range []bool{false, true} {
		for _, part := range []string{development, validation, ""} {
			arts, gold := set.part(part, grown)
			name := cmpOr(part, "all")
			if grown {
				name += " (grown)"
			}
			// Only the development part's errors are printed, once, for
			// the grown set: the validation part is measured, never read
			// while tuning.
			scores[grown][part] = evaluatePart(t, name, arts, gold, grown && part == development)
		}
	}
	if s := scores[false][validation]; s.precision() < floorPrecision || s.recall() < floorRecall {
		t.Errorf("validation below floors: precision %.3f (floor %.2f), recall %.3f (floor %.2f)", s.precision(), floorPrecision, s.recall(), floorRecall)
	}
	if s := scores[true][validation]; s.precision() < floorGrownPrecision || s.recall() < floorGrownRecall {
		t.Errorf("validation (grown) below floors: precision %.3f (floor %.2f), recall %.3f (floor %.2f)", s.precision(), floorGrownPrecision, s.recall(), floorGrownRecall)
	}
}

// evaluatePart clusters one part of the labelled set and logs its scores
// and, when errors is set, the pairs it gets wrong.
func evaluatePart(t *testing.T, name string, arts []digest.Article, gold []string, errors bool) pairScores {
	t.Helper()
	c := New(Config{})
	stories, err := c.Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, arts, stories)
	pred := predictedLabels(t, arts, stories)
	s := comparePairs(pred, gold)
	goldClusters := len(slices.Compact(slices.Sorted(slices.Values(gold))))
	t.Logf("%s: %d articles, %d gold stories, %d predicted stories; pairwise precision %.3f  recall %.3f  F1 %.3f  (tp %d, fp %d, fn %d)",
		name, len(arts), goldClusters, len(stories), s.precision(), s.recall(), s.f1(), s.tp, s.fp, s.fn)
	if !errors {
		return s
	}
	docs := analyse(arts, c.cfg.LeadSentences)
	for i := range arts {
		for j := i + 1; j < len(arts); j++ {
			p, g := pred[i] == pred[j], gold[i] == gold[j]
			if p == g {
				continue
			}
			kind := "false merge"
			if g {
				kind = "missed"
			}
			shared, ent := entityOverlap(docs[i].entities, docs[j].entities, docs[i].tab)
			t.Logf("  %s %s: %q ~ %q: lead %.2f body %.2f entities %d/%.2f score %.2f", name, kind, arts[i].Title, arts[j].Title,
				docs[i].leadCosine(&docs[j]), docs[i].bodyCosine(&docs[j]), shared, ent, c.score(&docs[i], &docs[j], ent))
		}
	}
	return s
}

// TestEvaluateIsolatedPairs clusters every pair of the labelled set on its
// own, as a run with few new articles would, and prints pairwise precision
// and recall for the development and validation parts and all of it (go
// test -v -run TestEvaluateIsolatedPairs ./digest/cluster), with the
// development part's wrong pairs. It shows whether decisions depend on
// what else is in the batch. The floors hold for labelled.json's pairs
// (development and validation), on which they were set.
func TestEvaluateIsolatedPairs(t *testing.T) {
	if testing.Short() {
		t.Skip("clusters every pair of the labelled set; skipped with -short")
	}
	set := loadLabelledSet(t)
	arts, gold := set.arts, set.gold
	c := New(Config{})
	docs := analyse(arts, c.cfg.LeadSentences)
	// The floors were set on labelled.json's pairs, before development.json
	// was added; they still apply to those.
	const floorSet = "labelled.json"
	scores := map[string]*pairScores{development: {}, validation: {}, floorSet: {}, "all": {}}
	for i := range arts {
		for j := i + 1; j < len(arts); j++ {
			// Entities and fingerprints do not depend on the batch: a pair
			// with neither in common cannot be joined, so skip the work.
			p := false
			if shared, _ := entityOverlap(docs[i].entities, docs[j].entities, docs[i].tab); shared > 0 ||
				hamming(docs[i].simhash, docs[j].simhash) <= c.cfg.NearDuplicateBits || docs[i].ident == docs[j].ident {
				stories, err := c.Cluster(context.Background(), []digest.Article{arts[i], arts[j]})
				if err != nil {
					t.Fatal(err)
				}
				p = len(stories) == 1
			}
			g := gold[i] == gold[j]
			scores["all"].add(p, g)
			if set.file[i] == floorSet && set.file[j] == floorSet {
				scores[floorSet].add(p, g)
			}
			if set.split[i] == set.split[j] {
				scores[set.split[i]].add(p, g)
			}
			if p != g && set.split[i] == development && set.split[j] == development {
				kind := "false merge"
				if g {
					kind = "missed"
				}
				t.Logf("  development %s alone: %q ~ %q", kind, arts[i].Title, arts[j].Title)
			}
		}
	}
	for _, part := range []string{development, validation, floorSet, "all"} {
		s := scores[part]
		t.Logf("pairs clustered alone, %s: precision %.3f  recall %.3f  (tp %d, fp %d, fn %d)",
			part, s.precision(), s.recall(), s.tp, s.fp, s.fn)
	}
	if s := scores[floorSet]; s.precision() < floorIsolatedPrecision || s.recall() < floorIsolatedRecall {
		t.Errorf("isolated pairs below floors: precision %.3f, recall %.3f", s.precision(), s.recall())
	}
}
