#!/usr/bin/env bash
# Installs what is missing, builds in release mode, and runs the tiling pipeline on the bundled sample
# (Examples/sample-data: 14,281 ice-wedge polygons) with one local worker process per core.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product viz-workflow
.build/release/viz-workflow run --parameters parameters
echo
echo "Look at the tiles:  .build/release/viz-workflow serve   then open http://127.0.0.1:8000/"
echo "Task states:        .build/release/viz-workflow status runinfo"
