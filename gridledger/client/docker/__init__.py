"""Networks in containers: the compose rendering of a network definition (render), the host material its
containers mount (material) and the Compose project that runs it (project). `gridledger network up|status|down
--docker` and `make up|down` use it; deploy/Dockerfile builds the one image every node runs.
"""

from gridledger.client.docker.material import DockerError, Layout, container_node_configs, prepare
from gridledger.client.docker.project import ComposeProject, DockerNetwork, compose_command, project_name
from gridledger.client.docker.render import render, render_project

__all__ = ["ComposeProject", "DockerError", "DockerNetwork", "Layout", "compose_command", "container_node_configs",
           "prepare", "project_name", "render", "render_project"]
