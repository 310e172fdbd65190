"""Wallets, retry policy and connection failures: no network needed."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket

import pytest
from cryptography.hazmat.primitives import serialization

from gridledger.common import msp
from gridledger.common.grpcutil import TlsMaterial
from gridledger.sdk import (
    EndorserUnavailable,
    FileWallet,
    Gateway,
    IdentityNotFound,
    InMemoryWallet,
    RetryPolicy,
    Unavailable,
    WalletError,
    WalletIdentity,
    WrongPassphrase,
)

FAST = 2**10  # scrypt cost for tests; the default (2**15) is what deployments use


@pytest.fixture(scope="module")
def pair() -> tuple[msp.KeyPair, msp.KeyPair]:
    """A client identity issued by a fresh org CA, and the CA."""
    ca = msp.new_signing_ca("Org1MSP")
    return msp.issue_identity(ca, "alice", "client"), ca


def _raw_key(key_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def test_file_wallet_round_trip_keeps_no_clear_key(tmp_path, pair) -> None:
    issued, _ = pair
    wallet = FileWallet(tmp_path / "wallet", "correct horse battery staple", scrypt_n=FAST)
    wallet.put("alice", WalletIdentity("Org1MSP", issued.cert_pem, issued.key_pem))
    stored = (tmp_path / "wallet" / "alice.id.json").read_bytes()
    raw = _raw_key(issued.key_pem)
    pem_body = b"".join(issued.key_pem.splitlines()[1:-1])
    for secret in (b"PRIVATE KEY", pem_body, raw, raw.hex().encode(), base64.b64encode(raw),
                   b"correct horse battery staple"):
        assert secret not in stored
    assert (tmp_path / "wallet" / "alice.id.json").stat().st_mode & 0o777 == 0o600
    loaded = wallet.get("alice")
    assert loaded.private_key_pem == issued.key_pem and loaded.certificate_pem == issued.cert_pem
    assert loaded.signing_identity().certificate == msp.pem_to_der(issued.cert_pem)
    assert "PRIVATE" not in repr(loaded) and "staple" not in repr(wallet)
    assert wallet.labels() == ["alice"] and "alice" in wallet


def test_wrong_passphrase_and_tampering_fail_clearly(tmp_path, pair) -> None:
    issued, _ = pair
    FileWallet(tmp_path, "right", scrypt_n=FAST).put("alice", WalletIdentity("Org1MSP", issued.cert_pem,
                                                                               issued.key_pem))
    with pytest.raises(WrongPassphrase, match="wrong passphrase") as wrong:
        FileWallet(tmp_path, "wrong", scrypt_n=FAST).get("alice")
    assert "right" not in str(wrong.value)
    record = json.loads((tmp_path / "alice.id.json").read_text())
    record["msp_id"] = "Org2MSP"  # the ciphertext is bound to the MSP id and certificate
    (tmp_path / "alice.id.json").write_text(json.dumps(record))
    with pytest.raises(WrongPassphrase):
        FileWallet(tmp_path, "right", scrypt_n=FAST).get("alice")
    with pytest.raises(IdentityNotFound):
        FileWallet(tmp_path, "right").get("bob")
    with pytest.raises(WalletError, match="not allowed"):
        FileWallet(tmp_path, "right").get("../etc/passwd")
    with pytest.raises(WalletError, match="non-empty"):
        FileWallet(tmp_path, "")


def test_wallet_refuses_a_key_of_another_certificate_and_keeps_certificate_only_identities(tmp_path, pair) -> None:
    issued, ca = pair
    other = msp.issue_identity(ca, "bob", "client")
    wallet = FileWallet(tmp_path, "pw", scrypt_n=FAST)
    with pytest.raises(WalletError, match="does not belong"):
        wallet.put("alice", WalletIdentity("Org1MSP", issued.cert_pem, other.key_pem))
    wallet.put("carol", WalletIdentity("Org1MSP", other.cert_pem))
    assert not wallet.get("carol").has_key
    with pytest.raises(WalletError, match="keeps the key"):
        wallet.get("carol").signing_identity()
    memory = InMemoryWallet()
    memory.put("alice", WalletIdentity("Org1MSP", issued.cert_pem, issued.key_pem))
    assert memory.get("alice").has_key and memory.remove("alice") and memory.labels() == []


def test_backoff_grows_exponentially_with_jitter_and_stays_bounded() -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=1.0, multiplier=2.0, jitter=0.5)
    rng = random.Random(7)
    for attempt in range(1, 10):
        ceiling = min(1.0, 0.1 * 2 ** (attempt - 1))
        for _ in range(50):
            assert ceiling * 0.5 <= policy.backoff(attempt, rng) <= ceiling
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=2, max_backoff=1)


def test_unreachable_peer_is_unavailable_after_bounded_retries(tmp_path, pair) -> None:
    issued, _ = pair
    tls_ca = msp.new_tls_ca("Org1MSP")
    tls = msp.issue_tls(tls_ca, "alice", ["localhost", "127.0.0.1"])
    material = TlsMaterial(tls.cert_pem, tls.key_pem, tls_ca.cert_pem)
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    identity = msp.SigningIdentity.from_pem("Org1MSP", issued.cert_pem, issued.key_pem)
    seen: list[int] = []

    async def scenario():
        gateway = Gateway(f"127.0.0.1:{port}", identity, material, timeout=5,
                          retry=RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02))
        async with gateway:
            with pytest.raises(EndorserUnavailable) as raised:
                await gateway.network("energy").contract("kv").submit(
                    "put", "k", "v", on_retry=lambda attempt, error, delay: seen.append(attempt))
            with pytest.raises(Unavailable, match="cannot connect"):
                await Gateway.connect(f"127.0.0.1:{port}", identity, material, wait_ready=0.5)
        return raised.value

    error = asyncio.run(scenario())
    assert error.retryable and error.attempts == 3 and error.stage == "endorse" and seen == [1, 2]


def test_a_closed_gateway_frees_its_channel_without_the_garbage_collector(pair) -> None:
    """Views (with_identity, network, contract) form no reference cycle with the gateway, so its gRPC channel is
    gone as soon as the last reference is: inside the event loop, never later from the collector after the loop
    closed (grpc's poller then reports 'RuntimeError: Event loop is closed')."""
    import gc
    import weakref

    issued, _ = pair
    tls_ca = msp.new_tls_ca("Org1MSP")
    tls = msp.issue_tls(tls_ca, "alice", ["127.0.0.1"])
    material = TlsMaterial(tls.cert_pem, tls.key_pem, tls_ca.cert_pem)
    identity = msp.SigningIdentity.from_pem("Org1MSP", issued.cert_pem, issued.key_pem)

    async def scenario() -> weakref.ref:
        gateway = Gateway("127.0.0.1:1", identity, material, channel="energy")
        contract = gateway.with_identity(identity).network().contract("kv")
        assert gateway.network() is gateway.network("energy")  # one view per channel while it is in use
        channel = weakref.ref(gateway._connection.channel)
        await gateway.close()
        del gateway, contract
        return channel

    gc.disable()
    try:
        channel = asyncio.run(scenario())
        assert channel() is None
    finally:
        gc.enable()
