// Package processtest holds the process-level tests: real `digest serve`
// processes (built from ./cmd/digest with -tags digesttest) on one
// database, a real SMTP sink on loopback, SIGKILL and SIGTERM in the
// middle of sends.
//
// The tests need from cmd/digest:
//
//   - in a build with -tags digesttest only (cmd/digest/fakeclock.go):
//     DIGEST_FAKE_NOW (RFC 3339 simulated start), DIGEST_FAKE_EPOCH (RFC
//     3339 real instant that maps to it; default the process start) and
//     DIGEST_FAKE_SPEED (simulated seconds per real second);
//   - DIGEST_QUEUE_JOB_TIMEOUT, DIGEST_QUEUE_RESCUE_AFTER,
//     DIGEST_QUEUE_MAX_SNOOZE, DIGEST_QUEUE_POLL_INTERVAL (Go durations)
//     passed to queue.Config, and --shutdown-timeout passed to
//     queue.Config.ShutdownTimeout.
//
// DIGEST_PROCESSTEST_BIN names a prebuilt binary to test instead of
// building one (it must be built with -tags digesttest). The queue logs the
// values it runs with ("queue started"); a test fails, naming what is
// missing, when the binary ignores them.
package processtest
