"""The OpenAPI document says exactly what the service accepts (issue 15's REST contract): where a field's pattern
in the schema allows a value, the service's model accepts it, and where the schema forbids it, the model refuses
it. Checked on the document the running app serves, without a network (no request reaches a peer)."""

from __future__ import annotations

import base64
import re
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from gridledger.cli.app import app as cli
from gridledger.services.rest.app import create_app
from gridledger.services.rest.config import RestConfig
from gridledger.services.rest.market_models import OrderBody, RevealBody
from gridledger.services.rest.models import EvaluateBody, SignatureBody

REPO = Path(__file__).resolve().parents[2]
BASE64_DIGITS = string.ascii_letters + string.digits + "+/="


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    data = tmp_path_factory.mktemp("rest-schema")
    network = REPO / "deploy" / "networks" / "dev.yaml"
    made = CliRunner().invoke(cli, ["crypto", "generate", "--network", str(network), "--out", str(data / "crypto")])
    assert made.exit_code == 0, made.output
    config = RestConfig(msp_id="Org1MSP", data_dir=data, network_file=network, port=1)
    return TestClient(create_app(config))  # not entered: the backend never starts, nothing dials a peer


@pytest.fixture(scope="module")
def schemas(service: TestClient) -> dict:
    return service.get("/openapi.json").json()["components"]["schemas"]


def _accepts(model: type[BaseModel], body: dict) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


def _allows(schema: dict, value: str) -> bool:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 1 << 30)
    return low <= len(value) <= high and re.fullmatch(schema["pattern"].strip("^$"), value) is not None


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet="0123456789abcdefABCDEFxg", min_size=0, max_size=12))
def test_hex_fields_schema_and_service_agree(schemas: dict, value: str) -> None:
    for model, name, others in ((OrderBody, "sealed_hex", {"side": "buy"}), (RevealBody, "secret_hex",
                                                                             {"side": "sell"})):
        field = schemas[model.__name__]["properties"][name]
        assert _allows(field, value) == _accepts(model, {**others, name: value}), (name, value)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(min_size=62, max_size=66), noise=st.text(alphabet=BASE64_DIGITS, min_size=86, max_size=90))
def test_signatures_schema_and_service_agree(schemas: dict, raw: bytes, noise: str) -> None:
    field = schemas["SignatureBody"]["properties"]["signature"]
    for value in (base64.b64encode(raw).decode(), noise):
        allowed = _allows(field, value)
        assert allowed == _accepts(SignatureBody, {"signature": value}), value
        if allowed:
            assert len(base64.b64decode(value, validate=True)) == 64


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=40), cut=st.integers(min_value=0, max_value=3),
       noise=st.text(alphabet=BASE64_DIGITS, max_size=12))
def test_transient_values_are_base64_exactly_when_the_schema_says(schemas: dict, raw: bytes, cut: int,
                                                                  noise: str) -> None:
    value_schema = schemas["EvaluateBody"]["properties"]["transient"]["additionalProperties"]
    for value in (base64.b64encode(raw).decode()[: -cut or None], noise):
        allowed = _allows(value_schema, value)
        assert allowed == _accepts(EvaluateBody, {"function": "get", "transient": {"k": value}}), value
        if allowed:
            base64.b64decode(value, validate=True)  # what the schema allows always decodes


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_prepare_answers_405_to_every_method_but_post(service: TestClient, method: str) -> None:
    response = service.request(method, "/v1/transactions/prepare")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:gridledger:problem:method-not-allowed"
    assert "get" not in service.get("/openapi.json").json()["paths"]["/v1/transactions/prepare"]


def test_every_operation_declares_the_refusals_it_can_answer(service: TestClient) -> None:
    """The body limit (413) and validation (422) answer before any route runs, so every operation that takes a
    body or parameters must list them, or a generated client meets undeclared statuses."""
    undeclared = []
    for path, item in service.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            needed = ({"413", "422"} if "requestBody" in operation else set()) | (
                {"422"} if operation.get("parameters") else set())
            if not needed <= set(operation.get("responses", {})):
                undeclared.append(f"{method.upper()} {path}")
    assert not undeclared
