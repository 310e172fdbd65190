"""What the REST routes work with: the SDK gateway to the org's peer, the users, the wallet, and the offline
transactions waiting for their owners' signatures.

One gRPC connection to the gateway peer serves every user: each custodial user gets a Gateway view with their own
identity over it (Gateway.with_identity), so concurrent requests share its batched stream. Chain reads (blocks,
height, commit status) use the service identity.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from gridledger.common import hashing
from gridledger.common.envelope import invocation_of, open_stored, transaction_of
from gridledger.common.material import load_member
from gridledger.common.msp import pem_to_der
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.sdk import Gateway, Network, RetryPolicy
from gridledger.sdk.events import code_name
from gridledger.sdk.wallet import FileWallet
from gridledger.services.rest.config import RestConfig, read_passphrase
from gridledger.services.rest.problems import Problem
from gridledger.services.rest.users import User, UserStore
from gridledger.v1 import block_pb2, transaction_pb2


@dataclass
class PendingTransaction:
    """An offline transaction between its steps: prepared -> endorsed -> submitted."""

    tx_id: str
    user: str
    proposal_bytes: bytes
    expires: float
    state: str = "prepared"
    payload: bytes = b""  # the prepared transaction payload, once endorsed
    result: bytes = b""   # the chaincode's response payload, once endorsed
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RestBackend:
    def __init__(self, config: RestConfig) -> None:
        self.config = config
        self.network_definition: NetworkDefinition = load_network(config.network_file)
        if config.msp_id not in self.network_definition.peer_msp_ids:
            raise ValueError(f"{config.msp_id} is not a peer organisation of {config.network_file}")
        org = next(o for o in self.network_definition.peer_orgs if o.msp_id == config.msp_id)
        peer = next((p for p in org.peers if p.name == (config.peer or org.peers[0].name)), None)
        if peer is None:
            raise ValueError(f"{config.msp_id} has no peer {config.peer!r}")
        self.peer_name = peer.name
        self.peer_address = config.peer_address or f"127.0.0.1:{peer.port}"
        self.channel_id = self.network_definition.channel
        trusted = self.network_definition.msp_ids
        self._material = load_member(config.crypto_dir, config.msp_id, config.identity, trusted)
        self.users = UserStore(config.state_dir)
        self.wallet = FileWallet(config.state_dir / "wallet", read_passphrase(config.state_dir,
                                                                               config.passphrase_file))
        self.retry = RetryPolicy(max_attempts=config.max_attempts, initial_backoff=0.05, max_backoff=0.5)
        self.gateway: Gateway | None = None
        self._networks: dict[str, tuple[str, Network]] = {}  # per custodial user: (certificate, channel view)
        self._loading: dict[str, asyncio.Lock] = {}
        self.pending: dict[str, PendingTransaction] = {}

    async def start(self) -> None:
        """Open the connection to the gateway peer (on the server's event loop); the peer need not be up yet."""
        self.gateway = Gateway(self.peer_address, self._material.identity, self._material.tls, retry=self.retry,
                               timeout=self.config.request_timeout_s)

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()

    @property
    def network(self) -> Network:
        """The channel as the service identity sees it (chain reads, offline-signed transactions)."""
        assert self.gateway is not None, "backend not started"
        return self.gateway.network(self.channel_id)

    # ---------- custodial users ----------

    async def network_for(self, user: User) -> Network:
        """The channel as `user` sees it, signing with the key the wallet holds for them."""
        if not user.custodial or user.certificate_pem is None:
            raise Problem(403, "not-custodial", "No custodial key",
                          f"user {user.name} keeps their own key; use the offline-signing endpoints "
                          "(POST /v1/transactions/prepare, then .../endorse and .../submit)")
        cached = self._networks.get(user.name)
        if cached is not None and cached[0] == user.certificate_pem:
            return cached[1]
        # One key derivation per user, however many of their requests arrive at once (scrypt costs ~0.1 s).
        lock = self._loading.setdefault(user.name, asyncio.Lock())
        async with lock:
            cached = self._networks.get(user.name)
            if cached is None or cached[0] != user.certificate_pem:
                stored = await asyncio.to_thread(self.wallet.get, user.name)  # off the event loop
                if stored.certificate_pem.decode("ascii") != user.certificate_pem:
                    raise Problem(500, "wallet", "Service cannot use the identity",
                                  f"the wallet's certificate for {user.name} differs from the registered one")
                assert self.gateway is not None
                view = self.gateway.with_identity(stored.signing_identity())
                cached = (user.certificate_pem, view.network(self.channel_id))
                self._networks[user.name] = cached
        return cached[1]

    # ---------- offline signing ----------

    def _expire(self) -> None:
        now = time.monotonic()
        for tx_id in [t for t, p in self.pending.items() if p.expires < now]:
            del self.pending[tx_id]

    def add_pending(self, user: User, tx_id: str, proposal_bytes: bytes) -> PendingTransaction:
        self._expire()
        if len(self.pending) >= self.config.max_pending:
            raise Problem(503, "busy", "Too many pending transactions",
                          "the service holds the maximum number of prepared transactions; try again later",
                          headers={"Retry-After": "10"})
        pending = PendingTransaction(tx_id, user.name, proposal_bytes, time.monotonic() + self.config.pending_ttl_s)
        self.pending[tx_id] = pending
        return pending

    def get_pending(self, user: User, tx_id: str) -> PendingTransaction:
        self._expire()
        pending = self.pending.get(tx_id)
        if pending is None:
            raise Problem(404, "unknown-transaction", "No such prepared transaction",
                          f"transaction {tx_id} was not prepared here, has expired or was already submitted; "
                          "prepare it again with POST /v1/transactions/prepare")
        if pending.user != user.name:
            raise Problem(403, "not-yours", "Transaction prepared by another user",
                          f"transaction {tx_id} belongs to another user")
        return pending

    @staticmethod
    def check_signature(user: User, message: bytes, signature: bytes, what: str) -> None:
        assert user.certificate_pem is not None
        key = x509.load_pem_x509_certificate(user.certificate_pem.encode()).public_key()
        assert isinstance(key, ed25519.Ed25519PublicKey)
        try:
            key.verify(signature, message)
        except InvalidSignature:
            raise Problem(400, "bad-signature", "Bad signature",
                          f"the signature does not verify over the {what} with the key of your registered "
                          "certificate (sign the decoded bytes exactly as returned, with Ed25519)") from None

    @staticmethod
    def certificate_der(user: User) -> bytes:
        assert user.certificate_pem is not None
        return pem_to_der(user.certificate_pem.encode())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def block_json(block: block_pb2.Block) -> dict:
    """A block for humans and programs: header hashes, and per transaction its id, creator, call and code."""
    codes = list(block.metadata.validation_codes)
    transactions = []
    for index, raw in enumerate(block.data.envelopes):
        entry: dict = {"index": index}
        try:
            opened = open_stored(raw)
            header = opened.header
            entry.update(tx_id=header.tx_id, type=transaction_pb2.HeaderType.Name(header.type),
                         creator_msp_id=header.creator.msp_id,
                         timestamp=dt.datetime.fromtimestamp(header.timestamp_ns / 1e9, dt.UTC).isoformat())
            if header.type == transaction_pb2.ENDORSER_TRANSACTION:
                invocation = invocation_of(transaction_of(opened.payload))
                entry.update(chaincode=invocation.chaincode, function=invocation.function)
        except ValueError:  # undecodable (BAD_PAYLOAD) envelopes or an unknown header type: report them
            entry["malformed"] = True
        if index < len(codes):
            entry["validation_code"] = code_name(codes[index])
        transactions.append(entry)
    return {"number": block.header.number, "hash": hashing.header_hash(block.header).hex(),
            "previous_hash": block.header.previous_hash.hex(), "data_hash": block.header.data_hash.hex(),
            "transactions": transactions,
            "signers": [s.signer.msp_id for s in block.metadata.signatures]}
