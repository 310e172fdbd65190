"""The market and token chaincodes on a real network (2 orgs x 1 peer, solo orderer, both orgs endorse):
gate closure by MVCC on every peer, Configuration 1 vs 2 contention, and one slot end to end with `market verify`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import grpc
import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.common import txbuilder
from gridledger.common.market import sealing
from gridledger.common.market.orders import Order
from gridledger.common.msp import fingerprint
from gridledger.sdk import ChaincodeError, GatewayClient
from gridledger.v1 import block_pb2, peer_pb2, transaction_pb2
from tests.integration.network import REPO, TWO_ORGS, ItNetwork

pytestmark = pytest.mark.integration
HOUSEHOLDS = ["A", "B", "C", "D", "E", "F"]
CLIENTS = ["user1", *(f"prosumer{h}" for h in HOUSEHOLDS), *(f"meter{h}" for h in HOUSEHOLDS)]


@pytest.fixture(scope="module")
def market_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ItNetwork]:
    """market and token deployed; the token names market as its settler. Org1 has a client per prosumer and meter."""
    net = ItNetwork(tmp_path_factory.mktemp("market"), orgs=2, peers_per_org=1)
    definition = yaml.safe_load(net.network_file.read_text())
    definition["peer_orgs"][0]["clients"] = CLIENTS
    net.network_file.write_text(yaml.safe_dump(definition))
    try:
        net.up()
        net.deploy("token", REPO / "gridledger" / "chaincode" / "token", TWO_ORGS)
        net.deploy("market", REPO / "gridledger" / "chaincode" / "market", TWO_ORGS)
        asyncio.run(on_chain(net, lambda chain: chain.submit(chain.utility, "token", "set_settler", "market")))
        yield net
    finally:
        net.local.down()


def member(net: ItNetwork, name: str) -> GatewayClient:
    """A client of Org1 (the utility's org) connected to Org1's peer."""
    return net.clients.connect(net.clients.first_peer("Org1MSP"), name)


def fingerprint_of(client: GatewayClient) -> str:
    return fingerprint(client.identity.certificate)


def encode(args: tuple[object, ...]) -> list[str]:
    return [a if isinstance(a, str) else json.dumps(a) for a in args]


class Chain:
    """Submits like an agent and waits until every peer has the block, so the next endorsement (by both orgs)
    never meets a peer that has not seen the previous transaction yet."""

    def __init__(self, net: ItNetwork) -> None:
        self.net = net
        self.watchers = [net.clients.connect(peer) for peer in net.peers]
        self.utility = self.watchers[0]  # Org1's admin: the utility

    async def close(self) -> None:
        for watcher in self.watchers:
            await watcher.close()

    async def synced(self, block: int) -> None:
        for watcher in self.watchers:
            for _ in range(200):
                if (await watcher.channel_info()).height > block:
                    break
                await asyncio.sleep(0.05)

    async def endorse(self, client: GatewayClient, chaincode: str, function: str, *args: object):
        """Endorse, asking again while the gateway answers ABORTED (endorsers disagreeing for a moment)."""
        for _ in range(100):
            try:
                return await client.endorse(chaincode, function, *encode(args))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError(f"{function}: endorsers kept disagreeing")

    async def send(self, client: GatewayClient, endorsed) -> peer_pb2.CommitStatusResponse:
        proposal, response = endorsed
        status = await client.submit_envelope(txbuilder.sign_payload(client.identity, response.prepared_payload),
                                              proposal.tx_id)
        await self.synced(status.block_number)
        return status

    async def submit(self, client: GatewayClient, chaincode: str, function: str, *args: object) -> bytes:
        """Endorse and commit; the transaction must be VALID. Returns the chaincode's answer."""
        endorsed = await self.endorse(client, chaincode, function, *args)
        status = await self.send(client, endorsed)
        assert block_pb2.ValidationCode.Name(status.code) == "VALID", function
        return endorsed[1].result.payload

    async def at_boundary(self, market_id: str, function: str, slot: int) -> bytes:
        """Submit a clock-gated step as the utility, keeping blocks coming with clock() while it is too early."""
        for _ in range(60):
            try:
                return await self.submit(self.utility, "market", function, market_id, slot)
            except ChaincodeError as exc:
                if exc.status != 409 or "before" not in exc.message:
                    raise
                await self.submit(self.utility, "market", "clock")
        raise AssertionError(f"{function} never reached its boundary")

    async def codes(self, tx_id: str, block: int) -> list[str]:
        """The validation code each peer recorded for a transaction in `block`."""
        codes = []
        for watcher in self.watchers:
            found = [b async for b in watcher.blocks(block, stop=block + 1)]
            for raw, code in zip(found[0].data.envelopes, found[0].metadata.validation_codes, strict=True):
                payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(raw).payload)
                if transaction_pb2.Header.FromString(payload.header).tx_id == tx_id:
                    codes.append(block_pb2.ValidationCode.Name(code))
        return codes


async def on_chain(net: ItNetwork, scenario):
    chain = Chain(net)
    try:
        return await scenario(chain)
    finally:
        await chain.close()


def config(market_id: str, data_model: str, start: int, sealing_scheme: str = sealing.OWN_KEY) -> dict:
    return {"market_id": market_id, "sealing": sealing_scheme, "data_model": data_model, "tie_rule": "average",
            "clock": {"mode": "height", "start": start, "slot_length": 8, "reveal_offset": 4},
            "lo": 3400, "hi": 10840, "token_chaincode": "token"}


async def create_market(chain: Chain, market_id: str, data_model: str, households: list[str],
                        lead_blocks: int = 0) -> None:
    """Create and register a market whose slot 0 starts `lead_blocks` after the current height."""
    start = (await chain.utility.channel_info()).height + lead_blocks
    await chain.submit(chain.utility, "market", "create_market", config(market_id, data_model, start))
    members = []
    for household in households:
        for role in ("prosumer", "meter"):
            async with member(chain.net, f"{role}{household}") as client:
                members.append({"fingerprint": fingerprint_of(client), "role": role, "household": household})
    await chain.submit(chain.utility, "market", "register", market_id, members)


def sealed_order(market_id: str, household: str, side: str, quantity: int, price: int) -> tuple[str, str]:
    sealed, private = sealing.seal_own_key(Order(household, side, quantity, price).to_bytes(market_id, 0))
    return sealed.hex(), private.hex()


def test_late_order_and_late_reveal_fail_mvcc_on_every_peer(market_network: ItNetwork) -> None:
    async def scenario(chain: Chain) -> None:
        await create_market(chain, "late", "key-per-tx", ["A"])
        every_peer_conflict = ["MVCC_READ_CONFLICT"] * len(chain.watchers)
        async with member(chain.net, "prosumerA") as prosumer:
            sealed_buy, private_buy = sealed_order("late", "A", "buy", 1000, 9000)
            sealed_sell, _ = sealed_order("late", "A", "sell", 500, 5000)
            await chain.submit(prosumer, "market", "submit_order", "late", 0, "buy", sealed_buy)
            late_order = await chain.endorse(prosumer, "market", "submit_order", "late", 0, "sell", sealed_sell)
            await chain.at_boundary("late", "close_bids", 0)
            status = await chain.send(prosumer, late_order)
            assert await chain.codes(late_order[0].tx_id, status.block_number) == every_peer_conflict
            with pytest.raises(ChaincodeError) as refused:  # endorsed after the close: refused outright
                await chain.endorse(prosumer, "market", "submit_order", "late", 0, "sell", sealed_sell)
            assert refused.value.status == 409

            late_reveal = await chain.endorse(prosumer, "market", "reveal", "late", 0, "buy", private_buy)
            await chain.at_boundary("late", "close_reveals", 0)
            status = await chain.send(prosumer, late_reveal)
            assert await chain.codes(late_reveal[0].tx_id, status.block_number) == every_peer_conflict
        result = json.loads(await chain.submit(chain.utility, "market", "clear", "late", 0))
        assert result["counters"]["unrevealed"] == 1 and result["counters"]["orders"] == 1

    asyncio.run(on_chain(market_network, scenario))


def test_key_per_slot_bidders_conflict_and_key_per_tx_bidders_do_not(market_network: ItNetwork) -> None:
    async def bid_together(chain: Chain, market_id: str) -> list[str]:
        """Every household endorses a buy order first, then all are submitted at once."""
        clients = [member(chain.net, f"prosumer{h}") for h in HOUSEHOLDS]
        try:
            endorsed = [await chain.endorse(client, "market", "submit_order", market_id, 0, "buy",
                                            sealed_order(market_id, h, "buy", 100, 9000)[0])
                        for h, client in zip(HOUSEHOLDS, clients, strict=True)]
            statuses = await asyncio.gather(*(chain.send(c, e) for c, e in zip(clients, endorsed, strict=True)))
        finally:
            for client in clients:
                await client.close()
        return sorted(block_pb2.ValidationCode.Name(s.code) for s in statuses)

    async def scenario(chain: Chain) -> tuple[list[str], list[str]]:
        await create_market(chain, "config1", "key-per-slot", HOUSEHOLDS)
        await create_market(chain, "config2", "key-per-tx", HOUSEHOLDS)
        return await bid_together(chain, "config1"), await bid_together(chain, "config2")

    config1, config2 = asyncio.run(on_chain(market_network, scenario))
    assert config1 == ["MVCC_READ_CONFLICT"] * (len(HOUSEHOLDS) - 1) + ["VALID"]
    assert config2 == ["VALID"] * len(HOUSEHOLDS)


FIG_3_1 = [("A", "buy", 1000, 11000), ("B", "buy", 2000, 7000), ("C", "sell", 1000, 5000), ("D", "sell", 1000, 6000)]
READINGS = {"A": (1200, 0), "B": (1000, 0), "C": (0, 1000), "D": (0, 800)}


def test_one_slot_end_to_end_and_market_verify_agrees(market_network: ItNetwork) -> None:
    households = [h for h, *_ in FIG_3_1]

    async def scenario(chain: Chain) -> dict[str, int]:
        await create_market(chain, "e2e", "key-per-tx", households, lead_blocks=4)
        accounts = {"grid": fingerprint_of(chain.utility)}
        secrets = {}
        for household, side, quantity, price in FIG_3_1:
            async with member(chain.net, f"prosumer{household}") as prosumer:
                accounts[household] = fingerprint_of(prosumer)
                sealed, secrets[household] = sealed_order("e2e", household, side, quantity, price)
                await chain.submit(prosumer, "market", "submit_order", "e2e", 0, side, sealed)
        await chain.submit(chain.utility, "token", "open_accounts", accounts)
        await chain.submit(chain.utility, "token", "mint", "A", 50_000_000)
        await chain.at_boundary("e2e", "close_bids", 0)
        for household, side, *_ in FIG_3_1:
            async with member(chain.net, f"prosumer{household}") as prosumer:
                await chain.submit(prosumer, "market", "reveal", "e2e", 0, side, secrets[household])
        await chain.at_boundary("e2e", "close_reveals", 0)
        result = json.loads(await chain.submit(chain.utility, "market", "clear", "e2e", 0))
        assert (result["price"], result["volume_wh"]) == (6500, 2000)
        for household, (use, gen) in READINGS.items():
            async with member(chain.net, f"meter{household}") as meter:
                await chain.submit(meter, "market", "report", "e2e", 0, use, gen)
        await chain.at_boundary("e2e", "settle", 0)
        return {account: json.loads(await chain.utility.evaluate("token", "balance", account))
                for account in [*households, "grid"]}

    balances = asyncio.run(on_chain(market_network, scenario))
    assert balances == {"A": 50_000_000 - 6_500_000 - 200 * 10840, "B": -6_500_000,
                        "C": 6_500_000, "D": 6_500_000 - 200 * 10840, "grid": 400 * 10840}
    data_dir = str(market_network.local.data_dir)
    verified = CliRunner().invoke(app, ["market", "verify", "e2e", "0", "--data-dir", data_dir])
    assert verified.exit_code == 0, verified.output
    assert "DIFFERS" not in verified.output and "settlement" in verified.output
    shown = CliRunner().invoke(app, ["market", "show", "e2e", "0", "--data-dir", data_dir])
    assert shown.exit_code == 0 and "settled" in shown.output


def test_market_verify_exits_non_zero_for_a_slot_that_is_not_cleared(market_network: ItNetwork) -> None:
    outcome = CliRunner().invoke(app, ["market", "verify", "e2e", "7", "--data-dir",
                                       str(market_network.local.data_dir)])
    assert outcome.exit_code == 1
