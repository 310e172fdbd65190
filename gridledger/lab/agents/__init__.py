"""Market agents: prosumers that bid, meters that report, the auctioneer and the market operator, all asyncio tasks
sharing a few gateway connections so one process can run thousands of households."""
