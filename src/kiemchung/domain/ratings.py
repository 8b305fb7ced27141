"""Rating scales. The default is Vietnamese; the scale is data, not code."""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.domain.models import Rating


@dataclass(frozen=True)
class RatingScale:
    labels: tuple[str, ...]  # from worst (1) to best (len)
    english: tuple[str, ...]

    def rating(self, label: str) -> Rating:
        """The Rating for a label of this scale, or a label-only Rating for a foreign label."""
        for index, known in enumerate(self.labels):
            if known.casefold() == label.casefold():
                return Rating(label=known, value=index + 1, best=len(self.labels), worst=1)
        return Rating(label=label)


# Worst to best on the axis "how far the claim can be relied upon".
VIETNAMESE_DEFAULT = RatingScale(
    labels=("Lừa đảo", "Sai", "Gây hiểu lầm", "Chưa có bằng chứng", "Đúng"),
    english=("Scam", "False", "Misleading", "Unproven", "True"),
)

FALSE_LIKE = frozenset(label.casefold() for label in ("Lừa đảo", "Sai", "Gây hiểu lầm", "False", "Scam", "Misleading"))
