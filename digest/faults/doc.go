// Package faults holds the fault-injection end-to-end suite and the
// security tests of issue 8. It has no code of its own: every test drives
// the real `digest` binary (or the engine wired as cmd/digest wires it)
// against misbehaving peers on loopback — feed servers, an OpenAI-compatible
// fake, scripted SMTP servers — and checks that the run ends in bounded time
// and memory, that healthy sources and recipients are unaffected, that every
// digest is delivered or recorded as failed with its reason, that duplicates
// never exceed the in-flight count, and that the store passes
// (*store.DB).Check, the invariants of `digest doctor`.
//
// Run it with `go test -v ./digest/faults` to see the table of figures.
package faults
