"""`gridledger network render --target compose|swarm|k8s`: one network definition written out for the chosen
orchestrator into a folder.

    compose  DIR/docker-compose.yml   bind-mounts the node folders of --data-dir (prepare them with `make up`'s
                                      prepare step or `network up --docker`); renders from the definition alone,
                                      as the committed docker-compose.yml is
    swarm    DIR/stack.yml            names the same node folders' files as configs and secrets; the folders are
                                      prepared here, so `docker stack deploy -c DIR/stack.yml` works at once
    k8s      DIR/*.yaml               carries the files themselves (Secrets, ConfigMaps), so the data folder is
                                      prepared here too, and the files holding Secrets are written 0600

Preparing makes crypto material, the genesis block and the node folders where missing (material.prepare, which
refuses a folder made for another network). Compose and swarm name the material by a path relative to DIR, so a
rendering stays valid wherever the pair is moved together."""

from __future__ import annotations

import os
from pathlib import Path

from gridledger.ops.docker.material import Layout, prepare
from gridledger.ops.docker.render import render as render_compose
from gridledger.ops.netconfig import load_network
from gridledger.ops.render import k8s, swarm
from gridledger.ops.render.model import DEFAULT_IMAGE, MountedFile, Service

TARGETS = ("compose", "swarm", "k8s")
COMPOSE_FILE = "docker-compose.yml"
STACK_FILE = "stack.yml"


def render_to(network_file: Path, target: str, out_dir: Path, data_dir: Path,
              image: str = DEFAULT_IMAGE) -> list[Path]:
    """Write the rendering for `target` into `out_dir`; returns the files written."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = Layout(data_dir.resolve())
    if target == "k8s":
        return _write_manifests(network_file, out_dir, layout, image)
    network = load_network(network_file) if target == "compose" else prepare(network_file, layout.data_dir)[0]
    material = os.path.relpath(layout.nodes_dir, out_dir.resolve()).replace(os.sep, "/")
    if target == "compose":
        path, text = out_dir / COMPOSE_FILE, render_compose(network, material, str(network_file))
    else:
        path, text = out_dir / STACK_FILE, swarm.render(network, material, str(network_file))
    path.write_text(text)
    return [path]


def _write_manifests(network_file: Path, out_dir: Path, layout: Layout, image: str) -> list[Path]:
    network, layout = prepare(network_file, layout.data_dir)

    def read(service: Service, file: MountedFile) -> bytes:
        return (layout.node_dir(service.name) / file.path).read_bytes()

    written = []
    for name, documents in k8s.render_manifests(network, read, image).items():
        path = out_dir / name
        private = any(d["kind"] == "Secret" for d in documents)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "w") as handle:
            handle.write(k8s.dump(documents))
        path.chmod(0o600 if private else 0o644)
        written.append(path)
    return written
