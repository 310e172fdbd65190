"""Crypto material for a whole network (like Fabric's cryptogen): CAs, member identities and TLS certificates.

The folder layout is common/material.py's, which also reads it back. Private keys are written with mode 0600.
Existing material is kept unless `force` is set, so re-running is safe; <out>/definition.json records which network
definition the material was made for (ops/provenance.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.material import ADMIN, member_dir, read_pair
from gridledger.ops import provenance
from gridledger.ops.netconfig import NetworkDefinition


@dataclass(frozen=True)
class MemberSpec:
    msp_id: str
    name: str
    role: str
    hosts: tuple[str, ...] = ()


def members_of(network: NetworkDefinition) -> list[MemberSpec]:
    """Every identity the network needs: nodes, one admin per org, and the listed clients."""
    local_hosts = ("localhost", "127.0.0.1")
    specs = [MemberSpec(msp_id, node.name, role, (node.name, *local_hosts)) for msp_id, role, node in
             network.all_nodes()]
    for msp_id in network.msp_ids:
        specs.append(MemberSpec(msp_id, ADMIN, "admin", local_hosts))
    for org in network.peer_orgs:
        specs += [MemberSpec(org.msp_id, client, "client", local_hosts) for client in org.clients]
    return specs


def _write(path: Path, data: bytes, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(tmp, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _write_pair(folder: Path, prefix: str, pair: msp.KeyPair) -> None:
    _write(folder / f"{prefix}key.pem", pair.key_pem, private=True)
    _write(folder / f"{prefix}cert.pem", pair.cert_pem, private=False)


def _ca(folder: Path, make, msp_id: str, force: bool) -> tuple[msp.KeyPair, bool]:
    existing = None if force else read_pair(folder, "")
    if existing is not None:
        return existing, False
    pair = make(msp_id)
    _write_pair(folder, "", pair)
    return pair, True


def generate(network: NetworkDefinition, out: Path, force: bool = False, source: Path | None = None) -> list[Path]:
    """Create whatever material is missing (everything with `force`); return the files written. A folder made for
    another network definition is refused (provenance.ForeignMaterial) unless `force` replaces it; the folder then
    records `network` (read from `source`) as its definition."""
    if not force:
        provenance.check_crypto(network, out, source)
    written: list[Path] = []
    cas: dict[str, tuple[msp.KeyPair, msp.KeyPair, bool]] = {}
    for msp_id in network.msp_ids:
        sign_ca, new_sign = _ca(out / msp_id / "ca", msp.new_signing_ca, msp_id, force)
        tls_ca, new_tls = _ca(out / msp_id / "tlsca", msp.new_tls_ca, msp_id, force)
        written += [out / msp_id / "ca" / "cert.pem"] * new_sign + [out / msp_id / "tlsca" / "cert.pem"] * new_tls
        cas[msp_id] = (sign_ca, tls_ca, new_sign or new_tls)
    for spec in members_of(network):
        sign_ca, tls_ca, ca_renewed = cas[spec.msp_id]
        folder = member_dir(out, spec.msp_id, spec.name)
        if ca_renewed or force or read_pair(folder, "") is None:
            _write_pair(folder, "", msp.issue_identity(sign_ca, spec.name, spec.role))
            written.append(folder / "cert.pem")
        if ca_renewed or force or read_pair(folder, "tls-") is None:
            _write_pair(folder, "tls-", msp.issue_tls(tls_ca, spec.name, spec.hosts))
            written.append(folder / "tls-cert.pem")
    provenance.write(provenance.crypto_record(out), provenance.Provenance.of(network, source))
    return written
