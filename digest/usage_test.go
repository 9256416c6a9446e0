package digest

import "testing"

// TestReport_addSummaries checks that every summary count and every unit
// of spending of the week's stories reaches the run's report, the
// unfaithful fallbacks included (they were left out when each caller added
// the fields by hand).
func TestReport_addSummaries(t *testing.T) {
	run := Report{SummariesNew: 1, PromptTokens: 10, CostUSD: 0.5}
	week := Report{SummariesNew: 2, SummariesCached: 3, SummariesFallback: 4, SummariesUnfaithful: 1,
		SummariesOverBudget: 5, PromptTokens: 100, CompletionTokens: 20, CostUSD: 0.25}
	run.addSummaries(week)
	want := Report{SummariesNew: 3, SummariesCached: 3, SummariesFallback: 4, SummariesUnfaithful: 1,
		SummariesOverBudget: 5, PromptTokens: 110, CompletionTokens: 20, CostUSD: 0.75}
	if run.SummariesNew != want.SummariesNew || run.SummariesCached != want.SummariesCached ||
		run.SummariesFallback != want.SummariesFallback || run.SummariesUnfaithful != want.SummariesUnfaithful ||
		run.SummariesOverBudget != want.SummariesOverBudget || run.PromptTokens != want.PromptTokens ||
		run.CompletionTokens != want.CompletionTokens || run.CostUSD != want.CostUSD {
		t.Fatalf("after adding the week: %+v, want the counts of %+v", run, want)
	}
}
