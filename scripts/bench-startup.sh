#!/usr/bin/env bash
# Start-up cost of commands that parse no date: digest version, digest
# healthcheck (against a local server answering /healthz) and digest
# subscribers add (into a fresh SQLite store, migrations included; the
# second add meets a migrated store). Each binary runs each command RUNS
# times, the binaries interleaved; the script prints the median wall time,
# CPU time (user+sys) and peak RSS of each, with the load average. Then,
# per binary, what `digest version`'s RSS is made of (anonymous memory:
# heap, stacks, runtime; file: pages of the binary mapped as the code runs,
# 64 KB around each first touch), read from /proc while its first write
# waits on a full pipe, and what the package initialisers allocated before
# main (GODEBUG=inittrace=1), with the largest.
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

# The wall time is the shell's clock ($EPOCHREALTIME, microseconds) around
# the run: /usr/bin/time's own elapsed time has 10 ms steps, the size of
# the goal. It includes starting /usr/bin/time and the command: the table
# ends with /bin/true timed the same way, that cost alone.
measure() { # label, command... → appends "wall cpu rss" to $WORK/<label>
	local label=$1; shift
	local t0=$EPOCHREALTIME
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/t" "$@" >/dev/null 2>&1 || true
	local t1=$EPOCHREALTIME
	awk -v w="$(( 10#${t1//[.,]/} - 10#${t0//[.,]/} ))" '{ printf "%.4f %.3f %d\n", w / 1e6, $2 + $3, $4 }' "$WORK/t" >>"$WORK/$label"
}
for r in $(seq "$RUNS"); do
	measure base.true /bin/true
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
printf '%-26s %-10s %10s   (the measurement'"'"'s own cost: /bin/true timed the same way)\n' true - "$(cut -d' ' -f1 "$WORK/base.true" | median)"
echo "runs: $RUNS each, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
# A command's start is mostly page faults (the binary's pages and its
# first heap): their cost on this machine.
"$(dirname "$0")/fault-cost.sh"

# rss_split BINARY: "anon_kB file_kB" of `BINARY version` blocked on its
# first write to stdout (a pipe filled beforehand), i.e. after main's work.
rss_split() {
	python3 - "$1" <<'PY'
import fcntl, os, re, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"x" * 512)
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, 0)
p = subprocess.Popen([sys.argv[1], "version"], stdout=w, stderr=subprocess.DEVNULL)
for _ in range(500):  # until its write waits on the full pipe
    time.sleep(0.01)
    if "pipe_write" in open(f"/proc/{p.pid}/wchan").read():
        break
st = open(f"/proc/{p.pid}/status").read()
print(*(re.search(k + r":\s+(\d+)", st).group(1) for k in ("RssAnon", "RssFile")))
p.kill()
p.wait()
PY
}
printf '\n%-10s %12s %12s %14s  %s\n' binary anon_MB file_MB init_alloc_MB "largest initialisers (KB)"
for i in $(seq $#); do
	bin=$(realpath "${!i}")
	read -r anon file < <(rss_split "$bin")
	GODEBUG=inittrace=1 "$bin" version 2>&1 >/dev/null | awk '/^init / { print $8, $2 }' | sort -rn >"$WORK/inits"
	printf '%-10s %12.1f %12.1f %14.2f  %s\n' "$(basename "${!i}")" "$(echo "$anon / 1024" | bc -l)" "$(echo "$file / 1024" | bc -l)" \
		"$(awk '{ s += $1 } END { print s / 1048576 }' "$WORK/inits")" \
		"$(head -4 "$WORK/inits" | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 / 1024 }') ($(wc -l <"$WORK/inits") packages)"
done
