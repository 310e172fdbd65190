"""The `gridledger` command line: one module per command group, assembled in cli/app.py."""
