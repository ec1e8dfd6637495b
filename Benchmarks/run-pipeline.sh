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
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(f"{d}/config.json"))
sample = json.load(open("parameters/workflow_config.json"))
c.update({k: sample[k] for k in ("statistics", "tile_path_structure", "ext_web_tiles")})
c.update({"z_range": [0, 13], "tile_size": [256, 256], "dir_staged": f"{d}/out/staged", "dir_geotiff": f"{d}/out/geotiff",
          "dir_web_tiles": f"{d}/out/web_tiles", "filename_staging_summary": f"{d}/out/staging_summary.csv",
          "filename_rasters_summary": f"{d}/out/rasters_summary.csv", "filename_rasterization_events": f"{d}/out/events.csv"})
json.dump(c, open(f"{d}/parameters/workflow_config.json", "w"), indent=1)
rt = json.load(open("parameters/parsl_config.json"))
rt["run_dir"] = f"{d}/runinfo"
json.dump(rt, open(f"{d}/parameters/parsl_config.json", "w"), indent=1)
PY
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/time -f "wall %e s, leader+children CPU %U user %S sys, leader max RSS %M KiB" \
    .build/release/viz-workflow run --parameters "$dir/parameters" --workers 2
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
