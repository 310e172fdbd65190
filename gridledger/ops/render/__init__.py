"""Renderings of a network definition for the orchestrators that run it: Compose (ops/docker/render.py, one host),
a Docker Swarm stack (swarm.py) and Kubernetes manifests (k8s.py), all from the one service model in model.py."""
