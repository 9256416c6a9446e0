// Package processtest holds the process-level tests of issues 5 and 8: real
// `digest serve` processes (built from ./cmd/digest) on one database, a
// real SMTP sink on loopback, SIGKILL and SIGTERM in the middle of sends.
//
// The tests need from cmd/digest, for tests only:
//
//   - DIGEST_FAKE_NOW (RFC 3339 simulated start), DIGEST_FAKE_EPOCH (RFC
//     3339 real instant that maps to it; default the process start) and
//     DIGEST_FAKE_SPEED (simulated seconds per real second);
//   - DIGEST_QUEUE_JOB_TIMEOUT, DIGEST_QUEUE_RESCUE_AFTER,
//     DIGEST_QUEUE_MAX_SNOOZE, DIGEST_QUEUE_POLL_INTERVAL (Go durations)
//     passed to queue.Config, and --shutdown-timeout passed to
//     queue.Config.ShutdownTimeout.
//
// DIGEST_PROCESSTEST_BIN names a prebuilt binary to test instead of
// building one. The queue logs the values it runs with ("queue started"); a test skips,
// naming what is missing, when the binary ignores them.
package processtest
