"""What the web UI sends takes the shortcut in front of the framework (api/shortcut.py).

The page signs in with a password (the session cookie and its CSRF token),
sends If-Match with every change and min_seq with every read: a typical
session in Chromium, then /metrics (kanban_shortcut_requests_total) says
which of the API requests it made the shortcut answered.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, Request, expect

from kanban.api.commands import TABLE

from . import test_web
from .conftest import Server, ok
from .test_web import Web, _expect, add_user, api_columns, card, column, eventually, signed_in

# The browser and its pages, as test_web.py makes them.
playwright, browser, web = test_web.playwright, test_web.browser, test_web.web

BOARD_ROUTE = "/api/v1/boards/{board_id}"
BOARD = re.compile(r"^/api/v1/boards/[^/]+$")
COUNTED = re.compile(r'^kanban_shortcut_requests_total\{method="(\w+)",route="([^"]+)"\} (\S+)$')
#: The routes of the board commands the shortcut answers, by (method, path pattern).
SHORTCUT_ROWS = [row for row in TABLE if row.shortcut]


class Traffic:
    """The page's API requests (the live stream aside), and which have been answered."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sent: list[Request] = []
        self.done: set[int] = set()
        page.on("request", self._sent)
        page.on("requestfinished", lambda r: self.done.add(id(r)))
        page.on("requestfailed", lambda r: self.done.add(id(r)))

    def _sent(self, request: Request) -> None:
        path = urlsplit(request.url).path
        if path.startswith("/api/v1/") and not path.endswith("/stream"):
            self.sent.append(request)

    def idle(self, timeout: float = 10.0) -> None:
        """Wait until every request sent so far has its answer."""
        deadline = time.monotonic() + timeout
        while pending := [r.url for r in self.sent if id(r) not in self.done]:
            assert time.monotonic() < deadline, f"no answer yet: {pending}"
            self.page.wait_for_timeout(50)  # the page's events arrive while Playwright waits


def shortcut_counts(client: httpx.Client) -> Counter[tuple[str, str]]:
    """kanban_shortcut_requests_total from /metrics, by (method, route)."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in client.get("/metrics").text.splitlines():
        found = COUNTED.match(line)
        if found:
            counts[found.group(1), found.group(2)] = int(float(found.group(3)))
    return counts


def command_route(request: Request) -> str | None:
    """The route template of a command the shortcut answers, or None."""
    path = urlsplit(request.url).path
    for row in SHORTCUT_ROWS:
        if row.method == request.method and row.pattern.fullmatch(path):
            return row.path
    return None


def is_board_read(request: Request) -> bool:
    return request.method == "GET" and BOARD.match(urlsplit(request.url).path) is not None


def add_column(page: Page, title: str) -> None:
    page.fill(".add-column input", title)
    page.press(".add-column input", "Enter")


def test_the_web_uis_changes_and_reads_take_the_shortcut(server: Server, web: Web) -> None:
    with server.client() as admin:
        add_user(admin, "ana", "Ana Lima")
    page = web.page()
    traffic = Traffic(page)
    signed_in(page, server, "ana", "Ana Lima")

    # A typical session: a board, a column, a card, edited, moved, another column.
    page.fill(".create-board input", "Shortcut")
    page.press(".create-board input", "Enter")
    expect(page.locator("[data-board-title]")).to_have_text("Shortcut")
    board_id = page.url.rsplit("/", 1)[-1]
    for title in ("To do", "Doing"):
        add_column(page, title)
    expect(page.locator('[data-column-id]:not([data-column-id^="pending"])')).to_have_count(2)
    with server.client() as client:
        wanted = {"To do": [], "Doing": []}
        eventually(lambda: _expect(api_columns(client, board_id), wanted))
        columns = ok(client.get(f"/api/v1/boards/{board_id}"))["columns"]
        todo, doing = (c["id"] for c in columns)
        composer = column(page, todo).locator(".composer input")
        composer.fill("Draft")
        composer.press("Enter")
        expect(page.locator('[data-card-id^="pending"]')).to_have_count(0)
        drafted = column(page, todo).locator("[data-card-id]")
        expect(drafted).to_have_count(1)
        card_id = drafted.get_attribute("data-card-id") or ""

        card(page, card_id).click()
        dialog = page.locator(".card-dialog")
        dialog.locator("input[name=title]").fill("Edited")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_have_count(0)
        expect(card(page, card_id).locator(".card-title")).to_have_text("Edited")

        card(page, card_id).focus()
        page.keyboard.press("Alt+ArrowRight")
        expect(column(page, doing).locator(f'[data-card-id="{card_id}"]')).to_be_visible()
        add_column(page, "Done")
        wanted = {"To do": [], "Doing": ["Edited"], "Done": []}
        eventually(lambda: _expect(api_columns(client, board_id), wanted))
        traffic.idle()

        # Every change went with If-Match (but creating the board: it has no version
        # yet), and every one the shortcut may answer, it answered.
        changes = [r for r in traffic.sent if command_route(r)]
        made = Counter((r.method, command_route(r)) for r in changes)
        assert {route for _, route in made} >= {
            "/api/v1/boards/{board_id}/cards",
            "/api/v1/boards/{board_id}/cards/{card_id}",
            "/api/v1/boards/{board_id}/cards/{card_id}/move",
            "/api/v1/boards/{board_id}/columns",
        }
        for request in changes:
            if urlsplit(request.url).path != "/api/v1/boards":
                assert re.fullmatch(r'"\d+"', request.headers.get("if-match", "")), request.url

        def taken() -> Counter[tuple[str, str | None]]:
            return Counter({key: shortcut_counts(client)[key] for key in made})

        eventually(lambda: _expect(taken(), made))

        # The read models have reached every change: a read with the page's min_seq
        # (ticking "Archived" reads the board again) is the shortcut's too.
        api_columns(client, board_id)
        traffic.idle()
        page.wait_for_timeout(200)  # a read's count follows its answer by a moment
        before = shortcut_counts(client)
        marked = len(traffic.sent)
        with page.expect_request(lambda r: is_board_read(r) and "include_archived=true" in r.url):
            page.get_by_label("Archived").check()
        traffic.idle()
        reads = [r for r in traffic.sent[marked:] if is_board_read(r)]
        assert all("min_seq=" in r.url for r in reads), [r.url for r in reads]
        assert any("include_archived=true" in r.url for r in reads)

        def read_by_shortcut() -> int:
            return shortcut_counts(client)["GET", BOARD_ROUTE] - before["GET", BOARD_ROUTE]

        eventually(lambda: _expect(read_by_shortcut(), len(reads)))
