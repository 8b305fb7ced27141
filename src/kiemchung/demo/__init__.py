"""Demo data written by the kiemchung team (not taken from any data set)."""

from pathlib import Path

DEMO_DIR = Path(__file__).parent
DEMO_FACTCHECKS = DEMO_DIR / "factchecks.jsonl"
DEMO_POSTS = DEMO_DIR / "posts.jsonl"
