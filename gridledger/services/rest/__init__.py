"""An organisation's REST API over the SDK: enrolled users with API tokens, custodial and offline-signed
transactions, ledger reads, probes; FastAPI with OpenAPI at /docs. See app.py for the router extension point."""
