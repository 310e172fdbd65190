"""Packaging is deterministic; the install store accepts only safe packages and serves installed ones."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from gridledger.chaincode.package import package_chaincode
from gridledger.peer.chaincode import ChaincodeHost, ChaincodeStore, InvalidPackageError, TxSimulator

from .conftest import KV_FOLDER
from .fakes import MemoryState, make_context


def make_source(root: Path) -> Path:
    source = root / "cc"
    (source / "lib").mkdir(parents=True)
    (source / "__init__.py").write_text("from .lib.impl import C\nCONTRACT = C\n")
    (source / "lib" / "__init__.py").write_text("")
    (source / "lib" / "impl.py").write_text(
        "from gridledger.chaincode import Contract, query\n\n\n"
        "class C(Contract):\n    @query\n    def hello(self, stub, name: str) -> str:\n        return 'hi ' + name\n")
    return source


def tar_gz(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return gzip.compress(raw.getvalue())


def file_entry(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


METADATA = file_entry("metadata.json", json.dumps({"label": "evil", "type": "python"}).encode())
INIT = file_entry("src/__init__.py", b"CONTRACT = None\n")


def test_package_is_deterministic(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    first = package_chaincode(source, "hello_1.0")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    (source / "lib" / "impl.pyc").write_bytes(b"junk")
    os.utime(source / "lib" / "impl.py", (1, 1))
    os.chmod(source / "__init__.py", 0o600)
    second = package_chaincode(source, "hello_1.0")
    assert first == second
    assert package_chaincode(source, "hello_2.0") != first
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["metadata.json", "src/__init__.py", "src/lib/__init__.py",
                                         "src/lib/impl.py"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.mode) for m in members} == {(0, 0, 0, "", 0o644)}


def test_package_refuses_links_and_bad_labels(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    with pytest.raises(ValueError, match="label"):
        package_chaincode(source, "bad label/..")
    (source / "link.py").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="regular file"):
        package_chaincode(source, "ok")


def test_install_list_and_run(tmp_path: Path) -> None:
    package = package_chaincode(make_source(tmp_path), "hello_1.0")
    store = ChaincodeStore(tmp_path / "store")
    package_id = store.install(package)
    assert package_id == "hello_1.0:" + hashlib.sha256(package).hexdigest()
    assert store.install(package) == package_id  # idempotent
    assert [(p.package_id, p.label) for p in store.installed()] == [(package_id, "hello_1.0")]
    assert store.is_installed(package_id) and not store.is_installed("other:" + "0" * 64)
    folder = store.path_for(package_id)
    assert (folder / "lib" / "impl.py").is_file()
    with pytest.raises(KeyError):
        store.path_for("../../etc")
    with ChaincodeHost(timeout_s=5.0, pool_size=1) as host:
        host.register("hello", folder)
        result = host.execute("hello", "hello", [b"grid"], make_context(), TxSimulator(MemoryState()))
    assert result.payload == b"hi grid"
    assert not list((folder).rglob("__pycache__"))  # workers write no bytecode into installed packages


def test_sample_chaincode_packages(tmp_path: Path) -> None:
    store = ChaincodeStore(tmp_path)
    assert store.install(package_chaincode(KV_FOLDER, "kv")).startswith("kv:")


def _symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info, None


def _hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info, None


def _device(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info, None


@pytest.mark.parametrize(("entries", "fragment"), [
    ([METADATA, INIT, file_entry("/etc/evil", b"x")], "unsafe path"),
    ([METADATA, INIT, file_entry("src/../../escape.py", b"x")], "unsafe path"),
    ([METADATA, INIT, file_entry("src/./x.py", b"x")], "unsafe path"),
    ([METADATA, INIT, _symlink("src/link.py", "/etc/passwd")], "not a regular file"),
    ([METADATA, INIT, _hardlink("src/hard.py", "/etc/passwd")], "not a regular file"),
    ([METADATA, INIT, _device("src/dev")], "not a regular file"),
    ([METADATA, INIT, file_entry("other/x.py", b"x")], "unexpected entry"),
    ([METADATA, INIT, INIT], "duplicate"),
    ([INIT], "no metadata.json"),
    ([METADATA], "src/__init__.py"),
    ([file_entry("metadata.json", b'{"label": "../x"}'), INIT], "label"),
    ([file_entry("metadata.json", b"not json"), INIT], "metadata.json"),
    ([METADATA, INIT, file_entry("src/a", b"x"), file_entry("src/a/b.py", b"x")], "clashes"),
])
def test_malicious_packages_are_rejected(tmp_path: Path, entries: list, fragment: str) -> None:
    store = ChaincodeStore(tmp_path / "store")
    with pytest.raises(InvalidPackageError, match=fragment.replace(".", r"\.")):
        store.install(tar_gz(entries))
    assert store.installed() == []
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == []  # no staging folder left behind
    assert not (tmp_path / "escape.py").exists()


def test_size_limits_and_garbage(tmp_path: Path) -> None:
    store = ChaincodeStore(tmp_path, max_package_bytes=64 * 1024, max_unpacked_bytes=1024 * 1024, max_entries=10)
    bomb = tar_gz([METADATA, INIT, file_entry("src/zeros.bin", bytes(8 * 1024 * 1024))])
    assert len(bomb) < 64 * 1024  # compresses to almost nothing...
    with pytest.raises(InvalidPackageError, match="more than"):
        store.install(bomb)  # ...but is refused while unpacking, not after
    with pytest.raises(InvalidPackageError, match="limit"):
        store.install(os.urandom(65 * 1024))
    many = tar_gz([METADATA, INIT, *(file_entry(f"src/f{i}.py", b"") for i in range(20))])
    with pytest.raises(InvalidPackageError, match="entries"):
        store.install(many)
    for garbage in (b"", b"not a gzip at all", gzip.compress(b"not a tar" * 100)):
        with pytest.raises(InvalidPackageError):
            store.install(garbage)
    assert store.installed() == []
