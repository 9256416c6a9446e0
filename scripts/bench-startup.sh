#!/usr/bin/env bash
# Start-up cost of commands that parse no date: digest version, digest
# healthcheck (against a local server answering /healthz) and digest
# subscribers add (into a fresh SQLite store, migrations included; the
# second add meets a migrated store). Each binary runs each command RUNS
# times, the binaries interleaved; the script prints the median wall time,
# CPU time (user+sys) and peak RSS of each, with the load average.
#
# Usage: scripts/bench-startup.sh [RUNS] BINARY...   (e.g. an old build and a new one)
set -euo pipefail
RUNS=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then RUNS=$1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [RUNS] BINARY..." >&2; exit 2; }
WORK=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/www" && echo ok >"$WORK/www/healthz"
PORT=$((20000 + RANDOM % 20000))
(cd "$WORK/www" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
SRV=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

measure() { # label, command... → appends "wall cpu rss" to $WORK/<label>
	local label=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/t" "$@" >/dev/null 2>&1 || true
	awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$WORK/t" >>"$WORK/$label"
}
for r in $(seq "$RUNS"); do
	for i in $(seq $#); do
		bin=$(realpath "${!i}")
		db="$WORK/db-$i-$r.db"
		measure "$i.version" "$bin" version
		measure "$i.healthcheck" "$bin" healthcheck --addr "127.0.0.1:$PORT"
		(cd "$WORK" && DIGEST_DB="$db" measure "$i.subscribers-add-first" "$bin" subscribers add "r$r@example.com")
		(cd "$WORK" && DIGEST_DB="$db" measure "$i.subscribers-add" "$bin" subscribers add "s$r@example.com")
	done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-26s %-10s %10s %10s %10s\n' command binary wall_s cpu_s rss_MB
for cmd in version healthcheck subscribers-add-first subscribers-add; do
	for i in $(seq $#); do
		f="$WORK/$i.$cmd"
		printf '%-26s %-10s %10s %10s %10.1f\n' "$cmd" "$(basename "${!i}")" \
			"$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f2 "$f" | median)" \
			"$(echo "$(cut -d' ' -f3 "$f" | median) / 1024" | bc -l)"
	done
done
echo "runs: $RUNS each, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
