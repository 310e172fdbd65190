"""A network definition rendered as Kubernetes manifests, from the same service model as the compose file and the
swarm stack (model.py): one namespace per network; per service a StatefulSet of one replica with a PVC for its
data and a headless Service named after the node (so the node configs' `peer0-org1:7051` and the TLS
certificates' names resolve inside the namespace); its private keys in a Secret, its public files in a ConfigMap,
the files nodes share (genesis block, TLS CA certificates, network definition) in one ConfigMap `channel`; probes
on /healthz of the operations port; resource requests and limits; NetworkPolicies per organisation.

Who may reach whom (NetworkPolicies; everything else in the namespace is denied):
- an org's peers, on gRPC: every peer (endorsement across orgs), its org's REST service and pods labelled as that
  org's clients (`gridledger.org/org=<MSP id>`, `gridledger.org/role=client`);
- an org's orderers, on gRPC: every orderer (Raft or BFT cluster traffic) and every peer (broadcast, deliver);
- a REST service, on HTTP: anyone (it is the API; put an Ingress in front of it);
- every node's operations port (/healthz, /metrics): any pod in the namespace (monitoring).

Secrets and ConfigMaps carry the file contents, so rendering reads the prepared data folder (`read`); the
manifests holding Secrets are as private as the keys themselves. Kubernetes has no `init: true`:
shareProcessNamespace makes the pod's pause process PID 1, which reaps the chaincode workers' exits."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import yaml

from gridledger.ops.netconfig import NetworkDefinition
from gridledger.ops.render.model import (
    CONFIG_DIR,
    DATA_DIR,
    DEFAULT_IMAGE,
    HEALTH_PATH,
    IMAGE_UID,
    MountedFile,
    Service,
    services,
)

SHARED_CONFIGMAP = "channel"
LABEL_DOMAIN = "gridledger.org"
STORAGE = "1Gi"
RESOURCES: dict[str, dict[str, dict[str, str]]] = {
    "orderer": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "peer": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "rest": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
}
PORT_NAMES = ("grpc", "operations")  # a node's ports in the model's order; a REST service has one: http

Reader = Callable[[Service, MountedFile], bytes]


def namespace(network: NetworkDefinition) -> str:
    return f"gridledger-{network.name}"


def labels(service: Service) -> dict[str, str]:
    """The model's labels under Kubernetes' prefix/name form, plus the app's name."""
    found = {f"{LABEL_DOMAIN}/{key.rsplit('.', 1)[-1]}": value for key, value in service.labels.items()}
    return {"app.kubernetes.io/part-of": "gridledger", **found}


def selector(service: Service) -> dict[str, str]:
    return {f"{LABEL_DOMAIN}/node": service.name}


def port_names(service: Service) -> list[str]:
    return ["http"] if service.role == "rest" else list(PORT_NAMES[: len(service.ports)])


def keys_secret(service: Service) -> str:
    return f"{service.name}-keys"


def files_configmap(service: Service) -> str:
    return f"{service.name}-files"


def _meta(name: str, ns: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "gridledger", **(extra or {})}}


def _payload(entries: dict[str, bytes]) -> dict[str, Any]:
    """ConfigMap fields: text under `data`, anything else (the genesis block) under `binaryData`."""
    text, binary = {}, {}
    for key, content in entries.items():
        try:
            text[key] = content.decode()
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(content).decode()
    return {**({"data": text} if text else {}), **({"binaryData": binary} if binary else {})}


def stored_objects(network: NetworkDefinition, read: Reader) -> list[dict[str, Any]]:
    """Every service's Secret (its keys) and ConfigMap (its own public files), and the shared ConfigMap."""
    ns = namespace(network)
    shared: dict[str, bytes] = {}
    objects: list[dict[str, Any]] = []
    for service in services(network):
        own = {f.object_name(service.name): read(service, f) for f in service.files if not f.secret and not f.shared}
        keys = {f.object_name(service.name): base64.b64encode(read(service, f)).decode()
                for f in service.files if f.secret}
        for f in service.files:
            if f.shared and not f.secret:
                shared.setdefault(f.shared, read(service, f))
        objects.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": _meta(keys_secret(service), ns, labels(service)), "data": keys})
        objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": _meta(files_configmap(service), ns, labels(service)), **_payload(own)})
    objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(SHARED_CONFIGMAP, ns),
                    **_payload(shared)})
    return objects


def config_volume(service: Service) -> dict[str, Any]:
    """The service's folder at CONFIG_DIR as one projected volume: keys (mode 0440, group fsGroup = the image's
    user) from its Secret, its own files from its ConfigMap, shared files from `channel`."""
    keys, own, shared = [], [], []
    for f in service.files:
        item = {"key": f.object_name(service.name), "path": f.path}
        (keys if f.secret else shared if f.shared else own).append(item)
    sources = [{"secret": {"name": keys_secret(service), "items": [{**i, "mode": 0o440} for i in keys]}},
               {"configMap": {"name": files_configmap(service), "items": own}},
               {"configMap": {"name": SHARED_CONFIGMAP, "items": shared}}]
    return {"name": "config", "projected": {"defaultMode": 0o444, "sources": sources}}


def probe(service: Service, **timing: int) -> dict[str, Any]:
    name = port_names(service)[service.ports.index(service.probe_port)]
    action = {"httpGet": {"path": HEALTH_PATH, "port": name}} if service.probe_http else {"tcpSocket": {"port": name}}
    return {**action, "timeoutSeconds": 2, **timing}


def container(service: Service, image: str) -> dict[str, Any]:
    mounts = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
              {"name": "data", "mountPath": DATA_DIR},
              {"name": "tmp", "mountPath": "/tmp"},
              *({"name": "config", "mountPath": target, "subPath": folder, "readOnly": True}
                for folder, target in service.mirrors)]
    return {
        "name": service.role,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": list(service.command),
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"}
                  for name, port in zip(port_names(service), service.ports, strict=True)],
        "startupProbe": probe(service, periodSeconds=2, failureThreshold=30),
        "readinessProbe": probe(service, periodSeconds=5, failureThreshold=3),
        "livenessProbe": probe(service, periodSeconds=10, failureThreshold=6),
        "resources": RESOURCES[service.role],
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": mounts,
    }


def workload(service: Service, ns: str, image: str) -> list[dict[str, Any]]:
    """The headless Service and the StatefulSet of one service."""
    ports = [{"name": name, "port": port, "targetPort": name, "protocol": "TCP"}
             for name, port in zip(port_names(service), service.ports, strict=True)]
    headless = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(service.name, ns, labels(service)),
                "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector(service),
                         "ports": ports}}
    pod = {
        "metadata": {"labels": labels(service)},
        "spec": {
            "shareProcessNamespace": True,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": IMAGE_UID, "runAsGroup": IMAGE_UID,
                                "fsGroup": IMAGE_UID, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container(service, image)],
            "volumes": [config_volume(service), {"name": "tmp", "emptyDir": {}}],
        },
    }
    claim = {"metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": STORAGE}}}}
    statefulset = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta(service.name, ns, labels(service)),
                   "spec": {"serviceName": service.name, "replicas": 1, "podManagementPolicy": "Parallel",
                            "selector": {"matchLabels": selector(service)}, "template": pod,
                            "volumeClaimTemplates": [claim]}}
    return [headless, statefulset]


def _from(**match: str | list[str]) -> dict[str, Any]:
    """A NetworkPolicy peer: pods whose labels (under our prefix) equal, or are one of, the given values."""
    expressions = [{"key": f"{LABEL_DOMAIN}/{key}", "operator": "In", "values": value if isinstance(value, list)
                    else [value]} for key, value in match.items()]
    return {"podSelector": {"matchExpressions": expressions}}


def network_policies(network: NetworkDefinition) -> list[dict[str, Any]]:
    """Deny by default; then per org what its nodes must accept (see the module docstring)."""
    ns = namespace(network)
    operations = {"from": [{"podSelector": {}}], "ports": [{"port": "operations", "protocol": "TCP"}]}
    grpc = [{"port": "grpc", "protocol": "TCP"}]

    def policy(name: str, org: str, role: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
        chosen = {f"{LABEL_DOMAIN}/org": org, f"{LABEL_DOMAIN}/role": role}
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(name, ns),
                "spec": {"podSelector": {"matchLabels": chosen}, "policyTypes": ["Ingress"], "ingress": ingress}}

    policies = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": _meta("default-deny-ingress", ns),
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}]
    for org in network.orderer_msp_ids:
        policies.append(policy(f"{org.lower()}-orderers", org, "orderer",
                               [{"from": [_from(role=["orderer", "peer"])], "ports": grpc}, operations]))
    for org in network.peer_msp_ids:
        callers = [_from(role="peer"), _from(role=["rest", "client"], org=org)]
        policies.append(policy(f"{org.lower()}-peers", org, "peer", [{"from": callers, "ports": grpc}, operations]))
        policies.append(policy(f"{org.lower()}-rest", org, "rest",
                               [{"ports": [{"port": "http", "protocol": "TCP"}]}]))
    return policies


def render_manifests(network: NetworkDefinition, read: Reader, image: str = DEFAULT_IMAGE) -> dict[str, list[dict]]:
    """Every manifest, grouped by the file it goes to; `kubectl apply -f DIR` applies the files in name order, so
    the namespace comes first."""
    ns = namespace(network)
    files: dict[str, list[dict]] = {
        "00-namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": ns, "labels": {"app.kubernetes.io/part-of": "gridledger"}}}],
        "10-files.yaml": [],
        "20-network-policies.yaml": network_policies(network),
    }
    for stored in stored_objects(network, read):
        files["10-files.yaml"].append(stored)
    for service in services(network):
        files[f"30-{service.name}.yaml"] = workload(service, ns, image)
    return files


def dump(documents: list[dict]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=200)
