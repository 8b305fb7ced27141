"""The narrative grouping core: online assignment by same-claim decision or centroid cosine (fake vectors)."""

import numpy as np
import pytest

from kiemchung.domain.narratives import Claim, NarrativeIndex, group, keep_numbers, most_central, post_claim
from kiemchung.matching.embedders import HashingEmbedder


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_claim_joins_the_nearest_narrative_above_the_granularity_else_starts_one() -> None:
    index = NarrativeIndex(3, granularity=0.9)
    assert index.choose(unit(1, 0, 0)).reason == "new"
    index.add(1, unit(1, 0, 0), "a")
    index.add(2, unit(0, 1, 0), "b")
    choice = index.choose(unit(1, 0.1, 0))
    assert (choice.narrative_id, choice.reason) == (1, "similar") and choice.similarity > 0.99
    assert index.choose(unit(1, 1, 0)).narrative_id is None  # cosine 0.71 to both: a narrative of its own


def test_the_same_claim_decision_wins_over_the_cosine() -> None:
    index = NarrativeIndex(3, granularity=0.9)
    index.add(1, unit(1, 0, 0), "a")
    index.add(2, unit(0, 1, 0), "b")
    assert index.choose(unit(1, 0, 0), same_claim=2).narrative_id == 2
    assert index.choose(unit(1, 0, 0), same_claim=99).narrative_id == 1  # an unknown narrative is ignored


def test_the_granularity_sets_how_fine_narratives_are() -> None:
    vectors = [unit(1, 0, 0), unit(1, 0.3, 0), unit(1, 0.6, 0)]
    claims = [Claim(str(i), str(i), v) for i, v in enumerate(vectors)]
    coarse, _ = group(claims, 0.9, 3)
    fine, _ = group(claims, 0.99, 3)
    assert len(set(coarse.values())) == 1 and len(set(fine.values())) == 3


def test_the_label_is_the_most_central_member() -> None:
    index = NarrativeIndex(3, granularity=0.5)
    index.add(7, unit(1, 0.5, 0), "edge")
    index.add(7, unit(1, 0, 0), "middle")
    index.add(7, unit(1, -0.5, 0), "other edge")
    assert index.label(7) == "middle" and index.count(7) == 3
    assert most_central(np.stack([unit(1, 0.5, 0), unit(1, 0, 0), unit(1, -0.5, 0)])) == 1


def test_a_removed_narrative_takes_no_more_claims() -> None:
    index = NarrativeIndex(3, granularity=0.5)
    index.add(1, unit(1, 0, 0), "a")
    index.remove(1)
    assert 1 not in index and index.choose(unit(1, 0, 0)).narrative_id is None


def test_grouping_is_deterministic_and_keeps_editors_narratives() -> None:
    embedder = HashingEmbedder()
    texts = [
        "Uống nước chanh nóng chữa khỏi ung thư giai đoạn cuối",
        "uong nuoc chanh nong chua khoi ung thu giai doan cuoi",
        "Bộ Giáo dục bỏ kỳ thi tốt nghiệp trung học phổ thông năm nay",
        "Nước chanh nóng chữa khỏi ung thư giai đoạn cuối, bác sĩ xác nhận",
    ]
    vectors = embedder.embed(texts)
    claims = [Claim(f"p{i}", t, v) for i, (t, v) in enumerate(zip(texts, vectors, strict=True))]
    first, index = group(claims, 0.95, embedder.dimension)
    assert first == group(claims, 0.95, embedder.dimension)[0]
    assert first["p0"] == first["p1"] == first["p3"] != first["p2"]
    assert index.label(first["p0"]) in texts
    fixed = [(40, [claims[2]])]  # an editor renamed the exam narrative, numbered 40: it keeps its number
    again, _ = group(claims, 0.95, embedder.dimension, fixed)
    assert again == {"p2": 40, "p0": 41, "p1": 41, "p3": 41}


@pytest.mark.parametrize(
    ("previous", "grouped", "taken", "expected"),
    [
        ({"a": 5, "b": 5, "c": 6}, {"a": 1, "b": 1, "c": 2}, (), {1: 5, 2: 6}),
        ({"a": 5, "b": 5, "c": 5}, {"a": 1, "b": 2, "c": 2}, (), {2: 5}),
        ({"a": 5, "b": 6}, {"a": 1, "b": 2}, (5,), {2: 6}),
    ],
)
def test_reclustering_keeps_the_numbers_it_can(previous, grouped, taken, expected) -> None:  # type: ignore[no-untyped-def]
    assert keep_numbers(previous, grouped, taken) == expected


def test_a_posts_claim_is_its_best_check_worthy_sentences_in_text_order() -> None:
    sentences = [(0, "a", 0.9), (1, "b", 0.2), (2, "c", 0.95), (3, "d", 0.6), (4, "e", 0.7)]
    assert post_claim(sentences, 0.5) == "a c e"
    assert post_claim([(0, "chào buổi sáng", 0.1)], 0.5) is None
