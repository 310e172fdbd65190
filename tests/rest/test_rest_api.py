"""The REST service as users meet it: a real network, the service in its own uvicorn process (started by
`network up`), users enrolled with the CLI, httpx on the wire."""

from __future__ import annotations

import asyncio
import base64
import json
import os

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, Phase, given, settings

from gridledger.common import msp
from gridledger.sdk import FileWallet, WrongPassphrase
from tests.rest.conftest import RestNetwork
from tests.rest.openapi_strategies import NO_BODY, operations, requests

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("urn:")
    assert "Traceback" not in response.text
    return body


@pytest.fixture(scope="module")
def alice(rest_network: RestNetwork) -> str:
    return rest_network.enroll("alice")


def test_enrolled_user_submits_evaluates_and_reads_the_ledger(rest_network: RestNetwork, alice: str) -> None:
    with rest_network.client(alice) as http:
        submitted = http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["meter-9", "311"]})
        assert submitted.status_code == 200, submitted.text
        result = submitted.json()
        assert result["validation_code"] == "VALID" and result["attempts"] == 1 and len(result["tx_id"]) == 64
        evaluated = http.post("/v1/chaincodes/kv/evaluate", json={"function": "get", "args": ["meter-9"]})
        assert evaluated.json() == {"result": "311", "result_base64": base64.b64encode(b"311").decode()}
        status = http.get(f"/v1/transactions/{result['tx_id']}").json()
        assert status == {"tx_id": result["tx_id"], "status": "committed", "validation_code": "VALID",
                          "valid": True, "block": result["block"]}
        block = http.get(f"/v1/blocks/{result['block']}").json()
        [mine] = [t for t in block["transactions"] if t["tx_id"] == result["tx_id"]]
        assert (mine["chaincode"], mine["function"], mine["creator_msp_id"]) == ("kv", "put", "Org1MSP")
        chain = http.get("/v1/chain").json()
        assert chain["height"] > result["block"] and chain["channel"] == rest_network.net.channel
        me = http.get("/v1/users/me").json()
        assert me["scopes"] == ["submit", "evaluate", "ledger"]
        assert me["fingerprint"] == msp.fingerprint(msp.pem_to_der(me["certificate"].encode()))
        unknown = _problem(http.get(f"/v1/transactions/{'0' * 64}"), 404)
        assert unknown["type"].endswith("unknown-transaction")
        _problem(http.get(f"/v1/blocks/{chain['height'] + 5}"), 404)
    code, out, _ = rest_network.cli("network", "status", "--json")
    assert code == 0 and rest_network.url in [r["url"] for r in json.loads(out)["rest"]]
    with rest_network.client() as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok", "peer": None, "height": None}
        assert anonymous.get("/readyz").json()["status"] == "ready"
        assert anonymous.get("/docs").status_code == 200
        paths = anonymous.get("/openapi.json").json()["paths"]
        assert {"/v1/chaincodes/{name}/submit", "/v1/transactions/prepare", "/v1/blocks/{number}"} <= set(paths)


def test_bad_token_is_401_and_a_missing_right_is_403(rest_network: RestNetwork) -> None:
    reader = rest_network.enroll("reader", "--scope", "evaluate")
    body = {"function": "put", "args": ["k", "v"]}
    with rest_network.client("glr_not-a-token") as http:
        refused = http.post("/v1/chaincodes/kv/submit", json=body)
        assert _problem(refused, 401)["title"] == "Invalid token"
        assert refused.headers["www-authenticate"] == "Bearer"
    with rest_network.client() as http:
        assert _problem(http.post("/v1/chaincodes/kv/submit", json=body), 401)["title"] == "Missing token"
    with rest_network.client(reader) as http:
        forbidden = _problem(http.post("/v1/chaincodes/kv/submit", json=body), 403)
        assert "'submit' right" in forbidden["detail"]
        _problem(http.get("/v1/chain"), 403)
        _problem(http.post("/v1/users/alice/certificate", json={"csr": "x"}), 403)
        evaluated = http.post("/v1/chaincodes/kv/evaluate", json={"function": "get", "args": ["nope"]})
        assert _problem(evaluated, 400)["chaincode_status"] == 400  # allowed to ask; the chaincode says no


def test_malformed_requests_are_422_and_oversized_ones_413(rest_network: RestNetwork, alice: str) -> None:
    with rest_network.client(alice) as http:
        cases = [
            ({"function": "put", "args": [1, 2]}, "body.args.0"),
            ({"function": "put", "args": ["k"], "colour": "red"}, "body.colour"),
            ({"args": ["k"]}, "body.function"),
            ({"function": "put", "transient": {"secret": "not base64!"}}, "body.transient.secret"),
            ({"function": "bad name"}, "body.function"),
            ({"function": "put", "max_attempts": 0}, "body.max_attempts"),
        ]
        for body, location in cases:
            problem = _problem(http.post("/v1/chaincodes/kv/submit", json=body), 422)
            assert location in [e["location"] for e in problem["errors"]], (body, problem)
        not_json = http.post("/v1/chaincodes/kv/submit", content=b"{not json", headers={"content-type":
                                                                                       "application/json"})
        _problem(not_json, 422)
        _problem(http.post("/v1/chaincodes/Not-A-Name/submit", json={"function": "put"}), 422)
        _problem(http.get("/v1/transactions/xyz"), 422)
        huge = http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["k", "x" * 2_000_000]})
        assert _problem(huge, 413)["title"] == "Request too large"


def test_hot_key_conflict_is_409_with_the_validation_code(rest_network: RestNetwork, alice: str) -> None:
    headers = {"Authorization": f"Bearer {alice}"}

    async def round_(n: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=rest_network.url, headers=headers, timeout=60) as http:
            seeded = await http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": [f"hot{n}", "500"]})
            assert seeded.status_code == 200, seeded.text
            return await asyncio.gather(*(http.post("/v1/chaincodes/kv/submit", json={
                "function": "transfer", "args": [f"hot{n}", f"to{n}-{i}", "5"], "max_attempts": 1})
                for i in range(6)))

    for n in range(3):  # concurrent transfers out of one balance land in one block: all but one conflict
        responses = asyncio.run(round_(n))
        conflicts = [r for r in responses if r.status_code == 409]
        assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
        if conflicts:
            break
    problem = _problem(conflicts[0], 409)
    assert problem["validation_code"] == "MVCC_READ_CONFLICT" and problem["retryable"] is True
    assert problem["attempts"] == 1 and len(problem["tx_id"]) == 64 and problem["block"] > 0
    assert "MVCC_READ_CONFLICT" in problem["title"]


def _csr(key: ed25519.Ed25519PrivateKey, name: str) -> str:
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).sign(key, None)
    return request.public_bytes(serialization.Encoding.PEM).decode()


def _sign(key: ed25519.Ed25519PrivateKey, data_b64: str) -> str:
    return base64.b64encode(key.sign(base64.b64decode(data_b64))).decode()


def test_offline_signing_round_trip_with_a_client_held_key(rest_network: RestNetwork, alice: str) -> None:
    admin = rest_network.enroll("org-admin", "--admin")
    bob = rest_network.enroll("bob", "--offline")
    key = ed25519.Ed25519PrivateKey.generate()  # never leaves this test
    with rest_network.client(admin) as http:
        registered = http.post("/v1/users/bob/certificate", json={"csr": _csr(key, "bob")})
        assert registered.status_code == 200, registered.text
        assert registered.json()["custodial"] is False
        _problem(http.post("/v1/users/nobody/certificate", json={"csr": _csr(key, "x")}), 404)
        _problem(http.post("/v1/users/bob/certificate", json={"certificate": "junk"}), 400)
    with rest_network.client(bob) as http:
        _problem(http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["k", "v"]}), 403)
        prepared = http.post("/v1/transactions/prepare", json={
            "chaincode": "kv", "function": "put", "args": ["offline-key", "signed by bob"]})
        assert prepared.status_code == 201, prepared.text
        tx_id = prepared.json()["tx_id"]
        assert http.get(f"/v1/transactions/{tx_id}").json()["status"] == "prepared"
        _problem(http.post(f"/v1/transactions/{tx_id}/submit", json={"signature": _sign(key, prepared.json()[
            "proposal"])}), 409)  # not endorsed yet
        wrong_key = ed25519.Ed25519PrivateKey.generate()
        bad = http.post(f"/v1/transactions/{tx_id}/endorse",
                        json={"signature": _sign(wrong_key, prepared.json()["proposal"])})
        assert _problem(bad, 400)["title"] == "Bad signature"
        endorsed = http.post(f"/v1/transactions/{tx_id}/endorse",
                             json={"signature": _sign(key, prepared.json()["proposal"])})
        assert endorsed.status_code == 200, endorsed.text
        submitted = http.post(f"/v1/transactions/{tx_id}/submit",
                              json={"signature": _sign(key, endorsed.json()["payload"])})
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["validation_code"] == "VALID" and submitted.json()["tx_id"] == tx_id
        _problem(http.post(f"/v1/transactions/{tx_id}/submit",
                           json={"signature": _sign(key, endorsed.json()["payload"])}), 404)  # done, forgotten
    with rest_network.client(alice) as http:
        assert http.post("/v1/chaincodes/kv/evaluate", json={"function": "get", "args": ["offline-key"]}).json()[
            "result"] == "signed by bob"
        block = http.get(f"/v1/blocks/{submitted.json()['block']}").json()
        assert tx_id in [t["tx_id"] for t in block["transactions"]]
        # someone else's prepared transaction is not theirs to sign
        with rest_network.client(bob) as bob_http:
            other = bob_http.post("/v1/transactions/prepare", json={"chaincode": "kv", "function": "put",
                                                                    "args": ["a", "b"]}).json()["tx_id"]
        _problem(http.post(f"/v1/transactions/{other}/endorse", json={"signature": _sign(key, "AAAA")}), 403)


def test_revoked_token_is_401_and_the_running_service_notices_at_once(rest_network: RestNetwork) -> None:
    token = rest_network.enroll("carol")
    with rest_network.client(token) as http:
        assert http.get("/v1/users/me").json()["user"] == "carol"
        code, _, err = rest_network.cli("rest", "revoke", "carol", "--org", "Org1MSP")
        assert code == 0 and "revoked 1 token(s) of carol" in err
        refused = http.get("/v1/users/me")  # same process, no restart
        problem = _problem(refused, 401)
        assert problem["title"] == "Token revoked" and problem["type"].endswith("revoked-token")
        assert "revoked" in problem["detail"] and "gridledger rest enroll carol --org Org1MSP" in problem["detail"]
        assert refused.headers["www-authenticate"] == "Bearer"
    assert rest_network.cli("rest", "revoke", "carol", "--org", "Org1MSP")[0] == 1  # no longer enrolled
    again = rest_network.enroll("carol")  # re-enrolment gives a new token; the old one stays revoked
    with rest_network.client(again) as http:
        assert http.get("/v1/users/me").status_code == 200
    with rest_network.client(token) as http:
        assert _problem(http.get("/v1/users/me"), 401)["title"] == "Token revoked"


def test_wrong_signatures_are_refused_and_nothing_is_committed(rest_network: RestNetwork, alice: str,
                                                               tmp_path) -> None:
    key, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "dave.csr").write_text(_csr(key, "dave"))
    dave = rest_network.enroll("dave", "--csr", str(tmp_path / "dave.csr"))
    garbage = base64.b64encode(os.urandom(64)).decode()

    def not_committed(tx_id: str, step: str) -> None:
        with rest_network.client(dave) as http:
            assert http.get(f"/v1/transactions/{tx_id}").json()["status"] == step
        with rest_network.client(alice) as http:  # the ledger does not know it; the key was never written
            assert _problem(http.get(f"/v1/transactions/{tx_id}", params={"wait": 1}), 404)
            _problem(http.post("/v1/chaincodes/kv/evaluate", json={"function": "get", "args": ["unsigned"]}), 400)

    with rest_network.client(dave) as http:
        prepared = http.post("/v1/transactions/prepare", json={"chaincode": "kv", "function": "put",
                                                               "args": ["unsigned", "forged"]}).json()
        tx_id, proposal = prepared["tx_id"], prepared["proposal"]
        for signature in (_sign(other, proposal), garbage):
            bad = _problem(http.post(f"/v1/transactions/{tx_id}/endorse", json={"signature": signature}), 400)
            assert bad["title"] == "Bad signature" and "over the proposal" in bad["detail"]
        not_committed(tx_id, "prepared")
        endorsed = http.post(f"/v1/transactions/{tx_id}/endorse", json={"signature": _sign(key, proposal)})
        assert endorsed.status_code == 200, endorsed.text
        payload = endorsed.json()["payload"]
        for signature in (_sign(other, payload), _sign(key, proposal), garbage):  # wrong key, message, bytes
            bad = _problem(http.post(f"/v1/transactions/{tx_id}/submit", json={"signature": signature}), 400)
            assert bad["title"] == "Bad signature" and "over the transaction payload" in bad["detail"]
    not_committed(tx_id, "endorsed")


def test_openapi_surface_never_fails_with_5xx(rest_network: RestNetwork) -> None:
    """Requests generated from the service's own OpenAPI document, valid and junk, with a token holding every
    right: the service answers 2xx, or 4xx as a problem document; never 5xx while the network is up."""
    token = rest_network.enroll("fuzzer", "--admin")
    with rest_network.client(token) as http:
        document = http.get("/openapi.json").json()
        chosen = operations(document)
        assert len(chosen) >= 10, [str(o) for o in chosen]

        @settings(max_examples=100, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(requests(document, chosen, {"name": ("kv", "fuzzer", "alice")}))
        def check(request: tuple) -> None:
            operation, path, body = request
            options = {} if body is NO_BODY else {"json": body}
            response = http.request(operation.method.upper(), path, **options)
            where = f"{operation} as {operation.method.upper()} {path} {body!r:.300}: {response.text[:500]}"
            if response.status_code >= 500:
                assert response.status_code in (503, 504) and "retry-after" in response.headers, where
            if 400 <= response.status_code < 600:
                assert response.headers.get("content-type", "").startswith(PROBLEM), where
                problem = response.json()
                assert problem.get("title") and problem.get("detail"), where

        check()


def test_service_wallet_holds_no_clear_key(rest_network: RestNetwork, alice: str) -> None:
    state = rest_network.net.local.data_dir / "rest" / "Org1MSP"
    stored = (state / "wallet" / "alice.id.json").read_bytes()
    passphrase = (state / "wallet.passphrase").read_text().strip()
    identity = FileWallet(state / "wallet", passphrase).get("alice")
    key = serialization.load_pem_private_key(identity.private_key_pem, password=None)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    for secret in (b"PRIVATE KEY", b"".join(identity.private_key_pem.splitlines()[1:-1]), raw,
                   raw.hex().encode(), base64.b64encode(raw), passphrase.encode()):
        assert secret not in stored
    users = json.loads((state / "users.json").read_text())
    assert alice not in json.dumps(users)  # only the token's hash is kept
    with pytest.raises(WrongPassphrase):
        FileWallet(state / "wallet", "not the passphrase").get("alice")
    log = (state / "rest.log").read_text()
    assert alice not in log and passphrase not in log and "PRIVATE KEY" not in log


def test_peer_down_is_503_with_retry_after(rest_network: RestNetwork, alice: str) -> None:
    local = rest_network.net.local
    local.stop_node("peer0-org1")
    try:
        with rest_network.client(alice) as http:
            down = http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["k", "v"]})
            problem = _problem(down, 503)
            assert int(down.headers["retry-after"]) > 0 and problem["retryable"] is True
            assert problem["attempts"] == 3  # the service's bounded retries, then it gives up
            _problem(http.post("/v1/chaincodes/kv/evaluate", json={"function": "get", "args": ["k"]}), 503)
            not_ready = http.get("/readyz")
            assert _problem(not_ready, 503) and "retry-after" in not_ready.headers
            assert http.get("/healthz").status_code == 200  # the process itself is fine
    finally:
        local.start_node("peer0-org1", "peer")
        local.wait_healthy(local.definition(), 60)
    with rest_network.client(alice) as http:
        for _ in range(100):
            if http.get("/readyz").status_code == 200:
                break
            asyncio.run(asyncio.sleep(0.2))
        assert http.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["back", "1"]}).status_code == 200
