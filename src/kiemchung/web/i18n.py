"""UI strings, Vietnamese first."""

from __future__ import annotations

LANGUAGES = ("vi", "en")

STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Kiểm Chứng",
        "tagline": "Kho kiểm chứng thông tin",
        "search": "Tìm kiếm",
        "search_placeholder": "Tìm trong các bài kiểm chứng…",
        "results": "{total} bài kiểm chứng",
        "claim": "Nhận định",
        "rating": "Kết luận",
        "published": "Ngày đăng",
        "summary": "Tóm tắt",
        "source": "Nguồn",
        "publisher": "Đơn vị kiểm chứng",
        "appearances": "Xuất hiện tại",
        "previous": "Trang trước",
        "next": "Trang sau",
        "page": "Trang {page}/{pages}",
        "empty": "Không có bài kiểm chứng nào.",
        "back": "Về danh sách",
        "not_found": "Không tìm thấy",
        "api": "API",
        "match": "Đối chiếu",
        "match_intro": "Dán một bài đăng để xem nó có lặp lại nhận định đã được kiểm chứng không.",
        "match_button": "Đối chiếu",
        "matched": "Trùng với nhận định đã kiểm chứng",
        "not_matched": "Không trùng nhận định nào đã kiểm chứng",
        "score": "Điểm",
        "sentence": "Câu khớp",
        "language": "English",
    },
    "en": {
        "title": "Kiểm Chứng",
        "tagline": "Fact-check archive",
        "search": "Search",
        "search_placeholder": "Search the fact-checks…",
        "results": "{total} fact-checks",
        "claim": "Claim",
        "rating": "Rating",
        "published": "Published",
        "summary": "Summary",
        "source": "Source",
        "publisher": "Fact-checker",
        "appearances": "Seen at",
        "previous": "Previous",
        "next": "Next",
        "page": "Page {page}/{pages}",
        "empty": "No fact-checks.",
        "back": "Back to the list",
        "not_found": "Not found",
        "api": "API",
        "match": "Match",
        "match_intro": "Paste a post to see whether it repeats a claim that was already fact-checked.",
        "match_button": "Match",
        "matched": "Repeats a fact-checked claim",
        "not_matched": "Repeats no fact-checked claim",
        "score": "Score",
        "sentence": "Matched sentence",
        "language": "Tiếng Việt",
    },
}


def translator(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["vi"])
