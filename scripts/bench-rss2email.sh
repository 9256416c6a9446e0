#!/usr/bin/env bash
# Compare gathering 200 feeds x 50 items with rss2email (Debian package
# rss2email, r2e) and with digest's gatherer, over the same loopback feeds
# (8 hosts 127.0.0.2-9, 50 ms latency, ETag/Last-Modified, gzip).
#
# Usage: scripts/bench-rss2email.sh [FEEDS] [ITEMS]
#
# rss2email runs in its usual mode: it fetches each feed and delivers every
# new item as a message into a local Maildir. digest's side runs
# (*digest.Engine).Gather with an in-memory store (no database, no mail).
# Both then run a second time at once, when every feed answers 304.
set -euo pipefail

FEEDS=${1:-200}
ITEMS=${2:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
FARM_PID=""
cleanup() {
	if [ -n "$FARM_PID" ]; then
		kill "$FARM_PID" 2>/dev/null || true
		wait "$FARM_PID" 2>/dev/null || true
		tail -n 1 "$WORK/farm.log" # what the farm served to both, in all
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v r2e >/dev/null 2>&1; then
	echo "installing rss2email (apt-get)..." >&2
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rss2email >/dev/null
fi
# Loopback only: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*'

cd "$ROOT"
go build -o "$WORK/feedfarm" ./digest/feed/internal/farm/cmd/feedfarm
go build -o "$WORK/gather" ./digest/feed/internal/farm/cmd/gather

"$WORK/feedfarm" -feeds "$FEEDS" -items "$ITEMS" -opml "$WORK/farm.opml" >"$WORK/farm.log" 2>&1 &
FARM_PID=$!
for _ in $(seq 100); do [ -s "$WORK/farm.opml" ] && break; sleep 0.1; done
[ -s "$WORK/farm.opml" ] || { cat "$WORK/farm.log" >&2; echo "feed farm did not start" >&2; exit 1; }
cat "$WORK/farm.log"

# rss2email into a Maildir.
mkdir -p "$WORK/Maildir/INBOX/"{cur,new,tmp}
R2E=(r2e -c "$WORK/r2e.cfg" -d "$WORK/r2e.json")
"${R2E[@]}" new bench@localhost >/dev/null 2>&1
sed -i -e "s|^email-protocol = .*|email-protocol = maildir|" \
	-e "s|^maildir-path = .*|maildir-path = $WORK/Maildir|" \
	-e "s|^maildir-mailbox = .*|maildir-mailbox = INBOX|" "$WORK/r2e.cfg"
grep -q '^email-protocol = maildir' "$WORK/r2e.cfg" || { echo "cannot configure rss2email for a Maildir" >&2; exit 1; }
"${R2E[@]}" opmlimport "$WORK/farm.opml" >/dev/null 2>&1
now() { date +%s.%N; }
t0=$(now); "${R2E[@]}" run >"$WORK/r2e-run1.log" 2>&1 || true; t1=$(now)
mails=$(find "$WORK/Maildir/INBOX/new" -type f | wc -l)
t2=$(now); "${R2E[@]}" run >"$WORK/r2e-run2.log" 2>&1 || true; t3=$(now)
mails2=$(( $(find "$WORK/Maildir/INBOX/new" -type f | wc -l) - mails ))
calc() { awk "BEGIN { print $1 }"; }
r2e_first=$(calc "$t1 - $t0")
r2e_second=$(calc "$t3 - $t2")
printf 'rss2email: first run %.2f s (%d messages written), second run %.2f s (%d new messages)\n' "$r2e_first" "$mails" "$r2e_second" "$mails2"
if grep -q -E 'ERROR|Traceback' "$WORK/r2e-run1.log"; then echo "rss2email reported errors:"; grep -E 'ERROR|Traceback' "$WORK/r2e-run1.log" | head -5; fi

# digest's gatherer over the same feeds.
"$WORK/gather" -opml "$WORK/farm.opml" | tee "$WORK/gather.log"
d_first=$(sed -n 's/^run=1 wall_s=\([0-9.]*\).*/\1/p' "$WORK/gather.log")
d_second=$(sed -n 's/^run=2 wall_s=\([0-9.]*\).*/\1/p' "$WORK/gather.log")
printf 'digest:    first run %.2f s, second run %.2f s\n' "$d_first" "$d_second"
printf 'ratio rss2email/digest: first run %.1fx, second run %.1fx\n' \
	"$(calc "$r2e_first / $d_first")" "$(calc "$r2e_second / $d_second")"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
