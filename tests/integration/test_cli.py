"""The command line, run in-process with click's runner against a temp data dir."""

import json
from pathlib import Path

from click.testing import CliRunner

from kiemchung.cli import cli


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


def test_init_import_list_show_export(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert run(data, "init", "--demo")[0] == 0
    assert run(data, "init", "--demo")[0] == 0  # idempotent
    code, out, _ = run(data, "factchecks", "list", "-q", "ung thu")
    assert code == 0 and "demo-001" in out
    code, out, _ = run(data, "factchecks", "show", "demo-003", "--format", "claimreview")
    assert json.loads(out)["reviewRating"]["alternateName"] == "Sai"
    target = tmp_path / "all.jsonl"
    assert run(data, "factchecks", "export", "--format", "jsonl", "-o", str(target))[0] == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 12


def test_bad_lines_give_a_non_zero_exit_and_line_numbers(tmp_path: Path) -> None:
    data = tmp_path / "d"
    run(data, "init")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id":"1","claim":"a","rating":"Sai"}\n[]\n', encoding="utf-8")
    code, out, err = run(data, "factchecks", "import", str(source))
    assert code == 1
    assert "imported 1, rejected 1" in out
    assert f"rejected {source}:2: expected an object, got list" in err


def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path) -> None:
    data = tmp_path / "d"
    code, _, err = run(data, "factchecks", "list")
    assert code == 2 and err.strip().count("\n") == 0 and "kiemchung init" in err
    run(data, "init")
    code, _, err = run(data, "factchecks", "import", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "Traceback" not in err and "no such file" in err
    code, _, err = run(data, "factchecks", "show", "nope")
    assert code == 2 and err.strip() == "kiemchung: error: no fact-check with id 'nope'"
