import random

import numpy as np
import pytest

from kiemchung.matching.decision import (
    ARTIFACT,
    KINDS,
    Decision,
    LogisticModel,
    fit_logistic,
    fit_recalibration,
    model_kind,
)
from kiemchung.text.language import guess_language, language_code
from kiemchung.text.normalize import clean_post


def test_logistic_fit_separates_and_is_deterministic() -> None:
    rng = random.Random(0)
    rows = [{"bias": 1.0, "x": rng.gauss(1 if i % 2 else -1, 0.5)} for i in range(200)]
    labels = [i % 2 for i in range(200)]
    first = fit_logistic(rows, labels, ("bias", "x"))
    second = fit_logistic(rows, labels, ("bias", "x"))
    assert np.array_equal(first.weights, second.weights)
    assert first.probability({"bias": 1.0, "x": 2.0}) > 0.9 > 0.1 > first.probability({"bias": 1.0, "x": -2.0})


def test_model_round_trips_through_json() -> None:
    model = LogisticModel(("bias", "x"), np.array([0.1, 2.0]), np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    again = LogisticModel.from_json(model.to_json())
    assert again.probability({"bias": 1, "x": 3}) == pytest.approx(model.probability({"bias": 1, "x": 3}))


def test_shipped_artifact_has_every_kind_and_a_threshold_for_each() -> None:
    decision = Decision.load(ARTIFACT)
    assert set(decision.full) == set(KINDS) == set(decision.lexical)
    assert all(0.0 < decision.threshold(kind) < 1.0 for kind in KINDS)
    assert decision.provenance["script"] == "scripts/train_matcher.py"


def test_kind_is_the_shared_language_or_cross() -> None:
    assert model_kind("vi", "vi") == "vi" and model_kind("en", "vi") == "cross"


def test_recalibration_moves_scores_towards_reviewers() -> None:
    reviews = [(0.95, i % 4 != 0, "vi") for i in range(40)] + [(0.6, False, "vi") for _ in range(20)]
    recalibration = fit_recalibration(reviews)
    assert recalibration.apply(0.6, "vi") < 0.6
    assert fit_recalibration(reviews[:5]).maps == {}  # too few: identity


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Uống nước chanh chữa ung thư", "vi"),
        ("uong nuoc chanh chua ung thu", "vi"),
        ("Drinking lemon water cures cancer, says the post", "en"),
        ("ae oi share gap tin nay", "vi"),
        # Links, handles and bylines used to make English tweets look like Vietnamese without diacritics.
        (
            "CDC ‘Disappears’ Page Linking Polio Vaccines To Cancer-Causing Viruses https://t.co/A0ypmtOFQh "
            "— CaliVaxChoice (@CaliVaxChoice) October 28, 2015",
            "en",
        ),
        ("Simpsons prediction Travis Scott Astroworld concert. pic.twitter.com/RYHE36TEqG — Edi (@Edi05215930)", "en"),
        ("TS Nguyen Huu Nguyen phan doi viec lap mai ton tren via he duong Le Loi.", "vi"),
        ("Sóng 5G phát tán virus corona — tin nóng!", "vi"),
        ("La vitamine C guérit le cancer selon une étude publiée dans une revue", "fr"),
        ("喝椰子水可以治疗登革热", "zh"),
        ("코코넛 워터가 뎅기열을 치료한다", "ko"),
    ],
)
def test_language_guess(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_language_codes_and_post_cleaning() -> None:
    assert language_code("vi-VN") == "vi" and language_code("English") == "en" and language_code("fr") is None
    assert clean_post("Xem https://x.vn/a?b=1 #tin @ban — Ai đó (@ai) January 4, 2021") == "Xem tin"
