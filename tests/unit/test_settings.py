from pathlib import Path

import pytest

from kiemchung.errors import ConfigError
from kiemchung.settings import describe_settings, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_environment_then_overrides() -> None:
    settings = load_settings({"KIEMCHUNG_PORT": "9000", "KIEMCHUNG_DATA_DIR": "/x"}, data_dir=Path("/y"))
    assert settings.port == 9000 and settings.data_dir == Path("/y")
    assert settings.resolved_database_url == "sqlite:////y/kiemchung.sqlite3"


@pytest.mark.parametrize(
    "env", [{"KIEMCHUNG_PORT": "eighty"}, {"KIEMCHUNG_LANGUAGE": "fr"}, {"KIEMCHUNG_EMBEDDER": "gpt"}]
)
def test_bad_settings_are_refused_with_their_name(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="KIEMCHUNG_"):
        load_settings(env)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [name for name, _default, _help in describe_settings() if f"`{name}`" not in readme]
    assert missing == []
