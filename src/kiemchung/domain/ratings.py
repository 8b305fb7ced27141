"""Rating scales. The default is Vietnamese; the scale is data, not code."""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.domain.models import Rating


@dataclass(frozen=True)
class RatingScale:
    labels: tuple[str, ...]  # from worst (1) to best (len)
    english: tuple[str, ...]

    def rating(self, label: str) -> Rating:
        """The Rating for a label of this scale (its English name keeps its words: "False" on the Vietnamese
        scale is rated like "Sai"), or a label-only Rating for a foreign label."""
        for index, known in enumerate(self.labels):
            if known.casefold() == label.casefold():
                return Rating(label=known, value=index + 1, best=len(self.labels), worst=1)
        for index, english in enumerate(self.english):
            if english.casefold() == label.strip().casefold():
                return Rating(label=english, value=index + 1, best=len(self.labels), worst=1)
        return Rating(label=label)

    def position(self, label: str) -> int | None:
        """Where a label sits on this scale (0 = worst), by its own name or its English one; None if foreign."""
        folded = label.strip().casefold()
        for names in (self.labels, self.english):
            for index, known in enumerate(names):
                if known.casefold() == folded:
                    return index
        return None

    def same_verdict(self, a: str, b: str) -> bool:
        """Two labels name one verdict ("Sai" and "False" on the default scale; equal foreign labels)."""
        position = self.position(a)
        return a.strip().casefold() == b.strip().casefold() or (position is not None and position == self.position(b))


# Worst to best on the axis "how far the claim can be relied upon".
VIETNAMESE_DEFAULT = RatingScale(
    labels=("Lừa đảo", "Sai", "Gây hiểu lầm", "Chưa có bằng chứng", "Đúng"),
    english=("Scam", "False", "Misleading", "Unproven", "True"),
)


def rating_scale(labels: str) -> RatingScale:
    """A scale from "worst,...,best" (the Vietnamese default when empty)."""
    names = tuple(label.strip() for label in labels.split(",") if label.strip())
    if not names:
        return VIETNAMESE_DEFAULT
    return RatingScale(labels=names, english=names)


FALSE_LIKE = frozenset(label.casefold() for label in ("Lừa đảo", "Sai", "Gây hiểu lầm", "False", "Scam", "Misleading"))
_FALSE_WORDS = (
    "false", "fake", "incorrect", "pants on fire", "scam", "misleading", "sai", "lừa đảo", "hiểu lầm", "bịa",
)  # fmt: skip


def is_debunked(label: str, value: float | None = None, best: float | None = None, worst: float | None = None) -> bool:
    """Does this rating say the claim should not be believed (an alert-worthy repeat)?"""
    if value is not None and best is not None:
        low = worst if worst is not None else 1.0
        return best > low and (value - low) / (best - low) < 0.6
    folded = label.casefold()
    return folded in FALSE_LIKE or any(word in folded for word in _FALSE_WORDS)
