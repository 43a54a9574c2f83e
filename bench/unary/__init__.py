"""Unary RPC latency at fixed concurrency, measured with ghz (bench/unary/run.py)."""
