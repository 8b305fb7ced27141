"""Vietnamese throughout (issue 11, item 14): every string a template asks for exists in both languages, every
code the UI shows has words, and dates, times and numbers read as each language writes them."""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiemchung.domain.accounts import ROLES
from kiemchung.domain.alert_groups import GROUP_STATES
from kiemchung.domain.archive_imports import FORMATS
from kiemchung.domain.archive_imports import STATES as IMPORT_STATES
from kiemchung.domain.formats import format_date, format_datetime, format_number, format_score, zone_label
from kiemchung.domain.narratives import RISK_LEVELS
from kiemchung.domain.sources import KINDS
from kiemchung.errors import ConfigError
from kiemchung.settings import load_settings
from kiemchung.store.cases import STATUSES
from kiemchung.store.inbox import STATES as INBOX_STATES
from kiemchung.web.i18n import STRINGS
from kiemchung.web.messages import translate_error

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "kiemchung" / "web" / "templates"
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
LITERAL_KEYS = (
    re.compile(r"\bt\.(?!get\b)([a-z_][a-z0-9_]*)"),  # t.key
    re.compile(r"\bt\[['\"]([a-z0-9_]+)['\"]\]"),  # t['key']
    re.compile(r"\bt\.get\(['\"]([a-z0-9_]+)['\"]\s*[,)]"),  # t.get('key', …)
)
KEY_PREFIXES = re.compile(r"\bt(?:\[|\.get\()['\"]([a-z0-9_]+)['\"]\s*[~+]")  # t['prefix_' ~ code]


def _template_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(TEMPLATES.glob("*.html"))}


def test_the_templates_are_found_and_ask_for_strings() -> None:
    sources = _template_sources()
    assert len(sources) > 25 and "base.html" in sources
    assert "skip_to_content" in LITERAL_KEYS[0].findall(sources["base.html"])


def test_both_languages_have_the_same_keys() -> None:
    assert sorted(set(STRINGS["vi"]) ^ set(STRINGS["en"])) == []


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_string_a_template_names_exists(language: str) -> None:
    missing = sorted({f"{name}: {key}" for name, source in _template_sources().items()
                      for pattern in LITERAL_KEYS for key in pattern.findall(source)
                      if key not in STRINGS[language]})  # fmt: skip
    assert missing == []


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_key_prefix_a_template_builds_has_strings(language: str) -> None:
    prefixes = {prefix for source in _template_sources().values() for prefix in KEY_PREFIXES.findall(source)}
    assert {"role_", "source_kind_", "audit_", "alert_state_"} <= prefixes
    assert sorted(p for p in prefixes if not any(key.startswith(p) for key in STRINGS[language])) == []


CODES = [
    ("", STATUSES),
    ("role_", tuple(ROLES)),
    ("source_kind_", tuple(KINDS)),
    ("inbox_state_", INBOX_STATES),
    ("alert_state_", GROUP_STATES),
    ("alert_set_", GROUP_STATES),
    ("alert_kind_", ("repeat", "spread", "burst")),
    ("archive_state_", IMPORT_STATES),
    ("archive_format_", FORMATS),
    ("retro_state_", ("queued", "running", "done", "failed")),
    ("risk_", RISK_LEVELS),
    ("priority_", ("0", "1", "2", "3")),
    ("error_", ("400", "401", "403", "404", "409", "413", "422", "429", "500", "503")),
]


@pytest.mark.parametrize(("prefix", "codes"), CODES, ids=[prefix or "case_status" for prefix, _ in CODES])
def test_every_code_shown_has_words_in_both_languages(prefix: str, codes: tuple[str, ...]) -> None:
    missing = [f"{language}: {prefix}{code}" for language in ("vi", "en") for code in codes
               if f"{prefix}{code}" not in STRINGS[language]]  # fmt: skip
    assert missing == []
    assert STRINGS["vi"]["role_factchecker"] == "Kiểm chứng viên" and STRINGS["vi"]["source_kind_page"] == "Trang web"


def test_dates_read_day_first_in_vietnamese_and_iso_in_english() -> None:
    assert format_date(date(2026, 10, 21), "vi") == "21/10/2026"
    assert format_date(date(2026, 10, 21), "en") == "2026-10-21"


def test_a_utc_time_is_shown_in_the_installation_zone_across_midnight() -> None:
    late = datetime(2026, 10, 21, 18, 30)  # naive: UTC, as the store keeps it; 01:30 the next day in Saigon
    assert format_datetime(late, "vi", SAIGON) == "22/10/2026 01:30 (GMT+7)"
    assert format_datetime(late.replace(tzinfo=UTC), "en", SAIGON) == "2026-10-22 01:30 (GMT+7)"
    assert format_date(late, "vi", SAIGON) == "22/10/2026"
    assert format_datetime(late, "vi", SAIGON, seconds=True) == "22/10/2026 01:30:00 (GMT+7)"


def test_other_zones_are_labelled_by_their_offset() -> None:
    moment = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert format_datetime(moment, "en", UTC) == "2026-01-15 12:00 (UTC)"
    assert format_datetime(moment, "vi", ZoneInfo("Asia/Kolkata")) == "15/01/2026 17:30 (GMT+5:30)"
    assert zone_label(moment.astimezone(timezone(-timedelta(hours=3)))) == "GMT-3"


def test_scores_and_counts_use_each_language_separators() -> None:
    assert format_score(0.8734, "vi") == "0,87" and format_score(0.8734, "en") == "0.87"
    assert format_number(2000, "vi") == "2.000" and format_number(2000, "en") == "2,000"
    assert format_number(1234567.891, "vi", 1) == "1.234.567,9" and format_number(12, "en") == "12"


def test_the_time_zone_setting_defaults_to_saigon_and_refuses_unknown_names() -> None:
    assert load_settings({}).zone == SAIGON
    assert load_settings({"KIEMCHUNG_TIME_ZONE": "Europe/Paris"}).zone == ZoneInfo("Europe/Paris")
    for bad in ("Mars/Olympus", "Asia", "../etc/passwd"):
        with pytest.raises(ConfigError, match="KIEMCHUNG_TIME_ZONE"):
            load_settings({"KIEMCHUNG_TIME_ZONE": bad})


def test_sign_in_and_account_errors_read_in_vietnamese() -> None:
    assert translate_error("wrong e-mail or password", "vi") == "Sai e-mail hoặc mật khẩu."
    assert translate_error("too many failed sign-ins: try again in 42 s", "vi") == (
        "Đăng nhập sai quá nhiều lần: hãy thử lại sau 42 giây."
    )
    assert translate_error("wrong e-mail or password", "en") == "wrong e-mail or password"
    assert translate_error("something nobody translated", "vi") is None
