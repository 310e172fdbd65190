"""`python -m gridledger.orderer --config NODE_CONFIG.json`: run one orderer until SIGTERM or SIGINT.

Exit codes: 0 after a clean stop, 2 for an unreadable or invalid node config, 1 when the orderer cannot start
(the JSON log line "orderer failed to start" says why).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from gridledger.common import eventloop, logs
from gridledger.common.nodeconfig import NodeConfig
from gridledger.orderer.node import OrdererNode, StartupError

logger = logging.getLogger("gridledger.orderer")


async def run(config: NodeConfig) -> int:
    node = OrdererNode(config)
    try:
        await node.start()
    except StartupError as exc:
        logs.log_event(logger, "orderer failed to start", level=logging.ERROR, node=config.name, error=str(exc))
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(node.halted.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        logs.log_event(logger, "orderer stopping", node=config.name)
    finally:
        for wait in waits:
            wait.cancel()
        await node.stop()
    return 1 if node.halt_reason is not None else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridledger.orderer", description="Run a gridledger orderer.")
    parser.add_argument("--config", type=Path, required=True, help="node config (JSON) written by the network runner")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logs.configure(args.log_level)
    try:
        config = NodeConfig.load(args.config)
    except OSError as exc:
        logs.log_event(logger, "cannot read the node config", level=logging.ERROR, path=str(args.config),
                       error=exc.strerror)
        return 2
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors())
        logs.log_event(logger, "invalid node config", level=logging.ERROR, path=str(args.config), error=problems)
        return 2
    return eventloop.run(run(config))


if __name__ == "__main__":
    sys.exit(main())
