"""The test harness: helpers shared by the test suite, the benchmarks and ``scripts/swarm-nodes`` (a
throw-away multi-node swarm, scratch specs, corpora, local test images). Not shipped: users need none of it."""
