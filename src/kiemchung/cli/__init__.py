"""The `kiemchung` command line. Every user mistake ends in one clear line, never a traceback."""

from __future__ import annotations

import kiemchung.cli.narratives  # noqa: F401 - registers its commands
import kiemchung.cli.operations  # noqa: F401 - registers backup and restore
from kiemchung.cli import archive, evidence, matching, monitoring, reports, retro  # noqa: F401 - they register their commands
from kiemchung.cli.base import cli


def main() -> None:
    cli(prog_name="kiemchung")
