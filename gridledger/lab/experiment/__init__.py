"""`gridledger experiment`: run a local energy market on a network, then measure and report it against the reference
thesis (shared/domain/market.md)."""
