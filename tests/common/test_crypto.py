from gridledger.common import hashing
from gridledger.common.crypto import Signer, Verifier
from gridledger.v1 import block_pb2


def test_sign_verify_round_trip() -> None:
    signer = Signer.generate()
    verifier = Verifier(signer.public_key)
    signature = signer.sign(b"bid: 5 kWh at 21 ct")
    assert verifier.verify(b"bid: 5 kWh at 21 ct", signature)


def test_tampered_message_signature_or_key_fails() -> None:
    signer = Signer.generate()
    verifier = Verifier(signer.public_key)
    signature = signer.sign(b"message")
    assert not verifier.verify(b"messagf", signature)
    assert not verifier.verify(b"message", bytes([signature[0] ^ 1]) + signature[1:])
    assert not verifier.verify(b"message", signature[:-1])
    assert not Verifier(Signer.generate().public_key).verify(b"message", signature)


def test_repr_does_not_show_private_key() -> None:
    key = bytes(range(32))
    assert key.hex() not in repr(Signer(key))


def test_header_hash_depends_on_every_field() -> None:
    base = block_pb2.BlockHeader(number=1, previous_hash=b"a" * 32, data_hash=b"b" * 32)
    variants = [block_pb2.BlockHeader(number=2, previous_hash=b"a" * 32, data_hash=b"b" * 32),
                block_pb2.BlockHeader(number=1, previous_hash=b"c" * 32, data_hash=b"b" * 32),
                block_pb2.BlockHeader(number=1, previous_hash=b"a" * 32, data_hash=b"d" * 32)]
    assert all(hashing.header_hash(v) != hashing.header_hash(base) for v in variants)


def test_data_hash_is_not_fooled_by_moving_bytes_between_envelopes() -> None:
    assert hashing.data_hash([b"ab", b"c"]) != hashing.data_hash([b"a", b"bc"])
