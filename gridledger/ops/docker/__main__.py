"""`python -m gridledger.ops.docker render|prepare|wait`: the steps behind `make up` and the committed
docker-compose.yml, usable without the `gridledger` command.

    render   --network FILE [--data-dir DIR] [--out FILE]   the compose file (stdout by default)
    prepare  --network FILE [--data-dir DIR] [--project NAME] [--compose-file FILE]
             crypto material, genesis block and node folders; checks FILE is the current rendering; refuses
             volumes of the project made for another genesis block and creates the missing ones
    wait     [--data-dir DIR] [--timeout SECONDS]           until every node's and REST service's container is healthy
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gridledger.ops.docker.material import Layout
from gridledger.ops.docker.project import DockerNetwork
from gridledger.ops.docker.render import render
from gridledger.ops.localnet import DEFAULT_DATA_DIR, NetworkError
from gridledger.ops.netconfig import NetworkConfigError, load_network


def _render(args: argparse.Namespace) -> None:
    network = load_network(args.network)
    base = args.out.resolve().parent if args.out else Path.cwd()
    material = os.path.relpath(Layout(args.data_dir.resolve()).nodes_dir, base).replace(os.sep, "/")
    text = render(network, material, str(args.network))
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)


def _prepare(args: argparse.Namespace) -> None:
    docker = DockerNetwork(args.data_dir, args.project)
    project = docker.prepare(args.network, args.compose_file)
    docker.claim_volumes()
    print(f"node folders for project {project.project} in {Layout(args.data_dir.resolve()).nodes_dir}; "
          f"compose file {project.compose_file}", file=sys.stderr)


def _wait(args: argparse.Namespace) -> None:
    docker = DockerNetwork(args.data_dir)
    for status in docker.wait_healthy(args.timeout):
        height = "-" if status.height is None else status.height
        print(f"{status.name:<16} {status.role:<8} {status.address:<16} healthy  height {height}", file=sys.stderr)
    for msp_id, url in docker.rest_urls().items():
        print(f"{'rest ' + msp_id:<16} {'rest':<8} {url:<16} healthy", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridledger.ops.docker", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render_parser = commands.add_parser("render", help="print or write the compose file of a network")
    prepare_parser = commands.add_parser("prepare", help="crypto, genesis and node folders for the containers")
    wait_parser = commands.add_parser("wait", help="wait until every node's container is healthy")
    for sub in (render_parser, prepare_parser, wait_parser):
        sub.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="host material (default .gridledger)")
    for sub in (render_parser, prepare_parser):
        sub.add_argument("--network", type=Path, required=True, help="network definition (deploy/networks/*.yaml)")
    render_parser.add_argument("--out", type=Path, help="compose file to write (default: standard output)")
    prepare_parser.add_argument("--project", help="compose project name (default gridledger-<network name>)")
    prepare_parser.add_argument("--compose-file", type=Path, help="an existing compose file that must match")
    wait_parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    try:
        {"render": _render, "prepare": _prepare, "wait": _wait}[args.command](args)
    except (NetworkError, NetworkConfigError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
