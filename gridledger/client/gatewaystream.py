"""The client side of the gateway's batched Transact stream; it lives in gridledger.client.sdk.stream now."""

from gridledger.client.sdk.stream import GatewayCallError, GatewayStream

__all__ = ["GatewayCallError", "GatewayStream"]
