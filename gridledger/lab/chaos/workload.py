"""The workload of a chaos run and what it records: a bench workload (lab/bench/workloads) sent through one gateway
per peer, a few transactions in flight on each, every invocation, acknowledgement and failure written to the
history; and one follower per peer writing each block it commits.

A transaction is submitted once (no SDK retries), as the bench does: under faults a retry would hide which
attempt was acknowledged. An acknowledgement is a submit that returned VALID with its txid and block, which is
what the checker then holds the ledgers to.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from gridledger.common.material import load_member
from gridledger.lab.bench.workloads import WorkerSlot, Workload, workload_class
from gridledger.lab.chaos.history import History
from gridledger.ops.deploy import NetworkClients, PeerRef, peers_of
from gridledger.sdk import NO_RETRY, Contract, Gateway, GridLedgerError
from gridledger.sdk.events import code_name

TX_TIMEOUT_S = 10.0
IN_FLIGHT_PER_PEER = 4
FOLLOW_RETRY_S = 0.5
PROBE_PAUSE_S = 0.5


@dataclass
class Client:
    """One peer's gateway and the workload instance that sends through it."""

    peer: PeerRef
    gateway: Gateway
    contract: Contract
    workload: Workload
    sequence: int = 0

    def contract_for(self, transaction) -> Contract:
        if transaction.identity is None:
            return self.contract
        network = self.contract.network
        return network.gateway.with_identity(transaction.identity).network(network.channel_id).contract(
            self.contract.name)


class ChaosWorkload:
    """Sends `workload` through every peer and records what happens; `run_for` is one schedule's traffic."""

    def __init__(self, clients: NetworkClients, workload: str, options: dict, history: History,
                 run_id: str) -> None:
        self.network_clients = clients
        self.workload_class = workload_class(workload)
        self.options = options
        self.history = history
        self.run_id = run_id
        self.clients: list[Client] = []
        self._operation = 0
        self._followers: list[asyncio.Task] = []
        self.acks: list[dict] = []  # the history's ack events, in order
        self.block_times: list[float] = []  # when each new block number was first seen committed on any peer
        self._highest_seen = -1

    async def open(self) -> None:
        """Connect one gateway per peer (as its org's first client) and run each workload's untimed setup."""
        network = self.network_clients.network
        peers = peers_of(network)
        for index, peer in enumerate(peers):
            org = next(o for o in network.peer_orgs if o.msp_id == peer.msp_id)
            if not org.clients:
                raise ValueError(f"{org.msp_id} lists no clients; a chaos run sends as each org's first client")
            material = load_member(self.network_clients.crypto_dir, peer.msp_id, org.clients[0], network.msp_ids)
            gateway = await Gateway.connect(peer.address, material.identity, material.tls, retry=NO_RETRY)
            slot = WorkerSlot(index, len(peers), 0, f"{self.run_id}-c{index}", peer.msp_id,
                              self.network_clients.crypto_dir)
            workload = self.workload_class(slot, self.options)
            contract = gateway.network(network.channel).contract(self.workload_class.chaincode)
            self.clients.append(Client(peer, gateway, contract, workload))
        await asyncio.gather(*(client.workload.setup(client.contract) for client in self.clients))

    async def close(self) -> None:
        for task in self._followers:
            task.cancel()
        for task in self._followers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in self.clients:
            await client.gateway.close()

    # ----- traffic -----

    async def _submit(self, client: Client) -> bool:
        transaction = client.workload.transaction(client.sequence)
        client.sequence += 1
        self._operation += 1
        operation = self._operation
        self.history.record("invoke", op=operation, client=client.peer.name, function=transaction.function)
        try:
            result = await client.contract_for(transaction).submit(transaction.function, *transaction.args,
                                                                   retry=NO_RETRY, timeout=TX_TIMEOUT_S)
        except GridLedgerError as exc:
            self.history.record("fail", op=operation, tx_id=getattr(exc, "tx_id", None), error=type(exc).__name__)
            return False
        except Exception as exc:  # a chaos run records every failure instead of stopping
            self.history.record("fail", op=operation, tx_id=None, error=type(exc).__name__)
            return False
        self.acks.append(self.history.record("ack", op=operation, tx_id=result.tx_id, block=result.block))
        return True

    async def _keep_sending(self, client: Client, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._submit(client)

    async def run_for(self, seconds: float) -> None:
        """Keep IN_FLIGHT_PER_PEER transactions in flight through every peer for `seconds`, then let the last
        ones finish (each ends within its timeout)."""
        stop = asyncio.Event()
        senders = [asyncio.create_task(self._keep_sending(client, stop)) for client in self.clients
                   for _ in range(IN_FLIGHT_PER_PEER)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*senders)

    async def _probe(self, client: Client) -> None:
        while not await self._submit(client):
            await asyncio.sleep(PROBE_PAUSE_S)

    async def probe_all(self) -> None:
        """Through every peer, transactions until one commits VALID: the network serves again (the caller
        bounds how long that may take)."""
        await asyncio.gather(*(self._probe(client) for client in self.clients))

    # ----- commits -----

    def follow_commits(self, start: int) -> None:
        for peer in peers_of(self.network_clients.network):
            self._followers.append(asyncio.create_task(self._follow(peer, start)))

    async def _follow(self, peer: PeerRef, start: int) -> None:
        """Record every block `peer` commits from `start` on, reconnecting for as long as the run lasts."""
        next_block = start
        while True:
            try:
                async with self.network_clients.connect(peer) as client:
                    async for block in client.filtered_blocks(next_block):
                        self.history.record("commit", node=peer.name, block=block.number,
                                            txs=[[tx.tx_id, code_name(tx.code)] for tx in block.transactions])
                        if block.number > self._highest_seen:
                            self._highest_seen = block.number
                            self.block_times.append(self.history.now())
                        next_block = block.number + 1
            except asyncio.CancelledError:
                raise
            except Exception:  # the peer is down, paused or cut off: try again
                await asyncio.sleep(FOLLOW_RETRY_S)
