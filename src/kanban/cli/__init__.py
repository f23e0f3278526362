"""The `kanban` command line."""

from __future__ import annotations

from kanban.cli import backup, boards, log, projections, serve
from kanban.cli.common import app

__all__ = ["app", "backup", "boards", "log", "main", "projections", "serve"]


def main() -> None:
    app()
