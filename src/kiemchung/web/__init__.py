"""The web layer: app factory, HTML pages and the JSON API over the same services."""
