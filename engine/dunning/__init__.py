"""Dunning: policies of reminder levels, runs that turn overdue items into notices, and an
outbox that sends each notice once per channel (email, SMS, letter, webhook)."""
