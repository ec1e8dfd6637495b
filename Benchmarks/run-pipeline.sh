#!/usr/bin/env bash
# The whole pipeline (stage → merge → rasterize z13 → parents to z0 → web tiles) on a generated dataset,
# with 2 local worker processes, as in BENCHMARKS.md. Usage: Benchmarks/run-pipeline.sh [POLYGONS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
polygons=${1:-500000}
dir=${2:-/tmp/viz-pipeline-bench}
files=20
swift build -c release --product viz-workflow >&2
swift build -c release --product tiling-bench >&2
rm -rf "$dir"
.build/release/tiling-bench generate --output "$dir" --files $files --polygons-per-file $((polygons / files)) --scene-size 3000 >&2
mkdir -p "$dir/parameters"
python3 Benchmarks/make-parameters.py "$dir" 13
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/time -f "wall %e s, leader+children CPU %U user %S sys, leader max RSS %M KiB" \
    .build/release/viz-workflow run --parameters "$dir/parameters" --workers 2
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
