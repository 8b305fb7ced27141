"""Issue 11, item 7: installs that cannot break. The archive and posts imports initialise a fresh data
directory (or an empty database) themselves, as `kiemchung init` would, instead of stopping."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiemchung.cli import cli


def _run(data_dir: Path, database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_factchecks_import_initialises_a_fresh_data_directory(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "fresh"
    archive = tmp_path / "archive.jsonl"
    archive.write_text(json.dumps({"id": "fc-1", "claim": "Uống nước chanh chữa ung thư", "rating": "Sai"},
                                  ensure_ascii=False) + "\n", encoding="utf-8")  # fmt: skip
    code, out, err = _run(data, database_url, "factchecks", "import", str(archive))
    assert code == 0, err
    assert "imported 1, rejected 0" in out and "database created" in err
    code, out, _ = _run(data, database_url, "factchecks", "list")
    assert code == 0 and "fc-1" in out
    code, _, err = _run(data, database_url, "factchecks", "import", str(archive))
    assert code == 0 and "database created" not in err  # the second time it is there already


def test_posts_import_initialises_a_fresh_data_directory(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "fresh"
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p1", "text": "Hà Nội có 30 quận huyện, ai cũng biết."}, ensure_ascii=False)
                     + "\n", encoding="utf-8")  # fmt: skip
    code, out, err = _run(data, database_url, "posts", "import", str(posts))
    assert code == 0, err
    assert "read 1 new posts" in out and "database created" in err


def test_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    code, _, err = _run(data, "", "factchecks", "import", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such file" in err and not (data / "kiemchung.sqlite3").exists()
