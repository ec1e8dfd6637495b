"""Writes DIR/parameters/ for a dataset made by `tiling-bench generate --output DIR`: the generated config
with the sample's statistics, path structure and web-tile extension, zoom levels 0..ZMAX, outputs under
DIR/out, and parameters/parsl_config.json with its run directory under DIR. Usage: make-parameters.py DIR ZMAX"""
import json
import sys

d, zmax = sys.argv[1], int(sys.argv[2])
c = json.load(open(f"{d}/config.json"))
sample = json.load(open("parameters/workflow_config.json"))
c.update({k: sample[k] for k in ("statistics", "tile_path_structure", "ext_web_tiles")})
c.update({"z_range": [0, zmax], "tile_size": [256, 256], "dir_staged": f"{d}/out/staged", "dir_geotiff": f"{d}/out/geotiff",
          "dir_web_tiles": f"{d}/out/web_tiles", "filename_staging_summary": f"{d}/out/staging_summary.csv",
          "filename_rasters_summary": f"{d}/out/rasters_summary.csv", "filename_rasterization_events": f"{d}/out/events.csv"})
json.dump(c, open(f"{d}/parameters/workflow_config.json", "w"), indent=1)
rt = json.load(open("parameters/parsl_config.json"))
rt["run_dir"] = f"{d}/runinfo"
json.dump(rt, open(f"{d}/parameters/parsl_config.json", "w"), indent=1)
