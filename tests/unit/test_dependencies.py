"""Issue 11, item 7: the package declares what its code imports, so no resolver can leave a module out."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "kiemchung"


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_canonical(Requirement(r).name) for r in requirements}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"kiemchung"}


def test_every_third_party_module_the_code_imports_is_declared() -> None:
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {
        module: distributions.get(module)
        for module in _imported_top_levels()
        if not any(_canonical(d) in declared for d in distributions.get(module, [module]))
    }
    assert undeclared == {}


def test_lxml_html_clean_is_declared_for_the_extraction_stack() -> None:
    """trafilatura → justext imports `lxml.html.clean`, which lxml ≥ 5.2 ships as `lxml_html_clean`; an
    older pip drops the `lxml[html_clean]` extra justext asks for, and every command then fails at import."""
    assert "lxml-html-clean" in _declared()
    import justext  # noqa: F401  (imports lxml.html.clean)
    import lxml.html.clean

    assert lxml.html.clean.Cleaner is not None
