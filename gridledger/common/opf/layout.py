"""Which global variable each entry of a bus's local copy stands for (the paper's map G(i, j), eq. 13).

Global variables z: for every line i >= 1 its flows P_i and Q_i, for every bus its squared voltage v_i, each over
all steps. Bus j copies, in this order, block by block of `steps` values: P_j, Q_j (not the substation), v_j, then
P_k, Q_k for each child k (lowest index first), then v of its parent (not the substation). So P_i and Q_i have two
copies (bus i and its parent) and v_i has one plus one per child. The aggregator and the agents share this map.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.opf.feeder import Feeder

P, Q, V = "P", "Q", "v"


@dataclass(frozen=True, slots=True)
class Layout:
    steps: int
    names: tuple[tuple[str, int], ...]  # each global block: (P|Q|v, bus)
    blocks: tuple[tuple[int, ...], ...]  # [bus]: the global blocks its copy holds, in copy order

    @classmethod
    def of(cls, feeder: Feeder, steps: int) -> Layout:
        names = [(kind, bus) for bus in range(1, feeder.buses) for kind in (P, Q)]
        names += [(V, bus) for bus in range(feeder.buses)]
        index = {name: i for i, name in enumerate(names)}
        blocks = []
        for bus in range(feeder.buses):
            own = [(P, bus), (Q, bus), (V, bus)] if bus else [(V, 0)]
            kids = [(kind, k) for k in feeder.children(bus) for kind in (P, Q)]
            up = [(V, feeder.parent[bus])] if bus else []
            blocks.append(tuple(index[name] for name in own + kids + up))
        return cls(steps, tuple(names), tuple(blocks))

    @property
    def size(self) -> int:
        """Entries of z."""
        return len(self.names) * self.steps

    def copy_length(self, bus: int) -> int:
        return len(self.blocks[bus]) * self.steps

    def indices(self, bus: int) -> tuple[int, ...]:
        """For each entry of the bus's copy, the entry of z it copies."""
        return tuple(block * self.steps + t for block in self.blocks[bus] for t in range(self.steps))

    def block_of(self, bus: int, name: tuple[str, int]) -> int:
        """Position of a named block inside the bus's copy (the solvers address their copy this way)."""
        return self.blocks[bus].index(self.names.index(name))

    def counts(self) -> tuple[int, ...]:
        """k_g: how many copies each entry of z has."""
        per_block = [0] * len(self.names)
        for bus_blocks in self.blocks:
            for block in bus_blocks:
                per_block[block] += 1
        return tuple(c for c in per_block for _ in range(self.steps))
