#!/usr/bin/env bash
# The whole pipeline at production shape: FILES synthetic scenes of 50,000 ice-wedge polygons each (4 km
# scenes), WorldCRS84Quad to z15, 2 local worker processes, defaults of parameters/parsl_config.json.
# Prints wall and CPU time, CPU per polygon, peak RSS of the leader and the largest worker, and the bytes of
# each output kind. Usage: Benchmarks/run-scale.sh [FILES] [DIR]   (8 files = 400k polygons, 40 = 2M)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-8}
dir=${2:-/tmp/viz-scale-bench}
swift build -c release --product viz-workflow >&2
swift build -c release --product tiling-bench >&2
rm -rf "$dir"
.build/release/tiling-bench generate --output "$dir" --files "$files" --polygons-per-file 50000 --scene-size 4000 >&2
mkdir -p "$dir/parameters"
python3 Benchmarks/make-parameters.py "$dir" 15
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/time -o "$dir/time.txt" -f "%e %U %S" .build/release/viz-workflow run --parameters "$dir/parameters" --workers 2 > "$dir/summary.txt"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$dir" "$files" <<'PY'
import os, sys, subprocess
d, files = sys.argv[1], int(sys.argv[2])
wall, user, sys_ = map(float, open(f"{d}/time.txt").read().split())
polygons = files * 50000
def size(path, suffix=None, exclude=None):
    total = count = 0
    for root, _, names in os.walk(path):
        if exclude and exclude in root: continue
        for n in names:
            if suffix is None or n.endswith(suffix):
                total += os.path.getsize(os.path.join(root, n)); count += 1
    return total, count
summary = open(f"{d}/summary.txt").read()
print(next(l for l in summary.splitlines() if l.startswith("peak RSS")))
print(next(l for l in summary.splitlines() if l.startswith("GeoTIFFs")))
print(f"polygons {polygons}; wall {wall:.1f} s; CPU {user + sys_:.1f} s (leader and workers); {1e6 * (user + sys_) / polygons:.1f} CPU-µs per polygon")
z15 = size(f"{d}/out/geotiff", ".tif")
for label, (b, n) in [("staged .gpkg", size(f"{d}/out/staged", ".gpkg")), ("shards", size(f"{d}/out/staged/.shards")),
                      ("GeoTIFFs", z15), ("web tiles", size(f"{d}/out/web_tiles", None)), ("run state (runinfo)", size(f"{d}/runinfo"))]:
    print(f"{label:20s} {b / 2**20:10.1f} MiB in {n:6d} files; {b / max(n, 1) / 1024:8.1f} KiB per file; {b / polygons:8.1f} B per polygon")
total = size(f"{d}/out")[0] + size(f"{d}/runinfo")[0]
print(f"all outputs and run state: {total / 2**30:.2f} GiB")
PY
