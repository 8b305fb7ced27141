"""Subscriptions between organisations: import another organisation's published fact-checks from its
ClaimReview feed (`/claimreviews.json` of a kiemchung installation, or any ClaimReview JSON-LD document);
the matcher then finds repeats of their claims too.

A feed is not trusted: each of its fact-checks is stored as `sub-<subscription id>-<their id>`
(`domain/imports.py`), so it can neither overwrite a fact-check published here, the archive's or another
subscription's, nor take an id we will publish under; a refresh updates only its own subscription's rows;
field sizes are capped and non-http(s) links dropped, and every refusal, cut or drop is kept on the
subscription (`problems`) with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiemchung.domain.accounts import ADMIN, Actor
from kiemchung.domain.claimreview import factcheck_from_claimreview, iter_claimreview_objects
from kiemchung.domain.imports import capped, is_http_url, subscription_factcheck_id
from kiemchung.domain.models import FactCheck
from kiemchung.domain.records import InvalidRecord
from kiemchung.errors import InputError, NotFoundError
from kiemchung.ingest.decoding import decode
from kiemchung.ingest.http import Fetcher, FetchError
from kiemchung.services.matching import MatchService
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database, aware
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.schema import subscriptions
from kiemchung.text import strip_controls

REFRESH_EVERY_S = 3600
MAX_PROBLEMS = 50  # problems kept from one refresh; a count says how many more there were


@dataclass(frozen=True)
class Subscription:
    id: int
    organisation_id: int
    name: str
    url: str
    last_fetch_at: datetime | None
    last_error: str | None
    imported: int
    problems: list[str] = field(default_factory=list)  # objects refused, fields cut, links dropped (last refresh)


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.id, row.organisation_id, row.name, row.url, aware(row.last_fetch_at), row.last_error, row.imported,
        list(row.problems or []),
    )  # fmt: skip


def feed_factchecks(subscription_id: int, objects: Iterable[Any]) -> tuple[list[FactCheck], list[str]]:
    """The fact-checks of a feed's ClaimReview objects under the subscription's own ids, within the size
    limits; and a line for each object refused or field cut (the object's position and the reason)."""
    items: list[FactCheck] = []
    problems: list[str] = []
    for number, obj in enumerate(objects, start=1):
        try:
            theirs = factcheck_from_claimreview(obj)
            fc, notes = capped(replace(theirs, id=subscription_factcheck_id(subscription_id, theirs.id)))
        except InvalidRecord as exc:
            problems.append(f"object {number}: refused: {exc}")
            continue
        problems.extend(f"object {number} ({fc.id}): {note}" for note in notes)
        items.append(fc)
    unique = {fc.id: fc for fc in items}  # the last object with an id wins
    return list(unique.values()), problems


def _kept(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more"]


class SubscriptionService:
    def __init__(self, database: Database, factchecks: FactCheckStore, matching: MatchService, fetcher: Fetcher):
        self.database = database
        self.factchecks = factchecks
        self.matching = matching
        self.fetcher = fetcher

    def add(self, actor: Actor, name: str, url: str) -> Subscription:
        actor.require(ADMIN)
        url, name = strip_controls(url).strip(), strip_controls(name)
        if not is_http_url(url):
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
        """Fetch the feed and import (upsert) its fact-checks into the subscription's own ids; the error, if
        any, and every object refused or field cut are kept on the subscription. Returns how many landed."""
        now = datetime.now(UTC)
        try:
            response = self.fetcher.get(subscription.url)
            document = json.loads(decode(response.content, response.content_type))
            items, problems = feed_factchecks(subscription.id, iter_claimreview_objects(document))
        except FetchError as exc:
            self._record(subscription.id, now, str(exc))
            return 0
        except (ValueError, RecursionError) as exc:
            self._record(subscription.id, now, f"{type(exc).__name__}: {exc}")
            return 0
        with self.database.write() as connection:
            refused = FactCheckStore.import_many(connection, items, subscription.id) if items else []
            problems += [f"{key}: not updated: another organisation, subscription or the archive owns it"
                         for key in refused]  # fmt: skip
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription.id)
                .values(
                    last_fetch_at=now, last_error=None, imported=len(items) - len(refused), problems=_kept(problems)
                )  # fmt: skip
            )
        landed = [fc for fc in items if fc.id not in refused]
        if landed:
            self.matching.on_imported(landed)
        return len(landed)

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
