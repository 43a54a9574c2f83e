"""Matching pipeline: identify customer, find references, search amounts, decide."""
