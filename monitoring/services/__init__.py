"""Monitoring services: baselines, the daily roll-ups, alerts (writes; pages read selectors)."""
