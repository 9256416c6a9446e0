package feed

import (
	"strings"

	"github.com/tradedigest/tradedigest/internal/nlp"
)

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Clean removes boilerplate from article text: subscription, donation,
// membership, paywall and app-download appeals in English, German, French
// and Spanish, wherever they stand (see dropAppeals), newsletter prompts,
// read-more and share lines, photo credits, cookie notices, "click here"
// lines, social handles, republication notes and copyright lines. It works
// line by line, and within a line drops only appeal sentences, so it never
// shortens a news sentence. Paragraphs are separated by "\n\n" in the
// result, whitespace within a line is collapsed, and lines are trimmed.
func Clean(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var paras []string
	for _, para := range splitParagraphs(text) {
		var kept []string
		for _, line := range strings.Split(para, "\n") {
			if line, ok := cleanLine(collapseSpace(line)); ok {
				kept = append(kept, line)
			}
		}
		if len(kept) > 0 {
			paras = append(paras, strings.Join(kept, "\n"))
		}
	}
	return strings.Join(paras, "\n\n")
}

// cleanParagraphs is Clean of paras joined by "\n\n", for paragraphs
// that are one line each with their white space collapsed (as
// htmlParagraphs makes them), which Clean would split and collapse to
// what they are. It reuses paras.
func cleanParagraphs(paras []string) string {
	kept := paras[:0]
	for _, p := range paras {
		if line, ok := cleanLine(p); ok {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n\n")
}

// cleanLine is what Clean keeps of one line whose white space is
// collapsed, and whether it keeps any. Appeal sentences go first, so that
// a news sentence sharing their line is judged on its own; then the line
// goes if it is boilerplate.
func cleanLine(line string) (string, bool) {
	line = dropAppeals(line)
	return line, line != "" && !nlp.IsBoilerplateLine(line)
}

// splitParagraphs splits on blank lines.
func splitParagraphs(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// collapseSpace trims s and turns every run of white space into one space.
func collapseSpace(s string) string { return nlp.CollapseSpace(s) }
