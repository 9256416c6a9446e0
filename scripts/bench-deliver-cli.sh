#!/usr/bin/env bash
# bench-deliver-cli.sh: `digest now` to N subscribers over SMTP, the real
# command-line path (issue 17's delivery goal), with the SMTP sink as another
# process of the same process tree (digest/mail/mailtest/cmd/smtpsink).
#
#   scripts/bench-deliver-cli.sh [N] [ROUNDS] [DIGEST_BINARY...]
#
# N subscribers (default 10000) are imported into a fresh SQLite store per
# run; the sources are examples/articles (fresh modification times), so the
# edition is that of the examples. Each binary (default: ./cmd/digest built
# now) runs ROUNDS times (default 1), binaries alternating. For each run it
# prints:
#   msgs_per_s   messages ÷ the run's "deliver" stage time (from `digest now`)
#   cpu_us_msg   the digest process's user+system CPU (/usr/bin/time) for the
#                whole `digest now` (start-up, gather, summarise and render
#                included) ÷ messages
#   rerun_cpu_ms the same command again right after (everyone served, nothing
#                sent): what the run costs besides delivery, roughly
#   sink_us_msg  the sink's own CPU ÷ messages (not in cpu_us_msg)
# with the message size and the load average. DIGEST_DB_URL-style Postgres
# is not wired here: the store is SQLite.
set -euo pipefail

N=${1:-10000}
ROUNDS=${2:-1}
shift $(( $# >= 2 ? 2 : $# ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

cd "$ROOT"
go build -o "$WORK/smtpsink" ./digest/mail/mailtest/cmd/smtpsink
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
	go build -o "$WORK/digest" ./cmd/digest
	BINS=("$WORK/digest")
fi

mkdir -p "$WORK/articles"
cp examples/articles/* "$WORK/articles/"
{
	echo "email,name,timezone,send_time,topics"
	for ((i = 0; i < N; i++)); do printf 'reader%06d@example.com,Reader %d,UTC,07:00,\n' "$i" "$i"; done
} >"$WORK/subs.csv"

# cpu_s FILE: user+system seconds from /usr/bin/time -f '%U %S'.
cpu_s() { awk '{print $1 + $2}' "$1"; }
json_field() { sed -E "s/.*\"$2\":([0-9]+).*/\\1/" <<<"$1"; }

for ((round = 1; round <= ROUNDS; round++)); do
	for i in "${!BINS[@]}"; do
		bin=$(realpath "${BINS[$i]}")
		D="$WORK/run-$round-$i"
		mkdir -p "$D"
		touch "$WORK"/articles/*
		export DIGEST_DB="$D/digest.db" DIGEST_SOURCES="$WORK/articles" DIGEST_LOG_LEVEL=error \
			DIGEST_FROM="Bench Digest <digest@example.com>"
		(cd "$D" && "$bin" subscribers import "$WORK/subs.csv" >/dev/null)

		coproc SINK { exec "$WORK/smtpsink"; }
		read -r _ addr <&"${SINK[0]}"
		export DIGEST_SMTP_URL="smtp://$addr?tls=none"
		load=$(cut -d' ' -f1 /proc/loadavg)
		echo stats >&"${SINK[1]}"
		read -r before <&"${SINK[0]}"
		(cd "$D" && /usr/bin/time -f '%U %S %e %M' -o "$WORK/time" "$bin" now >"$WORK/last.log" 2>&1) ||
			{ echo "digest now failed:"; tail -5 "$WORK/last.log"; exit 1; }
		echo stats >&"${SINK[1]}"
		read -r after <&"${SINK[0]}"
		(cd "$D" && /usr/bin/time -f '%U %S' -o "$WORK/time2" "$bin" now >"$WORK/rerun.log" 2>&1) || true
		exec {SINK[1]}>&-
		wait "$SINK_PID" 2>/dev/null || true

		sent=$(( $(json_field "$after" total) - $(json_field "$before" total) ))
		bytes=$(( $(json_field "$after" bytes) - $(json_field "$before" bytes) ))
		sink_ns=$(( $(json_field "$after" cpu_ns) - $(json_field "$before" cpu_ns) ))
		# "time  gather 12ms, ..., deliver 4.2s" (Go durations: ms, s, m)
		deliver=$(grep -E '^time' "$WORK/last.log" | grep -oE 'deliver [0-9.]+(ms|s|m[0-9.]*s?)' | awk '{
			d = $2; s = 0
			if (d ~ /ms$/) { sub(/ms$/, "", d); s = d / 1000 }
			else if (d ~ /m/) { split(d, p, "m"); sub(/s$/, "", p[2]); s = p[1] * 60 + p[2] }
			else { sub(/s$/, "", d); s = d }
			print s }')
		read -r _ _ wall rss <"$WORK/time"
		[ "$sent" -gt 0 ] || { echo "nothing sent:"; cat "$WORK/last.log"; exit 1; }
		awk -v name="$(basename "${BINS[$i]}")" -v round="$round" -v sent="$sent" -v deliver="${deliver:-0}" \
			-v cpu="$(cpu_s "$WORK/time")" -v rerun="$(cpu_s "$WORK/time2")" -v sink="$sink_ns" -v bytes="$bytes" \
			-v wall="$wall" -v rss="$rss" -v loadavg="$load" 'BEGIN {
			printf "%-12s round %d: sent %d in %.2f s deliver (%.2f s wall): msgs_per_s=%.0f cpu_us_msg=%.0f rerun_cpu_ms=%.0f sink_us_msg=%.0f KB_msg=%.1f rss_MB=%.0f load=%s\n",
				name, round, sent, deliver, wall, (deliver > 0 ? sent / deliver : 0), cpu * 1e6 / sent, rerun * 1000,
				sink / 1000 / sent, bytes / sent / 1024, rss / 1024, loadavg }'
	done
done
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$ROOT/scripts/fault-cost.sh"
