"""The `kanban` command line."""

from __future__ import annotations

from kanban.cli import backup, boards, log, projections, pull, serve, users
from kanban.cli.common import app

__all__ = ["app", "backup", "boards", "log", "main", "projections", "pull", "serve", "users"]


def main() -> None:
    app()
