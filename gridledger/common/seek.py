"""Signed deliver requests: a SeekInfo wrapped in an envelope signed by a channel member.

Clients, peers and orderers all request block streams with these; the serving side opens them with
common/envelope.py `open_seek`.
"""

from __future__ import annotations

import os

from gridledger.common import clock, hashing, msp
from gridledger.v1 import peer_pb2, transaction_pb2


def seek_envelope(identity: msp.SigningIdentity, channel_id: str, start: int = 0, *, stop: int = 0,
                  newest: bool = False) -> transaction_pb2.Envelope:
    nonce = os.urandom(24)
    header = transaction_pb2.Header(channel_id=channel_id, tx_id=hashing.tx_id(nonce, identity.certificate),
                                    timestamp_ns=clock.time_ns(), creator=identity.serialized(), nonce=nonce)
    info = peer_pb2.SeekInfo(channel_id=channel_id, start=start, stop=stop, newest=newest)
    payload = transaction_pb2.Payload(header=header.SerializeToString(), data=info.SerializeToString())
    payload_bytes = payload.SerializeToString()
    return transaction_pb2.Envelope(payload=payload_bytes, signature=identity.sign(payload_bytes))
