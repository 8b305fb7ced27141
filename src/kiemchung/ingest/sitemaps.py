"""Sitemaps, sitemap indexes and Google News sitemaps to page URLs (with their news title and date)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from kiemchung.ingest.http import FetchError

_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    title: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class Sitemap:
    pages: list[SitemapEntry]
    children: list[str]  # further sitemaps named by a sitemap index


def parse_sitemap(content: bytes) -> Sitemap:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"not a readable sitemap: {exc}") from None
    if root is None:
        raise FetchError("not a readable sitemap: empty document")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        return Sitemap([], [loc.strip() for loc in root.xpath("//sm:sitemap/sm:loc/text()", namespaces=_NS)])
    if tag != "urlset":
        raise FetchError(f"not a sitemap: the root element is <{tag}>")
    pages = []
    for node in root.xpath("//sm:url", namespaces=_NS):
        loc = node.findtext("sm:loc", namespaces=_NS)
        if not loc:
            continue
        title = node.findtext("news:news/news:title", namespaces=_NS)
        published = node.findtext("news:news/news:publication_date", namespaces=_NS) or node.findtext(
            "sm:lastmod", namespaces=_NS
        )
        pages.append(SitemapEntry(loc.strip(), title.strip() if title else None, published))
    return Sitemap(pages, [])
