# viz-workflow: one image for the leader (viz-workflow run) and the workers (viz-workflow worker).
# Build: docker build -t ghcr.io/permafrostdiscoverygateway/viz-workflow:<tag> .
# See docs/kubernetes.md. scripts/check-image.sh checks the runtime stage without a Docker engine.

# ---- build: the Swift toolchain and the -dev packages of the system libraries (scripts/setup.sh's list)
FROM swift:6.3-bookworm AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
        libsqlite3-dev libssl-dev libzstd-dev libgdal-dev libcurl4-openssl-dev zlib1g-dev libjpeg62-turbo-dev libwebp-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first: this layer is reused while only our sources change.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY . .
# The Swift runtime is linked statically, so the runtime image needs no toolchain libraries.
RUN swift build -c release --product viz-workflow --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/viz-workflow" /out/usr/local/bin/viz-workflow

# ---- runtime: slim Debian with only the shared libraries viz-workflow loads
# scripts/check-image.sh replays this stage's RUN commands in a chroot: keep them plain shell, with one apt-get install.
FROM debian:bookworm-slim
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
        libgdal32 libgeos-c1v5 libcurl4 libsqlite3-0 libzstd1 libssl3 zlib1g libjpeg62-turbo libwebp7 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 viz \
    && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /data --shell /usr/sbin/nologin viz \
    && mkdir -p /data && chown 1000:1000 /data
COPY --from=build /out/ /
# Non-root; the leader Job and the worker pods run as 1000:1000 with fsGroup 1000 on the data volume.
# /data belongs to 1000:1000, so the image also runs without a volume there.
USER 1000:1000
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/viz-workflow"]
CMD ["--help"]
