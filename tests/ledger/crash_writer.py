"""Child process for the kill -9 test: commits blocks forever and reports each one only after commit() returns.

Run as `python -m tests.ledger.crash_writer LEDGER_PATH MAX_FILE_SIZE`. Prints "open <height>" once the ledger is
open (recovery done), then "<number> <state hash hex>" per committed block, flushed, so that the parent knows
exactly which blocks were acknowledged when it kills this process.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from gridledger.peer.ledger import Ledger
from gridledger.v1 import block_pb2
from tests.ledger.chain import VALID, Chain, WriteSpec, envelope

NAMESPACES = ["kv", "kv2", "market"]
KEYS = ["a", "b", "bid\x00h1\x00", "bid\x00h2\x00", "é", "z"]


def random_block(chain: Chain) -> block_pb2.Block:
    """Contents depend only on the block number, so a run is reproducible from its blocks."""
    rng = random.Random(chain.height)
    envelopes, codes = [], []
    for tx in range(rng.randint(1, 4)):
        writes = [_random_write(rng) for _ in range(rng.randint(0, 5))]
        envelopes.append(envelope(f"b{chain.height}t{tx}", writes))
        codes.append(VALID if rng.random() < 0.8 else block_pb2.MVCC_READ_CONFLICT)
    return chain.next(envelopes, codes)


def _random_write(rng: random.Random) -> WriteSpec:
    value = None if rng.random() < 0.2 else rng.randbytes(rng.randint(0, 300))
    return rng.choice(NAMESPACES), rng.choice(KEYS), value


def main(path: Path, max_file_size: int) -> None:
    ledger = Ledger(path, max_file_size=max_file_size)
    print(f"open {ledger.height}", flush=True)
    chain = Chain(ledger.height, ledger.last_block_hash)
    while True:
        block = random_block(chain)
        ledger.commit(block)
        print(f"{block.header.number} {ledger.state_hash.hex()}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
