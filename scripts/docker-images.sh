#!/usr/bin/env bash
# Build the gridledger image (`make images`) without any network access from inside the build:
#   1. the base image: BASE_IMAGE (default: the local gridledger-base image, built by docker-base-image.sh when
#      missing; BASE_IMAGE=python:3.11-slim-bookworm uses the official image, for machines with a registry)
#   2. the wheelhouse on the host (docker_wheelhouse.py: pinned dependencies and the project wheel)
#   3. docker build --network none -f deploy/Dockerfile deploy  ->  $IMAGE and gridledger:<version>
# Every step is cached: an unchanged tree rebuilds in seconds.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
LOCAL_BASE="gridledger-base:py3.11-bookworm"
BASE_IMAGE="${BASE_IMAGE:-$LOCAL_BASE}"
IMAGE="${IMAGE:-gridledger:latest}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"

if [ "$BASE_IMAGE" = "$LOCAL_BASE" ]; then
    "$HERE/docker-base-image.sh"
fi
"$PYTHON" "$HERE/docker_wheelhouse.py" --out "$REPO/deploy/wheelhouse"
VERSION="$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$REPO/pyproject.toml")"
REPOSITORY="${IMAGE%:*}"

echo "images: building $IMAGE ($REPOSITORY:$VERSION) from $BASE_IMAGE" >&2
LOG="$(mktemp "${TMPDIR:-/tmp}/gridledger-build.XXXXXX")"
trap 'rm -f "$LOG"' EXIT
# BUILD_CPU_SHARES: the CPU weight of the build's RUN steps (the tests set the lowest, to build beside them).
if ! docker build --network none ${BUILD_CPU_SHARES:+--cpu-shares "$BUILD_CPU_SHARES"} \
        --build-arg BASE="$BASE_IMAGE" \
        --label org.opencontainers.image.version="$VERSION" \
        --tag "$IMAGE" --tag "$REPOSITORY:$VERSION" \
        --file "$REPO/deploy/Dockerfile" "$REPO/deploy" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "images: docker build failed (full output above was cut to its last 40 lines)" >&2
    exit 1
fi
echo "images: done: $IMAGE" >&2
