"""Deductions and disputes: cases whose money moves through the ledger (DESIGN.md section 9)."""
