"""Faults on a local network's processes (ops/localnet.py): signals for kill and pause, the nodes' link-fault layer
(common/linkfaults.py, switched at each node's /faults/links) for partitions and link profiles, a restart with a
node-config clock offset for clock skew, and a size-capped tmpfs per node data folder for disk full.

The tmpfs needs root (mount(2)); without it `disk-full` is unsupported and the reason says so. The ballast that
fills a node's tmpfs is one file, so freeing the disk is deleting it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from gridledger.common.linkfaults import CLEAR, LinkFault, LinkTable
from gridledger.lab.chaos.inject.base import Injector, Unsupported, rewrite_node_config
from gridledger.ops.localnet import HOST, LocalNetwork

DATA_TMPFS_BYTES = 96 * 1024 * 1024
BALLAST = "chaos-ballast"
START_TIMEOUT_S = 60.0


class LocalInjector(Injector):
    def __init__(self, local: LocalNetwork, with_tmpfs: bool) -> None:
        super().__init__(local.definition())
        self.local = local
        self.addresses = {node.name: f"{HOST}:{node.port}" for _, _, node in self.network.all_nodes()}
        self._mounted: list[Path] = []
        if with_tmpfs:
            self._mount_data_folders()
        else:
            self.unsupported_reasons["disk-full"] = "disk full was not asked for (--disk-full)"
        self.supported = tuple(kind for kind in self.supported if kind not in self.unsupported_reasons)

    # ----- set-up -----

    def enable_fault_injection(self) -> None:
        """Turn the link-fault layer on in every node config of this run's data folder (before the nodes start)."""
        for name in self.roles:
            self._update_config(name, fault_injection=True)

    def _update_config(self, name: str, **changes: object) -> None:
        rewrite_node_config(self.local.node_dir(name) / "node.json", **changes)

    def _mount_data_folders(self) -> None:
        if os.geteuid() != 0:
            self.unsupported_reasons["disk-full"] = ("disk full needs a size-capped tmpfs per node, which mount(2) "
                                                     "allows only root here")
            return
        for name in self.roles:
            folder = self.local.node_dir(name) / "data"
            folder.mkdir(parents=True, exist_ok=True)
            if any(folder.iterdir()):
                raise Unsupported(f"{folder} already holds data; a disk-full run needs a fresh data folder")
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DATA_TMPFS_BYTES}", "tmpfs", str(folder)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                self.close()
                self.unsupported_reasons["disk-full"] = f"mounting a tmpfs failed: {done.stderr.strip()}"
                return
            self._mounted.append(folder)

    def close(self) -> None:
        for folder in reversed(self._mounted):
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        self._mounted.clear()

    # ----- processes -----

    def _pid(self, node: str) -> int:
        return int((self.local.node_dir(node) / "pid").read_text())

    def running(self) -> set[str]:
        return {status.name for status in self.local.status(self.network) if status.running}

    def kill(self, node: str) -> None:
        self.local.stop_node(node, sig=signal.SIGKILL)

    def restart(self, node: str) -> None:
        self.local.start_node(node, self.roles[node])
        if not self.wait_healthy([node], START_TIMEOUT_S):
            raise Unsupported(f"{node} did not come back within {START_TIMEOUT_S:.0f} s; see "
                              f"{self.local.node_dir(node) / 'node.log'}")

    def pause(self, node: str) -> None:
        os.kill(self._pid(node), signal.SIGSTOP)

    def resume(self, node: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid(node), signal.SIGCONT)

    # ----- links -----

    def _set_links(self, node: str, links: dict[str, LinkFault]) -> None:
        body = LinkTable(links=links).model_dump_json().encode()
        request = urllib.request.Request(f"http://{HOST}:{self.operations_ports[node]}/faults/links", data=body,
                                         method="PUT", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            json.loads(response.read())

    def _links_between(self, group: Sequence[str], rest: Sequence[str], fault: LinkFault) -> None:
        for node in group:
            self._set_links(node, {self.addresses[other]: fault for other in rest})
        for node in rest:
            self._set_links(node, {self.addresses[other]: fault for other in group})

    def partition(self, group: Sequence[str], rest: Sequence[str]) -> None:
        self._links_between(group, rest, LinkFault(blocked=True))

    def heal_partition(self, group: Sequence[str], rest: Sequence[str]) -> None:
        self._links_between(group, rest, CLEAR)

    def shape(self, nodes: Sequence[str], profile: LinkFault) -> None:
        for node in self.roles:
            others = [other for other in self.roles if other != node and (node in nodes or other in nodes)]
            self._set_links(node, {self.addresses[other]: profile for other in others})

    def unshape(self, nodes: Sequence[str]) -> None:
        for node in self.roles:
            self._set_links(node, {})

    # ----- clock and disk -----

    def skew_clock(self, node: str, seconds: float) -> None:
        """Restart the node with its wall clock `seconds` off (0 puts it right again)."""
        self.local.stop_node(node)
        self._update_config(node, clock_offset_s=seconds)
        self.restart(node)

    def _data(self, node: str) -> Path:
        folder = self.local.node_dir(node) / "data"
        if folder not in self._mounted:
            raise Unsupported(self.unsupported_reasons.get("disk-full", f"{folder} is not a tmpfs of this run"))
        return folder

    def fill_disk(self, node: str) -> None:
        """Leave the node's data folder no free byte: one ballast file takes what is left."""
        folder = self._data(node)
        stats = os.statvfs(folder)
        with open(folder / BALLAST, "wb", buffering=0) as ballast:
            with contextlib.suppress(OSError):
                os.posix_fallocate(ballast.fileno(), 0, stats.f_bavail * stats.f_frsize)
            with contextlib.suppress(OSError):  # whatever fallocate's rounding left, until ENOSPC
                while ballast.write(b"\0" * 4096):
                    pass

    def free_disk(self, node: str) -> None:
        (self._data(node) / BALLAST).unlink(missing_ok=True)
