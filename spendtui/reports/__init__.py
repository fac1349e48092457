"""Headless reports: the same figures as the dashboard, as table, CSV or JSON."""
