"""Period reports: one use case for the CLI and the /reports page, returning a `Report` that both render.

A report covers one organisation only: on the web, the caller's own (the role table's REPORT capability:
editors and admins); on the command line, the one named, or the instance's first organisation."""

from __future__ import annotations

from kiemchung.domain.accounts import REPORT, Actor
from kiemchung.errors import InputError, NotFoundError
from kiemchung.reporting.figures import Period, Report, ReportInput, build_report
from kiemchung.settings import Settings
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.reports import ReportStore

LANGUAGES = ("vi", "en")


class ReportService:
    def __init__(self, settings: Settings, store: ReportStore, orgs: OrganisationStore) -> None:
        self.settings = settings
        self.store = store
        self.orgs = orgs

    def for_actor(self, actor: Actor, period: Period, language: str = "vi") -> Report:
        """The report of the actor's own organisation."""
        actor.require(REPORT)
        return self.build(actor.organisation_id, period, language)

    def for_organisation(self, name: str | None, period: Period, language: str = "vi") -> Report:
        """The report of the organisation named (the command line), or of the instance's first one."""
        if name:
            found = self.orgs.by_name(name.strip())
            if found is None:
                raise NotFoundError(f"no organisation named {name.strip()!r}")
            return self.build(found.id, period, language)
        everyone = sorted(self.orgs.all(), key=lambda o: o.id)
        if not everyone:
            raise NotFoundError("there is no organisation yet (kiemchung init, or kiemchung users add)")
        return self.build(everyone[0].id, period, language)

    def build(self, organisation_id: int, period: Period, language: str = "vi") -> Report:
        if language not in LANGUAGES:
            raise InputError("language must be vi or en")
        threshold = self.settings.checkworthy_threshold
        current = self.store.numbers(organisation_id, *period.bounds(), threshold)
        previous = self.store.numbers(organisation_id, *period.previous().bounds(), threshold)
        given = ReportInput(self.orgs.get(organisation_id).name, period, current, previous,
                            self.store.snapshot(organisation_id), language, self.settings.zone)  # fmt: skip
        return build_report(given)
