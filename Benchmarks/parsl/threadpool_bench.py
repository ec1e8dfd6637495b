"""Parsl's ThreadPoolExecutor measured the way runtime-bench measures ours.

usage: python3 threadpool_bench.py --tasks N [--workers W] [--dependencies none|chain|fanin] [--sequential]

Prints, as its last line, one JSON object with the same fields as runtime-bench. Parsl's DEBUG log
file is turned off (initialize_logging=False) and there is no monitoring or checkpointing, so this is
Parsl at its fastest; our numbers are taken with monitoring and checkpoints on and off.
"""
import argparse
import tempfile
import time

import bench_common
import parsl
from parsl.config import Config
from parsl.executors.threads import ThreadPoolExecutor


@parsl.python_app
def noop(x):
    return x


@parsl.python_app
def gather(inputs=()):
    return len(inputs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=10000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--dependencies", default="none", choices=["none", "chain", "fanin"])
    p.add_argument("--sequential", action="store_true")
    a = p.parse_args()
    run_dir = tempfile.mkdtemp(prefix="parsl-bench-")
    config = Config(
        executors=[ThreadPoolExecutor(label="threads", max_threads=a.workers)],
        run_dir=run_dir,
        initialize_logging=False,
        strategy="none",
    )
    dfk = parsl.load(config)
    for i in range(200):
        noop(-i).result()
    start = time.perf_counter()
    latencies = []
    if a.sequential:
        latencies = bench_common.sequential(noop, a.tasks)
    elif a.dependencies == "none":
        latencies = bench_common.burst(noop, a.tasks)
    else:
        if a.dependencies == "chain":
            f = noop(0)
            for i in range(1, a.tasks):
                f = noop(f)
            f.result()
        elif a.dependencies == "fanin":
            agg = noop(0)
            n = 1
            while n < a.tasks:
                width = min(8, a.tasks - n - 1)
                if width <= 0:
                    break
                parts = [noop(agg) for _ in range(width)]
                counted = gather(inputs=parts)
                agg = noop(counted)
                n += width + 2
            agg.result()
    seconds = time.perf_counter() - start
    bench_common.teardown(dfk, run_dir)
    fields = {"executor": "parsl-threadpool", "workers": a.workers, "dependencies": a.dependencies, "sequential": a.sequential}
    bench_common.report(fields, a.tasks, seconds, latencies)


if __name__ == "__main__":
    main()
