"""Alerts: signs of fraud and billing inconsistencies found while money is applied, stored with
their evidence for a person to look at and acknowledge (engine/alerts/detectors.py says which)."""
