"""Which network definition a folder's crypto material and genesis block were made for, and the checks `network up`
(local processes and containers) runs before it starts anything.

Whatever writes crypto material or a genesis block (`gridledger crypto generate`, `channel genesis`, and `network up`,
which runs both) records the definition it was made from, next to what it wrote:

    <crypto folder>/definition.json          {"name": ..., "digest": ..., "file": ...}
    <genesis block's stem>.definition.json   beside the block: genesis.block -> genesis.definition.json

The digest is SHA-256 over the definition's canonical JSON (defaults filled in, keys sorted) without `chaincodes`,
which neither crypto nor genesis depend on: reformatting the file or listing another chaincode keeps the digest, any
other change makes it another definition. A genesis block is also compared with the channel config the definition
and the crypto folder give now (ops/genesis.py), which catches a block made before its crypto material was replaced
and folders written before definitions were recorded. Crypto material without a record is accepted (and then
recorded) when it holds exactly the definition's organisations.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from gridledger.common import hashing
from gridledger.common.channel import ConfigError, config_from_block
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.v1 import block_pb2, config_pb2

RECORD = "definition.json"


class ForeignMaterial(ValueError):
    """Crypto material or a genesis block made for another network definition; the message says which, and
    `recorded` is that definition when a record names it."""

    def __init__(self, message: str, recorded: Provenance | None = None) -> None:
        super().__init__(message)
        self.recorded = recorded


@dataclass(frozen=True)
class Provenance:
    name: str
    digest: str
    file: str = ""

    @classmethod
    def of(cls, network: NetworkDefinition, file: Path | None = None) -> Provenance:
        return cls(network.name, digest(network), str(file.resolve()) if file else "")

    def describe(self) -> str:
        where = f"{self.file}, " if self.file else ""
        return f"network definition {self.name!r} ({where}digest {self.digest[:12]})"


def digest(network: NetworkDefinition) -> str:
    canonical = json.dumps(network.model_dump(mode="json", exclude={"chaincodes"}), sort_keys=True,
                           separators=(",", ":"))
    return hashing.sha256(canonical.encode()).hex()


def crypto_record(crypto_dir: Path) -> Path:
    return crypto_dir / RECORD


def genesis_record(genesis_path: Path) -> Path:
    return genesis_path.with_name(f"{genesis_path.stem}.{RECORD}")


def write(record: Path, provenance: Provenance) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_name(f".{record.name}.tmp")
    tmp.write_text(json.dumps(asdict(provenance), indent=2) + "\n")
    tmp.replace(record)


def read(record: Path) -> Provenance | None:
    """The recorded provenance, or None when there is no record. A record that cannot be read is foreign."""
    if not record.exists():
        return None
    try:
        data = json.loads(record.read_text())
        return Provenance(str(data["name"]), str(data["digest"]), str(data.get("file", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ForeignMaterial(f"{record} cannot be read ({exc}); it does not say which network definition the "
                              "material beside it was made for") from None


def _foreign(what: str, path: Path, recorded: Provenance, wanted: Provenance) -> ForeignMaterial:
    if (recorded.name, recorded.file) == (wanted.name, wanted.file) and wanted.file:
        return ForeignMaterial(f"{path} holds {what} generated from an earlier version of {wanted.file} (digest "
                               f"{recorded.digest[:12]}; the file now has digest {wanted.digest[:12]})")
    return ForeignMaterial(f"{path} holds {what} generated for {recorded.describe()}, not for {wanted.describe()}",
                           recorded)


def check_record(what: str, path: Path, record: Path, wanted: Provenance) -> None:
    recorded = read(record)
    if recorded is not None and recorded.digest != wanted.digest:
        raise _foreign(what, path, recorded, wanted)


def check_crypto(network: NetworkDefinition, crypto_dir: Path, file: Path | None = None) -> None:
    """Refuse a crypto folder recorded for another definition, or, without a record, holding other organisations."""
    wanted = Provenance.of(network, file)
    check_record("crypto material", crypto_dir, crypto_record(crypto_dir), wanted)
    if read(crypto_record(crypto_dir)) is None and crypto_dir.is_dir():
        found = sorted(p.name for p in crypto_dir.iterdir() if (p / "ca" / "cert.pem").exists())
        if found and found != sorted(network.msp_ids):
            raise ForeignMaterial(f"{crypto_dir} holds crypto material of the organisations {', '.join(found)} "
                                  f"(no record says for which network definition); {wanted.describe()} has "
                                  f"{', '.join(sorted(network.msp_ids))}")


def check_genesis(genesis_path: Path, expected: config_pb2.ChannelConfig, wanted: Provenance,
                  crypto_dir: Path) -> None:
    """Refuse a genesis block recorded for another definition, or whose channel config is not `expected` (what the
    definition and the crypto folder give now)."""
    check_record("a genesis block", genesis_path, genesis_record(genesis_path), wanted)
    try:
        found = config_from_block(block_pb2.Block.FromString(genesis_path.read_bytes()))
    except (ConfigError, ValueError) as exc:
        raise ForeignMaterial(f"{genesis_path} is not a genesis block this network can use: {exc}") from None
    difference = config_difference(found, expected)
    if difference is not None:
        recorded = read(genesis_record(genesis_path))
        made_for = f" (recorded for {recorded.describe()})" if recorded else ""
        raise ForeignMaterial(f"{genesis_path}{made_for} does not fit {wanted.describe()} with the crypto material "
                              f"in {crypto_dir}: {difference}")


def config_difference(found: config_pb2.ChannelConfig, wanted: config_pb2.ChannelConfig) -> str | None:
    """None when the configs are equal, else the first difference in words."""
    if found == wanted:
        return None

    def consenters(config: config_pb2.ChannelConfig) -> list[str]:
        return [f"{c.id} ({c.msp_id}) at {c.host}:{c.port}" for c in config.consensus.consenters]

    aspects = [
        ("channel", [found.channel_id], [wanted.channel_id]),
        ("organisations", [o.msp_id for o in found.organizations], [o.msp_id for o in wanted.organizations]),
        ("orderer organisations", list(found.orderer_orgs), list(wanted.orderer_orgs)),
        ("consenters", consenters(found), consenters(wanted)),
        ("consensus type", [found.consensus.type], [wanted.consensus.type]),
    ]
    for what, mine, theirs in aspects:
        if mine != theirs:
            return f"its {what}: {', '.join(mine) or '(none)'}; the definition's: {', '.join(theirs) or '(none)'}"
    certificates = ([(o.root_cert, o.tls_root_cert) for o in found.organizations],
                    [(c.identity.certificate, c.tls_cert) for c in found.consensus.consenters])
    if certificates != ([(o.root_cert, o.tls_root_cert) for o in wanted.organizations],
                        [(c.identity.certificate, c.tls_cert) for c in wanted.consensus.consenters]):
        return ("its certificates are not the ones in the crypto folder (was the crypto material made again after "
                "the genesis block, e.g. with --force?)")
    return "its consensus options, batch settings or policies differ from the definition's"
