"""Words for the codes the UI shows (roles, source kinds, states, audit actions, HTTP errors), Vietnamese first.

The stored codes stay as they are (the API, exports and the audit log keep them); pages show these words.
Merged into `i18n.STRINGS`; a unit test checks that every code of the domain has a word in both languages.
"""

from __future__ import annotations

from kiemchung.domain.accounts import ROLE_NAMES

AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "alert_group.acknowledged": ("Ghi nhận nhóm cảnh báo", "Alert group acknowledged"),
    "alert_group.handled": ("Xử lý xong nhóm cảnh báo", "Alert group handled"),
    "alert_group.open": ("Mở lại nhóm cảnh báo", "Alert group reopened"),
    "archive.import": ("Nhập kho bài kiểm chứng", "Archive import"),
    "archive.import_finished": ("Nhập kho xong", "Archive import finished"),
    "case.comment": ("Ghi chú vụ việc", "Case comment"),
    "case.open": ("Mở vụ việc", "Case opened"),
    "case.share": ("Chia sẻ vụ việc", "Case shared"),
    "case.unshare": ("Ngừng chia sẻ vụ việc", "Case unshared"),
    "case.update": ("Cập nhật vụ việc", "Case updated"),
    "drill.answer": ("Trả lời bài luyện tập", "Drill answer"),
    "drill.create": ("Soạn bài luyện tập", "Drill created"),
    "drill.finish": ("Làm xong bài luyện tập", "Drill finished"),
    "drill.ready": ("Duyệt bài luyện tập", "Drill marked ready"),
    "drill.remove_item": ("Xóa câu luyện tập", "Drill item removed"),
    "drill.start": ("Bắt đầu bài luyện tập", "Drill started"),
    "drill.technique": ("Ghi thủ đoạn", "Drill technique set"),
    "evidence.accept": ("Nhận câu bằng chứng gợi ý", "Suggested evidence accepted"),
    "evidence.add": ("Thêm bằng chứng", "Evidence added"),
    "evidence.correct": ("Sửa bằng chứng", "Evidence corrected"),
    "evidence.import": ("Nhập tài liệu bằng chứng", "Evidence documents imported"),
    "evidence.remove": ("Gỡ bằng chứng", "Evidence removed"),
    "factcheck.attach": ("Gắn bài kiểm chứng", "Fact-check attached"),
    "factcheck.correct": ("Đăng bản đính chính", "Correction published"),
    "factcheck.publish": ("Đăng bài kiểm chứng", "Fact-check published"),
    "factcheck.retro_match": ("Tìm lại xuất hiện trước đó", "Retro-matching"),
    "invite.accept": ("Nhận lời mời", "Invitation accepted"),
    "invite.create": ("Gửi lời mời", "Invitation created"),
    "invite.revoke": ("Thu hồi lời mời", "Invitation revoked"),
    "match.bulk_confirm": ("Xác nhận trùng hàng loạt", "Matches confirmed in bulk"),
    "match.bulk_reject": ("Bác trùng hàng loạt", "Matches rejected in bulk"),
    "match.confirm": ("Xác nhận trùng", "Match confirmed"),
    "match.reject": ("Không trùng", "Match rejected"),
    "narrative.merge": ("Gộp câu chuyện", "Narratives merged"),
    "narrative.pin": ("Ghim bài kiểm chứng", "Fact-check pinned"),
    "narrative.recluster": ("Gom nhóm lại câu chuyện", "Narratives re-clustered"),
    "narrative.rename": ("Đổi tên câu chuyện", "Narrative renamed"),
    "narrative.risk": ("Đặt mức rủi ro", "Risk level set"),
    "narrative.split": ("Tách câu chuyện", "Narrative split"),
    "password_reset.create": ("Tạo đường dẫn đặt lại mật khẩu", "Password reset created"),
    "password_reset.revoke": ("Hủy đường dẫn đặt lại mật khẩu", "Password reset revoked"),
    "password_reset.use": ("Đặt lại mật khẩu", "Password reset used"),
    "source.add": ("Thêm nguồn", "Source added"),
    "source.disable": ("Tắt nguồn", "Source disabled"),
    "source.enable": ("Bật nguồn", "Source enabled"),
    "source.evidence": ("Đổi nguồn bằng chứng", "Evidence source changed"),
    "source.remove": ("Xóa nguồn", "Source removed"),
    "subscription.add": ("Theo dõi đơn vị khác", "Subscription added"),
    "token.create": ("Tạo khóa API", "API token created"),
    "token.revoke": ("Thu hồi khóa API", "API token revoked"),
    "user.activate": ("Mở khóa tài khoản", "User activated"),
    "user.create": ("Tạo tài khoản", "User created"),
    "user.deactivate": ("Khóa tài khoản", "User deactivated"),
    "user.password_change": ("Đổi mật khẩu", "Password changed"),
    "user.role": ("Đổi vai trò", "Role changed"),
    "user.sign_in": ("Đăng nhập", "Signed in"),
    "user.sign_in_failed": ("Đăng nhập thất bại", "Failed sign-in"),
    "verdict.draft": ("Lưu bản nháp kết luận", "Verdict drafted"),
    "verdict.sign_off": ("Duyệt kết luận", "Verdict signed off"),
}

OBJECT_TYPES: dict[str, tuple[str, str]] = {
    "alert_group": ("nhóm cảnh báo", "alert group"), "archive_import": ("lần nhập kho", "archive import"),
    "case": ("vụ việc", "case"), "drill": ("bài luyện tập", "drill"), "evidence": ("bằng chứng", "evidence"),
    "factcheck": ("bài kiểm chứng", "fact-check"), "invite": ("lời mời", "invitation"),
    "match": ("gợi ý trùng", "match"), "narrative": ("câu chuyện", "narrative"),
    "password_reset": ("đặt lại mật khẩu", "password reset"), "source": ("nguồn", "source"),
    "subscription": ("theo dõi", "subscription"), "token": ("khóa API", "token"), "user": ("người dùng", "user"),
}  # fmt: skip

SOURCE_KINDS: dict[str, tuple[str, str]] = {
    "feed": ("RSS/Atom", "RSS/Atom feed"), "sitemap": ("Sitemap", "Sitemap"), "page": ("Trang web", "Web page"),
    "folder": ("Thư mục tệp", "Folder"), "push": ("Đối tác gửi qua API", "Pushed by a partner"),
    "import": ("Nhập từ dòng lệnh", "Imported"),
}  # fmt: skip

INBOX_STATES: dict[str, tuple[str, str]] = {
    "pending": ("đang chờ", "pending"), "done": ("đã xử lý", "done"), "duplicate": ("trùng lặp", "duplicate"),
    "rejected": ("bị loại", "rejected"), "dead": ("bỏ sau nhiều lần lỗi", "dead"),
}  # fmt: skip

ERROR_STATUSES: dict[int, tuple[str, str, str, str]] = {  # heading (vi, en), what it means (vi, en)
    400: ("Yêu cầu không hợp lệ", "Bad request", "Không đọc được dữ liệu gửi lên.", "The request could not be read."),
    401: ("Cần đăng nhập", "Sign-in needed", "Hãy đăng nhập để tiếp tục.", "Sign in to go on."),
    403: ("Không có quyền", "Not allowed", "Vai trò của bạn không cho phép thao tác này.",
          "Your role does not allow this."),
    404: ("Không tìm thấy", "Not found", "Không có nội dung bạn tìm.", "What you asked for does not exist."),
    409: ("Đã có thay đổi khác", "Changed meanwhile",
          "Người khác vừa thay đổi nội dung này: tải lại trang rồi làm lại.",
          "Someone else changed this meanwhile: reload the page and try again."),
    413: ("Quá lớn", "Too large", "Dữ liệu gửi lên vượt giới hạn cho phép.", "What was sent is over the limit."),
    422: ("Dữ liệu không hợp lệ", "Invalid input", "Dữ liệu gửi lên không hợp lệ.", "What was sent is not valid."),
    429: ("Quá nhiều yêu cầu", "Too many requests", "Hãy đợi một lát rồi thử lại.", "Wait a moment and try again."),
    500: ("Lỗi máy chủ", "Server error", "Máy chủ gặp lỗi; hãy thử lại sau.", "The server failed; try again later."),
    503: ("Tạm thời không phục vụ", "Unavailable", "Máy chủ đang bận hoặc chưa sẵn sàng; hãy thử lại sau.",
          "The server is busy or not ready; try again later."),
}  # fmt: skip


def _labels(prefix: str, table: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {language: {f"{prefix}{code}": words[index] for code, words in table.items()}
            for index, language in enumerate(("vi", "en"))}  # fmt: skip


def _error_labels() -> dict[str, dict[str, str]]:
    return {language: {f"error_{status}": words[index] for status, words in ERROR_STATUSES.items()}
            | {f"error_help_{status}": words[index + 2] for status, words in ERROR_STATUSES.items()}
            for index, language in enumerate(("vi", "en"))}  # fmt: skip


MISC_STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "skip_to_content": "Bỏ qua điều hướng", "main_nav": "Điều hướng chính", "minutes": "phút",
        "revoked": "đã thu hồi", "audit_system": "hệ thống", "audit_token": "khóa API", "inbox": "Hộp chờ",
        "source_ok": "hoạt động tốt", "source_failing": "lỗi", "source_disabled": "đã tắt",
        "source_failures": "lỗi liên tiếp", "error_detail": "Chi tiết kỹ thuật",
        "drill_variant_no_diacritics": "gõ không dấu", "drill_variant_social": "kiểu mạng xã hội",
    },
    "en": {
        "skip_to_content": "Skip to content", "main_nav": "Main", "minutes": "min",
        "revoked": "revoked", "audit_system": "system", "audit_token": "token", "inbox": "Inbox",
        "source_ok": "ok", "source_failing": "failing", "source_disabled": "disabled",
        "source_failures": "failures in a row", "error_detail": "Technical detail",
        "drill_variant_no_diacritics": "typed without diacritics", "drill_variant_social": "social-media style",
    },
}  # fmt: skip


def code_strings() -> list[dict[str, dict[str, str]]]:
    """Every table of this module as i18n areas (vi and en), ready for `i18n._add_strings`."""
    return [
        _labels("role_", {role: names for role, names in ROLE_NAMES.items()}),
        _labels("audit_", AUDIT_ACTIONS),
        _labels("object_", OBJECT_TYPES),
        _labels("source_kind_", SOURCE_KINDS),
        _labels("inbox_state_", INBOX_STATES),
        _error_labels(),
        MISC_STRINGS,
    ]
