"""A slice of an experiment's community as files: the households one agent process runs, only their own keys, and
where that process reaches the network.

The experiment runner issues every identity (lab/population.py) and writes one slice folder per agent process
(write_slice); `gridledger agents serve` reads it back (read_slice) and never sees another slice's keys. Layout:
    slice.json                       first index, households (id, org), channel, gateway address per org
    tls/roots.pem                    the TLS CA certificates of every org
    tls/<msp_id>/{cert,key}.pem      a client TLS pair of each org the slice's households belong to
    keys/<household>/{prosumer,meter}-{cert,key}.pem   the household's signing identities
Household ranges ("0-249") count in the community's order, the selected trace's household order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.grpcutil import TlsMaterial
from gridledger.lab.population import METER, PROSUMER, Household

SLICE_FILE = "slice.json"
ROLES = (PROSUMER, METER)
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


class SliceError(ValueError):
    """A household range or a slice folder that cannot be used; the message says which and why."""


def parse_range(text: str, community: int | None = None) -> range:
    """"FIRST-LAST" (both included) or a single index; with `community`, it must lie inside 0..community-1."""
    match = _RANGE.match(text.strip())
    if match is None:
        raise SliceError(f"--households {text!r}: expected FIRST-LAST (e.g. 0-249) or one index, both counted from 0")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise SliceError(f"--households {text!r}: the last household ({last}) comes before the first ({first})")
    if community is not None and last >= community:
        raise SliceError(f"--households {text!r}: the community has {community} households (0-{community - 1})")
    return range(first, last + 1)


def format_range(households: range) -> str:
    return f"{households.start}-{households.stop - 1}"


def split_range(count: int, parts: int) -> list[range]:
    """`count` households in `parts` contiguous slices whose sizes differ by at most one."""
    if not 1 <= parts <= count:
        raise SliceError(f"cannot split {count} households into {parts} slices: each slice needs a household")
    size, extra = divmod(count, parts)
    slices, first = [], 0
    for part in range(parts):
        length = size + (1 if part < extra else 0)
        slices.append(range(first, first + length))
        first += length
    return slices


@dataclass(frozen=True)
class SliceHousehold:
    id: str
    org: str
    prosumer: msp.SigningIdentity
    meter: msp.SigningIdentity


@dataclass(frozen=True)
class Slice:
    """What `agents serve` runs: households `first` onwards of the community, and how to reach the network."""

    first: int
    households: list[SliceHousehold]
    channel: str
    gateways: dict[str, str]  # msp id -> gateway peer address
    tls: dict[str, TlsMaterial]  # msp id -> client TLS material

    @property
    def indices(self) -> range:
        return range(self.first, self.first + len(self.households))

    def select(self, households: range) -> list[SliceHousehold]:
        """The households of `households` (community indices), which must all be in this slice."""
        if households.start < self.first or households.stop > self.indices.stop:
            raise SliceError(f"--households {format_range(households)}: this slice folder holds the keys of "
                             f"households {format_range(self.indices)} only")
        return self.households[households.start - self.first:households.stop - self.first]


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def write_slice(folder: Path, first: int, households: list[Household], channel: str, gateways: dict[str, str],
                tls: dict[str, TlsMaterial], roots: bytes) -> Path:
    """The slice folder of `households` (community indices from `first`); private keys are readable by the owner
    only. `gateways` and `tls` must cover every org of the households."""
    orgs = sorted({household.org for household in households})
    missing = [org for org in orgs if org not in gateways or org not in tls]
    if missing:
        raise SliceError(f"no gateway or TLS material for {', '.join(missing)}")
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "tls" / "roots.pem", roots, 0o644)
    for org in orgs:
        _write(folder / "tls" / org / "cert.pem", tls[org].cert_pem, 0o644)
        _write(folder / "tls" / org / "key.pem", tls[org].key_pem, 0o600)
    for household in households:
        for role, member in zip(ROLES, (household.prosumer, household.meter), strict=True):
            if member.pem is None:
                raise SliceError(f"household {household.id}'s {role} identity was issued without its PEM files")
            _write(folder / "keys" / household.id / f"{role}-cert.pem", member.pem.cert_pem, 0o644)
            _write(folder / "keys" / household.id / f"{role}-key.pem", member.pem.key_pem, 0o600)
    record = {"first": first, "channel": channel, "gateways": {org: gateways[org] for org in orgs},
              "households": [{"id": household.id, "org": household.org} for household in households]}
    _write(folder / SLICE_FILE, (json.dumps(record, indent=2) + "\n").encode(), 0o644)
    return folder


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SliceError(f"cannot read {path}: {exc.strerror}; the experiment runner writes slice folders") from None


def read_slice(folder: Path) -> Slice:
    """The slice in `folder`; SliceError names the first file that is missing or malformed."""
    path = folder / SLICE_FILE
    try:
        record = json.loads(_read(path))
        first, channel, gateways = int(record["first"]), str(record["channel"]), dict(record["gateways"])
        entries = [(str(entry["id"]), str(entry["org"])) for entry in record["households"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise SliceError(f"{path}: not a slice record ({type(exc).__name__}: {exc})") from None
    roots = _read(folder / "tls" / "roots.pem")
    tls = {org: TlsMaterial(_read(folder / "tls" / org / "cert.pem"), _read(folder / "tls" / org / "key.pem"), roots)
           for org in sorted({org for _, org in entries})}
    unreachable = sorted(set(tls) - set(gateways))
    if unreachable:
        raise SliceError(f"{path}: no gateway address for {', '.join(unreachable)}")
    households = []
    for household, org in entries:
        keys = folder / "keys" / household
        prosumer, meter = (msp.SigningIdentity.from_pem(org, _read(keys / f"{role}-cert.pem"),
                                                        _read(keys / f"{role}-key.pem")) for role in ROLES)
        households.append(SliceHousehold(household, org, prosumer, meter))
    return Slice(first, households, channel, gateways, tls)
