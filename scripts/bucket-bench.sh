#!/usr/bin/env bash
# Object writes, bytes uploaded and wall time of `viz-workflow run` on the bundled sample with the working
# directory on the gcsfuse emulator (../shared/tools/gcsfuse), against a local disk.
#   scripts/bucket-bench.sh [BINARY] [ENFORCE_RATE=delay] [WORKERS=2] [EXTRA_PARSL_JSON]
# EXTRA_PARSL_JSON is merged into parameters/parsl_config.json (e.g. '{"checkpoint_segment_seconds": 0.2}').
# Needs root (FUSE), fuse3 and the venv scripts/setup.sh makes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:-$repo/.build/debug/viz-workflow}"
rate="${2:-delay}"
workers="${3:-2}"
extra="${4:-{\}}"
python="$repo/.build-gcsfuse-venv/bin/python"
tool="$repo/../shared/tools/gcsfuse/gcsfuse_emu.py"
work="$(mktemp -d /var/tmp/bucket-bench.XXXXXX)"
trap 'fusermount3 -u -z "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT

parameters() {  # DIR
    mkdir -p "$1/parameters"
    python3 - "$repo" "$1" "$extra" <<'PY'
import json, sys
repo, dest, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
w = json.load(open(f"{repo}/parameters/workflow_config.json"))
w["dir_input"] = f"{repo}/Examples/sample-data/input"
p = json.load(open(f"{repo}/parameters/parsl_config.json"))
p.update(extra)
# One create-write-close each (no temporary file and rename).
open(f"{dest}/parameters/workflow_config.json", "w").write(json.dumps(w))
open(f"{dest}/parameters/parsl_config.json", "w").write(json.dumps(p))
PY
}

mkdir -p "$work/local" "$work/bucket" "$work/mnt"
parameters "$work/local"
start=$(date +%s.%N)
(cd "$work/local" && "$binary" run --parameters parameters --workers "$workers" >/dev/null 2>&1)
echo "local disk: $(echo "$(date +%s.%N) - $start" | bc) s"

"$python" "$tool" "$work/bucket" "$work/mnt" --node leader --stats "$work/stats.json" --enforce-rate "$rate" &
emulator=$!
for _ in $(seq 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
parameters "$work/mnt"
start=$(date +%s.%N)
status=0
(cd "$work/mnt" && "$binary" run --parameters parameters --workers "$workers" >"$work/run.log" 2>&1) || status=$?
echo "bucket (--enforce-rate $rate): $(echo "$(date +%s.%N) - $start" | bc) s, exit $status"
fusermount3 -u "$work/mnt"
wait "$emulator" || true
python3 - "$work/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
u, r, v, m = s["uploads"], s["rewrites"], s["rate_violations"], s["mutations"]
print(f"uploads {u['count']} ({u['bytes'] / 1e6:.2f} MB) by kind {u['by_kind']}; mutations {m['count']} {m['by_kind']}")
print(f"rewrites {r['count']} ({r['bytes_uploaded'] / 1e6:.2f} MB re-uploaded); rate violations {v['count']} on {v['objects']} objects, "
      f"throttled wait {v['throttled_wait_s']:.1f} s, EIO {v['throttled_eio']}; renames {s['file_renames']['count']}")
PY
