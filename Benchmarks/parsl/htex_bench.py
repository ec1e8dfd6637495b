"""Parsl's HighThroughputExecutor measured the way runtime-bench measures ours.

usage: python3 htex_bench.py --tasks N [--workers W] [--sequential] [--payload-bytes B]

LocalProvider with one block of W workers on 127.0.0.1; the timer starts after every worker has
registered and a warm-up. Parsl's DEBUG log file is off (initialize_logging=False): Parsl at its fastest.
Prints, as its last line, one JSON object with the same fields as runtime-bench.
"""
import argparse
import json
import resource
import shutil
import tempfile
import time

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider


@parsl.python_app
def noop(x):
    return x


@parsl.python_app
def payload(b):
    return b


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tasks", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sequential", action="store_true")
    p.add_argument("--payload-bytes", type=int, default=0)
    a = p.parse_args()
    run_dir = tempfile.mkdtemp(prefix="parsl-htex-bench-")
    config = Config(
        executors=[HighThroughputExecutor(
            label="htex",
            address="127.0.0.1",
            max_workers_per_node=a.workers,
            cores_per_worker=min(1, 2 / a.workers),
            provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
        )],
        run_dir=run_dir,
        initialize_logging=False,
        strategy_period=1,
    )
    dfk = parsl.load(config)
    executor = dfk.executors["htex"]
    while len(executor.connected_managers()) < 1 or sum(m["worker_count"] for m in executor.connected_managers()) < a.workers:
        time.sleep(0.1)
    for i in range(50):
        noop(-i).result()
    latencies = []
    body = b"\x07" * a.payload_bytes
    start = time.perf_counter()
    if a.sequential:
        for i in range(a.tasks):
            t0 = time.perf_counter()
            (payload(body).result() if a.payload_bytes else noop(i).result())
            latencies.append(time.perf_counter() - t0)
    else:
        submitted = {}
        futures = []
        for i in range(a.tasks):
            t0 = time.perf_counter()
            fut = payload(body + bytes([i % 256])) if a.payload_bytes else noop(i)
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

    result = {
        "executor": "parsl-htex",
        "parsl_version": parsl.__version__,
        "tasks": a.tasks,
        "workers": a.workers,
        "sequential": a.sequential,
        "payload_bytes": a.payload_bytes,
        "seconds": round(seconds, 4),
        "tasks_per_second": round(a.tasks / seconds),
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if a.payload_bytes:
        result["megabytes_per_second_each_way"] = round(a.tasks * a.payload_bytes / seconds / 1e6, 1)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
