"""What the CLI and the web app build once from Settings and pass down."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from kiemchung.domain.ratings import rating_scale
from kiemchung.ingest.http import Fetcher
from kiemchung.services.accounts import AccountService
from kiemchung.services.alert_groups import AlertGroupService
from kiemchung.services.alerts import AlertDispatcher
from kiemchung.services.archive_imports import ArchiveImports
from kiemchung.services.cards import CardService
from kiemchung.services.collect import Collector, fetch_policy
from kiemchung.services.drills import DrillService
from kiemchung.services.evidence import EvidenceArchiver
from kiemchung.services.evidence_imports import EvidenceImports
from kiemchung.services.evidence_library import EvidenceLibrary
from kiemchung.services.factchecks import ArchiveService
from kiemchung.services.matching import MatchService
from kiemchung.services.metrics import HealthCheck
from kiemchung.services.monitor import Monitor
from kiemchung.services.narrative_trends import TrendService
from kiemchung.services.narratives import NarrativeService
from kiemchung.services.onboarding import Onboarding
from kiemchung.services.pipeline import Processor
from kiemchung.services.rate import MatchBudgets
from kiemchung.services.reports import ReportService
from kiemchung.services.retro import RetroMatcher
from kiemchung.services.sources import SourceService
from kiemchung.services.subscriptions import SubscriptionService
from kiemchung.services.workbench import CaseService
from kiemchung.settings import Settings
from kiemchung.store.accounts import AccountStore
from kiemchung.store.alert_groups import AlertGroupStore
from kiemchung.store.alerts import AlertStore
from kiemchung.store.audit import AuditStore
from kiemchung.store.cases import CaseStore
from kiemchung.store.database import Database
from kiemchung.store.drills import DrillStore
from kiemchung.store.evidence import EvidenceStore
from kiemchung.store.evidence_library import EvidenceLibraryStore
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.inbox import InboxStore
from kiemchung.store.matches import MatchStore
from kiemchung.store.operations import OperationsStore
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.posts import PostStore
from kiemchung.store.reports import ReportStore
from kiemchung.store.sources import SourceStore
from kiemchung.store.tokens import TokenStore


@dataclass
class AppContext:
    settings: Settings
    database: Database = field(init=False)

    def __post_init__(self) -> None:
        self.database = Database(self.settings.resolved_database_url, self.settings.sqlite_synchronous)

    # -- stores -------------------------------------------------------------------------------------------

    @cached_property
    def factcheck_store(self) -> FactCheckStore:
        return FactCheckStore(self.database)

    @cached_property
    def source_store(self) -> SourceStore:
        return SourceStore(self.database)

    @cached_property
    def inbox(self) -> InboxStore:
        return InboxStore(self.database)

    @cached_property
    def post_store(self) -> PostStore:
        return PostStore(self.database)

    @cached_property
    def alert_store(self) -> AlertStore:
        return AlertStore(self.database)

    @cached_property
    def organisations(self) -> OrganisationStore:
        return OrganisationStore(self.database)

    @cached_property
    def tokens(self) -> TokenStore:
        return TokenStore(self.database)

    @cached_property
    def account_store(self) -> AccountStore:
        return AccountStore(self.database)

    @cached_property
    def case_store(self) -> CaseStore:
        return CaseStore(self.database)

    @cached_property
    def audit(self) -> AuditStore:
        return AuditStore(self.database)

    # -- services -----------------------------------------------------------------------------------------

    @cached_property
    def archive(self) -> ArchiveService:
        return ArchiveService(self.factcheck_store)

    @cached_property
    def archive_imports(self) -> ArchiveImports:
        """Archive files uploaded on the web, imported in the background (issue 11, item 12)."""
        return ArchiveImports(self.database, self.factcheck_store, self.settings.archive_import_max_bytes,
                              on_imported=self.matching.on_imported)  # fmt: skip

    @cached_property
    def onboarding(self) -> Onboarding:
        """A fresh installation's next steps (issue 11, item 13)."""
        return Onboarding(self.factcheck_store, self.source_store, self.account_store)

    @cached_property
    def matching(self) -> MatchService:
        return MatchService(self.settings, self.factcheck_store, MatchStore(self.database))

    @cached_property
    def evidence_archiver(self) -> EvidenceArchiver:
        return EvidenceArchiver(EvidenceStore(self.database), self.fetcher)

    @cached_property
    def match_budgets(self) -> MatchBudgets:
        return MatchBudgets(self.settings)

    @cached_property
    def sources(self) -> SourceService:
        return SourceService(self.source_store, self.settings.folder_sources_root)

    @cached_property
    def fetcher(self) -> Fetcher:
        return Fetcher(fetch_policy(self.settings))

    @cached_property
    def collector(self) -> Collector:
        return Collector(self.database, self.source_store, self.inbox, self.fetcher, self.settings.fetch_workers,
                         lease_s=self.settings.worker_lease_seconds)  # fmt: skip

    @cached_property
    def processor(self) -> Processor:
        return Processor(self.settings, self.database, self.matching, self.factcheck_store, narratives=self.narratives)

    @cached_property
    def narratives(self) -> NarrativeService:
        return NarrativeService(self.settings, self.database, matching=self.matching)

    @cached_property
    def trends(self) -> TrendService:
        return TrendService(self.database)

    @cached_property
    def alert_groups(self) -> AlertGroupService:
        return AlertGroupService(self.database, AlertGroupStore(self.database))

    @cached_property
    def dispatcher(self) -> AlertDispatcher:
        return AlertDispatcher(self.settings, self.alert_store)

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.database, self.account_store, self.tokens, self.organisations)

    @cached_property
    def cases(self) -> CaseService:
        return CaseService(
            self.settings, self.database, self.case_store, self.factcheck_store, self.matching, self.organisations,
            self.evidence_archiver.submit, rating_scale(self.settings.rating_scale), retro_later=self.retro.submit,
        )  # fmt: skip

    @cached_property
    def evidence_library(self) -> EvidenceLibrary:
        """Each organisation's evidence library: import, search, suggestions, accepting into a case (issue 14)."""
        return EvidenceLibrary(self.settings, self.database, EvidenceLibraryStore(self.database), self.cases)

    @cached_property
    def evidence_imports(self) -> EvidenceImports:
        """PDFs uploaded to an evidence library, read in the background (issue 14)."""
        return EvidenceImports(self.database, self.evidence_library)

    @cached_property
    def retro(self) -> RetroMatcher:
        return RetroMatcher(self.settings, self.database, self.matching, self.factcheck_store)

    @cached_property
    def reports(self) -> ReportService:
        return ReportService(self.settings, ReportStore(self.database), self.organisations)

    @cached_property
    def cards(self) -> CardService:
        return CardService(self.settings, self.factcheck_store)

    @cached_property
    def drills(self) -> DrillService:
        return DrillService(
            self.database, DrillStore(self.database), self.factcheck_store, self.matching,
            rating_scale(self.settings.rating_scale),
        )  # fmt: skip

    @cached_property
    def subscriptions(self) -> SubscriptionService:
        return SubscriptionService(self.database, self.factcheck_store, self.matching, self.fetcher)

    @cached_property
    def monitor(self) -> Monitor:
        return Monitor(
            self.collector, self.processor, self.dispatcher, self.inbox, intake=self.cases.intake,
            subscriptions=self.subscriptions.refresh_due, recalibrate=self.matching.refit_if_reviewed,
            retro=self.retro.run_waiting,
        )  # fmt: skip

    @cached_property
    def health(self) -> HealthCheck:
        return HealthCheck(self.settings, OperationsStore(self.database))

    def close(self) -> None:
        if "evidence_archiver" in self.__dict__:
            self.evidence_archiver.close()
        if "retro" in self.__dict__:
            self.retro.close()
        if "archive_imports" in self.__dict__:
            self.archive_imports.close()
        if "evidence_imports" in self.__dict__:
            self.evidence_imports.close()
        if "evidence_library" in self.__dict__:
            self.evidence_library.close()
        if "fetcher" in self.__dict__:
            self.fetcher.close()
        if "dispatcher" in self.__dict__:
            self.dispatcher.close()
        self.database.dispose()
