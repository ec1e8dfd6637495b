#!/usr/bin/env bash
# Installs the system libraries the package builds against, and Chromium for the viewer test (Debian 12, as
# root). Idempotent.
set -euo pipefail
packages=(libsqlite3-dev libssl-dev libzstd-dev libgdal-dev gdal-bin sqlite3 pkg-config zlib1g-dev chromium)
# JPEG and WebP web tiles (ext_web_tiles .jpg / .webp).
packages+=(libjpeg62-turbo-dev libwebp-dev)
# KubernetesAPI (libcurl: HTTPS with a private CA, client certificates, HTTP/2); openssl and python3-pip for its tests.
packages+=(libcurl4-openssl-dev openssl python3-pip)
# tcpdump: the test that captures the interchange's traffic and finds no task data in clear text.
packages+=(tcpdump)
# nftables: the network-partition tests cut and degrade a worker's link inside a network namespace.
packages+=(nftables)
# scripts/check-image.sh builds the Docker image's root file system with debootstrap.
packages+=(debootstrap)
# SlurmProvider's tests run against a one-node Slurm (scripts/slurm-test-cluster.sh).
packages+=(slurmctld slurmd slurm-client munge)
# The bucket tests mount ../shared/tools/gcsfuse (a gcsfuse emulator on libfuse3, fusermount3) from a venv.
packages+=(fuse3 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Kubernetes tests validate generated manifests with the official client's (pydantic) models.
if ! python3 -c 'import kubernetes, sys; sys.exit(int(kubernetes.__version__.split(".")[0]) < 37)' 2>/dev/null; then
    echo "installing: kubernetes>=37 (PyPI)"
    pip3 install --quiet 'kubernetes>=37' 2>/dev/null || pip3 install --quiet --break-system-packages 'kubernetes>=37'
fi
# The HTTP/2 test of the Kubernetes client needs a server that offers h2 over ALPN.
if ! python3 -c 'import hypercorn' 2>/dev/null; then
    echo "installing: hypercorn (PyPI)"
    pip3 install --quiet hypercorn 2>/dev/null || pip3 install --quiet --break-system-packages hypercorn
fi
# The gcsfuse emulator's FUSE binding, in a venv the bucket tests find (ignored by git as .build-*).
venv="$(cd "$(dirname "$0")/.." && pwd)/.build-gcsfuse-venv"
if ! "$venv/bin/python" -c 'import mfusepy' 2>/dev/null; then
    echo "installing: mfusepy (PyPI) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet mfusepy
fi
if ! command -v swift >/dev/null; then
    echo "swift 6.3 is required on PATH (https://www.swift.org/install/linux/); it is not a Debian package" >&2
    exit 1
fi
