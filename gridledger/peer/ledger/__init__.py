"""The peer's per-channel ledger: block store, world state, history index and cumulative state hash.

On-disk layout under the ledger folder:

    blocks/blockfile_000000, blockfile_000001, ...
        Append-only. Record = length(4, big-endian) || CRC-32(4) || serialized Block (with its validation codes).
        A new file starts when a record would push the current one past max_file_size (64 MiB by default).
    db/
        One LevelDB, so that everything a block changes is a single atomic write batch. Record kinds by prefix
        (strings UTF-8 and terminated by 0xFF, which UTF-8 never contains; numbers big-endian):
        b  block(8)                                 -> file(4) offset(8) length(4)
        t  txid 0xFF block(8) tx(4)                 -> validation code(4)   (every occurrence; the first wins)
        s  namespace 0xFF key                       -> block(8) tx(4) value (deleted keys are removed)
        h  namespace 0xFF key 0xFF block(8) tx(4)   -> 0x01 if delete else 0x00
        x  block(8)                                 -> cumulative state hash(32)
        m  "savepoint"                              -> last committed block(8) header hash(32)

Commit appends and fsyncs the block record, then writes one LevelDB batch (sync) holding the index entries, state
changes, history, state hash and savepoint. Opening the ledger replays records found past the savepoint and cuts a
torn final record, so a crash at any instant loses no block whose commit() returned. Disagreements that replay
cannot explain raise LedgerCorruption.
"""

from gridledger.peer.ledger.errors import LedgerCorruption
from gridledger.peer.ledger.ledger import Ledger
from gridledger.peer.ledger.snapshot import StateSnapshot, VersionedValue

__all__ = ["Ledger", "LedgerCorruption", "StateSnapshot", "VersionedValue"]
