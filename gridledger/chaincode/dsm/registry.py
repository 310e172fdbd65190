"""Who may do what in a neighbourhood: its operator (an admin of the creating org), and the houses and meters the
operator registered by certificate fingerprint. Houses join once with their battery, which is their initial stake."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, forbidden, not_found
from gridledger.common.dsm.config import DsmConfig
from gridledger.common.fields import ConfigError, check_id

from . import keys

ADMIN = "admin"
HOUSE = "house"
METER = "meter"
ROLES = (HOUSE, METER)
FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")
MAX_MEMBERS_PER_CALL = 1000


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    config: DsmConfig
    operator_msp: str

    def to_json(self) -> dict[str, object]:
        return {"config": self.config.to_json(), "operator_msp": self.operator_msp}

    @classmethod
    def from_json(cls, data: dict) -> Neighbourhood:
        return cls(DsmConfig.from_json(data["config"]), data["operator_msp"])


@dataclass(frozen=True, slots=True)
class Member:
    role: str
    house: str


def read(stub: ChaincodeStub, nb: str) -> tuple[Neighbourhood, Member | None]:
    """The neighbourhood and the submitter's registration in it, in one round trip."""
    raw, member = stub.get_states([keys.neighbourhood(nb), keys.member(nb, stub.creator.fingerprint)])
    if raw is None:
        raise not_found(f"neighbourhood {nb!r} does not exist")
    found = None if member is None else Member(**json.loads(member))
    return Neighbourhood.from_json(json.loads(raw)), found


def is_operator(stub: ChaincodeStub, neighbourhood: Neighbourhood) -> bool:
    return stub.creator.role == ADMIN and stub.creator.msp_id == neighbourhood.operator_msp


def require_operator(stub: ChaincodeStub, neighbourhood: Neighbourhood) -> None:
    if not is_operator(stub, neighbourhood):
        raise forbidden(f"only an admin of the operator {neighbourhood.operator_msp} may do this")


def require_role(member: Member | None, role: str) -> str:
    """The submitter's house id, if it is registered with `role`."""
    if member is None:
        raise forbidden("the submitter is not registered in this neighbourhood")
    if member.role != role:
        raise forbidden(f"the submitter is registered as a {member.role}, not a {role}")
    return member.house


def parse_new_member(entry: object) -> tuple[str, Member]:
    """(fingerprint, member) from one entry of register's members_json, validated."""
    if not isinstance(entry, dict) or set(entry) != {"fingerprint", "role", "house"}:
        raise bad_request('each member is {"fingerprint", "role", "house"}')
    fingerprint, role, house = entry["fingerprint"], entry["role"], entry["house"]
    if not isinstance(fingerprint, str) or not FINGERPRINT.match(fingerprint):
        raise bad_request(f"fingerprint {fingerprint!r} is not 64 lowercase hex digits (SHA-256 of the DER cert)")
    if role not in ROLES:
        raise bad_request(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    try:
        check_id(house, "house")
    except ConfigError as exc:
        raise bad_request(str(exc)) from None
    return fingerprint, Member(role, house)


def write_member(stub: ChaincodeStub, nb: str, fingerprint: str, member: Member) -> None:
    stub.put_state(keys.member(nb, fingerprint), encode_value({"role": member.role, "house": member.house}))
