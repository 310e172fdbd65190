"""The low-level gateway client, kept importable here for the CLI's lifecycle commands, the demo and the tests.

It lives in the SDK package now (gridledger.client.sdk.transport); the SDK proper (Gateway, Network, Contract,
typed errors, retries, wallets) is gridledger.client.sdk.
"""

from gridledger.client.sdk.errors import ChaincodeError, TransactionInvalid
from gridledger.client.sdk.transport import GatewayClient, SubmitResult

__all__ = ["ChaincodeError", "GatewayClient", "SubmitResult", "TransactionInvalid"]
