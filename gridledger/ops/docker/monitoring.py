"""The optional `monitoring` profile of a rendered compose project: Prometheus scraping every node's operations port
(GET /metrics, docs/metrics.md).

The service belongs to the Compose profile `monitoring`, so a plain `docker compose up` (and `make up`) leaves it
out; `COMPOSE_PROFILES=monitoring` or `--profile monitoring` starts it. Its image is Debian's `prometheus` package
installed without network access during the build (scripts/docker-monitoring-image.sh, deploy/monitoring/), the same
way the node image is built. The scrape configuration is rendered here from the network definition, like the
compose file, and written by material.prepare into `<nodes>/prometheus/prometheus.yml`, mounted read-only at
/etc/gridledger. Prometheus listens on 9090 inside the container and is published on 127.0.0.1 only, on
$GRIDLEDGER_PROMETHEUS_PORT (9090 by default), so the committed compose file stays fixed while tests and a second
network pick another port. Grafana has no Debian package, so there is none here (docs/metrics.md).

This module knows nothing of the rest of the compose rendering: render.py passes in the project network, the
logging options and the folder path, so the profile stays one call in render_project.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from gridledger.ops.netconfig import NetworkDefinition

PROFILE = "monitoring"
SERVICE = "prometheus"
FOLDER = "prometheus"  # below the material folder, next to the node folders
CONFIG_FILE = "prometheus.yml"
IMAGE_VARIABLE = "GRIDLEDGER_PROMETHEUS_IMAGE"
DEFAULT_IMAGE = "gridledger-prometheus:latest"
PORT_VARIABLE = "GRIDLEDGER_PROMETHEUS_PORT"
DEFAULT_PORT = 9090
CONTAINER_PORT = 9090
MOUNT = "/etc/gridledger"
STORAGE = "/var/lib/prometheus"  # the Debian package's data folder, owned by its `prometheus` user
VOLUME = "prometheus-data"
SCRAPE_INTERVAL = "5s"  # the dashboard reads the nodes every second; Prometheus keeps history, so coarser suffices
RETENTION = "7d"


def scrape_config(network: NetworkDefinition) -> dict[str, Any]:
    """One scrape job per role (`orderer`, `peer`): every node with an operations port, by service name, labelled
    with its node name and organisation (the instance label alone would be `host:port`)."""
    jobs: dict[str, list[dict[str, Any]]] = {}
    for msp_id, role, node in network.all_nodes():
        if node.operations_port is None:
            continue
        jobs.setdefault(role, []).append({"targets": [f"{node.name}:{node.operations_port}"],
                                          "labels": {"node": node.name, "org": msp_id,
                                                     "network": network.name}})
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [{"job_name": role, "metrics_path": "/metrics", "static_configs": targets}
                           for role, targets in jobs.items()],
    }


def scrape_config_text(network: NetworkDefinition) -> str:
    """prometheus.yml as material.prepare writes it."""
    header = f"# Prometheus for gridledger network {network.name!r}; rendered by gridledger.ops.docker.monitoring.\n"
    return header + yaml.safe_dump(scrape_config(network), sort_keys=False, default_flow_style=False)


def prometheus_service(folder: str, networks: list[str], hardening: dict[str, Any],
                       logging: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus service: hardened like the nodes (`hardening`, plus its package's unprivileged user), data in
    a named volume so history survives `down` and `up`."""
    probe = ("import urllib.request; "
             f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}/-/ready', timeout=2)")
    return {
        "image": f"${{{IMAGE_VARIABLE}:-{DEFAULT_IMAGE}}}",
        "profiles": [PROFILE],
        "command": [f"--config.file={MOUNT}/{CONFIG_FILE}", f"--storage.tsdb.path={STORAGE}/metrics2",
                    f"--storage.tsdb.retention.time={RETENTION}", f"--web.listen-address=0.0.0.0:{CONTAINER_PORT}"],
        "hostname": SERVICE,
        **copy.deepcopy(hardening),
        "labels": {"org.gridledger.role": SERVICE},
        "ports": [f"127.0.0.1:${{{PORT_VARIABLE}:-{DEFAULT_PORT}}}:{CONTAINER_PORT}"],
        "volumes": [f"{folder}:{MOUNT}:ro", f"{VOLUME}:{STORAGE}"],
        "networks": list(networks),
        "healthcheck": {"test": ["CMD", "python3", "-S", "-c", probe], "interval": "5s", "timeout": "3s",
                        "retries": 3, "start_period": "30s"},
        "logging": copy.deepcopy(logging),
    }
