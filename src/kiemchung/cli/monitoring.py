"""Commands for sources, the monitoring pipeline, posts, alerts and API tokens."""
