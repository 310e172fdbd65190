"""scripts/apt_mirror.py: the Debian mirror for debootstrap, read from the machine's apt configuration."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "apt_mirror.py"
_spec = importlib.util.spec_from_file_location("apt_mirror", SCRIPT)
apt_mirror = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("apt_mirror", apt_mirror)  # dataclasses look their module up there
_spec.loader.exec_module(apt_mirror)

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def write(root: Path, name: str, text: str) -> None:
    path = root / "etc" / "apt" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_deb822_sources(tmp_path: Path) -> None:
    write(tmp_path, "sources.list.d/debian.sources", DEB822)
    write(tmp_path, "sources.list.d/other.sources.disabled-by-admin", "Types: deb\nURIs: http://x/\nSuites: bookworm\n")
    assert apt_mirror.main(["bookworm", "--root", str(tmp_path)]) == 0
    assert apt_mirror.mirror_for("bookworm", apt_mirror.apt_sources(tmp_path)) == "http://mirror.example/debian"


def test_one_line_sources_with_options_and_deb_src(tmp_path: Path) -> None:
    write(tmp_path, "sources.list", "# comment\n"
                                    "deb-src http://src.example/debian bookworm main\n"
                                    "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main\n")
    assert apt_mirror.mirror_for("bookworm", apt_mirror.apt_sources(tmp_path)) == "http://one.example/debian"


def test_sources_list_comes_before_sources_list_d(tmp_path: Path) -> None:
    write(tmp_path, "sources.list", "deb http://first.example/debian bookworm main\n")
    write(tmp_path, "sources.list.d/debian.sources", DEB822)
    assert apt_mirror.mirror_for("bookworm", apt_mirror.apt_sources(tmp_path)) == "http://first.example/debian"


def test_family_fallback_skips_security_and_disabled(tmp_path: Path) -> None:
    write(tmp_path, "sources.list.d/a.sources", "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
                                                "Enabled: no\n")
    write(tmp_path, "sources.list.d/b.list", "deb http://sec.example/debian-security bookworm-security main\n"
                                             "deb http://upd.example/debian bookworm-updates main\n")
    assert apt_mirror.mirror_for("bookworm", apt_mirror.apt_sources(tmp_path)) == "http://upd.example/debian"


def test_no_usable_mirror_is_an_error_naming_the_override(tmp_path: Path, capsys) -> None:
    write(tmp_path, "sources.list", "deb cdrom:[Debian]/ bookworm main\ndeb http://u.example/ubuntu noble main\n")
    assert apt_mirror.main(["bookworm", "--root", str(tmp_path)]) == 1
    assert "DEBIAN_MIRROR" in capsys.readouterr().err
