"""Parsl's HighThroughputExecutor measured the way runtime-bench measures ours.

usage: python3 htex_bench.py --tasks N [--workers W] [--sequential] [--payload-bytes B]

LocalProvider with one block of W workers on 127.0.0.1; the timer starts after every worker has
registered and a warm-up. Parsl's DEBUG log file is off (initialize_logging=False): Parsl at its fastest.
Prints, as its last line, one JSON object with the same fields as runtime-bench.
"""
import argparse
import tempfile
import time

import bench_common
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
    body = b"\x07" * a.payload_bytes
    submit = (lambda i: payload(body + bytes([i % 256]))) if a.payload_bytes else noop
    start = time.perf_counter()
    latencies = (bench_common.sequential if a.sequential else bench_common.burst)(submit, a.tasks)
    seconds = time.perf_counter() - start
    bench_common.teardown(dfk, run_dir)
    fields = {"executor": "parsl-htex", "workers": a.workers, "sequential": a.sequential, "payload_bytes": a.payload_bytes}
    if a.payload_bytes:
        fields["megabytes_per_second_each_way"] = round(a.tasks * a.payload_bytes / seconds / 1e6, 1)
    bench_common.report(fields, a.tasks, seconds, latencies)


if __name__ == "__main__":
    main()
