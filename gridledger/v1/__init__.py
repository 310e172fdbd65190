"""Generated protobuf and gRPC code for package gridledger.v1 (see proto/; regenerate with `make proto`)."""
