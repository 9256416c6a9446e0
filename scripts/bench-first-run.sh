#!/usr/bin/env bash
# The first run alone, builds alternated: each round starts a fresh
# loopback farm of FEEDS feeds x 50 long items (the "long" farm of
# scripts/bench-rss2email.sh) for each DIGEST_BINARY in turn, and runs
# `digest now` into a fresh SQLite store with one subscriber.
#
# Usage: scripts/bench-first-run.sh ROUNDS DIGEST_BINARY...
#   FEEDS=800 for the larger farm (default 200).
#   CPUPROFILE=DIR writes each run's CPU profile (digest now --cpuprofile)
#   to DIR/BINARY-ROUND.pprof; merge a build's with
#   `go tool pprof -top UNSTRIPPED_BINARY DIR/BINARY-*.pprof`.
#   TRACEDIR=DIR writes each run's execution trace (digest now --trace) to
#   DIR/BINARY-ROUND.trace; `scripts/trace-regions.sh FILE` breaks one down
#   by stage and by step of the cluster stage (a traced run is slower).
#   STRACE=1 runs digest under strace and adds the run's counts of the
#   store's read, write and fsync syscalls (pread64, pwrite64, fsync; the
#   times then stretch, so compare the counts only).
# Printed per run: wall time, CPU time (user + system), peak RSS, the
# page faults (minor ones: each page the run first touches; their cost on
# the machine is fault-cost.sh's last line), the feed farm's CPU time
# (it serves from the same processors), the load
# average, the CPU time the hypervisor took from this machine meanwhile
# (steal, from /proc/stat: a virtual machine's neighbours) and the run's
# own stage times.
set -euo pipefail

ROUNDS=${1:?usage: $0 ROUNDS DIGEST_BINARY...}
shift
[ $# -ge 1 ] || { echo "usage: $0 ROUNDS DIGEST_BINARY..." >&2; exit 2; }
FEEDS=${FEEDS:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
FARM_PID=""
cleanup() {
	[ -n "$FARM_PID" ] && kill "$FARM_PID" 2>/dev/null && wait "$FARM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
# Loopback only: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*'
(cd "$ROOT" && go build -o "$WORK/feedfarm" ./digest/feed/internal/farm/cmd/feedfarm)

steal() { awk '/^cpu /{print $9}' /proc/stat; }

for round in $(seq "$ROUNDS"); do
	for bin in "$@"; do
		bin=$(realpath "$bin")
		D="$WORK/run"
		rm -rf "$D" && mkdir -p "$D"
		"$WORK/feedfarm" -feeds "$FEEDS" -items 50 -short-percent 0 -missing-hosts 200 -opml "$D/farm.opml" >"$D/farm.log" 2>&1 &
		FARM_PID=$!
		for _ in $(seq 100); do [ -s "$D/farm.opml" ] && break; sleep 0.1; done
		[ -s "$D/farm.opml" ] || { cat "$D/farm.log" >&2; echo "feed farm did not start" >&2; exit 1; }
		export DIGEST_DB="$D/digest.db" DIGEST_SOURCES="$D/farm.opml" DIGEST_OUTBOX="$D/outbox" \
			DIGEST_GATHER_ALLOW_HOSTS='127.0.0.0/8:*' DIGEST_LOG_LEVEL=error
		(cd "$D" && "$bin" subscribers add bench@example.com >/dev/null)
		s0=$(steal)
		trace=()
		[ -n "${STRACE:-}" ] && trace=(strace -f -c -e trace=pread64,pwrite64,fsync -o "$D/strace")
		prof=()
		[ -n "${CPUPROFILE:-}" ] && mkdir -p "$CPUPROFILE" && prof=(--cpuprofile "$(realpath "$CPUPROFILE")/$(basename "$bin")-$round.pprof")
		[ -n "${TRACEDIR:-}" ] && mkdir -p "$TRACEDIR" && prof+=(--trace "$(realpath "$TRACEDIR")/$(basename "$bin")-$round.trace")
		(cd "$D" && /usr/bin/time -f '%e %M %U %S %R' -o "$D/time" "${trace[@]}" "$bin" now --quiet "${prof[@]}" >"$D/run.log" 2>&1) || { echo "$bin failed:"; tail -5 "$D/run.log"; }
		s1=$(steal)
		# The farm serves from this machine's processors too: its CPU
		# time since it started (clock ticks of /proc/PID/stat).
		farm=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$FARM_PID/stat")
		read -r wall rss usr sys faults <"$D/time"
		printf 'round %d %-20s wall_s=%6.2f cpu_s=%6.2f rss_mb=%6.1f faults=%d farm_cpu_s=%s load=%s steal_s=%.2f  %s\n' "$round" "$(basename "$bin")" \
			"$wall" "$(echo "$usr + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$faults" "$farm" "$(cut -d' ' -f1 /proc/loadavg)" \
			"$(echo "($s1 - $s0) / 100" | bc -l)" "$(grep -E '^time ' "$D/run.log" | sed 's/^time *//')"
		if [ -n "${STRACE:-}" ]; then
			awk '$NF ~ /^(pread64|pwrite64|fsync)$/ {printf "  %s %s", $NF, $4} END {print ""}' "$D/strace"
		fi
		kill "$FARM_PID" 2>/dev/null; wait "$FARM_PID" 2>/dev/null || true
		FARM_PID=""
	done
done
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$ROOT/scripts/fault-cost.sh"
