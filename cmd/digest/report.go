package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// printReport writes the closing report of a run for a person.
func (c *cli) printReport(w io.Writer, rep digest.Report, dryRun bool) {
	rep = redact.Report(rep)
	failed := 0
	for _, s := range rep.Sources {
		if s.Error != "" {
			failed++
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "sources\t%d read, %d failed\n", len(rep.Sources)-failed, failed)
	fmt.Fprintf(tw, "articles\t%d fetched, %d new\n", rep.ArticlesFetched, rep.ArticlesNew)
	if rep.ArticlesRead > 0 {
		fmt.Fprintf(tw, "accounted\t%d read: %s\n", rep.ArticlesRead, fateCounts(rep))
	}
	fmt.Fprintf(tw, "stories\t%d kept, %d dropped as off-topic\n", rep.Stories, rep.StoriesDropped)
	sum := fmt.Sprintf("%d new, %d cached", rep.SummariesNew, rep.SummariesCached)
	if rep.SummariesSkipped > 0 {
		sum += fmt.Sprintf(", %d stories in no edition not summarised", rep.SummariesSkipped)
	}
	if rep.SummariesFallback > 0 {
		sum += fmt.Sprintf(", %d fell back to extractive", rep.SummariesFallback)
	}
	if rep.SummariesUnfaithful > 0 {
		sum += fmt.Sprintf(" (%d because the LLM's summary stated figures or names the article does not support)", rep.SummariesUnfaithful)
	}
	if rep.SummariesOverBudget > 0 {
		sum += fmt.Sprintf(", %d over the token budget", rep.SummariesOverBudget)
	}
	if len(rep.SummariesByBackend) > 0 {
		var parts []string
		for k, v := range rep.SummariesByBackend {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(parts)
		sum += " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(tw, "summaries\t%s\n", sum)
	if rep.PromptTokens+rep.CompletionTokens > 0 {
		fmt.Fprintf(tw, "llm tokens\t%d prompt, %d completion, about $%.4f\n", rep.PromptTokens, rep.CompletionTokens, rep.CostUSD)
	}
	if dryRun {
		fmt.Fprintf(tw, "messages\tnone: dry run (no delivery recorded; articles, summaries and this report are kept in the store)\n")
	} else {
		verb := "sent"
		if rep.Outbox != "" {
			verb = "written"
		}
		msg := fmt.Sprintf("%d %s", rep.Sent, verb)
		if rep.AlreadySent > 0 {
			msg += fmt.Sprintf(", %d already sent today (use --force to send again)", rep.AlreadySent)
		}
		if rep.InFlight > 0 {
			msg += fmt.Sprintf(", %d in progress or waiting to retry", rep.InFlight)
		}
		if rep.Empty > 0 {
			msg += fmt.Sprintf(", %d with no matching news", rep.Empty)
		}
		if rep.Deferred > 0 {
			msg += fmt.Sprintf(", %d deferred for retry", rep.Deferred)
		}
		if rep.Failed > 0 {
			msg += fmt.Sprintf(", %d failed", rep.Failed)
		}
		if rep.NotToday > 0 {
			msg += fmt.Sprintf(", %d not today (weekdays or weekly readers)", rep.NotToday)
		}
		fmt.Fprintf(tw, "messages\t%s\n", msg)
		if rep.Outbox != "" && rep.Sent > 0 {
			fmt.Fprintf(tw, "outbox\t%s\n", rep.Outbox)
		}
	}
	if len(rep.Stages) > 0 {
		var parts []string
		for _, s := range rep.Stages {
			parts = append(parts, fmt.Sprintf("%s %s", s.Stage, s.Duration.Round(time.Millisecond)))
		}
		fmt.Fprintf(tw, "time\t%s\n", strings.Join(parts, ", "))
	}
	tw.Flush()
	for _, n := range rep.Notes {
		fmt.Fprintln(w, n)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// fateCounts says what became of the articles a run read, in the order of
// digest.Fates: "3 lead, 1 merged, 2 duplicate".
func fateCounts(rep digest.Report) string {
	var parts []string
	for _, f := range digest.Fates {
		if n := rep.Fates[f]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(f, "_", " ")))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
