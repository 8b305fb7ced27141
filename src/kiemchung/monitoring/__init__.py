"""Monitoring logic without I/O: check-worthiness, copy detection, spread of claims."""
