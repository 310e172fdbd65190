"""The Kubernetes manifests of every shipped network: valid against the pinned Kubernetes OpenAPI schema (strict:
unknown fields fail), and the invariants a cluster would only show at run time. No cluster needed."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from gridledger.common.nodeconfig import NodeConfig
from gridledger.ops.netconfig import load_network
from gridledger.ops.render.model import services
from gridledger.ops.render.targets import render_to

REPO = Path(__file__).resolve().parents[2]
NETWORKS = sorted((REPO / "deploy" / "networks").glob("*.yaml"))
KUBERNETES_VERSION = "1.37.0"  # the schema kubernetes-validate (pinned in pyproject's dev extra) ships


@pytest.fixture(scope="module", params=NETWORKS, ids=[p.stem for p in NETWORKS])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """(network file, every manifest) as `gridledger network render --target k8s` writes them."""
    folder = tmp_path_factory.mktemp("k8s")
    written = render_to(request.param, "k8s", folder / "out", folder / "data")
    documents = [d for path in written for d in yaml.safe_load_all(path.read_text())]
    return request.param, documents


def _by_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def test_every_manifest_validates_against_the_pinned_schema(rendered: tuple[Path, list[dict]]) -> None:
    _, documents = rendered
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_what_a_cluster_would() -> None:
    """The check above can fail: a StatefulSet with a misspelt field or a string replica count is refused."""
    statefulset = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "x"},
                   "spec": {"serviceName": "x", "replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                            "template": {"metadata": {"labels": {"a": "b"}},
                                         "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    kubernetes_validate.validate(statefulset, KUBERNETES_VERSION, strict=True)
    for broken in ({**statefulset, "spec": {**statefulset["spec"], "replicas": "one"}},
                   {**statefulset, "spec": {**statefulset["spec"], "volumeClaimTemplate": []}}):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_node_has_a_claim_a_service_and_probes(rendered: tuple[Path, list[dict]]) -> None:
    network_file, documents = rendered
    network = load_network(network_file)
    statefulsets, headless = _by_kind(documents, "StatefulSet"), _by_kind(documents, "Service")
    namespaces = {d["metadata"]["name"] for d in documents if d["kind"] == "Namespace"}
    assert len(namespaces) == 1 and all(d["metadata"]["namespace"] in namespaces
                                        for d in documents if d["kind"] != "Namespace")
    assert set(statefulsets) == set(headless) == {s.name for s in services(network)}
    for name, statefulset in statefulsets.items():
        spec = statefulset["spec"]
        assert spec["replicas"] == 1 and spec["serviceName"] == name
        claims = [c["metadata"]["name"] for c in spec["volumeClaimTemplates"]]
        pod = spec["template"]["spec"]
        (container,) = pod["containers"]
        assert claims == ["data"] and any(m["name"] == "data" for m in container["volumeMounts"])
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[kind].get("httpGet", {}).get("path") == "/healthz", (name, kind)
        assert set(container["resources"]) == {"requests", "limits"}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # The headless Service selects exactly this pod and offers every port it listens on.
        service = headless[name]["spec"]
        assert service["clusterIP"] == "None"
        assert service["selector"].items() <= spec["template"]["metadata"]["labels"].items()
        assert [p["port"] for p in service["ports"]] == [p["containerPort"] for p in container["ports"]]


def test_every_secret_is_referenced_and_every_reference_exists(rendered: tuple[Path, list[dict]]) -> None:
    _, documents = rendered
    secrets, configmaps = _by_kind(documents, "Secret"), _by_kind(documents, "ConfigMap")
    used_secrets: set[str] = set()
    for statefulset in _by_kind(documents, "StatefulSet").values():
        for volume in statefulset["spec"]["template"]["spec"]["volumes"]:
            for source in volume.get("projected", {}).get("sources", []):
                kind, ref = next(iter(source.items()))
                stored = secrets if kind == "secret" else configmaps
                assert ref["name"] in stored, f"{ref['name']} is mounted but not rendered"
                keys = {**stored[ref["name"]].get("data", {}), **stored[ref["name"]].get("binaryData", {})}
                assert {i["key"] for i in ref["items"]} <= set(keys)
                if kind == "secret":
                    used_secrets.add(ref["name"])
                    assert all(i["path"].endswith("key.pem") for i in ref["items"])
    assert used_secrets == set(secrets), "a Secret no pod mounts"
    for configmap in configmaps.values():
        assert not any("PRIVATE KEY" in text for text in configmap.get("data", {}).values()), "a key in a ConfigMap"
    for secret in secrets.values():
        assert all(b"PRIVATE KEY" in base64.b64decode(v) for v in secret["data"].values())


def test_node_configs_name_peers_by_their_services(rendered: tuple[Path, list[dict]]) -> None:
    """Inside the namespace a node dials `name:port`: each must be a headless Service offering that port."""
    _, documents = rendered
    offered = {(name, p["port"]) for name, s in _by_kind(documents, "Service").items() for p in s["spec"]["ports"]}
    configs = [NodeConfig.model_validate_json(text) for cm in _by_kind(documents, "ConfigMap").values()
               for key, text in cm.get("data", {}).items() if key.endswith("node-json")]
    assert configs
    for config in configs:
        for endpoint in [*config.orderers, *config.peers]:
            host, port = endpoint.address.rsplit(":", 1)
            assert (host, int(port)) in offered, endpoint.address


def test_network_policies_per_org(rendered: tuple[Path, list[dict]]) -> None:
    """Ingress is denied by default; each org's nodes have a policy of their own; a peer accepts gRPC only from
    peers, its own org's REST service and its own org's clients."""
    network_file, documents = rendered
    network = load_network(network_file)
    policies = _by_kind(documents, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    selected = {(p["spec"]["podSelector"]["matchLabels"]["gridledger.org/org"],
                 p["spec"]["podSelector"]["matchLabels"]["gridledger.org/role"]): p
                for p in policies.values() if p["spec"]["podSelector"]}
    assert {s.msp_id for s in services(network)} == {org for org, _ in selected}
    for service in services(network):
        assert (service.msp_id, service.role) in selected
    for org in network.peer_msp_ids:
        grpc_rule = selected[(org, "peer")]["spec"]["ingress"][0]
        callers = [{e["key"]: e["values"] for e in f["podSelector"]["matchExpressions"]} for f in grpc_rule["from"]]
        assert callers == [{"gridledger.org/role": ["peer"]},
                           {"gridledger.org/role": ["rest", "client"], "gridledger.org/org": [org]}]
