"""gridledger: a permissioned-blockchain testbed for local energy markets and demand-side management."""
