"""`python -m gridledger.peer --config NODE_CONFIG.json` starts one peer process."""

import argparse
from pathlib import Path

from gridledger.peer.node import main

parser = argparse.ArgumentParser(prog="gridledger.peer", description="Run a gridledger peer.")
parser.add_argument("--config", type=Path, required=True, help="node config written by `gridledger network up`")
main(parser.parse_args().config)
