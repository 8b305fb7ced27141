"""Match repository: suggested post ↔ fact-check matches and the reviewers' feedback on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from kiemchung.store.database import Database
from kiemchung.store.schema import matches

FEEDBACK = ("accepted", "rejected")


@dataclass(frozen=True)
class StoredMatch:
    id: int
    factcheck_id: str
    query_text: str
    sentence: str
    score: float
    features: dict[str, object]
    decision: bool
    feedback: str | None


def _from_row(row: Any) -> StoredMatch:
    return StoredMatch(
        row.id,
        row.factcheck_id,
        row.query_text,
        row.sentence,
        row.score,
        dict(row.features or {}),
        row.decision,
        row.feedback,
    )


class MatchStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(
        self,
        factcheck_id: str,
        query_text: str,
        sentence: str,
        score: float,
        features: dict[str, object],
        decision: bool,
        post_id: str | None = None,
    ) -> int:
        with self.database.write() as connection:
            result = connection.execute(
                matches.insert().values(
                    post_id=post_id,
                    factcheck_id=factcheck_id,
                    query_text=query_text[:20_000],
                    sentence=sentence,
                    score=score,
                    features=features,
                    decision=decision,
                    created_at=datetime.now(UTC),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def get(self, match_id: int) -> StoredMatch | None:
        with self.database.read() as connection:
            row = connection.execute(select(matches).where(matches.c.id == match_id)).first()
        return _from_row(row) if row else None

    def set_feedback(self, match_id: int, feedback: str) -> bool:
        if feedback not in FEEDBACK:
            raise ValueError(feedback)
        with self.database.write() as connection:
            result = connection.execute(
                update(matches).where(matches.c.id == match_id).values(feedback=feedback, reviewed_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    @staticmethod
    def set_feedback_many(connection: Connection, match_ids: Sequence[int], feedback: str) -> int:
        """Review many suggestions at once, in the caller's transaction (a bulk action and its one audit
        entry commit together). How many were changed."""
        if feedback not in FEEDBACK:
            raise ValueError(feedback)
        changed = 0
        for start in range(0, len(match_ids), 500):  # bounded IN lists
            result = connection.execute(
                update(matches)
                .where(matches.c.id.in_(list(match_ids[start : start + 500])))
                .values(feedback=feedback, reviewed_at=datetime.now(UTC))
            )
            changed += result.rowcount
        return changed

    def reviewed_count(self) -> int:
        with self.database.read() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(matches).where(matches.c.feedback.is_not(None))
                ).scalar_one()
            )

    def reviewed(self) -> list[StoredMatch]:
        """Every match with feedback, oldest first (a refit from them is reproducible)."""
        with self.database.read() as connection:
            rows = connection.execute(
                select(matches).where(matches.c.feedback.is_not(None)).order_by(matches.c.id)
            ).all()
        return [_from_row(r) for r in rows]
