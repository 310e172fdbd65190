"""The live dashboard in headless Chromium against a running 2-org network: the height and throughput it shows
move when transactions commit, an MVCC conflict provoked here appears on its validation-code panel, and a DSM day
planned by the lab's agents and the iterations of an OPF run appear on their panels as they land. The screenshots
are kept as test artifacts (ARTIFACTS)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gridledger.common.material import load_member
from gridledger.common.msp import fingerprint
from gridledger.common.opf import AdmmConfig, Layout
from gridledger.common.opf.codec import feeder_to_json
from gridledger.lab.dsm.runner import DsmSession, select_days
from gridledger.lab.dsm.spec import load_dsm_spec
from gridledger.lab.opf.agent import LocalSolver
from gridledger.lab.population import IdentityIssuer
from gridledger.sdk import Gateway, TransactionInvalid
from tests.browser import chromium, console_errors
from tests.integration.network import REPO, TWO_ORGS, ItNetwork
from tests.opf.feeders import small_scenario

pytestmark = pytest.mark.integration
ARTIFACTS = REPO / "build" / "test-artifacts"
WAIT_S = 30


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as chrome:
        yield chrome


def text(browser: webdriver.Chrome, selector: str) -> str:
    return browser.execute_script("return document.querySelector(arguments[0]).textContent", selector)


def table(browser: webdriver.Chrome, table_id: str) -> list[list[str]]:
    """The rows' cell texts, read in one script: the page redraws its tables on every snapshot."""
    return browser.execute_script(
        "return [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].map(r => [...r.cells].map(c => "
        "c.textContent))", table_id)


def codes_shown(browser: webdriver.Chrome) -> dict[str, int]:
    return {code: int(count) for code, count in table(browser, "codes")}


async def provoke_mvcc_conflict(net: ItNetwork) -> int:
    """Concurrent transfers from one account read the same version; all but the first in a block conflict."""
    async with net.user() as client:
        await client.submit("kv", "put", "alice", "1000")
        for _ in range(5):
            outcomes = await asyncio.gather(*(client.submit("kv", "transfer", "alice", f"to-{i}", "1")
                                              for i in range(4)), return_exceptions=True)
            conflicts = [o for o in outcomes if isinstance(o, TransactionInvalid)
                         and o.code_name == "MVCC_READ_CONFLICT"]
            if conflicts:
                return len(conflicts)
    raise AssertionError("no MVCC conflict in five tries")


def test_dashboard_shows_heights_throughput_and_an_mvcc_conflict(live_network: ItNetwork,
                                                                  browser: webdriver.Chrome) -> None:
    [org1] = [rest for rest in live_network.local.rest_status() if rest.msp_id == "Org1MSP"]
    browser.get(f"{org1.url}/dashboard")
    wait = WebDriverWait(browser, WAIT_S, poll_frequency=0.2)
    wait.until(lambda b: text(b, "#stream") == "live" and text(b, "#height").isdigit())
    wait.until(lambda b: len(table(b, "nodes")) == 5)
    height = int(text(browser, "#height"))

    async def load() -> None:
        async with live_network.user() as client:
            await asyncio.gather(*(client.submit("kv", "put", f"dash-{i}", str(i)) for i in range(40)))

    asyncio.run(load())
    wait.until(lambda b: int(text(b, "#height")) > height and float(text(b, "#throughput")) > 0)
    conflicts = asyncio.run(provoke_mvcc_conflict(live_network))
    wait.until(lambda b: codes_shown(b).get("MVCC_READ_CONFLICT", 0) >= conflicts)
    assert codes_shown(browser)["VALID"] >= 40
    assert all(row[3] == "up" for row in table(browser, "nodes")), table(browser, "nodes")
    assert "raft term" in text(browser, "#consensus") and "leader orderer" in text(browser, "#consensus")
    # Three charts drew their traces (plotly adds one .trace group per trace).
    for chart in ("chart-throughput", "chart-heights", "chart-codes"):
        assert browser.find_elements(By.CSS_SELECTOR, f"#{chart} .trace"), chart
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert not console_errors(browser)


def plan_a_dsm_day(net: ItNetwork) -> str:
    """One day of dsm-scenario1's quick trace, three houses, method 1, through the lab's coordinator and house
    agents (token and dsm deployed by its setup); returns the neighbourhood id."""
    spec = load_dsm_spec(REPO / "deploy" / "experiments" / "dsm-scenario1.yaml").quickened()
    trace = spec.trace.model_copy(update={"path": REPO / spec.trace.path, "houses": 3, "days": 1})
    spec = spec.model_copy(update={"name": "dash", "methods": ("method1",), "trace": trace})
    session = DsmSession(spec, net.clients.network, net.local.crypto_dir, *select_days(spec),
                         progress=lambda *_: None)
    asyncio.run(session.run())
    return session.config_for("method1").neighbourhood_id


async def run_opf_iterations(net: ItNetwork, iterations: int) -> None:
    """ADMM on a 4-bus feeder through the aggregator chaincode: Org1's admin creates the run and closes each
    iteration; one issued identity per bus solves its local problem (CVXPY, the `opf` extra) against the target
    the chaincode gives and submits its copy, as tests/opf/test_aggregator_network.py does."""
    scenario = small_scenario(steps=2, seed=1)
    layout = Layout.of(scenario.feeder, scenario.steps)
    config = AdmmConfig("dash-y4", rho=100.0, eps_pri=1e-4, eps_dual=1e-2, max_iterations=50)
    network, crypto = net.clients.network, net.local.crypto_dir
    admin = load_member(crypto, "Org1MSP", "admin", network.msp_ids)
    gateway = await Gateway.connect(net.clients.first_peer("Org1MSP").address, admin.identity, admin.tls)
    issuer = IdentityIssuer(crypto, "Org1MSP")
    buses = range(scenario.feeder.buses)
    agents = [gateway.with_identity(issuer.issue(f"dash-bus{bus}")) for bus in buses]
    try:
        operator = gateway.network(network.channel).contract("opf")
        await operator.submit("create_run", json.dumps(config.to_dict()),
                              json.dumps(feeder_to_json(scenario.feeder)), str(scenario.steps))
        await operator.submit("register", config.run_id, json.dumps([
            {"bus": bus, "fingerprint": fingerprint(agent.identity.certificate)}
            for bus, agent in zip(buses, agents, strict=True)]))
        solvers = [LocalSolver(scenario, layout, bus, config.rho) for bus in buses]

        async def send_copy(bus: int, iteration: int) -> None:
            contract = agents[bus].network(network.channel).contract("opf")
            target = json.loads(await contract.evaluate("target", config.run_id, str(bus)))
            copy = solvers[bus].solve(tuple(target["target"]))
            await contract.submit("submit_copy", config.run_id, str(iteration), str(bus), json.dumps(list(copy)))

        for iteration in range(1, iterations + 1):
            await asyncio.gather(*(send_copy(bus, iteration) for bus in buses))
            await operator.submit("close_iteration", config.run_id, str(iteration))
    finally:
        await gateway.close()


def test_dashboard_shows_a_dsm_day_and_opf_iterations(live_network: ItNetwork, browser: webdriver.Chrome) -> None:
    [org1] = [rest for rest in live_network.local.rest_status() if rest.msp_id == "Org1MSP"]
    browser.get(f"{org1.url}/dashboard")
    wait = WebDriverWait(browser, WAIT_S, poll_frequency=0.2)
    wait.until(lambda b: text(b, "#stream") == "live")
    assert not table(browser, "days") and not table(browser, "runs")

    live_network.deploy("opf", REPO / "gridledger" / "chaincode" / "opf", TWO_ORGS)
    asyncio.run(run_opf_iterations(live_network, 3))
    wait.until(lambda b: [row[:2] for row in table(b, "runs")] == [["dash-y4", "3"]])
    [run] = table(browser, "runs")
    assert float(run[2]) > 0 and float(run[3]) >= 0 and run[4] == "0.0001 / 0.01", run
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-opf .trace")

    nb = plan_a_dsm_day(live_network)
    wait.until(lambda b: any(row[0] == nb and row[3] == "planned" for row in table(b, "days")))
    [day] = [row for row in table(browser, "days") if row[0] == nb]
    assert day[1:3] == ["0", "method1"] and day[5] == "3/3", day
    (peak_before, peak_now), (norm_before, norm_now) = ([int(n) for n in cell.split(" → ")] for cell in day[6:8])
    assert peak_now <= peak_before and norm_now < norm_before, day  # Profile Steering flattened the aggregate
    browser.execute_script("document.getElementById('slots').scrollIntoView()")  # the energy panels in the shot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard-dsm-opf.png"))
    assert not console_errors(browser)
