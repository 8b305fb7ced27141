"""How a match is put into words: the headline, where a rating may stand, stored stances and closeness."""

from kiemchung.services.matching import MatchOut, PostResult
from kiemchung.store.cases import PendingMatch, closeness_of, stance_of
from kiemchung.web.pages import headline_of, shows_rating


def _out(stance: str, closeness: str) -> MatchOut:
    return MatchOut("fc-1", 0.9, "a sentence", stance, closeness=closeness)


def test_headline_names_matched_refuted_and_nothing() -> None:
    assert headline_of(PostResult(None, True, [_out("repeats", "same")])) == "matched"
    assert headline_of(PostResult(None, False, [_out("refutes", "same")])) == "refutes_match"
    assert headline_of(PostResult(None, False, [_out("refutes", "possible")])) == "not_matched"
    assert headline_of(PostResult(None, False, [_out("asks", "possible")])) == "not_matched"
    assert headline_of(PostResult(None, False)) == "not_matched"


def test_a_rating_stands_only_beside_a_matched_post_and_its_same_claim() -> None:
    same, possible = _out("repeats", "same"), _out("repeats", "possible")
    assert shows_rating(PostResult(None, True, [same, possible]), same)
    assert not shows_rating(PostResult(None, True, [same, possible]), possible)
    assert shows_rating(PostResult(None, True, [_out("asks", "same")]), _out("asks", "same"))
    refuted = _out("refutes", "same")
    assert not shows_rating(PostResult(None, False, [refuted, same]), refuted)
    assert not shows_rating(PostResult(None, False, [refuted, same]), same)  # the post was not matched


def test_stored_stance_defaults_to_repeats_and_decision_gives_closeness() -> None:
    assert stance_of({"stance": "refutes", "kind": "vi"}) == "refutes"
    assert stance_of({"kind": "vi"}) == stance_of(None) == stance_of({"stance": "nonsense"}) == "repeats"
    assert closeness_of(True) == "same" and closeness_of(False) == "possible"
    assert PendingMatch(1, "s", 0.4, "asks", False).closeness == "possible"
