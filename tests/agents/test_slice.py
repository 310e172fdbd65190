"""Slices of a community as files, household ranges, `--agents` values and records read back for merging."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.common.grpcutil import TlsMaterial
from gridledger.lab.agents.fleet import IN_RUNNER, Placement, parse_placement
from gridledger.lab.agents.records import TxLog, TxRecord, read_records
from gridledger.lab.agents.slice import SliceError, parse_range, read_slice, split_range, write_slice
from gridledger.lab.population import build_households
from gridledger.ops import cryptogen
from gridledger.ops.netconfig import load_network
from tests.integration.network import write_network


def test_household_ranges_are_checked_against_the_community() -> None:
    assert parse_range("0-249", 1000) == range(0, 250)
    assert parse_range("7") == range(7, 8)
    with pytest.raises(SliceError, match=r"expected FIRST-LAST \(e.g. 0-249\)"):
        parse_range("0..249")
    with pytest.raises(SliceError, match=r"the last household \(3\) comes before the first \(9\)"):
        parse_range("9-3")
    with pytest.raises(SliceError, match=r"the community has 63 households \(0-62\)"):
        parse_range("0-63", 63)


def test_a_community_splits_into_contiguous_slices_of_near_equal_size() -> None:
    assert split_range(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert split_range(1000, 4) == [range(0, 250), range(250, 500), range(500, 750), range(750, 1000)]
    with pytest.raises(SliceError, match="cannot split 2 households into 3 slices"):
        split_range(2, 3)


def test_agents_values_name_what_is_allowed() -> None:
    assert parse_placement("inline") == IN_RUNNER
    assert parse_placement("docker:4") == Placement("docker", 4)
    assert str(parse_placement("local:2")) == "local:2"
    with pytest.raises(ValueError, match="expected inline, local:N or docker:N"):
        parse_placement("k8s:2")
    with pytest.raises(ValueError, match="N must be 1 to 64, got 0"):
        parse_placement("local:0")


def test_a_slice_folder_holds_only_its_households_keys_and_reads_back(tmp_path: Path) -> None:
    network = load_network(write_network(tmp_path, orgs=2, peers_per_org=1))
    crypto = tmp_path / "crypto"
    cryptogen.generate(network, crypto)
    households = build_households(crypto, network.peer_msp_ids, ["h001", "h002", "h003", "h004"])
    tls = {org: TlsMaterial(b"cert-" + org.encode(), b"key-" + org.encode(), b"roots") for org in network.peer_msp_ids}
    gateways = {org: f"peer0-{org.lower()}:7051" for org in network.peer_msp_ids}
    folder = write_slice(tmp_path / "slice", 2, households[2:4], "energy", gateways, tls, b"roots")

    assert sorted(p.name for p in (folder / "keys").iterdir()) == ["h003", "h004"]
    assert oct((folder / "keys" / "h003" / "prosumer-key.pem").stat().st_mode & 0o777) == "0o600"
    read = read_slice(folder)
    assert read.indices == range(2, 4) and read.channel == "energy"
    assert [(h.id, h.org) for h in read.households] == [("h003", "Org1MSP"), ("h004", "Org2MSP")]
    assert read.households[0].meter.certificate == households[2].meter.identity.certificate
    assert read.tls["Org2MSP"].key_pem == b"key-Org2MSP"
    assert [h.id for h in read.select(range(3, 4))] == ["h004"]
    with pytest.raises(SliceError, match="holds the keys of households 2-3 only"):
        read.select(range(0, 3))

    (folder / "keys" / "h004" / "meter-key.pem").unlink()
    with pytest.raises(SliceError, match=r"cannot read .*h004/meter-key.pem"):
        read_slice(folder)


def test_records_read_back_as_written_and_a_foreign_file_is_refused(tmp_path: Path) -> None:
    log = TxLog(started_at=0.0)
    log.add(TxRecord("tx1", 0, "h001", "buy", "bid", 1, 3.25, 12.5, "VALID", 7))
    log.add(TxRecord("tx2", 1, "h002", "report", "other", 2, 4.5, 1.0, "CHAINCODE_409", None))
    assert read_records(log.write_csv(tmp_path / "tx.csv")) == log.records
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="expected the columns tx_id, slot"):
        read_records(tmp_path / "other.csv")


def test_agents_serve_refuses_a_range_outside_the_community_before_connecting(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\nnetwork: n.yaml\ntrace: {path: deploy/traces/sample.csv, households: 4}\n")
    result = CliRunner().invoke(app, ["agents", "serve", "--spec", str(spec), "--households", "2-9", "--slice",
                                      str(tmp_path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "the community has 4 households (0-3)" in result.output
