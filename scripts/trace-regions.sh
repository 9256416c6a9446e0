#!/usr/bin/env bash
# The stages of a run and the cluster stage's steps, from an execution
# trace that `digest now --trace FILE` wrote: for each kind of region, how
# many there were, their wall time, the time all the process's goroutines
# spent running meanwhile, and the ratio of the two, the processors in use
# on average. A step near 1 ran on one processor while the others waited;
# near the machine's count, on all. Time in system calls is left out: the
# trace cannot tell a call that computes (SQLite's reads and writes) from
# one that waits, and counting them all gave more processors than the
# machine has.
#
# Usage: scripts/trace-regions.sh FILE.trace
# The regions are the engine's (gather, cluster, "cluster: window", ...,
# summarise, deliver), listed in the order they first began. It reads
# `go tool trace -d=parsed`, so it needs the Go toolchain; the processor
# time is counted in 1 ms steps.
set -euo pipefail
TRACE=${1:?usage: $0 FILE.trace}
go tool trace -d=parsed "$TRACE" | awk '
function field(name,   i) {
	for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2)
	return ""
}
function busy(from, to,   ms, end) { # adds [from, to) ns to the per-ms busy time
	while (from < to) {
		ms = int(from / 1e6)
		end = (ms + 1) * 1e6
		if (end > to) end = to
		cpu[ms] += end - from
		from = end
	}
}
/ StateTransition / && / GoID=/ {
	t = field("Time"); g = field("GoID")
	match($0, /[A-Za-z]+->[A-Za-z]+/)
	split(substr($0, RSTART, RLENGTH), st, "->")
	if (st[1] == "Running" && (g in since)) { busy(since[g], t); delete since[g] }
	if (st[2] == "Running") since[g] = t
	next
}
/ Region(Begin|End) / {
	t = field("Time"); g = field("G")
	match($0, /Type="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
	if ($0 ~ / RegionBegin /) {
		open[g, name] = t
		if (!(name in seen)) { seen[name] = 1; names[++n] = name }
	} else if ((g, name) in open) {
		b = open[g, name]; delete open[g, name]
		k = ++spans[name]; from[name, k] = b; to[name, k] = t
		wall[name] += t - b
	}
}
END {
	printf "%-22s %6s %10s %10s %6s\n", "region", "count", "wall_ms", "cpu_ms", "cores"
	for (i = 1; i <= n; i++) {
		name = names[i]; c = 0
		for (k = 1; k <= spans[name]; k++)
			for (ms = int(from[name, k] / 1e6); ms <= int((to[name, k] - 1) / 1e6); ms++) c += cpu[ms]
		w = wall[name] / 1e6
		# Under 5 ms the 1 ms steps make the ratio meaningless.
		printf "%-22s %6d %10.1f %10.1f %6s\n", name, spans[name], w, c / 1e6, (w >= 5 ? sprintf("%.2f", c / 1e6 / w) : "-")
	}
}'
