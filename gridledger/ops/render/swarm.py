"""A network definition rendered as a Docker Swarm stack file (the Compose format `docker stack deploy` reads,
version 3.8, with `deploy:`), from the same service model as the compose file (model.py).

What differs from Compose (ops/docker/render.py), and why:
- No bind mounts: every file a service reads becomes a Docker config (public: node config, genesis block,
  certificates) or a Docker secret (private keys, owned by the image's user, mode 0400), stored in the swarm's
  Raft log and handed only to the tasks that name them. Files several services share are stored once.
- One overlay network per channel (attachable, so a one-off container can join it): services reach each other by
  service name on it, which is the name their TLS certificates carry.
- Placement by node label: a service of org X runs only on a swarm node labelled `gridledger.org.X=true`. A node
  label has one value per key, so the org is in the key: one host can then carry several orgs (a laptop, or a host
  running both an orderer org and a peer org).
- Ports are published in host mode under the definition's numbers: clients reach a node on the host that runs it
  (127.0.0.1 on a one-host swarm), never through the routing mesh, whose load balancing means nothing for a
  service of one replica. Swarm cannot publish on loopback only, so they listen on every interface of that host.
- Restarts are the swarm's: any exit starts a new task (after 2 s); an update stops the old task before the new
  one starts (one replica on one volume must never run twice). Keys swarm does not honour (restart, depends_on,
  security_opt, the short tmpfs form) are left out; start order does not matter (nodes retry their peers).
- Swarm cannot build images: the stack names one by tag ($GRIDLEDGER_IMAGE, default gridledger:latest), which
  must be present on every host (`make images`; `docker save | docker load` without a registry)."""

from __future__ import annotations

from typing import Any

import yaml

from gridledger.ops.docker.render import IMAGE_VARIABLE, LOGGING, _Dumper, healthcheck, material_path
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.ops.render.model import DATA_DIR, DEFAULT_IMAGE, IMAGE_UID, MountedFile, Service, services

STACK_VERSION = "3.8"
ORG_LABEL = "gridledger.org"  # node label key prefix: gridledger.org.<MSP id>=true
RESTART_DELAY = "2s"


def org_label(msp_id: str) -> str:
    """The swarm node label that admits an org's services to a host."""
    return f"{ORG_LABEL}.{msp_id}"


def stack_service(service: Service, network_name: str) -> dict[str, Any]:
    """One service of the model as a swarm service: its files as configs and secrets, one replica pinned to its
    org's hosts, host-mode ports, the compose file's probe and hardening where swarm honours it."""
    configs, secrets = [], []
    for file, target in service.mounts():
        entry: dict[str, Any] = {"source": file.object_name(service.name), "target": target}
        if file.secret:
            secrets.append({**entry, "uid": str(IMAGE_UID), "gid": str(IMAGE_UID), "mode": 0o400})
        else:
            configs.append({**entry, "mode": 0o444})
    return {
        "image": f"${{{IMAGE_VARIABLE}:-{DEFAULT_IMAGE}}}",
        "command": list(service.command),
        "hostname": service.name,
        "init": True,
        "read_only": True,
        "cap_drop": ["ALL"],
        "labels": service.labels,
        "ports": [{"target": port, "published": port, "protocol": "tcp", "mode": "host"} for port in service.ports],
        "volumes": [{"type": "volume", "source": service.data_volume, "target": DATA_DIR},
                    {"type": "tmpfs", "target": "/tmp"}],
        "configs": configs,
        "secrets": secrets,
        "networks": [network_name],
        "healthcheck": healthcheck(service),
        "logging": LOGGING,
        "deploy": {
            "replicas": 1,
            "placement": {"constraints": [f"node.labels.{org_label(service.msp_id)} == true"]},
            "restart_policy": {"condition": "any", "delay": RESTART_DELAY},
            "update_config": {"parallelism": 1, "order": "stop-first"},
            "labels": service.labels,
        },
    }


def stored_files(all_services: list[Service], material_dir: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(configs, secrets) as the stack file's top level declares them: each object once, read at deploy time from
    the folder of the first service that mounts it."""
    configs: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for service in all_services:
        for file in service.files:
            declared = secrets if file.secret else configs
            declared.setdefault(file.object_name(service.name), {"file": _source(material_dir, service, file)})
    return configs, secrets


def _source(material_dir: str, service: Service, file: MountedFile) -> str:
    return f"{material_path(material_dir, service.name)}/{file.path}"


def render_stack(network: NetworkDefinition, material_dir: str) -> dict[str, Any]:
    """The stack as a mapping; `material_dir` holds one folder per service (material.prepare), relative to the
    stack file's folder or absolute."""
    all_services = services(network)
    configs, secrets = stored_files(all_services, material_dir)
    return {
        "version": STACK_VERSION,
        "services": {service.name: stack_service(service, network.channel) for service in all_services},
        "networks": {network.channel: {"driver": "overlay", "attachable": True}},
        "volumes": {service.data_volume: {} for service in all_services},
        "configs": configs,
        "secrets": secrets,
    }


def render(network: NetworkDefinition, material_dir: str, source: str) -> str:
    """The stack file text: where it comes from and what it needs, then the stack."""
    header = (
        f"# gridledger network {network.name!r} as a Docker Swarm stack, rendered from {source}; do not edit by hand:\n"
        f"#   gridledger network render --network {source} --target swarm --out DIR\n"
        f"# Needs the image on every host (make images; ${IMAGE_VARIABLE} overrides it), the node folders in\n"
        f"# {material_path(material_dir, '')} and hosts labelled per org ({org_label('<MSP id>')}=true; "
        "docs/multihost.md).\n"
    )
    body = yaml.dump(render_stack(network, material_dir), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, width=200)
    return header + body
