"""Long-running helpers that are not nodes: the REST API (services.rest); later the dashboard."""
