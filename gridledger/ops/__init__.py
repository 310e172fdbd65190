"""Operating a network: network definitions, crypto material and the genesis block, local and container networks,
chaincode deployment and ledger verification."""
