"""Take docs/screenshot.png: a demo board in the web UI, in headless Chromium.

    .venv/bin/python scripts/screenshot.py [OUTPUT]

Starts `kanban serve` on a free port with a throwaway data dir, fills a board
through the API, and photographs it with Playwright (needs /usr/bin/chromium).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "screenshot-token"
COLUMNS = [("Backlog", None), ("To do", None), ("Doing", 3), ("Review", 2), ("Done", None)]
CARDS = [
    ("Backlog", "Dark theme", ["ui"], [], None),
    ("Backlog", "Export boards as CSV", ["api"], [], None),
    ("To do", "Write the upgrade guide", ["docs"], ["ana"], "2026-12-01"),
    ("To do", "Keyboard shortcuts help", ["ui", "a11y"], ["bo"], None),
    ("Doing", "Time travel slider", ["ui", "history"], ["ana", "cy"], None),
    ("Doing", "Resume live stream", ["api"], ["dan"], "2026-11-28"),
    ("Doing", "Touch drag and drop", ["ui"], ["bo"], None),
    ("Review", "Hash chain audit", ["security"], ["eve"], None),
    ("Done", "Group commit", ["perf"], ["dan"], None),
    ("Done", "Undo as compensating events", ["api"], ["ana"], None),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(output: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    env.update(KANBAN_ADMIN_TOKEN=TOKEN, PYTHONPATH=str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [sys.executable, "-m", "kanban.cli", "serve", "--port", str(port), "--data-dir", data],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            api = httpx.Client(base_url=f"{url}/api/v1", headers=auth)
            for _ in range(200):
                try:
                    if api.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            board = api.post("/boards", json={"title": "Website launch"}).json()["board_id"]
            ids = {}
            for title, limit in COLUMNS:
                body = {"title": title, "wip_limit": limit}
                ids[title] = api.post(f"/boards/{board}/columns", json=body).json()["column_id"]
            for column, title, labels, people, due in CARDS:
                body = {"column_id": ids[column], "title": title, "labels": labels}
                body |= {"assignees": people, "due_date": due}
                api.post(f"/boards/{board}/cards", json=body).raise_for_status()
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1620, "height": 560})
                page.goto(f"{url}/#token={TOKEN}")
                page.goto(f"{url}/#/b/{board}")
                page.locator('.live-state[data-state="live"]').wait_for()
                page.screenshot(path=str(output))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png")
