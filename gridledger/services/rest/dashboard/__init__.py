"""The live dashboard each org's REST service serves (docs/dashboard.md): feed.py keeps the state, nodes.py reads the
nodes' operations endpoints, routes.py serves the page, its files and the event stream."""

PATH = "/dashboard"


def dashboard_url(rest_url: str) -> str:
    """Where a REST service at `rest_url` serves the dashboard (printed by `demo --keep`, `network status --json`)."""
    return rest_url.rstrip("/") + PATH
