"""Error messages people read on pages, in Vietnamese.

Services raise errors in English (the API, the CLI and the logs keep them). A page in Vietnamese shows the
Vietnamese wording of the messages met when signing in, managing one's account and moving through the
workbench; `translate_error` returns None for any other message, and the error page then explains the HTTP
status in Vietnamese and keeps the English message as a technical detail.
"""

from __future__ import annotations

import re

VIETNAMESE_ERRORS: tuple[tuple[str, str], ...] = (
    (r"wrong e-mail or password", "Sai e-mail hoặc mật khẩu."),
    (r"too many failed sign-ins: try again in (?P<seconds>\d+) s",
     "Đăng nhập sai quá nhiều lần: hãy thử lại sau {seconds} giây."),
    (r"reload the page and sign in again", "Hãy tải lại trang rồi đăng nhập lại."),
    (r"missing or wrong CSRF token: reload the page and try again",
     "Phiên của biểu mẫu đã hết hạn: hãy tải lại trang rồi làm lại."),
    (r"sign in or send an API token", "Hãy đăng nhập."),
    (r"a password needs at least (?P<count>\d+) characters", "Mật khẩu cần ít nhất {count} ký tự."),
    (r"the new password and its repetition differ", "Mật khẩu mới và mật khẩu nhập lại không giống nhau."),
    (r"your current password is wrong", "Mật khẩu hiện tại không đúng."),
    (r"give your name", "Hãy nhập tên của bạn."),
    (r"this invitation does not exist, was used or has expired",
     "Lời mời này không tồn tại, đã được dùng hoặc đã hết hạn."),
    (r"this invitation was used meanwhile", "Lời mời này vừa được dùng."),
    (r"this e-mail address already has an account: .*",
     "Địa chỉ e-mail này đã có tài khoản: hãy đăng nhập bằng nó, hoặc đề nghị được mời bằng địa chỉ khác."),
    (r"this password reset link does not exist, was used or has expired",
     "Đường dẫn đặt lại mật khẩu này không tồn tại, đã được dùng hoặc đã hết hạn."),
    (r"this password reset link was used meanwhile", "Đường dẫn đặt lại mật khẩu này vừa được dùng."),
    (r"the (?P<role>\w+) role may not do this \((?P<capability>\w+)\)",
     "Vai trò của bạn không cho phép thao tác này ({capability})."),
    (r"this case belongs to another organisation: shared with yours to read and comment",
     "Vụ việc của đơn vị khác: chỉ được chia sẻ để đọc và gửi ghi chú."),
    (r"the second sign-off must come from someone other than the drafter",
     "Người duyệt thứ hai phải khác người soạn bản nháp."),
    (r"no case with id (?P<id>\d+)", "Không có vụ việc số {id}."),
    (r"no fact-check with id '(?P<id>.*)'", "Không có bài kiểm chứng mã {id}."),
    (r"no narrative (?P<id>\d+)", "Không có câu chuyện số {id}."),
    (r"no drill (?P<id>\d+)", "Không có bài luyện tập số {id}."),
    (r"(?P<name>\w+) must be a whole number", "{name} phải là một số nguyên."),
    (r"a number is out of range", "Một con số vượt quá giới hạn."),
)  # fmt: skip
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in VIETNAMESE_ERRORS)


def translate_error(message: str, language: str) -> str | None:
    """The message in `language`: itself in English; in Vietnamese its wording, or None when there is none."""
    if language != "vi":
        return message
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(message)
        if found:
            return words.format(**found.groupdict())
    return None


def error_for_form(message: str, language: str) -> str:
    """A form's error line: the message's Vietnamese wording, else the message as it is."""
    return translate_error(message, language) or message
