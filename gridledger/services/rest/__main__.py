"""`python -m gridledger.services.rest --org ORG --port P --data-dir DIR [--network FILE]`: what `network up`
runs for each peer organisation; the same as `gridledger rest serve`."""

from __future__ import annotations

from gridledger.services.rest.launch import serve_command

if __name__ == "__main__":
    import typer

    typer.run(serve_command)
