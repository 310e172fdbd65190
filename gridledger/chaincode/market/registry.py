"""Who may do what in a market: its utility (an admin of the creating org) and the certificate fingerprints the
utility registered as prosumer, meter or auctioneer.

A prosumer's or meter's household comes from this registry, looked up by the submitter's certificate fingerprint,
never from a function argument, so nobody can bid or report for a household that is not theirs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.errors import bad_request, forbidden, not_found
from gridledger.common.market.config import MarketConfig
from gridledger.common.market.orders import OrderError, check_participant

from . import keys

PROSUMER = "prosumer"
METER = "meter"
AUCTIONEER = "auctioneer"
ROLES = (PROSUMER, METER, AUCTIONEER)
ADMIN = "admin"
FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")
MAX_MEMBERS_PER_CALL = 1000


@dataclass(frozen=True, slots=True)
class Market:
    """A market's stored record: its configuration and its utility's MSP id."""

    config: MarketConfig
    utility: str

    def to_json(self) -> dict[str, object]:
        return {"config": self.config.to_json(), "utility": self.utility}


@dataclass(frozen=True, slots=True)
class Member:
    role: str
    household: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "household": self.household}


def parse_market(market_id: str, raw: bytes | None) -> Market:
    if raw is None:
        raise not_found(f"market {market_id!r} does not exist")
    record = json.loads(raw)
    return Market(MarketConfig.from_json(record["config"]), record["utility"])


def parse_member(raw: bytes | None) -> Member | None:
    if raw is None:
        return None
    record = json.loads(raw)
    return Member(record["role"], record["household"])


def parse_new_member(entry: object) -> tuple[str, Member]:
    """(fingerprint, member) from one entry of register's members_json, validated."""
    if not isinstance(entry, dict) or not {"fingerprint", "role"} <= set(entry) <= {"fingerprint", "role",
                                                                                     "household"}:
        raise bad_request('each member is {"fingerprint", "role", "household"}')
    fingerprint, role, household = entry["fingerprint"], entry["role"], entry.get("household", "")
    if not isinstance(fingerprint, str) or not FINGERPRINT.match(fingerprint):
        raise bad_request(f"fingerprint {fingerprint!r} is not 64 lowercase hex digits (SHA-256 of the DER cert)")
    if role not in ROLES:
        raise bad_request(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == AUCTIONEER:
        if household:
            raise bad_request("an auctioneer has no household")
    else:
        try:
            check_participant(household)
        except OrderError as exc:
            raise bad_request(f"{role} {fingerprint[:12]}: {exc}") from None
    return fingerprint, Member(role, household)


def is_utility(stub: ChaincodeStub, market: Market) -> bool:
    return stub.creator.msp_id == market.utility and stub.creator.role == ADMIN


def require_utility(stub: ChaincodeStub, market: Market) -> None:
    if not is_utility(stub, market):
        raise forbidden(f"only an admin of the utility {market.utility} may do this")


def require_role(member: Member | None, role: str) -> Member:
    """The submitter's registration, which must have `role`."""
    if member is None or member.role != role:
        raise forbidden(f"the submitter is not registered as {role} in this market")
    return member


def require_party(stub: ChaincodeStub, market: Market, member: Member | None) -> None:
    """Clock-gated steps are open to any registered member and to the utility."""
    if member is None and not is_utility(stub, market):
        raise forbidden("only registered members and the utility may advance the market")


def read(stub: ChaincodeStub, market_id: str, *extra: str) -> tuple[Market, Member | None, list[bytes | None]]:
    """The market, the submitter's registration and `extra` keys, in one round trip to the peer."""
    raw = stub.get_states([keys.market(market_id), keys.member(market_id, stub.creator.fingerprint), *extra])
    return parse_market(market_id, raw[0]), parse_member(raw[1]), raw[2:]
