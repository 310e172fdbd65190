#!/usr/bin/env bash
# Build a local Python 3.11 base image from Debian packages, for machines that cannot pull from a container registry
# (`make base-image`). It stands in for the official python:3.11-slim-bookworm image that deploy/Dockerfile uses
# by default: Debian bookworm with its python3 (3.11), venv and CA certificates.
#
#   debootstrap --variant=minbase into a temporary folder (mirror: this machine's apt configuration, or
#   DEBIAN_MIRROR), strip caches and docs, `docker import` the folder as $BASE_IMAGE.
#
# Cached: when $BASE_IMAGE exists the script does nothing (FORCE=1 rebuilds it). Needs root (debootstrap);
# installs debootstrap with apt-get when it is missing.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-gridledger-base:py3.11-bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"
PACKAGES="python3,python3-venv,ca-certificates"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { printf 'base-image: %s\n' "$*" >&2; }

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE exists; nothing to do (FORCE=1 rebuilds it)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        log "debootstrap needs root; run as root or install sudo"
        exit 1
    fi
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

MIRROR="${DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
    MIRROR="$(python3 "$HERE/apt_mirror.py" "$SUITE")"
fi

ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/gridledger-rootfs.XXXXXX")"
cleanup() { $SUDO rm -rf "$ROOTFS"; }
trap cleanup EXIT

log "debootstrap $SUITE ($PACKAGES) from $MIRROR"
$SUDO debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || {
    tail -n 30 "$ROOTFS.log" >&2
    rm -f "$ROOTFS.log"
    exit 1
}
rm -f "$ROOTFS.log"

# What a container does not need: package caches and lists, logs, docs, man pages, translations.
$SUDO find "$ROOTFS/var/cache/apt" "$ROOTFS/var/lib/apt/lists" "$ROOTFS/var/log" "$ROOTFS/tmp" \
    "$ROOTFS/usr/share/doc" "$ROOTFS/usr/share/man" "$ROOTFS/usr/share/info" "$ROOTFS/usr/share/locale" \
    -mindepth 1 -not -type d -delete 2>/dev/null || true
$SUDO rm -rf "${ROOTFS:?}/dev/"* "${ROOTFS:?}/proc/"* "${ROOTFS:?}/sys/"*

log "importing as $BASE_IMAGE"
$SUDO tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --message "Debian $SUITE minbase with $PACKAGES (scripts/docker-base-image.sh)" \
    - "$BASE_IMAGE" >/dev/null

docker run --rm --network none "$BASE_IMAGE" python3 -c \
    'import ensurepip, ssl, sys, venv; print("base-image: python", sys.version.split()[0])' >&2
log "done: $BASE_IMAGE"
