"""The admin token: configured, or generated once into the data dir (mode 0600).

Read by `kanban serve` (to show it at the first start) and by the API (to
sign its bearer in as the built-in admin).
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

TOKEN_FILE = "admin-token"


@dataclass(frozen=True)
class AdminToken:
    value: str
    #: The file the token was read from or written to (None: from the environment).
    path: Path | None
    #: True only at the start that generated it: the one time it may be shown.
    generated: bool

    def matches(self, presented: str) -> bool:
        # Constant time: the comparison must not leak how much of a guess was right.
        return hmac.compare_digest(presented.encode(), self.value.encode())


def load_admin_token(configured: str | None, data_dir: Path) -> AdminToken:
    if configured:
        return AdminToken(configured, None, False)
    path = data_dir / TOKEN_FILE
    if path.exists():
        return AdminToken(path.read_text().strip(), path, False)
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not both generate one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return AdminToken(path.read_text().strip(), path, False)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return AdminToken(token, path, True)
