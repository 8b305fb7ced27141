"""A rebuttal's citations when a case's evidence list changes.

A drafted rebuttal cites evidence by its number in the case's list ([1], [2]…) and keeps the ids it meant
(`evidence_ids`). Removing a piece of evidence renumbers what comes after it; a piece the rebuttal cites
cannot be removed (the rebuttal would lose its source): it is corrected instead, or the rebuttal changed first.
"""

from __future__ import annotations

from typing import Any

from kiemchung.errors import InputError


def cited_ids(sentence: dict[str, Any], evidence_ids: list[int]) -> list[int]:
    """The evidence ids one rebuttal sentence cites (from its numbers when an old draft kept no ids)."""
    if sentence.get("evidence_ids") is not None:
        return [int(i) for i in sentence["evidence_ids"]]
    return [evidence_ids[n - 1] for n in sentence.get("cites", []) if 1 <= n <= len(evidence_ids)]


def without_evidence(rebuttal: list[dict[str, Any]], evidence_ids: list[int], removed: int) -> list[dict[str, Any]]:
    """The rebuttal renumbered for the evidence list without `removed`; InputError when a sentence cites it."""
    remaining = [i for i in evidence_ids if i != removed]
    out = []
    for sentence in rebuttal:
        ids = cited_ids(sentence, evidence_ids)
        if removed in ids:
            number = evidence_ids.index(removed) + 1
            raise InputError(f"the rebuttal cites this evidence as [{number}]: change the rebuttal first, or correct "
                             "the evidence instead of removing it")  # fmt: skip
        out.append({**sentence, "cites": [remaining.index(i) + 1 for i in ids], "evidence_ids": ids})
    return out
