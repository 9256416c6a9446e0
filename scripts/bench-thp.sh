#!/usr/bin/env bash
# What transparent huge pages do to a first run: the first run of
# scripts/bench-first-run.sh, alternated between the machine's THP setting
# and "always" (each round one run of each), then the medians of each.
#
# On a virtual machine where a first touch of a page is dear
# (scripts/fault-cost.sh prints its cost), most of a first run's page
# faults are the Go heap's and SQLite's fresh pages. Go asks for no huge
# pages for its heap, so with THP "madvise" (Debian's default) every 4 KB
# page is a fault of its own; with "always" the kernel backs whole 2 MB
# stretches at once. The setting is the machine's, not digest's: this
# script measures what an operator would gain by changing it.
#
# Usage: sudo scripts/bench-thp.sh ROUNDS DIGEST_BINARY
#   Needs root to write /sys/kernel/mm/transparent_hugepage/enabled, and
#   puts the setting back on exit.
set -euo pipefail
ROUNDS=${1:?usage: $0 ROUNDS DIGEST_BINARY}
BIN=${2:?usage: $0 ROUNDS DIGEST_BINARY}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KNOB=/sys/kernel/mm/transparent_hugepage/enabled
[ -w "$KNOB" ] || { echo "$KNOB is not writable: run as root on a machine with THP" >&2; exit 2; }
# The knob reads like "always [madvise] never": the bracketed one is set.
was=$(sed 's/.*\[\(.*\)\].*/\1/' "$KNOB")
trap 'echo "$was" >"$KNOB"' EXIT
OUT=$(mktemp)
for round in $(seq "$ROUNDS"); do
	for mode in "$was" always; do
		echo "$mode" >"$KNOB"
		# "wall_s=  1.88" → "wall_s=1.88": one field per figure.
		line=$("$ROOT/scripts/bench-first-run.sh" 1 "$BIN" | grep '^round ' | sed 's/= */=/g')
		echo "$mode $line" | tee -a "$OUT"
	done
done
echo "$was" >"$KNOB"
# Medians per setting of wall, CPU, peak RSS and page faults.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for mode in "$was" always; do
	printf 'THP %-8s' "$mode"
	for key in wall_s cpu_s rss_mb faults; do
		printf '  %s %s' "$key" "$(awk -v m="$mode" -v k="$key=" '$1 == m { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$OUT" | median)"
	done
	echo "  (medians of $ROUNDS runs)"
done
rm -f "$OUT"
"$ROOT/scripts/fault-cost.sh"
