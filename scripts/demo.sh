#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo workflow on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product dataflow-example --product htex-example --product viz-workflow
mkdir -p demo-run && cd demo-run
../.build/release/dataflow-example
echo
echo "The same kind of workflow on 2 local worker processes over TCP:"
../.build/release/htex-example
echo
echo "Task states of the first run, from its monitoring database:"
../.build/release/viz-workflow status runinfo-example
