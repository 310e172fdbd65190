"""The peer: endorsement, validation and commit of blocks into its per-channel ledger."""
