"""Python client for the cashapp gRPC API."""
