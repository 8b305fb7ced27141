"""The pure core imports no web framework, HTTP client, database or settings."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kiemchung"
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "httpx",
    "requests",
    "uvicorn",
    "kiemchung.settings",
    "kiemchung.store",
    "kiemchung.web",
    "kiemchung.services",
)


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "text").rglob("*.py"))
    + sorted((PACKAGE / "domain").rglob("*.py"))
    + sorted((PACKAGE / "reporting").rglob("*.py"))
    + sorted((PACKAGE / "evidence").rglob("*.py")),
    ids=lambda p: p.name,
)
def test_pure_core_has_no_io_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert [name for name in imported if name.startswith(FORBIDDEN)] == []
