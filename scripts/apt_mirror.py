#!/usr/bin/env python3
"""Print the Debian mirror this machine's apt uses for a suite, for debootstrap (scripts/docker-base-image.sh).

Reads the one-line format (/etc/apt/sources.list, sources.list.d/*.list) and the deb822 format
(sources.list.d/*.sources) in apt's own order. The first enabled binary ("deb") source that lists the suite wins;
failing that, the first one whose suites belong to the same release family (e.g. "bookworm-updates"), so the
mirror's root is still the right one. Only plain http(s) and file URIs are usable by debootstrap.

Usage: apt_mirror.py [SUITE] [--root DIR]     (exit 1 with a message when none fits)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

USABLE_SCHEMES = ("http://", "https://", "file:/")


@dataclass(frozen=True)
class Source:
    uri: str
    suites: tuple[str, ...]
    origin: str


def parse_one_line(text: str, origin: str) -> list[Source]:
    """`deb [options] URI SUITE [COMPONENT...]` lines; deb-src and comments are skipped."""
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        words = line.split()[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = words[1:]
        if len(words) >= 2:
            found.append(Source(words[0], (words[1],), origin))
    return found


def parse_deb822(text: str, origin: str) -> list[Source]:
    """Paragraphs of `Field: value` lines separated by blank lines; `#` lines are comments."""
    found = []
    paragraphs: list[dict[str, str]] = [{}]
    last = None
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if paragraphs[-1]:
                paragraphs.append({})
            last = None
            continue
        if raw[0] in " \t" and last is not None:  # continuation line
            paragraphs[-1][last] += " " + raw.strip()
            continue
        key, _, value = raw.partition(":")
        last = key.strip().lower()
        paragraphs[-1][last] = value.strip()
    for fields in paragraphs:
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        found += [Source(uri, suites, origin) for uri in fields.get("uris", "").split() if suites]
    return found


def apt_sources(root: Path = Path("/")) -> list[Source]:
    """Every binary source in the order apt reads them."""
    etc = root / "etc" / "apt"
    sources = []
    main = etc / "sources.list"
    if main.is_file():
        sources += parse_one_line(main.read_text(errors="replace"), str(main))
    folder = etc / "sources.list.d"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix == ".list" and path.is_file():
                sources += parse_one_line(path.read_text(errors="replace"), str(path))
            elif path.suffix == ".sources" and path.is_file():
                sources += parse_deb822(path.read_text(errors="replace"), str(path))
    return sources


def mirror_for(suite: str, sources: list[Source]) -> str | None:
    usable = [s for s in sources if s.uri.startswith(USABLE_SCHEMES)]
    for source in usable:
        if suite in source.suites:
            return source.uri.rstrip("/")
    for source in usable:
        if any(s.split("-", 1)[0] == suite and not s.endswith("-security") for s in source.suites):
            return source.uri.rstrip("/")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", default="bookworm")
    parser.add_argument("--root", type=Path, default=Path("/"), help="file system root holding etc/apt")
    args = parser.parse_args(argv)
    mirror = mirror_for(args.suite, apt_sources(args.root))
    if mirror is None:
        print(f"no Debian mirror for {args.suite!r} in {args.root / 'etc/apt'} (sources.list, sources.list.d/); "
              "set DEBIAN_MIRROR=URL to choose one", file=sys.stderr)
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
