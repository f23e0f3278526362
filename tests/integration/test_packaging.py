"""What an install without extras (`./scripts/run`, the container image) gets.

The suite runs with the test extra installed, so a module the service imports
but only a test dependency provides works here and crashes `kanban serve` at
its first import everywhere else (httpx did, for a day). Every third-party
module imported anywhere under src/kanban must come from a core dependency.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "kanban"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def core_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match, requirement
        names.add(_normalized(match.group()))
    return names


def imported_modules() -> dict[str, set[str]]:
    """Top-level third-party modules imported under src/kanban, and where."""
    found: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top != "kanban" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_module_the_service_imports_comes_from_a_core_dependency() -> None:
    declared = core_dependencies()
    providers = packages_distributions()
    undeclared = {}
    for module, files in imported_modules().items():
        distributions = {_normalized(d) for d in providers.get(module, [])}
        if not distributions & declared:
            undeclared[module] = (sorted(distributions), sorted(files))
    assert not undeclared, f"imported, but no core dependency provides them: {undeclared}"


def test_the_check_sees_the_imports_it_is_about() -> None:
    modules = imported_modules()
    assert {"fastapi", "httpx", "orjson", "redis", "uvicorn"} <= modules.keys()
    assert "src/kanban/feed/http.py" in modules["httpx"]
    assert "httpx" in core_dependencies()
