"""What a fresh installation still lacks (issue 11, item 13): the next steps the home page, the queue, the
archive import page and the sources page show until there is content — an archive to match against, a source
to watch, a team to work with. Each step goes away by itself once done; three cheap counts, no writes."""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.domain.accounts import ADMIN, IMPORT_ARCHIVE, MANAGE_SOURCES, Actor
from kiemchung.store.accounts import AccountStore
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.sources import SourceStore


@dataclass(frozen=True)
class NextStep:
    key: str  # import_archive | add_source | invite_team
    link: str
    allowed: bool  # whether the person looking may take it (else someone with the role does)


@dataclass(frozen=True)
class NextSteps:
    steps: tuple[NextStep, ...]

    def __bool__(self) -> bool:
        return bool(self.steps)


class Onboarding:
    def __init__(self, factchecks: FactCheckStore, sources: SourceStore, accounts: AccountStore) -> None:
        self.factchecks = factchecks
        self.sources = sources
        self.accounts = accounts

    def next_steps(self, actor: Actor | None) -> NextSteps:
        """The steps still to take for the actor's organisation (none for someone signed out)."""
        if actor is None or actor.user_id is None:
            return NextSteps(())
        steps = []
        if self.factchecks.page(1, 1).total == 0:
            steps.append(NextStep("import_archive", "/archive/import", actor.can(IMPORT_ARCHIVE)))
        if not self.sources.of_organisation(actor.organisation_id):
            steps.append(NextStep("add_source", "/sources#add-source", actor.can(MANAGE_SOURCES)))
        if self._alone(actor.organisation_id):
            steps.append(NextStep("invite_team", "/admin#invite", actor.can(ADMIN)))
        return NextSteps(tuple(steps))

    def _alone(self, organisation_id: int) -> bool:
        """One active person and nobody invited yet."""
        people = sum(1 for u in self.accounts.users(organisation_id) if u.active)
        return people <= 1 and not self.accounts.pending_invites(organisation_id)
