"""Off-chain data: envelopes and fingerprints, signed data-service requests, the node's object store."""
