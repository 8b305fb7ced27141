"""Training drills (issue 15) through the service, on SQLite and PostgreSQL: assembled from the
organisation's own archive with ≥ 40 % true items, variants checked by the matching engine, reviewed and
marked ready by an editor, taken item by item, scored; another organisation sees none of it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from kiemchung.services.drills import AnswerInput, DrillOptions
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.matches import MatchStore
from kiemchung.web.app import create_app

FALSE_CLAIMS = [
    ("Uống nước lá ổi mỗi ngày giúp chữa khỏi bệnh tiểu đường type 2.", "Sai"),
    ("Bộ Y tế thông báo tiêm vắc xin sởi gây vô sinh ở trẻ em.", "Sai"),
    ("Công an thành phố gửi tin nhắn yêu cầu người dân cập nhật căn cước qua đường link lạ.", "Lừa đảo"),
    ("Ảnh cầu Long Biên bị sập là ảnh chụp trong cơn bão năm nay.", "Sai"),
    ("Động đất mạnh 8 độ sẽ xảy ra ở Hà Nội vào tuần tới theo dự báo của Viện Vật lý địa cầu.", "Sai"),
    ("Thủ tướng phát biểu sẽ tăng lương tối thiểu lên gấp ba lần từ tháng sau.", "Sai"),
    ("Ăn tỏi sống hằng ngày ngăn ngừa hoàn toàn bệnh cúm mùa.", "Gây hiểu lầm"),
    ("Ngân hàng tặng 5 triệu đồng cho khách hàng bấm vào đường link nhận quà tri ân.", "Lừa đảo"),
]
TRUE_CLAIMS = [
    "Thành phố Hà Nội mở thêm ba tuyến xe buýt điện từ tháng chín.",
    "Bộ Giáo dục công bố lịch thi tốt nghiệp trung học phổ thông vào cuối tháng sáu.",
    "Trung tâm Dự báo khí tượng thủy văn cảnh báo mưa lớn ở các tỉnh miền Trung trong ba ngày tới.",
    "Giá xăng trong nước giảm nhẹ trong kỳ điều chỉnh giữa tháng.",
    "Bệnh viện Bạch Mai triển khai đặt lịch khám qua ứng dụng điện thoại.",
    "Sân bay Long Thành dự kiến khai thác thương mại vào năm 2026.",
]
OTHER_CLAIM = "Uống nước chanh muối mỗi sáng chữa khỏi ung thư dạ dày."
APPEARANCE = "nghe nói uống nước lá ổi mỗi ngày là khỏi hẳn tiểu đường type 2, ae share gấp"


@dataclass
class World:
    context: AppContext
    editor: Actor
    trainee: Actor
    other_editor: Actor


def _rating(label: str) -> Rating:
    value = {"Lừa đảo": 1, "Sai": 2, "Gây hiểu lầm": 3, "Đúng": 5}[label]
    return Rating(label, value, 5, 1)


def _publish(context: AppContext, organisation_id: int, prefix: str, claims: list[tuple[str, str]]) -> list[str]:
    items = [
        FactCheck(f"kc-{prefix}-{n}", claim, _rating(label), url=f"https://kc.example/{prefix}/{n}", language="vi",
                  summary=f"Giải thích số {n}.")
        for n, (claim, label) in enumerate(claims)
    ]  # fmt: skip
    with context.database.write() as connection:
        FactCheckStore.write_many(connection, items, organisation_id=organisation_id)
    return [fc.id for fc in items]


def _actor(context: AppContext, organisation: str, email: str, role: str) -> Actor:
    user = context.accounts.create_user(organisation, email, email.split("@")[0], role, "a long password")
    return Actor(role, user.organisation_id, user_id=user.id)


@pytest.fixture
def world(app_context: AppContext) -> World:
    context = app_context
    editor = _actor(context, "Đơn vị A", "editor@a.example", "editor")
    trainee = _actor(context, "Đơn vị A", "trainee@a.example", "viewer")
    other_editor = _actor(context, "Đơn vị B", "editor@b.example", "editor")
    false_ids = _publish(context, editor.organisation_id, "a", FALSE_CLAIMS)
    _publish(context, editor.organisation_id, "t", [(claim, "Đúng") for claim in TRUE_CLAIMS])
    _publish(context, other_editor.organisation_id, "b", [(OTHER_CLAIM, "Sai")])
    MatchStore(context.database).add(false_ids[0], APPEARANCE, FALSE_CLAIMS[0][0], 0.9, {}, True)
    return World(context, editor, trainee, other_editor)


def test_a_drill_is_assembled_from_the_organisations_archive_with_true_items(world: World) -> None:
    drills = world.context.drills
    assembled = drills.assemble(world.editor, DrillOptions("Tập huấn tháng 11", size=10, seed=1))
    drill = assembled.drill
    assert (drill.status, drill.size, len(drill.items)) == ("draft", 10, 10)
    assert sum(not item.is_signal for item in drill.items) >= 4  # ≥ 40 % true items
    assert all(item.factcheck_id and item.factcheck_id.startswith(("kc-a-", "kc-t-")) for item in drill.items)
    assert OTHER_CLAIM not in {item.text for item in drill.items}  # nothing of another organisation
    assert all(item.is_signal == item.factcheck_id.startswith("kc-a-") for item in drill.items if item.factcheck_id)
    # every variant kept is still matched to its own claim; no true item matches a false claim
    variants = [item for item in drill.items if item.origin == "variant"]
    checked = world.context.matching.match_posts([(i.factcheck_id, i.text) for i in variants + drill.items])
    for result, item in zip(checked, variants, strict=False):
        assert result.matched and result.matches[0].factcheck_id == item.factcheck_id
    for result, item in zip(checked[len(variants) :], drill.items, strict=True):
        if not item.is_signal and result.matched:
            assert not result.matches[0].factcheck_id.startswith("kc-a-")
    assert assembled.variants_kept <= assembled.variants_generated
    entries = list(world.context.audit.entries(world.editor.organisation_id))
    assert [(e.action, e.object_id) for e in entries][:1] == [("drill.create", str(drill.id))]


def test_too_few_true_items_is_refused_with_how_many_exist(world: World) -> None:
    with pytest.raises(InputError, match=r"at least 4 true items; the archive has 0"):
        world.context.drills.assemble(world.editor, DrillOptions("Chỉ lừa đảo", size=10, topics=("đường link",)))
    with pytest.raises(InputError, match=r"at least 40 true items; the archive has 18"):  # 6 claims, 2 variants each
        world.context.drills.assemble(world.editor, DrillOptions("Quá lớn", size=100))


def test_only_editors_assemble_and_another_organisation_sees_nothing(world: World) -> None:
    drills = world.context.drills
    with pytest.raises(PermissionDenied):
        drills.assemble(world.trainee, DrillOptions("x", size=10))
    drill = drills.assemble(world.editor, DrillOptions("Nháp", size=10, seed=2)).drill
    with pytest.raises(NotFoundError):
        drills.get(world.trainee, drill.id)  # a draft is the editors' until it is ready
    assert drills.drills(world.trainee) == []
    drills.mark_ready(world.editor, drill.id)
    for probe in (drills.get, drills.start, drills.cohort, drills.my_results):
        with pytest.raises(NotFoundError):
            probe(world.other_editor, drill.id)
    assert drills.drills(world.other_editor) == []
    with pytest.raises(PermissionDenied):
        drills.cohort(world.trainee, drill.id)


def test_a_trainee_takes_a_ready_drill_and_is_scored(world: World) -> None:
    drills = world.context.drills
    drill = drills.assemble(world.editor, DrillOptions("Buổi 1", size=10, seed=3)).drill
    with pytest.raises(ConflictError):
        drills.start(world.editor, drill.id)  # not ready yet
    signal = next(item for item in drill.items if item.is_signal)
    drills.set_technique(world.editor, drill.id, signal.id, "miracle_cure")
    drill = drills.mark_ready(world.editor, drill.id)
    with pytest.raises(ConflictError):
        drills.remove_item(world.editor, drill.id, drill.items[0].id)  # a ready drill no longer changes
    attempt = drills.start(world.trainee, drill.id)
    assert drills.start(world.trainee, drill.id).id == attempt.id  # resumed, not doubled
    answered = 0
    while (step := drills.next_item(world.trainee, drill.id)) is not None:
        item = step.item
        verdict = "Sai" if item.is_signal else "Đúng"
        if answered == 0:
            verdict = "Đúng" if item.is_signal else "Sai"  # one wrong answer
        technique = item.technique
        feedback = drills.answer(world.trainee, drill.id, AnswerInput(item.id, verdict, 80, technique, None))
        assert feedback.right == (answered != 0) and feedback.item.factcheck_url
        answered += 1
    assert answered == 10 and feedback.finished
    with pytest.raises(ConflictError):
        drills.answer(world.trainee, drill.id, AnswerInput(drill.items[0].id, "Sai", 80, None, None))
    (mine,) = drills.my_results(world.trainee, drill.id)
    assert mine.score.answered == 10 and mine.score.accuracy == pytest.approx(0.9)
    assert mine.score.technique_accuracy == 1.0 and mine.score.d_prime is not None and mine.score.d_prime > 1
    cohort = drills.cohort(world.editor, drill.id)
    assert [row.attempt.trainee for row in cohort.rows] == ["trainee"]
    exported = drills.cohort_csv(world.editor, drill.id)
    assert exported.startswith("\ufefftrainee,")  # Excel reads the UTF-8 names right with the byte order mark
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert rows[0][:5] == ["trainee", "finished_at", "answered", "accuracy", "d_prime"]
    assert rows[1][2:4] == ["10", "0.9"]
    actions = [e.action for e in world.context.audit.entries(world.editor.organisation_id)]
    assert actions.count("drill.answer") == 10 and "drill.finish" in actions and "drill.start" in actions


def test_answers_are_checked(world: World) -> None:
    drills = world.context.drills
    drill = drills.mark_ready(world.editor, drills.assemble(world.editor, DrillOptions("K", size=10, seed=4)).drill.id)
    drills.start(world.trainee, drill.id)
    item = drill.items[0].id
    for bad in (AnswerInput(item, "Có lẽ", 80, None, None), AnswerInput(item, "Sai", 40, None, None),
                AnswerInput(item, "Sai", 80, "astrology", None)):  # fmt: skip
        with pytest.raises(InputError):
            drills.answer(world.trainee, drill.id, bad)
    with pytest.raises(NotFoundError):
        drills.answer(world.trainee, drill.id, AnswerInput(10**6, "Sai", 80, None, None))


def test_evidence_sentences_fill_in_when_true_verdicts_are_too_few(world: World) -> None:
    context, editor = world.context, world.editor
    case = context.cases.open_case(editor, "Vắc xin sởi gây vô sinh?")
    quotes = [
        "Vắc xin sởi được Tổ chức Y tế Thế giới khuyến cáo tiêm cho mọi trẻ em từ chín tháng tuổi.",
        "Chương trình tiêm chủng mở rộng đã tiêm hàng triệu liều vắc xin sởi cho trẻ em trên cả nước.",
        "Các nghiên cứu theo dõi dài hạn không ghi nhận ảnh hưởng của vắc xin sởi tới khả năng sinh sản.",
        "Tỷ lệ mắc sởi giảm mạnh ở những địa phương có tỷ lệ tiêm vắc xin sởi cao.",
    ]
    for quote in quotes:
        context.cases.add_quote(editor, case.id, quote, "Bộ Y tế")
    assembled = context.drills.assemble(editor, DrillOptions("Vắc xin", size=46, seed=5))  # 19 true: 18 + evidence
    origins = {item.origin for item in assembled.drill.items if not item.is_signal}
    assert "evidence" in origins
    assert all(item.case_id == case.id for item in assembled.drill.items if item.origin == "evidence")


# -- the pages and the API ------------------------------------------------------------------------------------


def _signed_in(context: AppContext, email: str) -> TestClient:
    client = TestClient(create_app(context.settings, context))
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    form = {"email": email, "password": "a long password", "login_csrf": token.group(1), "next": "/drills"}
    signed = client.post("/login", data=form, follow_redirects=False)
    assert signed.status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/drills").text)
    assert csrf
    client.headers["X-CSRF-Token"] = csrf.group(1)
    return client


def _take_whole_drill(client: TestClient, drill_id: int) -> int:
    """Answer every item through the pages ("Sai", 70 %); the number of items answered."""
    assert (
        client.post(f"/drills/{drill_id}/take", follow_redirects=False).headers["location"]
        == f"/drills/{drill_id}/take"
    )
    answered = 0
    while (page := client.get(f"/drills/{drill_id}/take", follow_redirects=False)).status_code == 200:
        item = re.search(r'name="item_id" value="(\d+)"', page.text)
        shown = re.search(r'name="shown_at" value="([\d.]+)"', page.text)
        assert item and shown and 'type="radio" name="verdict"' in page.text
        answer = {"item_id": item.group(1), "verdict": "Sai", "confidence": "70", "shown_at": shown.group(1)}
        sent = client.post(f"/drills/{drill_id}/answers", data=answer, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == f"/drills/{drill_id}/feedback/{item.group(1)}"
        feedback = client.get(sent.headers["location"])
        assert "Sai" in feedback.text and ("drill-right" in feedback.text or "drill-wrong" in feedback.text)
        answered += 1
    assert page.status_code == 303 and page.headers["location"] == f"/drills/{drill_id}"
    return answered


def test_a_drill_through_the_pages_and_the_api(world: World) -> None:
    context = world.context
    editor, trainee = _signed_in(context, "editor@a.example"), _signed_in(context, "trainee@a.example")
    other = _signed_in(context, "editor@b.example")
    made = editor.post("/drills", data={"title": "Buổi tập", "size": "10", "language": "vi", "topics": ""},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    drill_id = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert trainee.get(f"/drills/{drill_id}").status_code == 404  # a draft is not shown to trainees
    review = editor.get(made.headers["location"])
    assert "biến thể của nhận định sai vẫn được máy nhận ra" in review.text  # the variant check, reported
    item_id = re.findall(r'id="item-(\d+)"', review.text)[0]
    assert editor.post(f"/drills/{drill_id}/items/{item_id}/technique", data={"technique": "scam"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    assert editor.post(f"/drills/{drill_id}/ready", follow_redirects=False).status_code == 303
    assert trainee.post(f"/drills/{drill_id}/take", headers={"X-CSRF-Token": ""}).status_code == 403  # CSRF
    assert _take_whole_drill(trainee, drill_id) == 10
    own = trainee.get(f"/drills/{drill_id}/results").text
    assert "drill-mine" in own and "drill-cohort" not in own
    cohort = editor.get(f"/drills/{drill_id}/results").text
    assert "drill-cohort" in cohort and "trainee" in cohort
    exported = editor.get(f"/drills/{drill_id}/results.csv")
    assert exported.headers["content-type"].startswith("text/csv") and "\ntrainee," in exported.text
    assert trainee.get(f"/drills/{drill_id}/results.csv").status_code == 403
    api = trainee.get(f"/api/v1/drills/{drill_id}/results").json()
    assert [a["answered"] for a in api["attempts"]] == [10] and "trainee" not in api["attempts"][0]
    assert editor.get(f"/api/v1/drills/{drill_id}/cohort").json()["attempts"][0]["trainee"] == "trainee"
    for path in ("", "/take", "/results", "/results.csv", f"/feedback/{item_id}"):
        assert other.get(f"/drills/{drill_id}{path}", follow_redirects=False).status_code == 404, path
    for path in ("/results", "/cohort"):
        assert other.get(f"/api/v1/drills/{drill_id}{path}").status_code == 404, path
    assert other.get("/api/v1/drills").json() == {"drills": []}
    assert other.post(f"/drills/{drill_id}/take", follow_redirects=False).status_code == 404


def test_only_the_organisations_own_posts_become_drill_items(world: World) -> None:
    """A post of another organisation (or a query that stored no post) matched to our fact-check is never
    drawn into our drills: it is theirs."""
    from kiemchung.store.posts import NewPost, PostStore

    context = world.context
    ours = context.sources.ensure("push", "mxh-a", world.editor.organisation_id)
    theirs = context.sources.ensure("push", "mxh-b", world.other_editor.organisation_id)
    rival_text = "tin mật của đơn vị B: lá ổi chữa tiểu đường, đừng lan truyền"
    with context.database.write() as connection:
        for post_id, source, text in (("a-1", ours, APPEARANCE), ("b-1", theirs, rival_text)):
            PostStore.insert(connection, NewPost(post_id, source.id, text, None, None, None, "vi", None,
                                                 f"h-{post_id}", None, None, b""))  # fmt: skip
    factcheck_id = context.drills.store.organisation_factchecks(world.editor.organisation_id)[0].id
    for post_id, text in (("a-1", APPEARANCE), ("b-1", rival_text)):
        MatchStore(context.database).add(factcheck_id, text, FALSE_CLAIMS[0][0], 0.9, {}, True, post_id=post_id)
    drawn = context.drills.store.appearances([factcheck_id], world.editor.organisation_id)
    assert drawn == {factcheck_id: [APPEARANCE]}  # not the rival's post, not the fixture's post-less query
    assert context.drills.store.appearances([factcheck_id], world.other_editor.organisation_id) == {
        factcheck_id: [rival_text]}  # fmt: skip


def test_two_last_answers_sent_at_once_finish_the_attempt_and_a_double_submit_is_a_conflict(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second-to-last answer is stored by another request while this one still holds the attempt as it
    was before: the attempt still ends with its last answer (answers are counted where they are written)."""
    from kiemchung.store.drills import Answer as StoredAnswer

    drills = world.context.drills
    drill = drills.mark_ready(
        world.editor, drills.assemble(world.editor, DrillOptions("Đua", size=10, seed=6)).drill.id
    )
    drills.start(world.trainee, drill.id)
    for item in drill.items[:8]:
        drills.answer(world.trainee, drill.id, AnswerInput(item.id, "Sai", 80, None, None))
    stale = drills.open_attempt(world.trainee, drill.id)
    assert stale is not None and len(stale.answers) == 8
    other = StoredAnswer(drill.items[8].id, "Sai", True, 80, None, 3.0)
    with world.context.database.write() as connection:  # the concurrent request's answer
        drills.store.add_answer(connection, stale.id, other, datetime.now(UTC))
    with world.context.database.write() as connection, pytest.raises(ConflictError):  # its double submit
        drills.store.add_answer(connection, stale.id, other, datetime.now(UTC))
    monkeypatch.setattr(drills, "open_attempt", lambda actor, drill_id: stale)
    feedback = drills.answer(world.trainee, drill.id, AnswerInput(drill.items[9].id, "Sai", 80, None, None))
    assert feedback.finished
    monkeypatch.undo()
    assert drills.open_attempt(world.trainee, drill.id) is None  # finished: no attempt left open
