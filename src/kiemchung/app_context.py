"""What the CLI and the web app build once from Settings and pass down."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from kiemchung.services.factchecks import ArchiveService
from kiemchung.services.matching import MatchService
from kiemchung.settings import Settings
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.matches import MatchStore


@dataclass
class AppContext:
    settings: Settings
    database: Database = field(init=False)

    def __post_init__(self) -> None:
        self.database = Database(self.settings.resolved_database_url)

    @cached_property
    def factcheck_store(self) -> FactCheckStore:
        return FactCheckStore(self.database)

    @cached_property
    def archive(self) -> ArchiveService:
        return ArchiveService(self.factcheck_store)

    @cached_property
    def matching(self) -> MatchService:
        return MatchService(self.settings, self.factcheck_store, MatchStore(self.database))

    def close(self) -> None:
        self.database.dispose()
