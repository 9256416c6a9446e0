// Package exteval loads the extraction evaluation corpora (the annotated
// scrapinghub pages and the real-world pages of trafilatura's and
// Readability's test suites) and scores extracted text against them:
// must / must-not strings, 4-gram shingle and bag-of-words F1.
//
// The real-world pages are split once, by a hash of their folder name, into
// a development part (the only one tuning may look at) and a validation
// part; see Development.
package exteval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Set names.
const (
	Scrapinghub = "scrapinghub"
	Realworld   = "realworld"
)

// Parts of a set.
const (
	Dev = "dev" // tuned on
	Val = "val" // never tuned on
	All = "all" // a set that is not split
)

// Page is one evaluation page.
type Page struct {
	Set  string
	ID   string // the folder name (realworld) or the id (scrapinghub)
	URL  string // where the page was published; may be empty
	Lang string // primary language subtag ("en", "de", "zh")
	Part string // Dev, Val or All
	HTML []byte
	// Reference is the reference main text; empty when the set has none
	// for this page.
	Reference string
	// Must and MustNot are strings the text must contain or must not.
	// MustInComments are the Must strings that occur on the page only
	// inside a reader-comment area: an extractor that drops comments
	// misses them by design, so they are scored apart.
	Must, MustNot, MustInComments []string
}

// Development reports whether the real-world page in folder name belongs to
// the development part: the first byte of the SHA-256 of the name is below
// 128. The rule is fixed; changing it would leak validation pages into
// tuning.
func Development(name string) bool {
	h := sha256.Sum256([]byte(name))
	return h[0] < 128
}

// LoadScrapinghub reads the 60 annotated pages of
// article-extraction-scrapinghub in dir.
func LoadScrapinghub(dir string) ([]Page, error) {
	type truth struct {
		ID          string `json:"id"`
		URL         string `json:"url"`
		HTMLFile    string `json:"html_file"`
		ArticleBody string `json:"articleBody"`
	}
	rows, err := ReadJSONL[truth](filepath.Join(dir, "ground-truth.jsonl"))
	if err != nil {
		return nil, err
	}
	pages := make([]Page, 0, len(rows))
	for _, r := range rows {
		body, err := gunzip(filepath.Join(dir, r.HTMLFile))
		if err != nil {
			return nil, err
		}
		pages = append(pages, Page{
			Set: Scrapinghub, ID: r.ID, URL: r.URL, Lang: "en", Part: All,
			HTML: body, Reference: r.ArticleBody,
		})
	}
	return pages, nil
}

// LoadRealworld reads the pages of extraction-realworld in dir, in folder
// order, each marked Dev or Val by Development.
func LoadRealworld(dir string) ([]Page, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type truth struct {
		URL            string   `json:"url"`
		Lang           string   `json:"lang"`
		Must           []string `json:"must_contain"`
		MustNot        []string `json:"must_not_contain"`
		MustInComments []string `json:"must_contain_in_comment_area"`
		Expected       string   `json:"expected_text"`
	}
	var pages []Page
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		tf := filepath.Join(dir, e.Name(), "truth.json")
		data, err := os.ReadFile(tf)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var t truth
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("%s: %w", tf, err)
		}
		body, err := os.ReadFile(filepath.Join(dir, e.Name(), "source.html"))
		if err != nil {
			return nil, err
		}
		part := Val
		if Development(e.Name()) {
			part = Dev
		}
		pages = append(pages, Page{
			Set: Realworld, ID: e.Name(), URL: t.URL, Lang: t.Lang, Part: part, HTML: body,
			Reference: t.Expected, Must: t.Must, MustNot: t.MustNot, MustInComments: t.MustInComments,
		})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].ID < pages[j].ID })
	return pages, nil
}

// ReadJSONL decodes one T per non-blank line of the file at path.
func ReadJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// inComments reports whether s is one of p's comment-area strings.
func (p Page) inComments(s string) bool {
	for _, c := range p.MustInComments {
		if c == s {
			return true
		}
	}
	return false
}
