"""UI strings, Vietnamese first."""

from __future__ import annotations

from kiemchung.domain.priorities import PRIORITY_WORDS

LANGUAGES = ("vi", "en")

STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Kiểm Chứng",
        "tagline": "Kho kiểm chứng thông tin",
        "site_description": "Các bài kiểm chứng thông tin đã đăng, có thể tìm kiếm: nhận định, kết luận, "
        "bằng chứng và mọi lần đính chính.",
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
        "refutes_match": "Bài đăng này bác bỏ một nhận định đã được kiểm chứng",
        "score": "Điểm",
        "sentence": "Câu khớp",
        "post_sentence": "Câu trong bài đăng",
        "checked_claim": "Nhận định đã kiểm chứng",
        "stance_label": "Bài đăng",
        "closeness_label": "Mức giống",
        "stance_repeats": "lặp lại nhận định",
        "stance_asks": "hỏi về nhận định",
        "stance_refutes": "bác bỏ nhận định",
        "closeness_same": "rất giống",
        "closeness_possible": "có thể",
        "closeness_different": "không trùng",
        "language": "English",
    },
    "en": {
        "title": "Kiểm Chứng",
        "tagline": "Fact-check archive",
        "site_description": "Published fact-checks you can search: each claim, its verdict, the evidence and "
        "every correction.",
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
        "refutes_match": "This post refutes a fact-checked claim",
        "score": "Score",
        "sentence": "Matched sentence",
        "post_sentence": "The post's sentence",
        "checked_claim": "Fact-checked claim",
        "stance_label": "The post",
        "closeness_label": "Closeness",
        "stance_repeats": "repeats the claim",
        "stance_asks": "asks about the claim",
        "stance_refutes": "refutes the claim",
        "closeness_same": "very similar",
        "closeness_possible": "possibly the same",
        "closeness_different": "not the same claim",
        "language": "Tiếng Việt",
    },
}


def translator(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["vi"])


def _add_strings(more: dict[str, dict[str, str]]) -> None:
    """Merge one area's strings (vi and en) into STRINGS."""
    for language, strings in more.items():
        STRINGS[language].update(strings)


WORKBENCH_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "sign_in": "Đăng nhập", "sign_out": "Đăng xuất", "email": "E-mail", "password": "Mật khẩu",
        "queue": "Hàng đợi", "alerts": "Cảnh báo", "sources": "Nguồn theo dõi", "status": "Trạng thái",
        "admin": "Quản trị", "case": "Vụ việc", "cases": "Vụ việc", "status_label": "Trạng thái",
        "priority": "Mức ưu tiên", "topic": "Chủ đề", "spread": "Lan truyền", "assignee": "Người phụ trách",
        "detected": "Phát hiện", "updated": "Cập nhật", "filter": "Lọc", "sort": "Sắp xếp", "all": "Tất cả",
        "assign_me": "Nhận việc", "unassign": "Bỏ nhận", "save": "Lưu", "confirm": "Xác nhận trùng",
        "reject": "Không trùng", "case_items": "Bài đăng và nhận định", "comments": "Trao đổi", "comment": "Ghi chú",
        "add_comment": "Gửi ghi chú", "evidence": "Bằng chứng", "add_url": "Thêm đường dẫn (lưu bản sao văn bản)",
        "add_quote": "Thêm trích dẫn", "quote": "Trích dẫn", "quote_source": "Nguồn trích dẫn",
        "add_file": "Tải tài liệu lên", "upload": "Tải lên", "verdict": "Kết luận", "rebuttal": "Bài phản bác",
        "rebuttal_help": "Mỗi dòng một câu; trích dẫn bằng chứng bằng [1], [2]…", "draft": "Lưu bản nháp kết luận",
        "second_review": "Cần người thứ hai duyệt trước khi đăng", "sign_off": "Duyệt (người thứ hai)",
        "signed_off": "Đã được duyệt", "publish": "Đăng", "correction_note": "Nội dung đính chính",
        "publish_correction": "Đăng bản đính chính", "published_at": "Đã đăng", "time_to_publish": "Thời gian từ phát hiện đến khi đăng",
        "versions": "Các phiên bản", "version": "Phiên bản", "open_case": "Mở vụ việc mới", "claim_text": "Nhận định cần kiểm chứng",
        "keyboard_help": "Phím tắt: j/k chọn, o mở, c xác nhận, x không trùng, / tìm", "no_cases": "Hàng đợi trống.",
        "users": "Người dùng", "invite": "Mời", "role": "Vai trò", "active": "Đang hoạt động", "deactivate": "Khóa",
        "activate": "Mở khóa", "tokens": "Khóa API", "create": "Tạo", "revoke": "Thu hồi", "audit": "Nhật ký thao tác",
        "export": "Xuất", "subscriptions": "Theo dõi đơn vị khác", "subscribe": "Theo dõi", "refresh": "Cập nhật",
        "import_problems": "Bị từ chối, cắt bớt hoặc bỏ liên kết",
        "name": "Tên", "kind": "Loại", "url": "Địa chỉ", "interval": "Chu kỳ (giây)", "add": "Thêm",
        "remove": "Xóa", "enable": "Bật", "disable": "Tắt", "last_success": "Lần thành công gần nhất",
        "last_error": "Lỗi gần nhất", "never": "chưa", "backlog": "Đang chờ xử lý", "posts": "Bài đăng",
        "accept_invite": "Nhận lời mời", "your_name": "Tên của bạn", "choose_password": "Mật khẩu (ít nhất 10 ký tự)",
        "copy_of": "Bản sao của", "score": "Điểm", "open": "Mở", "feed": "Bản tin (Atom)",
        "new": "Mới", "in_progress": "Đang xử lý", "drafted": "Đã có bản nháp", "published": "Đã đăng",
        "dismissed": "Bỏ qua", "dismiss": "Bỏ qua", "reopen": "Mở lại", "start": "Bắt đầu xử lý",
        "token_shown_once": "Khóa chỉ hiện một lần — hãy lưu lại ngay:", "invite_link": "Gửi đường dẫn mời này:",
        "archived": "đã lưu bản sao", "archiving": "đang lưu bản sao…", "not_archived": "không lưu được bản sao", "cites": "dẫn chứng",
        "sort_recent": "Mới cập nhật", "sort_oldest": "Phát hiện sớm nhất", "sort_priority": "Ưu tiên cao", "sort_spread": "Lan truyền rộng",
        "shares": "Chia sẻ với đơn vị khác", "share": "Chia sẻ", "unshare": "Ngừng chia sẻ", "organisation": "Đơn vị",
        "not_shared": "Chưa chia sẻ với đơn vị nào.",
        "shares_help": "Đơn vị được chia sẻ có thể đọc vụ việc và gửi ghi chú; các thao tác khác vẫn thuộc đơn vị của bạn.",
        "shared_with_you": "Vụ việc của đơn vị khác, được chia sẻ để bạn đọc và gửi ghi chú.",
    },
    "en": {
        "sign_in": "Sign in", "sign_out": "Sign out", "email": "E-mail", "password": "Password",
        "queue": "Queue", "alerts": "Alerts", "sources": "Sources", "status": "Status", "admin": "Admin",
        "case": "Case", "cases": "Cases", "status_label": "Status", "priority": "Priority", "topic": "Topic",
        "spread": "Spread", "assignee": "Assignee", "detected": "Detected", "updated": "Updated", "filter": "Filter",
        "sort": "Sort", "all": "All", "assign_me": "Take it", "unassign": "Unassign", "save": "Save",
        "confirm": "Confirm match", "reject": "Not a match", "case_items": "Posts and claims", "comments": "Discussion",
        "comment": "Comment", "add_comment": "Post comment", "evidence": "Evidence",
        "add_url": "Add a URL (its text is archived)", "add_quote": "Add a quote", "quote": "Quote",
        "quote_source": "Source of the quote", "add_file": "Upload a document", "upload": "Upload",
        "verdict": "Verdict", "rebuttal": "Rebuttal", "rebuttal_help": "One sentence per line; cite evidence as [1], [2]…",
        "draft": "Save draft verdict", "second_review": "Needs a second reviewer before publishing",
        "sign_off": "Sign off (second reviewer)", "signed_off": "Signed off", "publish": "Publish",
        "correction_note": "What the correction changes", "publish_correction": "Publish correction",
        "published_at": "Published", "time_to_publish": "Time from detection to publication", "versions": "Versions",
        "version": "Version", "open_case": "Open a new case", "claim_text": "Claim to check",
        "keyboard_help": "Keys: j/k select, o open, c confirm, x reject, / search", "no_cases": "The queue is empty.",
        "users": "Users", "invite": "Invite", "role": "Role", "active": "Active", "deactivate": "Deactivate",
        "activate": "Activate", "tokens": "API tokens", "create": "Create", "revoke": "Revoke", "audit": "Audit log",
        "export": "Export", "subscriptions": "Subscriptions", "subscribe": "Subscribe", "refresh": "Refresh",
        "import_problems": "Refused, cut or link dropped",
        "name": "Name", "kind": "Kind", "url": "URL", "interval": "Interval (s)", "add": "Add", "remove": "Remove",
        "enable": "Enable", "disable": "Disable", "last_success": "Last success", "last_error": "Last error",
        "never": "never", "backlog": "Waiting", "posts": "Posts", "accept_invite": "Accept the invitation",
        "your_name": "Your name", "choose_password": "Password (at least 10 characters)", "copy_of": "Copy of",
        "score": "Score", "open": "Open", "feed": "Feed (Atom)", "new": "New", "in_progress": "In progress",
        "drafted": "Drafted", "published": "Published", "dismissed": "Dismissed", "dismiss": "Dismiss",
        "reopen": "Reopen", "start": "Start", "token_shown_once": "The token is shown once — save it now:",
        "invite_link": "Send this invitation link:", "archived": "archived", "archiving": "archiving…", "not_archived": "not archived",
        "cites": "cites",
        "sort_recent": "Recently updated", "sort_oldest": "Detected first", "sort_priority": "Highest priority", "sort_spread": "Widest spread",
        "shares": "Shared with other organisations", "share": "Share", "unshare": "Stop sharing",
        "organisation": "Organisation", "not_shared": "Not shared with any organisation.",
        "shares_help": "An organisation it is shared with may read the case and comment; every other action stays with yours.",
        "shared_with_you": "Another organisation's case, shared with yours to read and comment on.",
    },
}  # fmt: skip
_add_strings(WORKBENCH_STRINGS)

ACCOUNT_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "account": "Tài khoản", "change_password": "Đổi mật khẩu", "current_password": "Mật khẩu hiện tại",
        "new_password": "Mật khẩu mới (ít nhất 10 ký tự)", "confirm_password": "Nhập lại mật khẩu mới",
        "change_password_help": "Sau khi đổi, các phiên đăng nhập khác của bạn sẽ kết thúc.",
        "password_changed": "Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.",
        "reset_password": "Đặt lại mật khẩu", "set_password": "Đặt mật khẩu mới",
        "reset_link": "Gửi đường dẫn đặt lại mật khẩu này (dùng một lần, hết hạn sau 24 giờ):",
        "password_reset_done": "Đã đặt mật khẩu mới — hãy đăng nhập.",
    },
    "en": {
        "account": "Account", "change_password": "Change password", "current_password": "Current password",
        "new_password": "New password (at least 10 characters)", "confirm_password": "New password again",
        "change_password_help": "Your other sessions end when you change it.",
        "password_changed": "Password changed; your other sessions have ended.",
        "reset_password": "Reset password", "set_password": "Set the new password",
        "reset_link": "Send this password reset link (single use, expires in 24 hours):",
        "password_reset_done": "New password set — sign in.",
    },
}  # fmt: skip
_add_strings(ACCOUNT_STRINGS)

REPORT_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "reports": "Báo cáo", "report_from": "Từ ngày", "report_to": "Đến ngày", "report_language": "Ngôn ngữ báo cáo",
        "report_show": "Xem báo cáo", "report_download": "Tải về",
        "share_card": "Thẻ chia sẻ", "card_wide": "1200×630", "card_square": "1080×1080 (vuông)",
    },
    "en": {
        "reports": "Reports", "report_from": "From", "report_to": "To", "report_language": "Report language",
        "report_show": "Show report", "report_download": "Download",
        "share_card": "Share card", "card_wide": "1200×630", "card_square": "1080×1080 (square)",
    },
}  # fmt: skip
_add_strings(REPORT_STRINGS)

NEWSROOM_STRINGS: dict[str, dict[str, str]] = {
    "vi": {"download_csv": "Tải về CSV"},
    "en": {"download_csv": "Download CSV"},
}
_add_strings(NEWSROOM_STRINGS)

DRILL_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "drills": "Bài luyện tập", "drill": "Bài luyện tập", "drill_new": "Soạn bài luyện tập mới",
        "drill_title": "Tên bài", "drill_size": "Số câu (10–100)", "drill_language": "Ngôn ngữ",
        "drill_topics": "Từ khóa chủ đề (cách nhau bằng dấu phẩy, để trống: mọi chủ đề)",
        "drill_assemble": "Soạn từ kho kiểm chứng", "drill_status_draft": "Bản nháp (chờ duyệt)",
        "drill_status_ready": "Sẵn sàng", "drill_items": "Câu hỏi", "drill_none": "Chưa có bài luyện tập nào.",
        "drill_review_help": "Đọc từng câu trước khi dùng: xóa câu không phù hợp, ghi thủ đoạn nếu có. "
                             "Bài cần ít nhất 40 % câu đúng sự thật.",
        "drill_truth": "Sự thật", "drill_is_false": "Sai / gây hiểu lầm", "drill_is_true": "Đúng",
        "drill_origin": "Nguồn câu", "drill_technique": "Thủ đoạn", "drill_technique_none": "(không rõ / không có)",
        "drill_set_technique": "Lưu thủ đoạn", "drill_remove_item": "Xóa câu", "drill_mark_ready": "Duyệt: sẵn sàng",
        "drill_start": "Bắt đầu làm bài", "drill_continue": "Làm tiếp", "drill_results": "Kết quả",
        "drill_item_of": "Câu {n}/{total}", "drill_verdict": "Bạn đánh giá nhận định này thế nào?",
        "drill_confidence": "Bạn chắc chắn đến đâu?", "drill_technique_q": "Thủ đoạn (nếu nhận ra)",
        "drill_answer": "Trả lời", "drill_right": "Đúng rồi.", "drill_wrong": "Chưa đúng.",
        "drill_published": "Kết luận đã công bố", "drill_your_answer": "Bạn trả lời",
        "drill_read_factcheck": "Đọc bài kiểm chứng", "drill_evidence_case": "Câu này lấy từ bằng chứng của vụ việc",
        "drill_next": "Câu tiếp theo", "drill_finished": "Bạn đã làm xong bài.", "drill_see_results": "Xem kết quả",
        "drill_my_results": "Kết quả của bạn", "drill_cohort": "Kết quả của cả đơn vị",
        "drill_trainee": "Người làm", "drill_when": "Lúc", "drill_answered": "Số câu",
        "drill_accuracy": "Tỷ lệ đúng", "drill_d_prime": "Khả năng phân biệt d′", "drill_criterion": "Xu hướng c",
        "drill_brier": "Brier (0 tốt nhất)", "drill_kappa": "κ so với kết luận", "drill_technique_accuracy":
        "Nhận ra thủ đoạn", "drill_median_seconds": "Trung vị giây/câu", "drill_mean": "Trung bình",
        "drill_no_results": "Chưa có lượt làm bài nào hoàn thành.",
        "drill_scores_help": "d′ đo khả năng phân biệt tin đúng với tin sai (0: đoán mò; càng cao càng tốt). "
                             "c đo xu hướng: âm là hay cho rằng mọi thứ đều sai (đa nghi), dương là hay tin. "
                             "Một bài 40 câu chỉ ước lượng d′ của một người với sai số khoảng ±0,9 (95 %); "
                             "trung bình của cả nhóm chính xác hơn nhiều.",
        "drill_privacy": "Kết quả là hồ sơ luyện tập: chỉ bạn và biên tập viên, quản trị viên của đơn vị bạn "
                         "xem được, không bao giờ hiển thị ra ngoài đơn vị.",
        "drill_origin_claim": "nhận định đã kiểm chứng", "drill_origin_appearance": "bài đăng thật",
        "drill_origin_variant": "biến thể", "drill_origin_true_claim": "nhận định đúng",
        "drill_origin_evidence": "câu trong bằng chứng",
        "drill_csv": "Tải kết quả (CSV)",
        "drill_assembled": "Đã soạn bản nháp: {kept}/{generated} biến thể của nhận định sai vẫn được máy nhận ra là "
                           "cùng nhận định (số còn lại bị bỏ); {dropped} câu đúng bị bỏ vì trùng một nhận định sai.",
    },
    "en": {
        "drills": "Drills", "drill": "Drill", "drill_new": "Assemble a new drill",
        "drill_title": "Title", "drill_size": "Items (10–100)", "drill_language": "Language",
        "drill_topics": "Topic keywords (comma-separated; empty: every topic)",
        "drill_assemble": "Assemble from the archive", "drill_status_draft": "Draft (to review)",
        "drill_status_ready": "Ready", "drill_items": "Items", "drill_none": "No drills yet.",
        "drill_review_help": "Read every item before use: remove the unsuitable ones, name the technique where "
                             "there is one. A drill needs at least 40 % true items.",
        "drill_truth": "Truth", "drill_is_false": "False / misleading", "drill_is_true": "True",
        "drill_origin": "Origin", "drill_technique": "Technique", "drill_technique_none": "(unknown / none)",
        "drill_set_technique": "Save technique", "drill_remove_item": "Remove item",
        "drill_mark_ready": "Reviewed: mark ready",
        "drill_start": "Start the drill", "drill_continue": "Continue", "drill_results": "Results",
        "drill_item_of": "Item {n} of {total}", "drill_verdict": "How do you rate this claim?",
        "drill_confidence": "How sure are you?", "drill_technique_q": "Technique (if you spot one)",
        "drill_answer": "Answer", "drill_right": "Right.", "drill_wrong": "Not right.",
        "drill_published": "Published verdict", "drill_your_answer": "Your answer",
        "drill_read_factcheck": "Read the fact-check", "drill_evidence_case": "This sentence comes from the evidence of case",
        "drill_next": "Next item", "drill_finished": "You have finished the drill.", "drill_see_results": "See results",
        "drill_my_results": "Your results", "drill_cohort": "Your organisation's results",
        "drill_trainee": "Trainee", "drill_when": "When", "drill_answered": "Answered",
        "drill_accuracy": "Accuracy", "drill_d_prime": "Discrimination d′", "drill_criterion": "Lean c",
        "drill_brier": "Brier (0 is best)", "drill_kappa": "κ with the verdicts", "drill_technique_accuracy":
        "Techniques spotted", "drill_median_seconds": "Median s per item", "drill_mean": "Mean",
        "drill_no_results": "No finished attempt yet.",
        "drill_scores_help": "d′ measures telling true from false (0: guessing; higher is better). c measures the "
                             "lean: negative calls everything false (sceptical), positive believes too much. A "
                             "40-item drill measures one person's d′ to about ±0.9 (95 %); a group's mean is far more "
                             "precise.",
        "drill_privacy": "Results are training records: only you and your organisation's editors and admins see "
                         "them, never anyone outside the organisation.",
        "drill_origin_claim": "fact-checked claim", "drill_origin_appearance": "real post",
        "drill_origin_variant": "variant", "drill_origin_true_claim": "true claim",
        "drill_origin_evidence": "evidence sentence",
        "drill_csv": "Download the results (CSV)",
        "drill_assembled": "Draft assembled: {kept} of {generated} variants of false claims are still matched to "
                           "their claim (the rest were dropped); {dropped} true items were dropped for matching a false claim.",
    },
}  # fmt: skip
_add_strings(DRILL_STRINGS)

NARRATIVE_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "narratives": "Câu chuyện", "narratives_help": "Cùng một luận điệu dù viết khác nhau, và những luận điệu gần nhau của một câu chuyện.",
        "narrative_export": "Tải về (JSON Lines)", "narrative_label": "Tên", "narrative_factchecks": "Bài kiểm chứng",
        "narrative_risk": "Mức rủi ro", "narrative_first_seen": "Thấy lần đầu", "narrative_last_seen": "Thấy lần cuối",
        "narrative_pinned": "Bài kiểm chứng đã ghim", "no_narratives": "Chưa có câu chuyện nào.",
        "narrative_variants": "Biến thể", "narrative_languages": "Ngôn ngữ", "narrative_fingerprint": "Dấu vân tay (JSON)",
        "narrative_members": "Bài đăng và luận điệu", "narrative_published": "Đăng lúc", "narrative_member": "Luận điệu",
        "narrative_assigned_by": "Xếp bởi", "narrative_post": "Bài đăng", "narrative_new_label": "Tên câu chuyện mới",
        "narrative_split": "Tách các bài đã chọn", "narrative_edit": "Biên tập", "narrative_rename": "Đổi tên",
        "narrative_merge_from": "Gộp câu chuyện số … vào câu chuyện này", "narrative_merge": "Gộp",
        "narrative_pin_help": "Mã bài kiểm chứng (để trống: bỏ ghim)", "narrative_pin": "Ghim",
        "narrative_set_risk": "Đặt mức rủi ro", "narrative_verdict": "Câu chuyện đã kiểm chứng",
        "risk_unset": "Chưa đặt", "risk_low": "Thấp", "risk_medium": "Vừa", "risk_high": "Cao",
        "assigned_auto": "Tự động", "assigned_editor": "Biên tập viên",
    },
    "en": {
        "narratives": "Narratives", "narratives_help": "The same claim however worded, and closely related claims of one story.",
        "narrative_export": "Download (JSON Lines)", "narrative_label": "Label", "narrative_factchecks": "Fact-checks",
        "narrative_risk": "Risk level", "narrative_first_seen": "First seen", "narrative_last_seen": "Last seen",
        "narrative_pinned": "Pinned fact-check", "no_narratives": "No narratives yet.",
        "narrative_variants": "Variants", "narrative_languages": "Languages", "narrative_fingerprint": "Fingerprint (JSON)",
        "narrative_members": "Posts and claims", "narrative_published": "Published", "narrative_member": "Claim",
        "narrative_assigned_by": "Assigned by", "narrative_post": "Post", "narrative_new_label": "Label of the new narrative",
        "narrative_split": "Split the chosen posts off", "narrative_edit": "Edit", "narrative_rename": "Rename",
        "narrative_merge_from": "Merge narrative number … into this one", "narrative_merge": "Merge",
        "narrative_pin_help": "Fact-check id (empty: unpin)", "narrative_pin": "Pin",
        "narrative_set_risk": "Set risk level", "narrative_verdict": "Checked narrative",
        "risk_unset": "Not set", "risk_low": "Low", "risk_medium": "Medium", "risk_high": "High",
        "assigned_auto": "Automatic", "assigned_editor": "Editor",
    },
}  # fmt: skip
_add_strings(NARRATIVE_STRINGS)

TREND_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "trends": "Xu hướng", "trends_help": "Những câu chuyện nhiều bài nhất lúc này, rồi những câu chuyện dễ tiếp tục tăng nhất.",
        "trend_window": "Khoảng thời gian", "trend_window_24h": "24 giờ", "trend_window_7d": "7 ngày", "trend_window_30d": "30 ngày",
        "trend_verdict": "Kết luận", "trend_topic": "Chủ đề", "trend_all": "Tất cả", "trend_filter": "Lọc",
        "trend_posts_window": "Bài trong khoảng", "trend_sparkline": "Diễn biến", "trend_state": "Tình trạng",
        "trend_bursting": "Đang bùng phát", "trend_last_burst": "Bùng phát gần nhất", "trend_quiet": "Bình thường",
        "trend_forecast": "Dự báo", "trend_next_24h": "24 giờ tới", "trend_next_7d": "7 ngày tới",
        "trend_growing": "Khả năng còn tăng", "trend_interval": "khoảng tin cậy 80 %",
        "trend_forecast_band": "Dự báo (80 %)", "trend_chart_day": "Số bài và số nguồn mỗi ngày, và dự báo 7 ngày",
        "trend_chart_hour": "Số bài và số nguồn mỗi giờ (72 giờ qua), và dự báo 24 giờ",
        "trend_csv": "Số liệu (CSV)", "trend_bursts": "Các đợt bùng phát", "trend_none": "Không có câu chuyện nào có bài trong khoảng này.",
        "trend_burst_posts": "bài", "trend_by_day": "Theo ngày", "trend_by_hour": "Theo giờ",
        "trend_sources": "Nguồn khác nhau", "trend_sources_count": "nguồn",
        "burst_alert_counts": "{hour} bài trong giờ bắt đầu đợt bùng phát, bình thường {rate} bài mỗi giờ, {sources} nguồn",
    },
    "en": {
        "trends": "Trends", "trends_help": "The narratives with the most posts now, then those likeliest to keep growing.",
        "trend_window": "Time window", "trend_window_24h": "24 hours", "trend_window_7d": "7 days", "trend_window_30d": "30 days",
        "trend_verdict": "Verdict", "trend_topic": "Topic", "trend_all": "All", "trend_filter": "Filter",
        "trend_posts_window": "Posts in window", "trend_sparkline": "Over time", "trend_state": "State",
        "trend_bursting": "Bursting", "trend_last_burst": "Last burst", "trend_quiet": "Quiet",
        "trend_forecast": "Forecast", "trend_next_24h": "Next 24 hours", "trend_next_7d": "Next 7 days",
        "trend_growing": "Chance it keeps growing", "trend_interval": "80 % interval",
        "trend_forecast_band": "Forecast (80 %)", "trend_chart_day": "Posts and sources per day, and the 7-day forecast",
        "trend_chart_hour": "Posts and sources per hour (the last 72 hours), and the 24-hour forecast",
        "trend_csv": "The numbers (CSV)", "trend_bursts": "Bursts", "trend_none": "No narrative has posts in this window.",
        "trend_burst_posts": "posts", "trend_by_day": "By day", "trend_by_hour": "By hour",
        "trend_sources": "Distinct sources", "trend_sources_count": "sources",
        "burst_alert_counts": "{hour} posts in the hour the burst began, usually {rate} an hour, {sources} sources",
    },
}  # fmt: skip
_add_strings(TREND_STRINGS)

DESK_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "choose_rating": "— chọn kết luận —", "rating_required": "Hãy chọn một kết luận.",
        "assigned_to_me": "Việc của tôi", "assign_to": "Giao cho", "unassigned": "— chưa giao —", "assign": "Giao",
        "remove_evidence": "Gỡ bằng chứng", "correct_evidence": "Sửa", "evidence_reason": "Lý do (ghi vào nhật ký)",
        "evidence_after_publication": "Vụ việc đã đăng: thay đổi bằng chứng chỉ hiện công khai khi bạn đăng bản đính chính.",
        "not_archived_public": "không lưu được bản sao — đọc tại nguồn",
    },
    "en": {
        "choose_rating": "— choose a verdict —", "rating_required": "Choose a verdict.",
        "assigned_to_me": "Assigned to me", "assign_to": "Assign to", "unassigned": "— nobody —", "assign": "Assign",
        "remove_evidence": "Remove", "correct_evidence": "Correct", "evidence_reason": "Reason (kept in the audit log)",
        "evidence_after_publication": "This case is published: evidence changes show publicly once you publish a correction.",
        "not_archived_public": "not archived — read at the source",
    },
}  # fmt: skip
_add_strings(DESK_STRINGS)
_add_strings({language: {f"priority_{n}": word for n, word in enumerate(words)}
              for language, words in PRIORITY_WORDS.items()})  # fmt: skip

RETRO_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "retro_title": "Xuất hiện trước đó", "retro_run": "Tìm lại trong các bài đã lưu",
        "retro_help": "Các bài đã lưu của đơn vị lặp lại hoặc hỏi về nhận định đã kiểm chứng, tìm bằng cùng quyết định như đối chiếu trực tiếp.",
        "retro_state_queued": "Đang chờ", "retro_state_running": "Đang tìm", "retro_state_done": "Đã tìm xong",
        "retro_state_failed": "Bị lỗi (chạy lại sẽ tiếp tục)", "retro_progress": "{done}/{total} phần",
        "retro_found": "{found} lần xuất hiện", "retro_first_seen": "thấy lần đầu",
    },
    "en": {
        "retro_title": "Earlier appearances", "retro_run": "Search the stored posts",
        "retro_help": "The organisation's stored posts that repeat or ask about the fact-checked claim, found with the same decision as live matching.",
        "retro_state_queued": "Queued", "retro_state_running": "Searching", "retro_state_done": "Done",
        "retro_state_failed": "Failed (running it again resumes)", "retro_progress": "{done}/{total} partitions",
        "retro_found": "{found} appearances", "retro_first_seen": "first seen",
    },
}  # fmt: skip
_add_strings(RETRO_STRINGS)

FLOOD_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "alert_groups_total": "{total} nhóm cảnh báo", "alert_kind_repeat": "Lặp lại nhận định đã kiểm chứng",
        "alert_kind_spread": "Nhận định mới đang lan", "alert_kind_burst": "Đợt bùng phát",
        "alert_group_counts": "lặp lại {alerts} lần trong {sources} nguồn từ {since}",
        "alert_group_latest": "Mới nhất", "alert_state_open": "Chưa ghi nhận", "alert_state_acknowledged": "Đã ghi nhận",
        "alert_state_handled": "Đã xử lý", "alert_set_acknowledged": "Ghi nhận", "alert_set_handled": "Đã xử lý xong",
        "alert_set_open": "Mở lại", "alert_state_by": "{state}: {who}, {at}", "alert_new_since": "{count} cảnh báo mới sau đó",
        "alert_open_case": "Mở vụ việc",
        "appearances_summary": "{posts} bài đăng từ {sources} nguồn; {originals} bản gốc, các bản sao gộp dưới bản gốc",
        "appearance_copies": "{count} bản sao", "appearance_more": "và {count} bản sao khác",
        "bulk_select": "Chọn", "bulk_help": "Chọn bài đăng (kèm các bản sao của nó) rồi xác nhận hoặc bác cùng lúc; mỗi thao tác ghi một mục nhật ký.",
        "bulk_confirm_selected": "Xác nhận trùng: mục đã chọn", "bulk_reject_selected": "Không trùng: mục đã chọn",
        "bulk_confirm_page": "Xác nhận trùng: cả trang này", "bulk_reject_page": "Không trùng: cả trang này",
        "bulk_done": "Đã cập nhật {count} gợi ý", "queue_counts": "{posts} bài · {sources} nguồn",
    },
    "en": {
        "alert_groups_total": "{total} alert groups", "alert_kind_repeat": "Repeats a fact-checked claim",
        "alert_kind_spread": "A new claim is spreading", "alert_kind_burst": "Burst",
        "alert_group_counts": "repeated {alerts} times in {sources} sources since {since}",
        "alert_group_latest": "Latest", "alert_state_open": "Not acknowledged", "alert_state_acknowledged": "Acknowledged",
        "alert_state_handled": "Handled", "alert_set_acknowledged": "Acknowledge", "alert_set_handled": "Mark handled",
        "alert_set_open": "Reopen", "alert_state_by": "{state}: {who}, {at}", "alert_new_since": "{count} new alerts since",
        "alert_open_case": "Open the case",
        "appearances_summary": "{posts} posts from {sources} sources; {originals} originals, copies folded under their original",
        "appearance_copies": "{count} copies", "appearance_more": "and {count} more copies",
        "bulk_select": "Select", "bulk_help": "Select posts (with their copies), then confirm or reject them at once; each action writes one audit entry.",
        "bulk_confirm_selected": "Confirm match: selected", "bulk_reject_selected": "Not a match: selected",
        "bulk_confirm_page": "Confirm match: this whole page", "bulk_reject_page": "Not a match: this whole page",
        "bulk_done": "{count} suggestions updated", "queue_counts": "{posts} posts · {sources} sources",
    },
}  # fmt: skip
_add_strings(FLOOD_STRINGS)

EVIDENCE_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "evidence_nav": "Thư viện bằng chứng", "evidence_library": "Thư viện bằng chứng",
        "evidence_library_help": "Tài liệu đơn vị tin cậy (cổng thông tin chính thức, thông cáo, bài đã kiểm chứng…): tìm câu xác nhận hoặc bác bỏ một nhận định.",
        "evidence_search_placeholder": "Dán một nhận định để tìm câu liên quan…",
        "evidence_results": "{count} câu liên quan", "evidence_no_results": "Không tìm thấy câu nào liên quan.",
        "evidence_import": "Nhập tài liệu", "evidence_import_button": "Nhập",
        "evidence_import_help": "Tệp JSON Lines (.jsonl, mỗi dòng {\"id\", \"text\", \"url\"?, \"title\"?, \"publisher\"?, \"published\"?}) hoặc PDF; nhập lại một id sẽ cập nhật tài liệu đó.",
        "evidence_import_summary": "thêm {added}, cập nhật {updated}, không đổi {unchanged}, lỗi {errors}",
        "evidence_import_line": "Dòng {line}: {error}",
        "evidence_scanned_note": "PDF bản quét (không có lớp chữ), đã lưu nhưng không tìm được: {ids}",
        "evidence_documents": "Tài liệu trong thư viện ({total})", "evidence_no_documents": "Thư viện chưa có tài liệu nào.",
        "evidence_document": "Tài liệu", "evidence_publisher": "Cơ quan đăng", "evidence_published": "Ngày đăng",
        "evidence_updated": "Cập nhật", "evidence_scanned": "bản quét",
        "suggested_evidence": "Bằng chứng gợi ý",
        "suggestion_note": "Gợi ý tự động từ thư viện bằng chứng, không phải kết luận: đọc nguồn trước khi dùng.",
        "suggested_verdict": "Kết luận gợi ý", "evidence_confidence": "độ tin cậy",
        "evidence_verdict_supported": "có cơ sở", "evidence_verdict_refuted": "bị bác bỏ",
        "evidence_verdict_not_enough_info": "chưa đủ thông tin",
        "evidence_stance_supports": "ủng hộ nhận định", "evidence_stance_refutes": "bác bỏ nhận định",
        "evidence_stance_neutral": "không rõ",
        "evidence_flag_number_mismatch": "số liệu khác", "evidence_flag_date_mismatch": "ngày tháng khác",
        "evidence_flag_older_than_claim": "cũ hơn nhận định",
        "add_to_evidence": "Thêm vào bằng chứng", "evidence_in_case": "đã có trong bằng chứng",
        "evidence_accepted": "Đã thêm câu vào bằng chứng",
    },
    "en": {
        "evidence_nav": "Evidence library", "evidence_library": "Evidence library",
        "evidence_library_help": "Documents your organisation trusts (official portals, press releases, published fact-checks…): find the sentences that confirm or refute a claim.",
        "evidence_search_placeholder": "Paste a claim to find the sentences that bear on it…",
        "evidence_results": "{count} relevant sentences", "evidence_no_results": "No relevant sentence found.",
        "evidence_import": "Import documents", "evidence_import_button": "Import",
        "evidence_import_help": "A JSON Lines file (.jsonl, one {\"id\", \"text\", \"url\"?, \"title\"?, \"publisher\"?, \"published\"?} per line) or a PDF; importing an id again updates it.",
        "evidence_import_summary": "added {added}, updated {updated}, unchanged {unchanged}, errors {errors}",
        "evidence_import_line": "Line {line}: {error}",
        "evidence_scanned_note": "Scanned PDF (no text layer), stored but not searchable: {ids}",
        "evidence_documents": "Documents in the library ({total})", "evidence_no_documents": "The library holds no document yet.",
        "evidence_document": "Document", "evidence_publisher": "Publisher", "evidence_published": "Published",
        "evidence_updated": "Updated", "evidence_scanned": "scanned",
        "suggested_evidence": "Suggested evidence",
        "suggestion_note": "An automatic suggestion from the evidence library, not a verdict: read the source before using it.",
        "suggested_verdict": "Suggested verdict", "evidence_confidence": "confidence",
        "evidence_verdict_supported": "supported", "evidence_verdict_refuted": "refuted",
        "evidence_verdict_not_enough_info": "not enough information",
        "evidence_stance_supports": "supports the claim", "evidence_stance_refutes": "refutes the claim",
        "evidence_stance_neutral": "neutral",
        "evidence_flag_number_mismatch": "number differs", "evidence_flag_date_mismatch": "date differs",
        "evidence_flag_older_than_claim": "older than the claim",
        "add_to_evidence": "Add to evidence", "evidence_in_case": "in the evidence",
        "evidence_accepted": "Sentence added to the evidence",
    },
}  # fmt: skip
_add_strings(EVIDENCE_STRINGS)
