"""Use cases that tie the pure core to storage; one result type feeds both UI and API."""
