"""Dates and numbers: what most "refutes" turn on, and evidence too old for the claim's time frame."""

from __future__ import annotations

import re
from datetime import date

from kiemchung.text.analysis import analyse

_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
# 30/4, 30-4, 30.4 and 30/4/2026 (day first, as Vietnamese writes dates); "ngày 30 tháng 4"
_DAY_MONTH = re.compile(r"(?<![\d.,])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?(?![\d])")
_WORDED = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})", re.IGNORECASE)
STALE_AFTER_DAYS = 365


def dates_in(text: str) -> frozenset[str]:
    """Day-month dates a text states, as "d/m" (30/4, 30.4, 30-4, ngày 30 tháng 4)."""
    found = set()
    for match in list(_DAY_MONTH.finditer(text)) + list(_WORDED.finditer(text)):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            found.add(f"{day}/{month}")
    return frozenset(found)


def years_in(text: str) -> frozenset[int]:
    return frozenset(int(y) for y in _YEAR.findall(text))


def fact_flags(claim: str, sentence: str, published: date | None = None, claimed_on: date | None = None) -> list[str]:
    """What a fact-checker should look at before citing `sentence` for `claim`:

    - `number_mismatch`: the claim states a number the sentence does not, and the sentence states another;
    - `date_mismatch`: likewise for a day-month date or a year;
    - `older_than_claim`: the document was published before the years the claim is about, or more than a
      year before the claim was made (`claimed_on`).
    """
    flags = []
    claim_numbers, sentence_numbers = analyse(claim).numbers, analyse(sentence).numbers
    claim_dates, sentence_dates = dates_in(claim), dates_in(sentence)
    claim_years, sentence_years = years_in(claim), years_in(sentence)
    plain = {n for n in claim_numbers - sentence_numbers if not _is_date_part(n, claim_dates, claim_years)}
    if plain and sentence_numbers - claim_numbers:
        flags.append("number_mismatch")
    if (claim_dates - sentence_dates and sentence_dates - claim_dates) or (
        claim_years - sentence_years and sentence_years - claim_years
    ):
        flags.append("date_mismatch")
    if published is not None and _older(published, claim_years, claimed_on):
        flags.append("older_than_claim")
    return flags


def _is_date_part(number: str, dates: frozenset[str], years: frozenset[int]) -> bool:
    parts = {p for d in dates for p in d.split("/")}
    return number in parts or (number.isdigit() and int(number) in years)


def _older(published: date, claim_years: frozenset[int], claimed_on: date | None) -> bool:
    if claim_years and published.year < min(claim_years):
        return True
    return claimed_on is not None and (claimed_on - published).days > STALE_AFTER_DAYS
