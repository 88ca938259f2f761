"""Reporting: a finished run's data, its checks, tables, figures and summary, and the sweep report."""
