"""Finding a member of a running network in its data folder: what `Gateway.connect_local(data_dir, org, user)` and
the CLI use instead of asking for an address, an identity and TLS material.

A data folder that `gridledger network up` made (local processes, or containers with --docker) says in network.json
which network definition it belongs to, and keeps every member's keys and certificates below crypto/ (the layout in
common/material.py). From the definition this reads the channel and each peer's port (peers are reached on
127.0.0.1: the local processes listen there, and containers publish their ports there); from crypto/ it reads who
may act: the members whose certificate says client or admin. Every failure is a LocalNetworkError saying what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from gridledger.common.material import ADMIN, MemberMaterial, load_member
from gridledger.sdk.errors import GridLedgerError

DEFAULT_DATA_DIR = Path(".gridledger")
DEFAULT_CHANNEL = "energy"  # a network definition without `channel` uses this one (ops/netconfig.py)
HOST = "127.0.0.1"
ACTING_ROLES = ("client", "admin")


class LocalNetworkError(GridLedgerError):
    """The data folder does not have what connecting needs; the message says what is missing and what to do."""


@dataclass(frozen=True)
class LocalPeer:
    name: str
    msp_id: str
    address: str


@dataclass(frozen=True)
class LocalMember:
    """One member of a local network, ready to connect: the org's first peer, the channel, identity and TLS."""

    org: str
    user: str
    peer: LocalPeer
    channel: str
    material: MemberMaterial


@dataclass(frozen=True)
class LocalProfile:
    """What a data folder tells a client: the network file, the channel, the peers of each org, the crypto folder."""

    data_dir: Path
    network_file: Path
    channel: str
    peers: dict[str, list[LocalPeer]]  # peer org MSP id -> its peers, in definition order

    @property
    def crypto_dir(self) -> Path:
        return self.data_dir / "crypto"

    @property
    def orgs(self) -> list[str]:
        return list(self.peers)

    def users(self, org: str) -> list[str]:
        """Members of `org` who may act as clients: a certificate with role client or admin, sorted by name."""
        folder = self.crypto_dir / org / "members"
        found = []
        for cert in sorted(folder.glob("*/cert.pem")):
            if _role_of(cert) in ACTING_ROLES:
                found.append(cert.parent.name)
        return found

    def member(self, org: str | None = None, user: str | None = None) -> LocalMember:
        """`user` of `org` (default: the first peer org, and its first client, else its admin)."""
        msp_id = org or self.orgs[0]
        if msp_id not in self.peers:
            raise LocalNetworkError(f"{msp_id} is not a peer organisation of {self.network_file}; it has "
                                    f"{', '.join(self.orgs)}")
        users = self.users(msp_id)
        if not users:
            raise LocalNetworkError(f"no crypto material of {msp_id} in {self.crypto_dir}; run `gridledger network "
                                    f"up --network {self.network_file} --data-dir {self.data_dir}` (or `gridledger "
                                    "crypto generate`) first")
        name = user or next((u for u in users if u != ADMIN), ADMIN)
        if name not in users:
            clients = [u for u in users if u != ADMIN]
            raise LocalNetworkError(
                f"{name!r} is not a client of {msp_id} in {self.network_file}: its clients are "
                f"{', '.join(clients) or 'none'}, and its admin is `admin`. To add one, list it under the org's "
                "`clients` in the network definition and run `gridledger crypto generate` again (users enrolled "
                "with `gridledger rest enroll` act through the REST API instead)")
        trusted = sorted(p.name for p in self.crypto_dir.iterdir() if (p / "tlsca" / "cert.pem").exists())
        material = load_member(self.crypto_dir, msp_id, name, trusted)
        return LocalMember(msp_id, name, self.peers[msp_id][0], self.channel, material)


def _role_of(cert_pem: Path) -> str:
    try:
        subject = x509.load_pem_x509_certificate(cert_pem.read_bytes()).subject
        units = subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    except (OSError, ValueError):
        return ""
    return str(units[0].value) if units else ""


def read_local_profile(data_dir: Path | str = DEFAULT_DATA_DIR) -> LocalProfile:
    """The network a data folder belongs to, as a client needs it."""
    folder = Path(data_dir).resolve()
    marker = folder / "network.json"
    start = f"start one with `gridledger network up --local --network FILE --data-dir {data_dir}`"
    try:
        network_file = Path(json.loads(marker.read_text())["network_file"])
    except FileNotFoundError:
        raise LocalNetworkError(f"no network in {folder} (it has no network.json); {start}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LocalNetworkError(f"{marker} is not a network marker ({exc}); {start} in an empty folder") from None
    try:
        definition = yaml.safe_load(network_file.read_text())
        peers = {org["msp_id"]: [LocalPeer(p["name"], org["msp_id"], f"{HOST}:{int(p['port'])}")
                                 for p in org["peers"]] for org in definition["peer_orgs"]}
        channel = str(definition.get("channel", DEFAULT_CHANNEL))
    except OSError as exc:
        raise LocalNetworkError(f"{folder} belongs to the network definition {network_file}, which cannot be read "
                                f"({exc.strerror})") from None
    except (yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise LocalNetworkError(f"{network_file} (the network of {folder}) is not a valid network definition: "
                                f"{exc}") from None
    if not peers or not all(peers.values()):
        raise LocalNetworkError(f"{network_file} has no peers to connect to")
    return LocalProfile(folder, network_file, channel, peers)


def local_member(data_dir: Path | str = DEFAULT_DATA_DIR, org: str | None = None,
                 user: str | None = None) -> LocalMember:
    return read_local_profile(data_dir).member(org, user)

