"""Experiment specs: the shipped ones load, `--quick` shrinks them, bad specs get precise errors, and block
overrides land in the derived network file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.lab.experiment.runner import derived_network, select_trace
from gridledger.lab.experiment.spec import SpecError, load_spec, spec_kind
from gridledger.lab.traces import TraceError
from gridledger.ops.netconfig import load_network

SPECS = sorted(Path("deploy/experiments").glob("config*.yaml"))


def test_the_three_configurations_are_shipped() -> None:
    assert [p.stem for p in SPECS] == ["config1", "config2", "config3"]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_shipped_specs_follow_the_thesis_and_quick_uses_the_sample(path: Path) -> None:
    spec = load_spec(path)
    assert (spec.market.slot_length_blocks, spec.market.reveal_offset_blocks) == (140, 70)
    assert (spec.overrides.batch_timeout_ms, spec.overrides.max_message_count) == (200, 200)
    quick = spec.quickened()
    assert quick.name == f"{spec.name}-quick"
    assert quick.trace.path == Path("deploy/traces/sample.csv") and quick.trace.households == 63
    assert quick.market.slot_length_blocks < spec.market.slot_length_blocks
    assert quick.market.sealing == spec.market.sealing and quick.market.data_model == spec.market.data_model


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("name: x\nnetwork: n.yaml\n", "trace"),
    ("name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nmarket: {sealing: rsa}\n", "market.sealing"),
    ("name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nmarket: {slot_length_blocks: 10, reveal_offset_blocks: 9}\n",
     "reveal_offset_blocks"),
    ("name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nagents: {retries: -1}\n", "agents.retries"),
    ("name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nsurprise: 1\n", "surprise"),
    ("- just a list\n", "mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_bad_specs_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(_write(tmp_path, text))


def test_missing_spec_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.yaml")


def test_block_overrides_are_written_into_the_derived_network(tmp_path: Path) -> None:
    spec = load_spec(SPECS[1]).model_copy(update={"overrides": load_spec(SPECS[1]).overrides.model_copy(
        update={"batch_timeout_ms": 350, "max_message_count": 42})})
    network = load_network(derived_network(spec.network, spec.overrides, tmp_path))
    original = load_network(spec.network)
    assert (network.batch.batch_timeout_ms, network.batch.max_message_count) == (350, 42)
    assert network.batch.preferred_max_bytes == original.batch.preferred_max_bytes
    assert network.peer_msp_ids == original.peer_msp_ids


def test_trace_problems_are_reported_before_any_network_starts(tmp_path: Path) -> None:
    spec = load_spec(SPECS[1])
    with pytest.raises(TraceError, match="cannot read"):
        select_trace(spec)  # the full-size trace is built by the user, not shipped
    beyond = spec.quickened().model_copy(update={"trace": spec.quickened().trace.model_copy(
        update={"first_slot": 90, "slots": 10})})
    with pytest.raises(TraceError, match=r"sample\.csv"):
        select_trace(beyond)
    quick = select_trace(spec.quickened())
    assert len(quick.households) == 63 and quick.slots == list(range(26, 34))


def test_an_unknown_field_names_the_closest_allowed_one(tmp_path: Path) -> None:
    text = ("name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nmarkt: {sealing: own-key}\n"
            "agents: {alfa: 3}\nquick: {housholds: 4}\n")
    with pytest.raises(SpecError) as raised:
        load_spec(_write(tmp_path, text))
    lines = sorted(str(raised.value).splitlines())  # one line per mistake
    assert len(lines) == 3 and all(line.startswith(f"{tmp_path / 'spec.yaml'}: ") for line in lines)
    assert "agents.alfa: unknown field" in lines[0] and "did you mean 'alpha'?" in lines[0]
    assert "markt: unknown field; remove it or check its spelling: did you mean 'market'?" in lines[1]
    assert "(allowed here: kind, name, configuration, network, overrides, market, trace, agents, quick)" in lines[1]
    assert "quick.housholds" in lines[2] and "did you mean 'households'?" in lines[2]
    with pytest.raises(SpecError) as raised:
        load_spec(_write(tmp_path, "name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nzzz: 1\n"))
    assert "did you mean" not in str(raised.value) and "allowed here: kind, name" in str(raised.value)


def test_a_literal_is_reported_as_the_network_file_reports_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"market\.sealing: 'rsa' is not allowed; input should be 'own-key', "):
        load_spec(_write(tmp_path, "name: x\nnetwork: n.yaml\ntrace: {path: t.csv}\nmarket: {sealing: rsa}\n"))


def test_the_kind_of_a_spec_defaults_to_market_and_must_be_a_string(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\n")
    assert spec_kind(spec) == "market"
    spec.write_text("kind: dsm\nname: x\n")
    assert spec_kind(spec) == "dsm"
    spec.write_text("kind: [dsm]\n")
    with pytest.raises(SpecError, match="kind: expected a string"):
        spec_kind(spec)
