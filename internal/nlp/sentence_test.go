package nlp

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "Tariffs rose. Exports fell!", []string{"Tariffs rose.", "Exports fell!"}},
		{"us initialism mid sentence", "The U.S. Trade Representative met E.U. officials. They agreed.",
			[]string{"The U.S. Trade Representative met E.U. officials.", "They agreed."}},
		{"us initialism at end", "Steel imports from the U.S. The quota ends in May.",
			[]string{"Steel imports from the U.S.", "The quota ends in May."}},
		{"initials", "J. K. Rowling and George W. Bush spoke. Nothing followed.",
			[]string{"J. K. Rowling and George W. Bush spoke.", "Nothing followed."}},
		{"decimals and money", "Growth was 3.5% and the deficit $1.2bn. Markets rose 0.4 points.",
			[]string{"Growth was 3.5% and the deficit $1.2bn.", "Markets rose 0.4 points."}},
		{"number abbreviation", "Rule No. 3 applies under Art. 24 of GATT. It is old.",
			[]string{"Rule No. 3 applies under Art. 24 of GATT.", "It is old."}},
		{"titles", "Mr. Smith met Dr. Jones and Gen. Lee. They talked.",
			[]string{"Mr. Smith met Dr. Jones and Gen. Lee.", "They talked."}},
		{"company at end", "The deal went to Acme Inc. The shares rose.",
			[]string{"The deal went to Acme Inc.", "The shares rose."}},
		{"company mid", "Acme Inc. Chief Executive Jane Roe resigned.", []string{"Acme Inc. Chief Executive Jane Roe resigned."}},
		{"quotes", `"We will retaliate," he said. "Tariffs hurt." She disagreed.`,
			[]string{`"We will retaliate," he said.`, `"Tariffs hurt."`, "She disagreed."}},
		{"lower after stop", "The talks (in Geneva, etc. and Paris) went on.", []string{"The talks (in Geneva, etc. and Paris) went on."}},
		{"ellipsis", "He paused... and went on. Then left.", []string{"He paused... and went on.", "Then left."}},
		{"glued lines", "bigger than rivals John Lewis and Amazon UK.Retail analyst Nick Bubb said so.",
			[]string{"bigger than rivals John Lewis and Amazon UK.", "Retail analyst Nick Bubb said so."}},
		{"glued initialism kept", "Trade with the U.S.Treasury", []string{"Trade with the U.S.Treasury"}},
		{"paragraphs", "Headline without stop\n\nBody one. Body two", []string{"Headline without stop", "Body one.", "Body two"}},
		{"wrapped lines", "The ministers agreed on Tuesday to cut the tariffs on steel and\naluminium by half over three years.",
			[]string{"The ministers agreed on Tuesday to cut the tariffs on steel and aluminium by half over three years."}},
		{"short line", "GENEVA (Reuters)\nThe WTO ruled.", []string{"GENEVA (Reuters)", "The WTO ruled."}},
		{"lower case after a question", "One. Two! Three? four.", []string{"One.", "Two!", "Three? four."}},
		{"quote after colon", `He said: "Go." "Now," she said.`, []string{`He said: "Go."`, `"Now," she said.`}},
		{"empty", " \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sentences(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSentences checks that splitting loses and invents no text: the
// sentences hold exactly the input's non-space characters, in order.
func TestBlocksFastPath(t *testing.T) {
	for _, s := range []string{"", " ", "\t", "One line.", " One line. ", "One  line.", "One\tline.", "One\u00a0line.",
		"Zölle  steigen.", "Zölle steigen.", "a\vb", "a\fb", "line\r", "two\nlines", "x\u0085y", "x\u2003y", "\u3000"} {
		if a, b := blocks(s, true), blocks(s, false); !slices.Equal(a, b) {
			t.Errorf("Blocks(%q) = %q, general path %q", s, a, b)
		}
		if a, b := CollapseSpace(s), strings.Join(strings.Fields(s), " "); a != b {
			t.Errorf("CollapseSpace(%q) = %q, want %q", s, a, b)
		}
	}
}

func FuzzSentences(f *testing.F) {
	f.Add("The U.S. and the E.U. met. No. 3 was 3.5% higher… Then \"quotes.\" Done")
	f.Add("Amazon UK.Retail analyst said so.\n\nMr. A. B. Smith\nwrapped line")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			t.Skip()
		}
		if a, b := blocks(text, true), blocks(text, false); !slices.Equal(a, b) {
			t.Fatalf("Blocks(%q) = %q, general path %q", text, a, b)
		}
		if a, b := CollapseSpace(text), strings.Join(strings.Fields(text), " "); a != b {
			t.Fatalf("CollapseSpace(%q) = %q, want %q", text, a, b)
		}
		got := Sentences(text)
		for _, s := range got {
			if strings.TrimSpace(s) == "" || s != strings.TrimSpace(s) {
				t.Fatalf("blank or untrimmed sentence %q", s)
			}
		}
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if a, b := squash(strings.Join(got, "")), squash(text); a != b {
			t.Fatalf("text changed:\n in %q\nout %q", b, a)
		}
	})
}

func TestFinished(t *testing.T) {
	for s, want := range map[string]bool{"It rose.": true, `"It rose?"`: true, "He paused…": true, "(It fell!)": true,
		"Trade talks": false, "Markets:": false, "": false} {
		if Finished(s) != want {
			t.Errorf("Finished(%q) = %v", s, !want)
		}
	}
}

// TestAppendSentences_Corpus checks that AppendSentences gives the first
// n sentences that Sentences gives, after what dst holds, for every
// paragraph of the public corpora's files.
func TestAppendSentences_Corpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	var files []string
	for _, pattern := range []string{"feeds/news/*", "extraction-realworld/*/truth.json", "summarization-frank/pairs.jsonl"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	dst := []string{"before"}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, para := range strings.Split(string(raw), "\n\n") {
			all := Sentences(para)
			for n := 1; n <= 4; n++ {
				want := append(slices.Clip(dst), all[:min(n, len(all))]...)
				if got := AppendSentences(slices.Clip(dst), para, n); !slices.Equal(got, want) {
					t.Fatalf("%s: AppendSentences(%q, %d) = %q, want %q", f, para, n, got, want)
				}
			}
		}
	}
}
