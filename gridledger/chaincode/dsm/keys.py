"""The DSM chaincode's state keys, one composite-key type per record (docs/dsm.md, "State")."""

from __future__ import annotations

from gridledger.chaincode import create_composite_key

NEIGHBOURHOOD = "nb"
MEMBER = "member"
HOUSE = "house"
STAKE = "stake"
DAY = "day"
BASE = "base"
PROFILE = "profile"
OFFER = "offer"
READING = "reading"


def neighbourhood(nb: str) -> str:
    return create_composite_key(NEIGHBOURHOOD, [nb])


def member(nb: str, fingerprint: str) -> str:
    return create_composite_key(MEMBER, [nb, fingerprint])


def house(nb: str, house_id: str) -> str:
    return create_composite_key(HOUSE, [nb, house_id])


def stake(nb: str, house_id: str) -> str:
    return create_composite_key(STAKE, [nb, house_id])


def day(nb: str, number: int) -> str:
    return create_composite_key(DAY, [nb, str(number)])


def base(nb: str, number: int, house_id: str) -> str:
    return create_composite_key(BASE, [nb, str(number), house_id])


def profile(nb: str, number: int, house_id: str) -> str:
    return create_composite_key(PROFILE, [nb, str(number), house_id])


def offer(nb: str, number: int, iteration: int, house_id: str) -> str:
    return create_composite_key(OFFER, [nb, str(number), str(iteration), house_id])


def reading(nb: str, number: int, house_id: str) -> str:
    return create_composite_key(READING, [nb, str(number), house_id])
