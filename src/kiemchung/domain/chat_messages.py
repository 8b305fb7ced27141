"""Alerts as a chat message a desk reads at a glance (Slack, Mattermost, Google Chat all show a webhook's
top-level `text`). Pure: alerts come in as the JSON the webhook sends (`Alert.as_json`).

Plain text with bare links (each chat app turns them into links; their markup dialects differ), in the
installation's language: the claim, its verdict, the post's sentence, the score in words, and the link. A
digest names at most MAX_LISTED alerts and links to the rest; a long sentence is cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_LISTED = 10
MAX_SENTENCE = 300

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "header": "Kiểm Chứng: {n} cảnh báo mới", "repeat": "Một bài đăng lặp lại nhận định đã kiểm chứng",
        "spread": "Một nhận định mới đang lan trên {n} nguồn", "claim": "Nhận định", "verdict": "Kết luận",
        "sentence": "Câu trong bài đăng", "score": "Mức giống", "post": "Bài đăng", "factcheck": "Bài kiểm chứng",
        "alert": "Cảnh báo", "more": "… và {n} cảnh báo khác: {link}",
        "very_close": "gần như trùng khớp", "close": "rất giống", "partly": "giống một phần",
        "burst": "Một câu chuyện đang bùng phát", "narrative": "Câu chuyện",
        "burst_counts": "{hour} bài đăng trong giờ từ {start} UTC ({recent} bài trong {hours} giờ gần nhất; "
                        "bình thường {rate} bài mỗi giờ), {sources} nguồn",
        "first_posts": "Những bài đầu tiên",
    },
    "en": {
        "header": "Kiểm Chứng: {n} new alert(s)", "repeat": "A post repeats a fact-checked claim",
        "spread": "A new claim is spreading in {n} sources", "claim": "Claim", "verdict": "Verdict",
        "sentence": "The post says", "score": "Closeness", "post": "Post", "factcheck": "Fact-check",
        "alert": "Alert", "more": "… and {n} more alert(s): {link}",
        "very_close": "almost identical", "close": "very close", "partly": "partly similar",
        "burst": "A narrative is bursting", "narrative": "Narrative",
        "burst_counts": "{hour} posts in the hour from {start} UTC ({recent} in the last {hours} hours; usually "
                        "{rate} an hour), {sources} sources",
        "first_posts": "First posts",
    },
}  # fmt: skip
FIRST_POSTS_LISTED = 3


def score_in_words(score: float, language: str) -> str:
    """The score as words, the number after it in the language's notation: "rất giống (0,82)"."""
    words = WORDS[language]
    band = "very_close" if score >= 0.9 else "close" if score >= 0.7 else "partly"
    number = f"{score:.2f}"
    return f"{words[band]} ({number.replace('.', ',') if language == 'vi' else number})"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SENTENCE else text[: MAX_SENTENCE - 1].rstrip() + "…"


def alert_text(alert: Mapping[str, Any], language: str) -> str:
    """One alert as a few lines of text."""
    words = WORDS[language]
    factcheck = alert.get("factcheck") or {}
    post = alert.get("post") or {}
    if alert.get("kind") == "burst" and alert.get("evidence"):
        return "\n".join(burst_lines(alert, language))
    if alert.get("kind") == "spread":
        lines = [words["spread"].format(n=alert.get("source_count", 1)) + ":", f"“{_cut(alert['sentence'])}”"]
    else:
        lines = [words["repeat"] + ":"]
        if factcheck:
            lines.append(f"{words['claim']}: {_cut(factcheck['claim'] or '')}")
            lines.append(f"{words['verdict']}: {factcheck['rating']}")
        lines += [f"{words['sentence']}: “{_cut(alert['sentence'])}”",
                  f"{words['score']}: {score_in_words(float(alert['score']), language)}"]  # fmt: skip
    if post.get("url"):
        lines.append(f"{words['post']}: {post['url']}")
    lines.append(f"{words['factcheck']}: {factcheck['link']}" if factcheck else f"{words['alert']}: {alert['link']}")
    return "\n".join(lines)


def burst_lines(alert: Mapping[str, Any], language: str) -> list[str]:
    """A burst alert: the narrative's label, the counts against its usual rate, its first posts, its page."""
    words, evidence = WORDS[language], alert["evidence"]
    rate = f"{float(evidence['baseline_per_hour']):.2f}"
    start = str(evidence["start"])[:16].replace("T", " ")
    counts = words["burst_counts"].format(
        hour=evidence["hour_posts"],
        start=start,
        recent=evidence["recent_posts"],
        hours=evidence["recent_hours"],
        rate=rate.replace(".", ",") if language == "vi" else rate,
        sources=evidence["sources"],
    )
    lines = [words["burst"] + ":", f"“{_cut(alert['sentence'])}”", counts, words["first_posts"] + ":"]
    lines += [f"- {p['id']}: “{_cut(p['sentence'])}”" for p in evidence["first_posts"][:FIRST_POSTS_LISTED]]
    lines.append(f"{words['narrative']}: {(alert.get('narrative') or {}).get('link', alert['link'])}")
    return lines


def chat_text(alerts: Sequence[Mapping[str, Any]], language: str, alerts_page: str) -> str:
    """A digest's message: a header line, then each alert (at most MAX_LISTED; the rest by a link)."""
    words = WORDS[language]
    parts = [words["header"].format(n=len(alerts))]
    parts += [alert_text(a, language) for a in alerts[:MAX_LISTED]]
    if len(alerts) > MAX_LISTED:
        parts.append(words["more"].format(n=len(alerts) - MAX_LISTED, link=alerts_page))
    return "\n\n".join(parts)
