"""What search engines and link previews read of a published fact-check (issue 11, item 6), on both
databases, through the real routes: the public page's ClaimReview names the claim's appearances, its first
appearance and the date it entered public discourse, and after a correction the date it was modified; an XML
sitemap (with robots.txt pointing to it) lists the fact-checks published here and nothing else; the public
page and the home page carry Open Graph and Twitter card tags with absolute addresses at
KIEMCHUNG_PUBLIC_URL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.domain.claimreview import ld_json_blocks
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.settings import load_settings
from kiemchung.store.cases import CaseStore
from kiemchung.store.schema import cases, matches, posts
from kiemchung.web.app import create_app
from tests.integration.test_workbench import validate_claimreview

PUBLIC = "https://kiemchung.example"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CLAIM = 'Uống "nước chanh nóng" mỗi sáng chữa khỏi ung thư <giai đoạn cuối>'
SEEN = [  # (address, when the post says it was published): the second is the earliest kept
    ("https://mxh.example/bai/2", datetime(2026, 2, 28, 7, 0, tzinfo=UTC)),
    ("https://tin.example/bai/1", datetime(2026, 2, 26, 21, 30, tzinfo=UTC)),
    ("https://dien-dan.example/chu-de/3", None),
]


@pytest.fixture
def newsroom(tmp_path: Path, database_url: str) -> Iterator[AppContext]:
    """An installation whose public address is set by KIEMCHUNG_PUBLIC_URL (with a trailing slash)."""
    settings = load_settings(environ={"KIEMCHUNG_PUBLIC_URL": f"{PUBLIC}/"}, data_dir=tmp_path / "data",
                                       embedder="hashing", database_url=database_url)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    yield context
    context.close()


def _editor(context: AppContext) -> Actor:
    user = context.accounts.create_user(
        "Tòa soạn Thử", "editor@toa-soan.example", "Biên tập", "editor", "a long password"
    )
    return Actor("editor", user.organisation_id, user_id=user.id, name="Biên tập")


def _seen_in_posts(context: AppContext, actor: Actor, case_id: int) -> None:
    """The case's claim seen in posts at SEEN's addresses (what the monitoring pipeline adds to a case)."""
    with context.database.write() as connection:
        group = connection.execute(select(cases.c.group_key).where(cases.c.id == case_id)).scalar_one()
        for n, (url, when) in enumerate(SEEN):
            post_id = f"post-{case_id}-{n}"
            connection.execute(posts.insert().values(id=post_id, text=CLAIM, url=url, published_at=when,
                                                     fetched_at=datetime.now(UTC), content_hash=post_id))  # fmt: skip
            item = {"kind": "claim", "post_id": post_id, "text": CLAIM}
            CaseStore.upsert_for_item(connection, group, CLAIM, item, actor.organisation_id)
        # the earliest post of all, but a reviewer rejected it as not repeating the claim: no appearance
        rejected = f"post-{case_id}-rejected"
        connection.execute(posts.insert().values(id=rejected, text="Chanh và bệnh khác", url="https://khac.example/1",
                                                 published_at=datetime(2026, 1, 1, tzinfo=UTC),
                                                 fetched_at=datetime.now(UTC), content_hash=rejected))  # fmt: skip
        match = connection.execute(matches.insert().values(
            post_id=rejected, factcheck_id="imported-1", query_text="x", sentence="x", score=0.5, features={},
            decision=False, feedback="rejected", created_at=datetime.now(UTC))).inserted_primary_key  # fmt: skip
        assert match is not None
        item = {"kind": "match", "post_id": rejected, "match_id": match[0], "text": "Chanh và bệnh khác"}
        CaseStore.upsert_for_item(connection, group, CLAIM, item, actor.organisation_id)


def _publish(context: AppContext, actor: Actor, claim: str, seen: bool = False) -> tuple[str, int]:
    """Open, draft and publish a case; (fact-check id, case id)."""
    case = context.cases.open_case(actor, claim)
    if seen:
        _seen_in_posts(context, actor, case.id)
    case = context.cases.draft_verdict(actor, case.id, case.version, "Sai", "Không có bằng chứng nào.",
                                       "Không đúng sự thật.", False)  # fmt: skip
    return context.cases.publish(actor, case.id, case.version).factcheck.id, case.id


def _correct(context: AppContext, actor: Actor, case_id: int) -> None:
    case = context.cases.get(actor, case_id)
    context.cases.publish(actor, case_id, case.version, note="Sửa tên nguồn dẫn")


def _claimreview(client: TestClient, factcheck_id: str) -> dict[str, Any]:
    page = client.get(f"/factchecks/{factcheck_id}")
    assert page.status_code == 200
    blocks = ld_json_blocks(page.text)
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0][1])
    validate_claimreview(data)
    return data


def test_the_claimreview_names_the_claims_appearances_and_after_a_correction_its_modified_date(
    newsroom: AppContext,
) -> None:
    editor = _editor(newsroom)
    newsroom.factcheck_store.upsert_many([FactCheck(id="imported-1", claim="Nhận định nhập", rating=Rating("Sai"))])
    factcheck_id, case_id = _publish(newsroom, editor, CLAIM, seen=True)
    with TestClient(create_app(newsroom.settings, newsroom)) as client:
        first = _claimreview(client, factcheck_id)
        claim = first["itemReviewed"]
        assert claim["@type"] == "Claim"
        assert claim["appearance"] == [{"@type": "CreativeWork", "url": url} for url, _ in SEEN]
        assert claim["firstAppearance"] == {"@type": "CreativeWork", "url": "https://tin.example/bai/1"}
        assert claim["datePublished"] == "2026-02-26"  # the earliest post's date
        assert first["url"] == f"{PUBLIC}/factchecks/{factcheck_id}" and "dateModified" not in first

        _correct(newsroom, editor, case_id)
        corrected = _claimreview(client, factcheck_id)
        newest = newsroom.cases.versions(factcheck_id)[0]
        assert newest["version"] == 2
        modified = datetime.fromisoformat(corrected["dateModified"])
        assert modified.tzinfo is not None
        assert modified == newest["published_at"].replace(tzinfo=newest["published_at"].tzinfo or UTC)
        assert modified.date() >= datetime.fromisoformat(corrected["datePublished"]).date()
        assert corrected["datePublished"] == first["datePublished"] and corrected["itemReviewed"] == claim
        # the same ClaimReview in the API and the subscription feed
        assert client.get(f"/api/v1/factchecks/{factcheck_id}/claimreview").json()["dateModified"] == (
            corrected["dateModified"])  # fmt: skip
        feed = {item["identifier"]: item for item in client.get("/claimreviews.json").json()}
        assert feed[factcheck_id]["dateModified"] == corrected["dateModified"]


def _sitemap(client: TestClient) -> dict[str, str | None]:
    """The sitemap's URLs and their lastmod, read by an XML parser against the sitemaps.org structure."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = lxml.etree.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    entries: dict[str, str | None] = {}
    for url in root:
        assert url.tag == f"{SITEMAP}url" and {child.tag for child in url} <= {f"{SITEMAP}loc", f"{SITEMAP}lastmod"}
        loc, lastmod = url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod")
        assert loc is not None and loc.startswith(f"{PUBLIC}/factchecks/")
        if lastmod is not None:
            assert datetime.fromisoformat(lastmod).tzinfo is not None  # W3C datetime with its zone
        entries[loc] = lastmod
    return entries


def test_the_sitemap_lists_the_fact_checks_published_here_and_robots_txt_points_to_it(newsroom: AppContext) -> None:
    editor = _editor(newsroom)
    published, case_id = _publish(newsroom, editor, CLAIM)
    odd, _ = _publish(newsroom, editor, "Nhận định & <ký tự> đặc biệt")
    draft = newsroom.cases.open_case(editor, "Một nhận định chưa đăng")
    newsroom.cases.draft_verdict(editor, draft.id, draft.version, "Sai", "", "Chưa đăng.", False)
    newsroom.factcheck_store.upsert_many([FactCheck(id="imported-1", claim="Nhận định nhập", rating=Rating("Sai"))])
    with TestClient(create_app(newsroom.settings, newsroom)) as client:
        listed = _sitemap(client)
        assert set(listed) == {f"{PUBLIC}/factchecks/{published}", f"{PUBLIC}/factchecks/{odd}"}
        assert all(listed.values())
        before = listed[f"{PUBLIC}/factchecks/{published}"]
        _correct(newsroom, editor, case_id)
        after = _sitemap(client)[f"{PUBLIC}/factchecks/{published}"]
        assert before and after and datetime.fromisoformat(after) > datetime.fromisoformat(before)
        robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert lines[0] == "User-agent: *" and f"Sitemap: {PUBLIC}/sitemap.xml" in lines


def _meta(html: str) -> dict[str, str]:
    """Every <meta property|name=… content=…> of the page's head, read by an HTML parser."""
    head = lxml.html.document_fromstring(html).head
    assert head is not None
    return {m.get("property") or m.get("name") or "": m.get("content") or "" for m in head.iter("meta")}


def test_the_public_page_and_the_home_page_carry_link_previews_with_absolute_addresses(newsroom: AppContext) -> None:
    editor = _editor(newsroom)
    factcheck_id, _ = _publish(newsroom, editor, CLAIM)
    newsroom.factcheck_store.upsert_many([FactCheck(id="imported-1", claim="Nhận định nhập", rating=Rating("Sai"))])
    with TestClient(create_app(newsroom.settings, newsroom)) as client:
        tags = _meta(client.get(f"/factchecks/{factcheck_id}").text)
        image = f"{PUBLIC}/factchecks/{factcheck_id}/card.png?size=wide"
        assert tags["og:type"] == "article" and tags["og:url"] == f"{PUBLIC}/factchecks/{factcheck_id}"
        assert tags["og:title"] == f"Sai: {CLAIM}" == tags["twitter:title"]  # quotes and <> come back intact
        assert tags["og:description"] == "Không có bằng chứng nào." == tags["twitter:description"]
        assert tags["og:image"] == image == tags["twitter:image"] and tags["og:image:alt"]
        assert tags["twitter:card"] == "summary_large_image" and tags["og:site_name"] == "Kiểm Chứng"
        canonical = lxml.html.document_fromstring(client.get(f"/factchecks/{factcheck_id}?lang=en").text)
        assert canonical.xpath("//link[@rel='canonical']/@href") == [tags["og:url"]]
        card = client.get(image.removeprefix(PUBLIC))
        assert card.status_code == 200 and card.headers["content-type"] == "image/png"
        size = Image.open(io.BytesIO(card.content)).size
        assert size == (int(tags["og:image:width"]), int(tags["og:image:height"])) == (1200, 630)

        imported = _meta(client.get("/factchecks/imported-1").text)  # no card: a plain summary preview
        assert imported["og:url"] == f"{PUBLIC}/factchecks/imported-1" and imported["og:title"] == "Sai: Nhận định nhập"
        assert imported["twitter:card"] == "summary" and "og:image" not in imported

        for lang, locale in (("vi", "vi_VN"), ("en", "en_US")):
            home = _meta(client.get("/", params={"lang": lang}).text)
            assert home["og:type"] == "website" and home["og:url"] == f"{PUBLIC}/" and home["og:locale"] == locale
            assert home["og:title"].startswith("Kiểm Chứng") and home["og:description"] == home["twitter:description"]
            assert home["twitter:card"] == "summary"
