"""Hypothesis strategies for requests to a service, built from its OpenAPI document: path parameters and JSON
bodies that follow the schema (types, required fields, patterns, bounds), mixed with arbitrary junk so the service
also meets values the schema forbids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import strategies as st

JUNK: st.SearchStrategy = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
METHODS = ("get", "post", "put", "patch", "delete")
NO_BODY = object()  # send the request without a body


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, e.g. /v1/blocks/{number}
    parameters: tuple[dict, ...]  # the path parameters
    body: dict | None  # the JSON body schema, if the operation takes one

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations(document: dict) -> list[Operation]:
    found = []
    for path, item in sorted(document["paths"].items()):
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            parameters = tuple(p for p in spec.get("parameters", []) if p.get("in") == "path")
            content = spec.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(Operation(method, path, parameters, body))
    return found


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = document["components"]["schemas"][name]
    return schema


def _string(schema: dict) -> st.SearchStrategy:
    pattern = schema.get("pattern")
    if pattern:
        return st.from_regex(re.compile(pattern), fullmatch=True)
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 60), 60)
    return st.text(min_size=min(low, high), max_size=high)


def _integer(schema: dict) -> st.SearchStrategy:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - 1
    return st.one_of(st.integers(min_value=low, max_value=high), st.integers(min_value=-(2**64), max_value=2**64))


def _number(schema: dict) -> st.SearchStrategy:
    return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"), allow_nan=False,
                     allow_infinity=False)


def _object(schema: dict, document: dict, depth: int, junk: bool) -> st.SearchStrategy:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = {name: from_schema(sub, document, depth + 1, junk) for name, sub in properties.items()}
    fixed = st.fixed_dictionaries({n: s for n, s in fields.items() if n in required},
                                  optional={n: s for n, s in fields.items() if n not in required})
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        names = {"type": "string", **schema.get("propertyNames", {})}
        extras = st.dictionaries(from_schema(names, document, depth + 1, junk=False),  # keys: JSON strings
                                 from_schema(extra, document, depth + 1, junk), max_size=3)
        return st.tuples(fixed, extras).map(lambda pair: {**pair[1], **pair[0]})
    return fixed


def from_schema(schema: dict, document: dict, depth: int = 0, junk: bool = True) -> st.SearchStrategy:
    """Values of a JSON schema (as FastAPI writes them); with `junk`, now and then replaced by junk of any type."""
    schema = _resolve(schema, document)
    if depth > 4:
        return JUNK
    if "anyOf" in schema or "oneOf" in schema:
        valid = st.one_of(*(from_schema(s, document, depth + 1, junk)
                            for s in schema.get("anyOf", schema.get("oneOf"))))
    elif "allOf" in schema:
        valid = from_schema(schema["allOf"][0], document, depth + 1, junk)
    else:
        kind = schema.get("type")
        if kind == "string":
            valid = _string(schema)
        elif kind == "integer":
            valid = _integer(schema)
        elif kind == "number":
            valid = _number(schema)
        elif kind == "boolean":
            valid = st.booleans()
        elif kind == "null":
            valid = st.none()
        elif kind == "array":
            items = from_schema(schema.get("items", {}), document, depth + 1, junk)
            valid = st.lists(items, max_size=min(schema.get("maxItems", 4), 4))
        elif kind == "object" or "properties" in schema:
            valid = _object(schema, document, depth, junk)
        else:
            valid = JUNK
    return st.one_of(valid, valid, valid, valid, valid, JUNK) if junk else valid  # mostly schema-shaped


def path_value(parameter: dict, document: dict, junk: bool, known: tuple[str, ...]) -> st.SearchStrategy:
    """A path parameter as it goes into the URL (percent-encoded, never empty); `known` values that exist in the
    service (a deployed chaincode, an enrolled user) are drawn as often as generated ones."""
    value = from_schema(parameter.get("schema", {}), document, junk=junk)
    if known:
        value = st.one_of(value, st.sampled_from(known))
    return value.map(lambda v: quote(str(v).lower() if isinstance(v, bool) else str(v), safe="")).filter(
        lambda text: text not in ("", ".", ".."))


@st.composite
def requests(draw, document: dict, chosen: list[Operation],
             known: dict[str, tuple[str, ...]] | None = None) -> tuple[Operation, str, object]:
    """(operation, URL path, JSON body or a marker for none) for one request: two in three follow the schema
    exactly, the others carry junk somewhere."""
    operation = draw(st.sampled_from(chosen))
    junk = draw(st.sampled_from((False, False, True)))
    path = operation.path
    for parameter in operation.parameters:
        values = (known or {}).get(parameter["name"], ())
        path = path.replace("{" + parameter["name"] + "}", draw(path_value(parameter, document, junk, values)))
    body: object = NO_BODY
    if operation.body is not None:
        schema_body = from_schema(operation.body, document, junk=junk)
        body = draw(st.one_of(schema_body, st.just(NO_BODY)) if junk else schema_body)
    elif operation.method in ("post", "put", "patch"):
        body = draw(st.one_of(st.just(NO_BODY), JUNK))
    return operation, path, body

