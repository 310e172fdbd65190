"""The one error the ledger raises on its own behalf.

Bad input from callers raises ValueError; LedgerCorruption is reserved for on-disk damage that recovery cannot
repair, so an operator knows the data (not the request) is at fault and that restarting will not help.
"""

from __future__ import annotations


class LedgerCorruption(Exception):
    """The block files and the LevelDB index disagree in a way that replaying blocks cannot fix."""
