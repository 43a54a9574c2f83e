"""End-to-end volume: a seeded book of any size streamed through the gRPC API (bench/e2e/run.py)."""
