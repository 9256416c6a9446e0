// Package summarize holds the digest.Summarizer implementations:
//
//   - Extractive, the offline default: a sentence graph (TextRank with a
//     lead prior) that copies 2–3 sentences of the article verbatim;
//   - OpenAI, an OpenAI-compatible LLM backend with structured output, token
//     budgets, rate limits, retries and an extractive fallback;
//   - Stub, a deterministic summariser (the title and the first sentence)
//     and lead writer for tests: a real implementation, not a mock.
//
// Only cmd/digest knows these concrete types; the engine sees the
// digest.Summarizer interface and its optional extensions (RunScoped,
// UsageReporter, LeadWriter).
package summarize
