#!/usr/bin/env bash
# The whole job side by side with rss2email (Debian package rss2email, r2e)
# on the same loopback feeds: FEEDS feeds x ITEMS items on 8 hosts
# 127.0.0.2-9, 50 ms latency, ETag/Last-Modified, gzip.
#
# Usage: scripts/bench-rss2email.sh [FEEDS] [ITEMS] [DIGEST_BINARY...]
#
# Two farms: "long", whose items carry their text, and "unresolvable",
# where 21 % of the items carry a one-sentence teaser whose page sits on
# one of 200 host names under .invalid (they never resolve; how long a
# lookup takes is up to the machine's resolver). rss2email runs in its
# usual mode: every new item becomes a message in a local Maildir (it
# fetches no pages). digest runs `digest now` with one subscriber and the
# .eml outbox: gather, cluster, rank, summarise, render, deliver, all in a
# fresh SQLite store. Each then runs a second time at once, when every feed
# answers 304 and the subscriber already has today's digest, and a third
# time after every feed gained GROW (default 3) new items (the farm's
# SIGUSR1): the re-run with a little new. Each DIGEST_BINARY
# given (default: a build of this tree) runs after rss2email on the same
# farm, in the order given, so an old and a new build are interleaved.
# Printed: wall time, CPU time (user + system) and peak RSS of each run,
# and the load average.
# SKIP_R2E=1 leaves rss2email out (when only digest builds are compared);
# VARIANTS="long" runs one farm only.
# FIRST_BIN=PATH makes the first and second runs with that build, and only
# the run after the farm grew with each DIGEST_BINARY: the first run after
# an upgrade (one that changes the kept clustering features re-encodes
# them all). After each digest's last run the store's size is printed
# (the database and its WAL), as the account of every article read is
# most of what a run adds to it.
# ROUNDS=N (default 1) runs all of it N times, each round on a fresh farm
# and fresh stores, rss2email and the builds interleaved as above, and
# ends with the median of each run's wall time (and CPU time, and the
# largest peak RSS) over the rounds, with rss2email's median divided by
# each build's: the ratio the goals are stated in; then each round's own
# ratio (rss2email's wall over the build's in that round) and their median.
# BY_HOST=1 gives digest the farm's list sorted by host (every feed of one
# host together, as a list of one site's feeds is often written), instead
# of the farm's own order, which already alternates hosts: it measures the
# gather's taking of sources one host at a time.
set -euo pipefail

FEEDS=${1:-200}
ITEMS=${2:-50}
shift $(( $# >= 2 ? 2 : $# ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
FARM_PID=""
stop_farm() {
	if [ -n "$FARM_PID" ]; then
		kill "$FARM_PID" 2>/dev/null || true
		wait "$FARM_PID" 2>/dev/null || true
		FARM_PID=""
	fi
}
cleanup() { stop_farm; rm -rf "$WORK"; }
trap cleanup EXIT

if [ "${SKIP_R2E:-0}" != 1 ] && ! command -v r2e >/dev/null 2>&1; then
	echo "installing rss2email (apt-get)..." >&2
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rss2email >/dev/null
fi
# Loopback only: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*'

cd "$ROOT"
go build -o "$WORK/feedfarm" ./digest/feed/internal/farm/cmd/feedfarm
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
	go build -o "$WORK/digest" ./cmd/digest
	BINS=("$WORK/digest")
fi

# timed LABEL CMD...: runs CMD, prints "LABEL wall_s=.. cpu_s=.. rss_mb=..",
# and adds "$REC wall cpu rss" to $WORK/results when REC (variant, who,
# run) is set.
timed() {
	local label=$1; shift
	/usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" >"$WORK/last.log" 2>&1 || { echo "$label failed:"; tail -5 "$WORK/last.log"; }
	read -r wall rss usr sys <"$WORK/time"
	local cpu mb
	cpu=$(echo "$usr + $sys" | bc -l)
	mb=$(echo "$rss / 1024" | bc -l)
	printf '%-44s wall_s=%7.2f cpu_s=%5.2f rss_mb=%6.1f load=%s\n' "$label" "$wall" "$cpu" "$mb" "$(cut -d' ' -f1 /proc/loadavg)"
	[ -n "${REC:-}" ] && printf '%s %s %s %s\n' "$REC" "$wall" "$cpu" "$mb" >>"$WORK/results"
	return 0
}

GROW=${GROW:-3}
# grow: the farm serves GROW new items per feed, or (again) its first ones.
grow() { kill -USR1 "$FARM_PID"; sleep 0.3; }

ROUNDS=${ROUNDS:-1}
for round in $(seq "$ROUNDS"); do
[ "$ROUNDS" -gt 1 ] && echo "== round $round of $ROUNDS"
for variant in ${VARIANTS:-long unresolvable}; do
	short=0
	[ "$variant" = unresolvable ] && short=21
	"$WORK/feedfarm" -feeds "$FEEDS" -items "$ITEMS" -short-percent "$short" -missing-hosts 200 -grow "$GROW" \
		-opml "$WORK/farm.opml" >"$WORK/farm.log" 2>&1 &
	FARM_PID=$!
	for _ in $(seq 100); do [ -s "$WORK/farm.opml" ] && break; sleep 0.1; done
	[ -s "$WORK/farm.opml" ] || { cat "$WORK/farm.log" >&2; echo "feed farm did not start" >&2; exit 1; }
	head -1 "$WORK/farm.log"
	SOURCES="$WORK/farm.opml"
	if [ "${BY_HOST:-0}" = 1 ]; then
		# One outline a line; the host is the URL's third /-field.
		SOURCES="$WORK/farm-by-host.opml"
		{ grep -v '<outline' "$WORK/farm.opml" | head -n 2
		  grep '<outline' "$WORK/farm.opml" | sort -s -t/ -k3,3
		  grep -v '<outline' "$WORK/farm.opml" | tail -n 1; } >"$SOURCES"
		echo "digest reads the list sorted by host"
	fi

	# rss2email into a Maildir.
	R="$WORK/r2e-$variant"
	if [ "${SKIP_R2E:-0}" != 1 ]; then
	mkdir -p "$R/Maildir/INBOX/"{cur,new,tmp}
	R2E=(r2e -c "$R/r2e.cfg" -d "$R/r2e.json")
	"${R2E[@]}" new bench@localhost >/dev/null 2>&1
	sed -i -e "s|^email-protocol = .*|email-protocol = maildir|" \
		-e "s|^maildir-path = .*|maildir-path = $R/Maildir|" \
		-e "s|^maildir-mailbox = .*|maildir-mailbox = INBOX|" "$R/r2e.cfg"
	grep -q '^email-protocol = maildir' "$R/r2e.cfg" || { echo "cannot configure rss2email for a Maildir" >&2; exit 1; }
	"${R2E[@]}" opmlimport "$WORK/farm.opml" >/dev/null 2>&1
	REC="$variant rss2email first" timed "$variant rss2email first run" "${R2E[@]}" run
	echo "  $(find "$R/Maildir/INBOX/new" -type f | wc -l) messages"
	REC="$variant rss2email second" timed "$variant rss2email second run" "${R2E[@]}" run
	grow
	REC="$variant rss2email grown" timed "$variant rss2email run, $GROW new per feed" "${R2E[@]}" run
	grow
	fi

	# digest now, each binary in a fresh store.
	for i in "${!BINS[@]}"; do
		bin=$(realpath "${BINS[$i]}")
		D="$WORK/digest-$variant-$i"
		mkdir -p "$D"
		export DIGEST_DB="$D/digest.db" DIGEST_SOURCES="$SOURCES" DIGEST_OUTBOX="$D/outbox" \
			DIGEST_GATHER_ALLOW_HOSTS='127.0.0.0/8:*' DIGEST_LOG_LEVEL=error
		first=$bin
		[ -n "${FIRST_BIN:-}" ] && first=$(realpath "$FIRST_BIN")
		(cd "$D" && "$first" subscribers add bench@example.com >/dev/null)
		name="$(basename "${BINS[$i]}")"
		by=""
		[ "$first" != "$bin" ] && by=" (by $(basename "$first"))"
		(cd "$D" && REC="$variant $name first" timed "$variant $name first run$by" "$first" now --quiet)
		grep -E '^(articles|stories|summaries|messages|time) ' "$WORK/last.log" | sed 's/^/  /' || true
		grep -E 'hosts? failed' "$WORK/last.log" | sed 's/^/  /' | cut -c1-160 || true
		(cd "$D" && REC="$variant $name second" timed "$variant $name second run$by" "$first" now --quiet)
		grep -E '^(messages|time) ' "$WORK/last.log" | sed 's/^/  /' || true
		grow
		(cd "$D" && REC="$variant $name grown" timed "$variant $name run, $GROW new per feed" "$bin" now --quiet ${PROFILE:+--cpuprofile "$WORK/cpu-$i.pprof" --memprofile "$WORK/mem-$i.pprof"})
		grep -E '^(articles|stories|summaries|messages|time) ' "$WORK/last.log" | sed 's/^/  /' || true
		echo "  store $(cat "$D"/digest.db "$D"/digest.db-wal 2>/dev/null | wc -c | awk '{printf "%.1f", $1 / 1048576}') MB"
		if [ -n "${PROFILE:-}" ]; then
			mkdir -p "$PROFILE" && cp "$WORK/cpu-$i.pprof" "$PROFILE/cpu-$variant-$i.pprof" 2>/dev/null && cp "$WORK/mem-$i.pprof" "$PROFILE/mem-$variant-$i.pprof" 2>/dev/null || true
		fi
		grow
	done
	stop_farm
	tail -n 1 "$WORK/farm.log" # what the farm served, in all
	rm -f "$WORK/farm.opml"
	rm -rf "$WORK"/digest-* "$WORK"/r2e-*
done
done
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$ROOT/scripts/fault-cost.sh"

# medians FIELD: "variant who run median" of FIELD (4 wall, 5 CPU) over
# the rounds, the lower middle one of an even count.
medians() {
	sort -k1,1 -k2,2 -k3,3 -k"$1","$1"n "$WORK/results" | awk -v f="$1" '
		{ k = $1 " " $2 " " $3; if (k != last && last != "") emit(); if (k != last) n = 0; last = k; v[++n] = $f }
		function emit() { print last, v[int((n + 1) / 2)] }
		END { if (last != "") emit() }'
}
if [ "$ROUNDS" -gt 1 ] && [ -s "$WORK/results" ]; then
	medians 4 >"$WORK/wall"
	medians 5 >"$WORK/cpu"
	echo "medians of $ROUNDS rounds (wall s, CPU s, largest peak RSS; the ratio is rss2email's median wall over the build's):"
	awk 'FILENAME == ARGV[1] { cpu[$1 " " $2 " " $3] = $4; next }
		FILENAME == ARGV[2] { k = $1 " " $2 " " $3; if (!(k in rss) || $6 > rss[k]) rss[k] = $6; next }
		{ k = $1 " " $2 " " $3; wall[k] = $4; order[++n] = k }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]; split(k, p, " ")
				r = p[1] " rss2email " p[3]; ratio = ""
				if (p[2] != "rss2email" && (r in wall) && wall[k] > 0) ratio = sprintf("  %.1fx", wall[r] / wall[k])
				printf "  %-13s %-20s %-7s wall %6.2f  cpu %6.2f  rss %6.1f MB%s\n", p[1], p[2], p[3], wall[k], cpu[k], rss[k], ratio
			}
		}' "$WORK/cpu" "$WORK/results" "$WORK/wall"
	# The ratio round by round: rss2email's wall over the build's in the
	# same round, minutes apart. A machine whose speed drifts over the
	# rounds moves both runs of a round alike, so these vary less than
	# the two medians taken apart do.
	echo "round by round (rss2email's wall over the build's in the same round; median):"
	awk '{ k = $1 " " $2 " " $3; w[k, ++n[k]] = $4; if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
		END {
			for (i = 1; i <= m; i++) {
				k = order[i]; split(k, p, " "); r = p[1] " rss2email " p[3]
				if (p[2] == "rss2email" || !(r in n)) continue
				c = 0; line = ""
				for (j = 1; j <= n[k] && j <= n[r]; j++) if (w[k, j] > 0) { q[++c] = w[r, j] / w[k, j]; line = line sprintf(" %.1fx", q[c]) }
				if (c == 0) continue
				for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (q[b] < q[a]) { t = q[a]; q[a] = q[b]; q[b] = t }
				printf "  %-13s %-20s %-7s%s  median %.1fx\n", p[1], p[2], p[3], line, q[int((c + 1) / 2)]
			}
		}' "$WORK/results"
fi
