#!/usr/bin/env bash
# Installs what is missing, checks doc comments and formatting, builds everything (warnings are errors) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 scripts/check-docs.py
# Formatting (.swift-format, swift-format from the toolchain): fix with
#   swift format format --in-place --recursive --parallel Sources Tests Examples Package.swift
swift format lint --strict --recursive --parallel Sources Tests Examples Package.swift
swift build --build-tests
swift test --skip-build
