"""The simulated community: one prosumer identity and one meter identity per household, issued by the CA of the
organisation (ESCO) that serves as the household's ingress, and the agents that act with them.

Households are spread round-robin over the peer organisations, and each organisation's agents share one gateway
connection (with_identity): thousands of households cost thousands of keys, not thousands of connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.material import signing_ca

PROSUMER = "prosumer"
METER = "meter"
AUCTIONEER = "auctioneer"


@dataclass(frozen=True)
class Member:
    """An identity the market registry knows: who it is, which role it has and for which household."""

    identity: msp.SigningIdentity
    role: str
    household: str = ""
    pem: msp.KeyPair | None = None  # the certificate and key as issued, for handing to an agent process

    @property
    def fingerprint(self) -> str:
        return msp.fingerprint(self.identity.certificate)

    def registration(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "role": self.role, "household": self.household}


class IdentityIssuer:
    """Issues client identities from an org's signing CA in a crypto folder made by `crypto generate`."""

    def __init__(self, crypto_dir: Path, msp_id: str) -> None:
        self.msp_id = msp_id
        self._ca = signing_ca(crypto_dir, msp_id)

    def issue(self, name: str) -> msp.SigningIdentity:
        pair = msp.issue_identity(self._ca, name, "client")
        return msp.SigningIdentity.from_pem(self.msp_id, pair.cert_pem, pair.key_pem)

    def issue_member(self, role: str, household: str) -> Member:
        """A household's device identity that keeps its PEM files, so the runner can hand them to the agent
        process that acts for the household."""
        pair = msp.issue_identity(self._ca, f"{role}-{household}", "client")
        return Member(msp.SigningIdentity.from_pem(self.msp_id, pair.cert_pem, pair.key_pem), role, household, pair)


@dataclass(frozen=True)
class Household:
    id: str
    org: str
    prosumer: Member
    meter: Member


def build_households(crypto_dir: Path, orgs: list[str], household_ids: list[str]) -> list[Household]:
    issuers = [IdentityIssuer(crypto_dir, org) for org in orgs]
    households = []
    for index, household in enumerate(household_ids):
        issuer = issuers[index % len(issuers)]
        households.append(Household(
            household, issuer.msp_id,
            issuer.issue_member(PROSUMER, household), issuer.issue_member(METER, household)))
    return households

