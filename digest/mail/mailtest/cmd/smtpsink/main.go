// Command smtpsink is a discarding SMTP sink on a loopback port for
// benchmarks of the real command line (scripts/bench-deliver-cli.sh): it
// prints "addr HOST:PORT", answers each "stats" line on its stdin with a
// JSON line (messages, distinct Message-IDs, bytes, its own CPU time), and
// at the end of its stdin prints the final stats and exits. Test-only: it
// accepts anything from anyone.
package main

import (
	"fmt"
	"os"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

func main() {
	if err := mailtest.ServeSinkProcess(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "smtpsink:", err)
		os.Exit(1)
	}
}
