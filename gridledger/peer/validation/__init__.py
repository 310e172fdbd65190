"""Transaction validation at commit time: stateless checks per transaction, then MVCC/phantom checks in order."""
