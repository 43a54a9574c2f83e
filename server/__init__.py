"""gRPC adapter over the cashapp engine."""
