"""Networks in containers: the compose rendering of a network definition (render), the host material its
containers mount (material), the Compose project that runs it (project) and the Docker SDK for what is done to
single containers: state, logs, pause, kill, partitions (engine). `gridledger network up|status|logs|down --docker`
and `make up|down` use it; deploy/Dockerfile builds the one image every node runs.
"""

from gridledger.ops.docker.material import DockerError, Layout, container_node_configs, prepare
from gridledger.ops.docker.project import ComposeProject, DockerNetwork, compose_command, project_name
from gridledger.ops.docker.render import render, render_project

__all__ = ["ComposeProject", "DockerError", "DockerNetwork", "Layout", "compose_command", "container_node_configs",
           "prepare", "project_name", "render", "render_project"]
