"""Code shared by every gridledger process: crypto, identities, policies, configuration, gRPC plumbing."""
