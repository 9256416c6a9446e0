#!/usr/bin/env bash
# What touching memory costs on this machine: the microseconds to write to
# each page of 64 MB of fresh anonymous memory (the first touch faults the
# page in) and to write to it again. A process pays the first for every page
# it ever holds: on the virtual machines of 7 December 2026 a first touch
# took ~12-16 µs, a second 0.04 µs, and a first run at 200 feeds (peak RSS
# ~78 MB) made ~20,000 page faults (bench-first-run.sh's faults=). That is
# not what a first run's time depends on: with two thirds of the faults
# gone (huge pages, scripts/bench-thp.sh) its wall time moved by -4 % and
# +1 % in two sets of six runs. The benchmark scripts print this line with
# their figures, so that two days' figures can be told apart by their
# machine.
#
# Usage: scripts/fault-cost.sh   (needs python3; prints nothing without it)
command -v python3 >/dev/null 2>&1 || exit 0
python3 - <<'PY'
import mmap, time
pages = 16384  # 64 MB
m = mmap.mmap(-1, pages * 4096)
def touch():
    t = time.perf_counter()
    for i in range(0, pages * 4096, 4096):
        m[i] = 1
    return (time.perf_counter() - t) / pages * 1e6
first, again = touch(), touch()
print("memory: first touch of a page %.1f µs, a page touched before %.2f µs (scripts/fault-cost.sh)" % (first, again))
PY
