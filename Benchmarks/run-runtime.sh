#!/usr/bin/env bash
# Runs the runtime benchmarks of BENCHMARKS.md: ours and Parsl's, on this machine, one after the other.
# Needs: swift, python3 with parsl (pip install parsl). Prints one JSON line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product runtime-bench >&2
bench=.build/release/runtime-bench
run() { echo "# $*" >&2; "$@" 2>/dev/null | tail -1; }
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# In-process executor (ThreadPoolExecutor)
run $bench --executor local --tasks 200000 --monitoring off --checkpoint off
run $bench --executor local --tasks 200000 --monitoring on --checkpoint off
run $bench --executor local --tasks 200000 --monitoring off --checkpoint on
run $bench --executor local --tasks 200000 --monitoring on --checkpoint on
run $bench --executor local --tasks 1000000 --dependencies chain --monitoring off --checkpoint off
run $bench --executor local --tasks 1000000 --dependencies fanin --monitoring off --checkpoint off
run $bench --executor local --tasks 20000 --sequential --monitoring off --checkpoint off
run python3 Benchmarks/parsl/threadpool_bench.py --tasks 20000 --workers 2
run python3 Benchmarks/parsl/threadpool_bench.py --tasks 2000 --workers 2 --sequential
# HighThroughputExecutor, 2 worker processes on 127.0.0.1, encrypted (the default) and in clear text
for enc in on off; do
    run $bench --executor htex --workers 2 --tasks 200000 --monitoring off --checkpoint off --encryption $enc
    run $bench --executor htex --workers 2 --tasks 5000 --sequential --monitoring off --checkpoint off --encryption $enc
    run $bench --executor htex --workers 2 --tasks 300 --payload-bytes 1048576 --monitoring off --checkpoint off --encryption $enc
done
run $bench --executor htex --workers 2 --tasks 200000
run $bench --executor htex --workers 2 --tasks 1000000 --monitoring off --checkpoint off
run python3 Benchmarks/parsl/htex_bench.py --tasks 5000 --workers 2
run python3 Benchmarks/parsl/htex_bench.py --tasks 1000 --workers 2 --sequential
run python3 Benchmarks/parsl/htex_bench.py --tasks 100 --workers 2 --payload-bytes 1048576
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
