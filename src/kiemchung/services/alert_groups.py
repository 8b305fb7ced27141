"""The alerts page as people read it in a flood: alert groups (domain/alert_groups.py) a page at a time, and
acknowledging or handling a group. One service for the page and the API; a state change and its audit entry
are written in one transaction, to the acting organisation's log."""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.domain.accounts import READ, TRIAGE, Actor
from kiemchung.domain.alert_groups import GROUP_STATES, GROUPS_PER_PAGE, page_count
from kiemchung.errors import InputError, NotFoundError
from kiemchung.store.alert_groups import AlertGroup, AlertGroupStore
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database


@dataclass(frozen=True)
class AlertGroupPage:
    groups: list[AlertGroup]
    total: int  # groups in all pages
    page: int
    pages: int


class AlertGroupService:
    def __init__(self, database: Database, store: AlertGroupStore) -> None:
        self.database = database
        self.store = store

    def page(self, actor: Actor, page: int = 1, per_page: int = GROUPS_PER_PAGE) -> AlertGroupPage:
        """The actor's organisation's alert groups, newest first; a page past the last shows the last."""
        actor.require(READ)
        per_page = max(1, min(per_page, GROUPS_PER_PAGE))
        groups, total = self.store.page(actor.organisation_id, per_page, (max(page, 1) - 1) * per_page)
        pages = page_count(total, per_page)
        if page > pages:
            return self.page(actor, pages, per_page)
        return AlertGroupPage(groups, total, max(page, 1), pages)

    def set_state(self, actor: Actor, group_key: str, state: str) -> None:
        """Acknowledge a group, mark it handled, or open it again; audited."""
        actor.require(TRIAGE)
        if state not in GROUP_STATES:
            raise InputError(f"state must be one of {', '.join(GROUP_STATES)}")
        if not group_key or not self.store.exists(actor.organisation_id, group_key):
            raise NotFoundError(f"no alert group {group_key[:100]!r}")
        with self.database.write() as connection:
            AlertGroupStore.set_state(connection, actor.organisation_id, group_key, state, actor.user_id)
            AuditStore.record(connection, actor, f"alert_group.{state}", "alert_group", group_key)
