"""Demo data written by the kiemchung team (not taken from any data set), and the demo set-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiemchung.app_context import AppContext

DEMO_DIR = Path(__file__).parent
DEMO_FACTCHECKS = DEMO_DIR / "factchecks.jsonl"
DEMO_POSTS = DEMO_DIR / "posts.jsonl"
DEMO_ORGANISATION = "Kiểm Chứng Demo"
DEMO_PASSWORD = "kiemchung-demo"  # demo accounts only: printed by `init --demo`, documented in the README
DEMO_USERS = (
    ("admin@demo.kiemchung", "Quản trị Demo", "admin"),
    ("editor@demo.kiemchung", "Biên tập Demo", "editor"),
    ("factchecker@demo.kiemchung", "Kiểm chứng viên Demo", "factchecker"),
    ("viewer@demo.kiemchung", "Người xem Demo", "viewer"),
)


def set_up_demo(app: AppContext) -> list[str]:
    """Idempotent: the demo archive, demo accounts, and the demo posts run through the pipeline."""
    from kiemchung.services.archive import import_files

    lines = []
    report = import_files(app.factcheck_store, [DEMO_FACTCHECKS])
    lines.append(f"demo archive: {report.imported} fact-checks")
    for email, name, role in DEMO_USERS:
        if app.account_store.user_by_email(email) is None:
            app.accounts.create_user(DEMO_ORGANISATION, email, name, role, DEMO_PASSWORD)
        lines.append(f"demo account: {email} / {DEMO_PASSWORD} ({role})")
    organisation = app.organisations.ensure(DEMO_ORGANISATION)  # the demo cases are the demo organisation's
    source = app.sources.ensure("import", "demo-posts", organisation.id)
    collected = app.collector.import_path(source, DEMO_POSTS)
    app.monitor.drain()
    lines.append(f"demo posts: {collected.new} new, in the queue at /queue")
    return lines
