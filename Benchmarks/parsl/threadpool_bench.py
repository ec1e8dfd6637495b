"""Parsl's ThreadPoolExecutor measured the way runtime-bench measures ours.

usage: python3 threadpool_bench.py --tasks N [--workers W] [--dependencies none|chain|fanin] [--sequential]

Prints, as its last line, one JSON object with the same fields as runtime-bench. Parsl's DEBUG log
file is turned off (initialize_logging=False) and there is no monitoring or checkpointing, so this is
Parsl at its fastest; our numbers are taken with monitoring and checkpoints on and off.
"""
import argparse
import json
import os
import resource
import shutil
import tempfile
import time

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
    latencies = []
    start = time.perf_counter()
    if a.sequential:
        for i in range(a.tasks):
            t0 = time.perf_counter()
            noop(i).result()
            latencies.append(time.perf_counter() - t0)
    elif a.dependencies == "chain":
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
    else:
        submitted = {}
        futures = []
        for i in range(a.tasks):
            t0 = time.perf_counter()
            fut = noop(i)
            if i % 8 == 0:
                submitted[fut] = t0
                fut.add_done_callback(lambda f: latencies.append(time.perf_counter() - submitted[f]))
            futures.append(fut)
        for fut in futures:
            fut.result()
    seconds = time.perf_counter() - start
    dfk.cleanup()
    parsl.clear()
    shutil.rmtree(run_dir, ignore_errors=True)
    latencies.sort()

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1e6, 1) if latencies else 0

    print(json.dumps({
        "executor": "parsl-threadpool",
        "parsl_version": parsl.__version__,
        "tasks": a.tasks,
        "workers": a.workers,
        "dependencies": a.dependencies,
        "sequential": a.sequential,
        "seconds": round(seconds, 4),
        "tasks_per_second": round(a.tasks / seconds),
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
