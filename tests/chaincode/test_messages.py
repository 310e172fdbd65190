"""The transaction context crosses the pipe to a chaincode worker with every field intact."""

from __future__ import annotations

import dataclasses

from gridledger.chaincode import Creator, TxContext
from gridledger.peer.chaincode.messages import context_from_message, context_to_message


def test_every_context_field_survives_the_round_trip() -> None:
    context = TxContext("tx-1", "energy", Creator("Org1MSP", "client", "ab" * 32), 1_700_000_000_000_000_000,
                        {"key": b"secret"}, block_height=42, caller="market", block_hash=bytes(range(32)))
    again = context_from_message(context_to_message(context))
    for field in dataclasses.fields(TxContext):
        assert getattr(again, field.name) == getattr(context, field.name), field.name
