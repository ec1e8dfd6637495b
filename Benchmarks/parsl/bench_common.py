"""What both Parsl reference benchmarks share: the burst with sampled latencies, teardown, the JSON line."""
import json
import resource
import shutil
import time

import parsl


def burst(submit, tasks):
    """Submits `tasks` calls of `submit(i)` back to back, waits for all; latency of every 8th task."""
    latencies, submitted, futures = [], {}, []
    for i in range(tasks):
        t0 = time.perf_counter()
        fut = submit(i)
        if i % 8 == 0:
            submitted[fut] = t0
            fut.add_done_callback(lambda f: latencies.append(time.perf_counter() - submitted[f]))
        futures.append(fut)
    for fut in futures:
        fut.result()
    return latencies


def sequential(submit, tasks):
    """One call at a time; every round trip's latency."""
    latencies = []
    for i in range(tasks):
        t0 = time.perf_counter()
        submit(i).result()
        latencies.append(time.perf_counter() - t0)
    return latencies


def teardown(dfk, run_dir):
    dfk.cleanup()
    parsl.clear()
    shutil.rmtree(run_dir, ignore_errors=True)


def report(fields, tasks, seconds, latencies):
    """Prints the JSON line runtime-bench prints, plus `fields`."""
    latencies = sorted(latencies)

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1e6, 1) if latencies else 0

    result = dict(fields)
    result.update({
        "parsl_version": parsl.__version__,
        "tasks": tasks,
        "seconds": round(seconds, 4),
        "tasks_per_second": round(tasks / seconds),
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
    print(json.dumps(result, sort_keys=True))
