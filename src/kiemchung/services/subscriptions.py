"""Subscriptions between organisations: import another organisation's published fact-checks from its
ClaimReview feed (`/claimreviews.json` of a kiemchung installation, or any ClaimReview JSON-LD document);
the matcher then finds repeats of their claims too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiemchung.domain.accounts import ADMIN, Actor
from kiemchung.domain.claimreview import factcheck_from_claimreview, iter_claimreview_objects
from kiemchung.domain.records import InvalidRecord
from kiemchung.errors import InputError, NotFoundError
from kiemchung.ingest.decoding import decode
from kiemchung.ingest.http import Fetcher, FetchError
from kiemchung.services.matching import MatchService
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database, aware
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.schema import subscriptions

REFRESH_EVERY_S = 3600


@dataclass(frozen=True)
class Subscription:
    id: int
    organisation_id: int
    name: str
    url: str
    last_fetch_at: datetime | None
    last_error: str | None
    imported: int


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.id, row.organisation_id, row.name, row.url, aware(row.last_fetch_at), row.last_error, row.imported
    )


class SubscriptionService:
    def __init__(self, database: Database, factchecks: FactCheckStore, matching: MatchService, fetcher: Fetcher):
        self.database = database
        self.factchecks = factchecks
        self.matching = matching
        self.fetcher = fetcher

    def add(self, actor: Actor, name: str, url: str) -> Subscription:
        actor.require(ADMIN)
        if not url.startswith(("http://", "https://")):
            raise InputError(f"not an http(s) URL: {url!r}")
        try:
            with self.database.write() as connection:
                result = connection.execute(
                    subscriptions.insert().values(
                        organisation_id=actor.organisation_id,
                        name=name.strip()[:200] or url,
                        url=url,
                        created_at=datetime.now(UTC),
                    )  # fmt: skip
                )
                key = result.inserted_primary_key
                assert key is not None
                AuditStore.record(connection, actor, "subscription.add", "subscription", key[0], url=url)
        except IntegrityError:
            raise InputError("this organisation subscribes to that URL already") from None
        return self.get(int(key[0]))

    def get(self, subscription_id: int) -> Subscription:
        with self.database.read() as connection:
            row = connection.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
        if row is None:
            raise NotFoundError(f"no subscription with id {subscription_id}")
        return _subscription(row)

    def all(self, actor: Actor) -> list[Subscription]:
        actor.require(ADMIN)
        with self.database.read() as connection:
            rows = connection.execute(
                select(subscriptions).where(subscriptions.c.organisation_id == actor.organisation_id)
            ).all()
        return [_subscription(r) for r in rows]

    def refresh(self, subscription: Subscription) -> int:
        """Fetch the feed and import (upsert) its fact-checks; the error, if any, is kept on the subscription."""
        now = datetime.now(UTC)
        try:
            response = self.fetcher.get(subscription.url)
            document = json.loads(decode(response.content, response.content_type))
            items = []
            for obj in iter_claimreview_objects(document):
                try:
                    items.append(factcheck_from_claimreview(obj))
                except InvalidRecord:
                    continue
        except (FetchError, ValueError) as exc:
            self._record(
                subscription.id, now, f"{type(exc).__name__}: {exc}" if isinstance(exc, ValueError) else str(exc)
            )
            return 0
        with self.database.write() as connection:
            if items:
                FactCheckStore.write_many(connection, items, subscription_id=subscription.id)
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription.id)
                .values(last_fetch_at=now, last_error=None, imported=len(items))
            )
        if items:
            self.matching.on_imported(items)
        return len(items)

    def refresh_all(self, actor: Actor) -> dict[str, int]:
        return {s.name: self.refresh(s) for s in self.all(actor)}

    def refresh_due(self, every_s: int = REFRESH_EVERY_S) -> int:
        """For the monitor: refresh every subscription not fetched for `every_s` seconds. Fact-checks imported."""
        cutoff = datetime.now(UTC) - timedelta(seconds=every_s)
        with self.database.read() as connection:
            rows = connection.execute(select(subscriptions)).all()
        due = [_subscription(r) for r in rows if r.last_fetch_at is None or aware(r.last_fetch_at) < cutoff]
        return sum(self.refresh(s) for s in due)

    def _record(self, subscription_id: int, now: datetime, error: str) -> None:
        with self.database.write() as connection:
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(last_fetch_at=now, last_error=error[:2000])
            )
