#!/usr/bin/env bash
# Build the Prometheus image of the compose profile `monitoring` (`make monitoring-image`) without any network access
# from inside the build, the way scripts/docker-images.sh builds the node image:
#   1. the base image: BASE_IMAGE (default: the local gridledger-base image, built by docker-base-image.sh when
#      missing; BASE_IMAGE=python:3.11-slim-bookworm with a registry)
#   2. on the host, apt fetches Debian's `prometheus` and each dependency the base lacks into deploy/monitoring/debs/:
#      the dependencies are resolved against the base image's own dpkg status, so nothing is missing in the build
#      and nothing the base has is fetched twice; skipped when the folder already holds exactly that set
#   3. docker build --network none deploy/monitoring  ->  $IMAGE (gridledger-prometheus:latest)
# Needs a Debian bookworm host apt (the same one docker-base-image.sh reads its mirror from); runs apt-get update
# once when its lists do not know the package yet.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CONTEXT="$(dirname "$HERE")/deploy/monitoring"
DEBS="$CONTEXT/debs"
PACKAGE="prometheus"
IMAGE="${IMAGE:-gridledger-prometheus:latest}"
log() { printf 'monitoring-image: %s\n' "$*" >&2; }

# The node image's base, made here as scripts/docker-images.sh makes it when it is the local one.
BASE_IMAGE="${BASE_IMAGE:-gridledger-base:py3.11-bookworm}"
[ "$BASE_IMAGE" != "gridledger-base:py3.11-bookworm" ] || "$HERE/docker-base-image.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gridledger-monitoring.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# apt sees the base image's installed packages instead of the host's.
docker run --rm --network none --entrypoint cat "$BASE_IMAGE" /var/lib/dpkg/status >"$WORK/status"
APT=(apt-get -q -y --no-install-recommends -o "Dir::State::status=$WORK/status"
     -o "Dir::Cache::archives=$WORK/archives" -o "Debug::NoLocking=1")
mkdir -p "$WORK/archives/partial"

if ! apt-cache show "$PACKAGE" >/dev/null 2>&1; then
    log "apt does not know $PACKAGE yet: apt-get update"
    apt-get update -qq
fi
# What the base lacks, as package=version lines: apt's simulation against the base's status.
"${APT[@]}" --simulate install "$PACKAGE" | awk '/^Inst /{sub(/^\(/, "", $3); print $2 "=" $3}' | sort >"$WORK/wanted"
have() {
    for deb in "$DEBS"/*.deb; do
        [ -e "$deb" ] && dpkg-deb --show --showformat '${Package}=${Version}\n' "$deb"
    done | sort
}
if [ -s "$WORK/wanted" ] && cmp -s "$WORK/wanted" <(have); then
    log "$DEBS holds $(wc -l <"$WORK/wanted") packages, the set apt wants; not fetched again"
else
    log "fetching $PACKAGE and $(($(wc -l <"$WORK/wanted") - 1)) dependencies missing from $BASE_IMAGE"
    "${APT[@]}" --download-only install "$PACKAGE" >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; exit 1; }
    rm -rf "$DEBS"
    mkdir -p "$DEBS"
    mv "$WORK"/archives/*.deb "$DEBS"/
fi

log "building $IMAGE from $BASE_IMAGE"
if ! docker build --network none --build-arg BASE="$BASE_IMAGE" --tag "$IMAGE" "$CONTEXT" >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    log "docker build failed (its output above was cut to the last 40 lines)"
    exit 1
fi
log "done: $IMAGE ($(docker run --rm --network none "$IMAGE" --version 2>&1 | head -n 1))"
