"""The README's claims about the command line and configuration stay true."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kanban.cli import app
from kanban.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
CLI_ONLY_VARIABLES = {"KANBAN_ACTOR"}
#: Commands that read only the files (or the server) they are given, as the README says.
NO_DATA_DIR = {"backup verify", "backup pull"}


def readme_commands() -> list[list[str]]:
    """Each `kanban ...` command in the README's command table, as its words before options."""
    commands = []
    for match in re.finditer(r"^\| `kanban ([a-z ]+?)(?: [-A-Z\[].*?)?` \|", README, re.M):
        commands.append(match.group(1).split())
    return commands


def test_readme_lists_commands() -> None:
    assert len(readme_commands()) >= 5


def cli_commands() -> list[str]:
    """Every command the CLI has, as its words (`users add`), groups left out."""
    found: list[str] = []

    def walk(command: Any, words: list[str]) -> None:
        # Typer's own command classes: a group is whatever has subcommands.
        if getattr(command, "commands", None):
            for name, sub in command.commands.items():
                walk(sub, [*words, name])
        else:
            found.append(" ".join(words))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_in_the_readme() -> None:
    documented = {" ".join(words) for words in readme_commands()}
    assert {"users add", "users passwd", "users token", "users revoke"} <= set(cli_commands())
    assert set(cli_commands()) - documented == set()


@pytest.mark.parametrize("words", readme_commands(), ids=" ".join)
def test_every_command_in_the_readme_exists(words: list[str]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert ("--data-dir" in result.output) != (" ".join(words) in NO_DATA_DIR)


def test_every_documented_variable_is_a_setting_and_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `(KANBAN_[A-Z_]+)` \|", README, re.M))
    settings = {f"KANBAN_{name.upper()}" for name in Settings.model_fields}
    assert documented - CLI_ONLY_VARIABLES == settings


def test_quick_start_is_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in quick.strip().splitlines() if line.strip()]
    assert [line.split()[0] for line in lines] == ["./scripts/run", "./scripts/test"]
    assert "scripts/test" in (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()


def test_the_layout_table_names_every_package_and_top_level_module() -> None:
    table = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(src/kanban/[^`]+)`", table))
    src = Path(__file__).resolve().parents[2] / "src" / "kanban"
    parts = {f"src/kanban/{p.name}/" for p in src.iterdir() if (p / "__init__.py").exists()}
    parts |= {f"src/kanban/{p.name}" for p in src.glob("*.py") if p.name != "__init__.py"}
    assert parts - named == set(), "packages the README's layout table leaves out"
    assert named - parts == set(), "paths in the layout table that do not exist"


def test_the_architecture_map_lists_the_layers_import_linter_holds() -> None:
    """docs/architecture.md's package table is in the order of the layers contract."""
    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    doc = (root / "docs" / "architecture.md").read_text()
    listed = re.findall(r"^\| `kanban\.(\w+)`", doc, re.M)
    assert listed == list(reversed(layers))
