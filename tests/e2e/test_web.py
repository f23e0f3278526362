"""The web UI in a real headless browser (Debian's Chromium, driven by Playwright),
against a real `kanban serve`.

Every check that matters is confirmed through the API as well as on the page.
A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from . import conftest
from .conftest import ROOT, Server, ServerFactory, add_card, failed, make_board, ok

CHROMIUM = "/usr/bin/chromium"
if not os.environ.get("CI"):
    # Locally the browser tests need Chromium (scripts/test installs it as
    # root); in CI they must run, so there a missing browser is a failure.
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (scripts/test installs it)", allow_module_level=True
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    FloatRect,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
T = TypeVar("T")

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


class Web:
    """Browser contexts for one test; on failure, a screenshot of each page."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def page(self, **options: Any) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        # An uncaught exception in the UI, or anything the page's Content-Security-
        # Policy had to block, fails the test whatever the page shows.
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and self.errors.append(message.text)
            ),
        )
        return page

    def screenshots(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, context in enumerate(self.contexts):
            for j, page in enumerate(context.pages):
                path = ARTIFACTS / f"{name}-{i}-{j}.png"
                page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def web(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Web]:
    web = Web(browser)
    yield web
    try:
        if failed(request.node) or web.errors:
            web.screenshots(re.sub(r"[^\w.-]+", "_", request.node.name))
    finally:
        web.close()
    assert not web.errors, f"uncaught errors in the page: {web.errors}"


# --- helpers ---------------------------------------------------------------------


def eventually(check: Callable[[], T], timeout: float = 10.0) -> T:
    """check() once it stops failing its assertions (the API is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def api_columns(client: httpx.Client, board_id: str, **params: Any) -> dict[str, list[str]]:
    """The board through the API: column title -> card titles, in order.

    As of the log's head: the page made the changes, not this client, so without
    `min_seq` the read model might not hold the newest of them yet.
    """
    params.setdefault("min_seq", conftest.head_seq(client))
    board = ok(client.get(f"/api/v1/boards/{board_id}", params=params))
    return {c["title"]: [card["title"] for card in c["cards"]] for c in board["columns"]}


def ui_columns(page: Page) -> dict[str, list[str]]:
    """The board on the page, found by its data-column-id and data-card-id hooks."""
    result: dict[str, list[str]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-column-id]')].map(
            (c) => [c.querySelector('.column-title').textContent,
                    [...c.querySelectorAll('[data-card-id]')].map(
                        (card) => card.querySelector('.card-title').textContent)]))"""
    )
    return result


def ids(client: httpx.Client, board_id: str) -> dict[str, str]:
    """Title -> id of every column and card on the board."""
    board = ok(client.get(f"/api/v1/boards/{board_id}", params={"include_archived": True}))
    found = {c["title"]: c["id"] for c in board["columns"]}
    found.update({card["title"]: card["id"] for c in board["columns"] for card in c["cards"]})
    return found


def sign_in(page: Page, server: Server, board_id: str | None = None) -> None:
    """Scripted sign-in through /#token=..., then open a board."""
    page.goto(f"{server.url}/#token={server.token}")
    expect(page.locator(".boards-page")).to_be_visible()
    if board_id:
        page.goto(f"{server.url}/#/b/{board_id}")
        expect(page.locator(".live-state")).to_have_attribute("data-state", "live")


def card(page: Page, card_id: str) -> Locator:
    return page.locator(f'[data-card-id="{card_id}"]')


def column(page: Page, column_id: str) -> Locator:
    return page.locator(f'[data-column-id="{column_id}"]')


def box(locator: Locator) -> FloatRect:
    """Where the element is on the screen (found again if a render replaced it)."""
    return eventually(lambda: _present(locator.bounding_box()))


def _present(rect: FloatRect | None) -> FloatRect:
    assert rect is not None
    return rect


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Press on source, move in steps to the middle of target, release (mouse)."""
    start, end = box(source), box(target)
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=2)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


PASSWORD = "correct horse battery"


def add_user(client: httpx.Client, name: str, display_name: str | None = None) -> Any:
    """A user who can sign in with PASSWORD (added with the admin token)."""
    body = {"name": name, "password": PASSWORD, "display_name": display_name or name}
    return ok(client.post("/api/v1/users", json=body))


def password_sign_in(page: Page, name: str, password: str = PASSWORD) -> int:
    """Sign in on the sign-in page with a name and password; the answer's status."""
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_response("**/api/v1/session") as answer:
        page.get_by_role("button", name="Sign in", exact=True).click()
    return answer.value.status


def signed_in(page: Page, server: Server, name: str, display_name: str) -> None:
    page.goto(server.url)
    assert password_sign_in(page, name) == 200
    expect(page.locator(".boards-page")).to_be_visible()
    expect(page.locator("#who")).to_have_text(display_name)


def add_member(client: httpx.Client, board_id: str, user_id: str, role: str) -> None:
    body = {"user_id": user_id, "role": role}
    ok(client.post(f"/api/v1/boards/{board_id}/members", json=body))


# --- the tests ----------------------------------------------------------------------


def test_sign_in_build_a_board_drag_and_undo(make_server: ServerFactory, web: Web) -> None:
    server = make_server(signin_attempts="2").start()
    with server.client() as admin:
        ana = add_user(admin, "ana", "Ana Lima")
    page = web.page()
    changes: list[dict[str, str]] = []
    page.on("request", lambda r: r.method != "GET" and changes.append(r.headers))
    page.goto(server.url)

    # Signed out: the sign-in page. A wrong token is refused with a clear message.
    page.get_by_text("Sign in with an access token").click()
    page.fill("#token", "not-the-token")
    page.get_by_role("button", name="Sign in with the token").click()
    expect(page.locator(".sign-in .error")).to_contain_text("did not accept the token")

    # A wrong password is refused; after too many the server says how long to wait.
    assert password_sign_in(page, "ana", "not the password") == 401
    expect(page.locator(".sign-in .error")).to_have_text("Wrong name or password.")
    assert [password_sign_in(page, "mallory", "guess guess") for _ in range(3)] == [401, 401, 429]
    expect(page.locator(".sign-in .error")).to_have_text(
        re.compile(r"^Too many failed sign-ins\. Wait \d+ (seconds|minutes) and try again\.$")
    )

    # The right password: the board list, and who is signed in. The session is an
    # HttpOnly cookie the page's scripts cannot read; no bearer token is kept.
    signed_in(page, server, "ana", "Ana Lima")
    expect(page.locator(".boards-page .state")).to_contain_text("No boards yet.")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "kanban_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert "kanban_session" not in page.evaluate("document.cookie")
    assert page.evaluate("sessionStorage.getItem('kanban.token')") is None
    changes.clear()

    # A board, two columns and two cards, all through the page.
    page.fill(".create-board input", "Launch")
    page.press(".create-board input", "Enter")
    expect(page.locator("[data-board-title]")).to_have_text("Launch")
    expect(page.locator(".empty-board")).to_be_visible()
    board_id = page.url.rsplit("/", 1)[-1]
    for title in ("To do", "Doing"):
        page.fill(".add-column input", title)
        page.press(".add-column input", "Enter")
    expect(page.locator('[data-column-id]:not([data-column-id^="pending"])')).to_have_count(2)
    with server.client() as client:
        known = ids(client, board_id)
        todo, doing = known["To do"], known["Doing"]
        composer = column(page, todo).locator(".composer input")
        for title in ("Write docs", "Ship it"):
            composer.fill(title)
            composer.press("Enter")
        expect(page.locator('[data-card-id^="pending"]')).to_have_count(0)
        # The page has the commands' answers; the read models may still be projecting.
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Write docs", "Ship it"], "Doing": []}
            )
        )
        known = ids(client, board_id)
        docs, ship = known["Write docs"], known["Ship it"]

        # Drag a card to the other column with the mouse; the API agrees.
        drag(page, card(page, docs), column(page, doing).locator(".cards"))
        expect(column(page, doing).locator(f'[data-card-id="{docs}"]')).to_be_visible()
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Ship it"], "Doing": ["Write docs"]}
            )
        )

        # Ctrl+Z undoes it on the server (back where it was), Ctrl+Shift+Z redoes it,
        # the button undoes it again.
        page.keyboard.press("Control+z")
        expect(page.locator(".toast")).to_contain_text("Undone: moved card 'Write docs'")
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Write docs", "Ship it"], "Doing": []}
            )
        )
        expect(column(page, todo).locator(f'[data-card-id="{docs}"]')).to_be_visible()
        page.keyboard.press("Control+Shift+Z")
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Ship it"], "Doing": ["Write docs"]}
            )
        )
        page.get_by_role("button", name="Undo").click()
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Write docs", "Ship it"], "Doing": []}
            )
        )
        expect(column(page, todo).locator("[data-card-id]")).to_have_count(2)

        # The keyboard way: focus a card, Alt+Right moves it, Alt+Down reorders.
        card(page, ship).focus()
        page.keyboard.press("Alt+ArrowRight")
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": ["Write docs"], "Doing": ["Ship it"]}
            )
        )
        expect(card(page, ship)).to_be_focused()
        card(page, docs).focus()
        page.keyboard.press("Alt+ArrowRight")
        page.keyboard.press("Alt+ArrowDown")
        eventually(
            lambda: _expect(
                api_columns(client, board_id), {"To do": [], "Doing": ["Ship it", "Write docs"]}
            )
        )
        assert ui_columns(page) == api_columns(client, board_id)

        # Columns reorder by dragging the grip.
        drag(page, column(page, doing).locator(".grip"), column(page, todo).locator(".grip"))
        eventually(lambda: _expect(list(api_columns(client, board_id)), ["Doing", "To do"]))
        expect(page.locator("[data-column-id]").first).to_have_attribute("data-column-id", doing)

        # Every change went with the session cookie and its CSRF token, no bearer token.
        assert changes
        for headers in changes:
            assert "authorization" not in headers
            assert headers.get("x-csrf-token"), headers

        # After a reload the page asks the server for the CSRF token again.
        page.reload()
        expect(page.locator(".live-state")).to_have_attribute("data-state", "live")
        composer = column(page, todo).locator(".composer input")
        composer.fill("After a reload")
        composer.press("Enter")
        eventually(lambda: _expect(api_columns(client, board_id)["To do"], ["After a reload"]))
        history = ok(client.get(f"/api/v1/boards/{board_id}/history", params={"limit": 1}))
        assert history["items"][0]["actor_name"] == "Ana Lima"

        # Signing out ends the session on the server too.
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator(".sign-in")).to_be_visible()
        expect(page.locator("#account")).to_be_hidden()
        tokens = ok(client.get(f"/api/v1/users/{ana['user_id']}/tokens"))["tokens"]
        assert [t["revoked"] for t in tokens if t["kind"] == "session"] == [True]
        page.reload()
        expect(page.locator("#name")).to_be_visible()


def _expect(actual: T, wanted: T) -> T:
    assert actual == wanted
    return actual


def test_history_and_time_travel(server: Server, web: Web) -> None:
    with server.client() as client:
        board_id, (todo, doing) = make_board(client, "Travel", [("To do", None), ("Doing", None)])
        a = add_card(client, board_id, todo, "A")["card_id"]
        add_card(client, board_id, todo, "B")
        move = {"column_id": doing, "position": 0}
        ok(client.post(f"/api/v1/boards/{board_id}/cards/{a}/move", json=move))
        page = web.page()
        sign_in(page, server, board_id)

        # The board's activity: what, who, when, newest first.
        page.get_by_role("button", name="History").click()
        items = page.locator(".history-panel .history-item")
        expect(items).to_have_count(6)
        expect(items.first.locator(".what")).to_have_text("moved card 'A' from 'To do' to 'Doing'")
        expect(items.first.locator(".meta")).to_contain_text("Administrator")
        expect(items.first.locator("time")).to_have_text("just now")

        # A version from the list: read-only, as it was, with an obvious way back.
        page.locator('.history-item[data-version="2"] .view').click()
        banner = page.locator(".travel-banner")
        expect(banner).to_contain_text("Version 2 of 6")
        expect(banner).to_contain_text("Read-only")
        assert ui_columns(page) == {"To do": []}
        expect(page.locator(".composer, .grip, .add-column")).to_have_count(0)
        expect(page.get_by_role("button", name="Undo")).to_be_disabled()

        # The slider steps through versions.
        slider = page.locator("[data-travel]")
        slider.focus()
        page.keyboard.press("End")
        expect(banner).to_be_hidden()
        page.keyboard.press("ArrowLeft")
        expect(banner).to_contain_text("Version 5 of 6")
        expect(page.locator(f'[data-column-id="{todo}"] [data-card-id]')).to_have_count(2)
        assert ui_columns(page) == {"To do": ["A", "B"], "Doing": []}

        # A past card opens read-only.
        card(page, a).click()
        expect(page.locator(".card-dialog input[name=title]")).to_be_disabled()
        page.keyboard.press("Escape")
        expect(page.locator(".card-dialog")).to_have_count(0)

        # A change made meanwhile by someone else moves "now", not the past on show.
        add_card(client, board_id, doing, "C")
        expect(banner).to_contain_text("Version 5 of 7")
        expect(slider).to_have_attribute("max", "7")
        expect(items).to_have_count(7)
        assert ui_columns(page) == {"To do": ["A", "B"], "Doing": []}

        # Back to now.
        banner.get_by_role("button", name="Back to now").click()
        expect(banner).to_be_hidden()
        expect(page.locator("[data-card-id]")).to_have_count(3)
        assert ui_columns(page) == api_columns(client, board_id)

        # Version 1: the board before its first column; Escape comes back to now.
        slider.focus()
        page.keyboard.press("Home")
        expect(banner).to_contain_text("Version 1 of 7")
        expect(page.locator("[data-column-id]")).to_have_count(0)
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("Escape")
        expect(banner).to_be_hidden()

        # The card's own history, in its dialog.
        card(page, a).click()
        history = page.locator(".card-history li")
        expect(history).to_have_count(2)
        expect(history.first).to_contain_text("moved card 'A'")
        expect(history.last).to_contain_text("added card 'A' to 'To do'")


PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "[click](javascript:window.__pwned=1)",
    "[click](JaVaScRiPt:window.__pwned=1)",
    "[data](data:text/html,<script>window.__pwned=1</script>)",
    '**<svg onload="window.__pwned=1">**',
    "`<iframe src=javascript:window.__pwned=1>`",
    '"><a href="javascript:window.__pwned=1">x</a>',
    "[ok](https://example.com/?q=<script>)",
]


def test_card_dialog_edits_and_renders_markdown_safely(server: Server, web: Web) -> None:
    with server.client() as client:
        board_id, (todo,) = make_board(client, "Cards", [("To do", None)])
        plain = add_card(client, board_id, todo, "Plain")["card_id"]
        page = web.page()
        sign_in(page, server, board_id)

        # The renderer itself, on every payload: no element or attribute can run code.
        report = page.evaluate(
            """async (payloads) => {
                const { renderMarkdown } = await import('/static/markdown.js');
                return payloads.map((text) => {
                    const box = document.createElement('div');
                    box.append(renderMarkdown(text));
                    const all = [...box.querySelectorAll('*')];
                    return {
                        text: box.textContent,
                        tags: all.map((el) => el.tagName.toLowerCase()),
                        handlers: all.flatMap((el) => [...el.attributes].map((a) => a.name))
                            .filter((name) => name.startsWith('on')),
                        hrefs: all.filter((el) => el.hasAttribute('href')).map((el) => el.href),
                    };
                });
            }""",
            PAYLOADS,
        )
        for payload, rendered in zip(PAYLOADS, report, strict=True):
            assert not {"script", "img", "svg", "iframe"} & set(rendered["tags"]), payload
            assert rendered["handlers"] == [], payload
            assert all(href.startswith("https://") for href in rendered["hrefs"]), payload
        assert "<script>window.__pwned = 1</script>" in report[0]["text"]  # shown as typed
        assert report[-1]["hrefs"] == ["https://example.com/?q=%3Cscript%3E"]

        # Edit every field in the dialog.
        card(page, plain).click()
        dialog = page.locator(".card-dialog")
        dialog.locator("input[name=title]").fill("Rich")
        description = "Some **bold** and *em*, `code`, [docs](https://example.com/docs).\n\n"
        description += "- one\n- two\n\n" + "\n\n".join(PAYLOADS)
        dialog.locator("textarea[name=description]").fill(description)
        dialog.locator("input[name=labels]").fill("ui, docs, ui")
        dialog.locator("input[name=assignees]").fill("ana, bo")
        dialog.locator("input[name=due_date]").fill("2030-01-02")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_have_count(0)
        saved = eventually(
            lambda: _expect_title(
                ok(client.get(f"/api/v1/boards/{board_id}/cards/{plain}")), "Rich"
            )
        )
        assert saved["description"] == description
        assert (saved["labels"], saved["assignees"]) == (["docs", "ui"], ["ana", "bo"])
        assert saved["due_date"] == "2030-01-02"
        expect(card(page, plain).locator(".label")).to_have_text(["docs", "ui"])
        expect(card(page, plain).locator(".due")).to_contain_text("Due")

        # Reopened: the description rendered, safely (and nothing ran).
        card(page, plain).click()
        rendered = dialog.locator(".markdown")
        expect(rendered.locator("strong").first).to_have_text("bold")
        expect(rendered.locator("li")).to_have_count(2)
        link = rendered.locator("a", has_text="docs")
        expect(link).to_have_attribute("href", "https://example.com/docs")
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(rendered.locator("script, img, svg, iframe")).to_have_count(0)
        expect(rendered).to_contain_text("<script>window.__pwned = 1</script>")
        assert page.evaluate("window.__pwned") is None
        expect(dialog.locator(".card-history li").first).to_contain_text("edited")

        # Archive it; it leaves the board, shows with "Archived", and is restored.
        dialog.get_by_role("button", name="Archive card").click()
        expect(card(page, plain)).to_have_count(0)
        eventually(lambda: _expect(api_columns(client, board_id), {"To do": []}))
        page.get_by_label("Archived").check()
        expect(card(page, plain)).to_have_class(re.compile(r"\barchived\b"))
        card(page, plain).click()
        dialog.get_by_role("button", name="Restore card").click()
        eventually(lambda: _expect(api_columns(client, board_id), {"To do": ["Rich"]}))
        expect(card(page, plain)).not_to_have_class(re.compile(r"\barchived\b"))
        assert page.evaluate("window.__pwned") is None


def _expect_title(card: Any, title: str) -> Any:
    assert card["title"] == title
    return card


def test_live_changes_resume_after_a_drop_and_reset(
    make_server: ServerFactory, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server().start()
    key = {"Idempotency-Key": "the live board"}  # the same board id on any server
    with server.client() as client:
        created = ok(client.post("/api/v1/boards", json={"title": "Live"}, headers=key))
        board_id = created["board_id"]
        todo = ok(client.post(f"/api/v1/boards/{board_id}/columns", json={"title": "To do"}))
        page = web.page()
        sign_in(page, server, board_id)
        page.evaluate("window.__sameDocument = true")
        streams: list[dict[str, str]] = []
        page.on("request", lambda r: r.url.endswith("/stream") and streams.append(r.headers))

        # A change by another client appears without a reload.
        seen = add_card(client, board_id, todo["column_id"], "From another client")
        expect(card(page, seen["card_id"])).to_be_visible()
        expect(page.locator(".board-item")).to_have_count(0)

    # The server restarts (same address): the stream resumes from the last event seen.
    monkeypatch.setattr(conftest, "free_port", lambda: server.port)
    server.stop()
    expect(page.locator(".live-state")).not_to_have_attribute("data-state", "live")
    server.start()
    with server.client() as client:
        missed = add_card(client, board_id, todo["column_id"], "Made while away")
    expect(card(page, missed["card_id"])).to_be_visible()
    expect(page.locator(".live-state")).to_have_attribute("data-state", "live")
    assert streams
    assert streams[0].get("last-event-id") == str(seen["seq"])
    assert page.evaluate("window.__sameDocument") is True

    # Another log behind the same address (a restore): the stream cannot resume
    # there, says reset, and the page refetches the board.
    server.stop()
    other = make_server(token=server.token, data_dir="restored").start()
    with other.client() as client:
        ok(client.post("/api/v1/boards", json={"title": "Live, restored"}, headers=key))
        ok(client.post(f"/api/v1/boards/{board_id}/columns", json={"title": "Fresh start"}))
    expect(page.locator("[data-board-title]")).to_have_text("Live, restored")
    expect(page.locator("[data-column-id] .column-title")).to_have_text(["Fresh start"])
    expect(page.locator("[data-card-id]")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True


def test_conflicts_refresh_the_board_and_keep_the_input(server: Server, web: Web) -> None:
    with server.client() as client:
        board_id, (todo, doing) = make_board(client, "Race", [("To do", None), ("Doing", None)])
        x = add_card(client, board_id, todo, "X")["card_id"]
        page = web.page()
        # No live updates: this page does not hear of the other client's changes.
        page.route("**/stream", lambda route: route.abort())
        page.goto(f"{server.url}/#token={server.token}")
        page.goto(f"{server.url}/#/b/{board_id}")
        expect(card(page, x)).to_be_visible()
        rename = f"/api/v1/boards/{board_id}"

        # A save made on a stale board is refused (412): the board is refreshed,
        # the user told, and what they typed is still there to save again.
        ok(client.patch(rename, json={"title": "Race 2"}))
        card(page, x).click()
        dialog = page.locator(".card-dialog")
        dialog.locator("input[name=title]").fill("X, edited")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.locator(".error")).to_contain_text("someone else changed the board")
        expect(dialog.locator(".error")).to_contain_text("your edits are still here")
        expect(page.locator("[data-board-title]")).to_have_text("Race 2")
        expect(dialog.locator("input[name=title]")).to_have_value("X, edited")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_have_count(0)
        eventually(lambda: _expect(api_columns(client, board_id)["To do"], ["X, edited"]))

        # A move on a stale board: refused, put back, and one click to retry.
        ok(client.patch(rename, json={"title": "Race 3"}))
        drag(page, card(page, x), column(page, doing).locator(".cards"))
        toast = page.locator(".toast-error")
        expect(toast).to_contain_text("someone else changed the board")
        expect(page.locator("[data-board-title]")).to_have_text("Race 3")
        expect(column(page, todo).locator(f'[data-card-id="{x}"]')).to_be_visible()
        assert api_columns(client, board_id)["Doing"] == []
        toast.get_by_role("button", name="Retry").click()
        eventually(lambda: _expect(api_columns(client, board_id)["Doing"], ["X, edited"]))
        expect(column(page, doing).locator(f'[data-card-id="{x}"]')).to_be_visible()

        # An undo that collides with someone else's later change says why.
        conflict = {
            "type": "/problems/undo-conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "cannot undo: card 'X''s column was moved since by bo at version 9 "
            "(CardMoved)",
        }
        page.route(
            "**/undo",
            lambda route: route.fulfill(
                status=409, content_type="application/problem+json", json=conflict
            ),
        )
        page.get_by_role("button", name="Undo").click()
        expect(page.locator(".toast-error").last).to_have_text(
            re.compile(r"^Can't undo: card 'X''s column was moved since by bo at version 9")
        )
        assert api_columns(client, board_id)["Doing"] == ["X, edited"]


def test_wip_limits_columns_and_boards(server: Server, web: Web) -> None:
    with server.client() as client:
        board_id, (todo, doing) = make_board(client, "Flow", [("To do", None), ("Doing", 1)])
        a = add_card(client, board_id, todo, "A")["card_id"]
        add_card(client, board_id, doing, "B")
        page = web.page()
        sign_in(page, server, board_id)

        # A column at its limit is marked, and refuses one more card.
        full = column(page, doing)
        expect(full).to_have_attribute("data-wip", "at")
        expect(full.locator(".count")).to_have_text("1 / 1")
        expect(full.locator(".wip-note")).to_have_text("At its WIP limit")
        drag(page, card(page, a), full.locator(".cards"))
        expect(page.locator(".toast-error")).to_contain_text("at its WIP limit")
        assert api_columns(client, board_id) == {"To do": ["A"], "Doing": ["B"]}
        expect(column(page, todo).locator(f'[data-card-id="{a}"]')).to_be_visible()

        # Over the limit (lowered by someone else): marked as such, live.
        add_card(client, board_id, todo, "A2")
        ok(client.patch(f"/api/v1/boards/{board_id}/columns/{todo}", json={"wip_limit": 1}))
        expect(column(page, todo)).to_have_attribute("data-wip", "over")

        # Rename a column and lift its limit in its settings.
        full.get_by_role("button", name="Settings of column Doing").click()
        settings = page.locator("dialog.modal")
        settings.locator("input[name=title]").fill("In progress")
        settings.locator("input[name=wip_limit]").fill("")
        settings.get_by_role("button", name="Save").click()
        eventually(lambda: _expect(list(api_columns(client, board_id)), ["To do", "In progress"]))
        expect(full).not_to_have_attribute("data-wip", "at")
        expect(full.locator(".column-title")).to_have_text("In progress")

        # Remove: a column with cards is refused with the server's reason; an empty one goes.
        column(page, todo).get_by_role("button", name="Settings of column To do").click()
        settings.get_by_role("button", name="Remove column").click()
        page.locator("dialog.modal").get_by_role("button", name="Remove").click()
        expect(page.locator(".toast-error").last).to_contain_text("still holds 2 card(s)")
        page.fill(".add-column input", "Later")
        page.press(".add-column input", "Enter")
        later = page.locator("[data-column-id]", has_text="Later")
        expect(later).not_to_have_attribute("data-column-id", re.compile("^pending"))
        later.get_by_role("button", name="Settings of column Later").click()
        settings.get_by_role("button", name="Move left").click()
        eventually(
            lambda: _expect(list(api_columns(client, board_id)), ["To do", "Later", "In progress"])
        )
        later.get_by_role("button", name="Settings of column Later").click()
        settings.get_by_role("button", name="Remove column").click()
        page.locator("dialog.modal").get_by_role("button", name="Remove").click()
        eventually(lambda: _expect(list(api_columns(client, board_id)), ["To do", "In progress"]))
        expect(page.locator("[data-column-id]")).to_have_count(2)

        # Rename the board; then archive and restore it from the board list.
        page.get_by_role("button", name="Rename board").click()
        page.locator("dialog.modal input").fill("Flow 2")
        page.locator("dialog.modal").get_by_role("button", name="Save").click()
        expect(page.locator("[data-board-title]")).to_have_text("Flow 2")
        page.get_by_role("link", name="← Boards").click()
        item = page.locator(f'.board-item[data-board-id="{board_id}"]')
        expect(item.locator(".board-link")).to_have_text("Flow 2")
        item.get_by_role("button", name="Archive").click()
        page.locator("dialog.modal").get_by_role("button", name="Archive").click()
        expect(page.locator(".archived-boards summary")).to_have_text("Archived boards (1)")

        def archived() -> bool:
            # This client did not make the change: read as of the log's head.
            params = {"min_seq": conftest.head_seq(client)}
            return bool(ok(client.get(f"/api/v1/boards/{board_id}", params=params))["archived"])

        assert archived() is True
        page.locator(".archived-boards summary").click()
        item.get_by_role("button", name="Restore").click()
        expect(page.locator(".archived-boards")).to_have_count(0)
        eventually(lambda: _expect(archived(), False))


def test_token_link_and_a_touch_drag_on_a_phone(make_server: ServerFactory, web: Web) -> None:
    # No KANBAN_ADMIN_TOKEN: the server generates one, as at a first start.
    server = make_server(token=None).start()
    token = (server.data_dir / "admin-token").read_text().strip()
    with server.client(token=token) as client:
        board_id, (todo, doing) = make_board(client, "Phone", [("To do", None), ("Doing", None)])
        a = add_card(client, board_id, todo, "Tap and hold")["card_id"]
        page = web.page(viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True)

        # The link `kanban serve` prints signs in, and the token leaves the address bar.
        page.goto(f"{server.url}/#token={token}")
        expect(page.locator(".boards-page")).to_be_visible()
        assert page.url == f"{server.url}/"
        assert page.evaluate("sessionStorage.getItem('kanban.token')") == token
        page.get_by_role("link", name="Phone").click()
        expect(page.locator(".live-state")).to_have_attribute("data-state", "live")

        # Nothing is wider than the phone but the columns, which scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # Press, hold, drag to the next column with a finger.
        start, target = box(card(page, a)), box(column(page, doing).locator(".cards"))
        touch = page.context.new_cdp_session(page)
        x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
        point = lambda px, py: {"touchPoints": [{"x": px, "y": py}]}  # noqa: E731
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", **point(x, y)})
        page.wait_for_timeout(400)
        to_x, to_y = target["x"] + 20, target["y"] + 20
        for i in range(1, 11):
            px, py = x + (to_x - x) * i / 10, y + (to_y - y) * i / 10
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", **point(px, py)})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        eventually(
            lambda: _expect(api_columns(client, board_id), {"To do": [], "Doing": ["Tap and hold"]})
        )


def test_event_stream_parser(server: Server, web: Web) -> None:
    """The fetch-based SSE parser, fed the way a network delivers: in arbitrary pieces."""
    page = web.page()
    page.goto(f"{server.url}/static/icon.svg")  # same origin, nothing running
    stream = (
        "retry: 2000\r\n\r\n: heartbeat\r\n\r\n"
        'id: 7\r\nevent: CardAdded\r\ndata: {"seq": 7}\r\n\r\n'
        "event: reset\ndata: {}\n\n"
        "id: 9\rdata: line one\rdata: line two\r\r"
        "id: 10\nevent: half"
    )
    for size in (1, 2, 3, 7, len(stream)):
        got = page.evaluate(
            """async ([text, size]) => {
                const { eventParser } = await import('/static/sse.js');
                const events = [];
                const retries = [];
                const parser = eventParser({
                    onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms),
                });
                for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size));
                const beforeRestart = parser.lastId;
                parser.restart();  // a reconnect drops the half message
                parser.feed('\\n\\n');
                return { events, retries, lastId: beforeRestart, after: events.length };
            }""",
            [stream, size],
        )
        assert got["retries"] == [2000]
        assert got["events"] == [
            {"id": "7", "type": "CardAdded", "data": '{"seq": 7}'},
            {"id": "7", "type": "reset", "data": "{}"},
            {"id": "9", "type": "message", "data": "line one\nline two"},
        ], size
        assert got["lastId"] == "9"  # a message cut short is read again on resuming
        assert got["after"] == 3


def test_a_viewer_gets_a_read_only_board(server: Server, web: Web) -> None:
    with server.client() as admin:
        vera = add_user(admin, "vera", "Vera Viewer")
        board_id, (todo, doing) = make_board(admin, "Shared", [("To do", None), ("Doing", None)])
        a = add_card(admin, board_id, todo, "A")["card_id"]
        make_board(admin, "Not shared", [])
        add_member(admin, board_id, vera["user_id"], "viewer")
        page = web.page()
        sent: list[str] = []
        page.on("request", lambda r: r.method != "GET" and sent.append(f"{r.method} {r.url}"))
        signed_in(page, server, "vera", "Vera Viewer")
        sent.clear()

        # Only the boards she is a member of, with her role; nothing to manage there.
        item = page.locator(".board-item")
        expect(item).to_have_count(1)
        expect(item.locator(".board-link")).to_have_text("Shared")
        expect(item.locator(".role")).to_have_text("viewer")
        expect(item.locator("button")).to_have_count(0)

        # The board: read-only. No way to add, edit, drag, rename or undo.
        item.locator(".board-link").click()
        expect(page.locator(".live-state")).to_have_attribute("data-state", "live")
        expect(page.locator(".role-badge")).to_have_text("Viewer · read-only")
        expect(card(page, a)).to_be_visible()
        expect(page.locator(".composer, .grip, .add-column, .column-menu")).to_have_count(0)
        for name in ("Undo", "Redo", "Rename board"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        drag(page, card(page, a), column(page, doing).locator(".cards"))
        card(page, a).focus()
        page.keyboard.press("Alt+ArrowRight")
        page.keyboard.press("Control+z")
        expect(column(page, todo).locator(f'[data-card-id="{a}"]')).to_be_visible()
        card(page, a).click()
        dialog = page.locator(".card-dialog")
        expect(dialog.locator("input[name=title]")).to_be_disabled()
        expect(dialog.get_by_role("button", name="Archive card")).to_have_count(0)
        expect(dialog.locator(".card-history .who")).to_have_text(["Administrator"])
        page.keyboard.press("Escape")
        assert api_columns(admin, board_id) == {"To do": ["A"], "Doing": []}
        assert sent == []  # nothing was even tried

        # The members: everyone may look, only an owner manage; she may leave.
        page.get_by_role("button", name="Members").click()
        members = page.locator(".members-dialog .member")
        expect(members).to_have_count(2)
        expect(members.first).to_contain_text("Administrator")
        expect(members.first.locator(".member-role")).to_have_text("Owner")
        expect(page.locator(".members-dialog select")).to_have_count(0)
        expect(page.locator(".members-dialog .add-member")).to_be_hidden()
        expect(members.last.get_by_role("button", name="Leave")).to_be_visible()
        page.keyboard.press("Escape")

        # Made an editor (live): the board opens up, and her change is hers.
        add_member(admin, board_id, vera["user_id"], "editor")
        expect(page.locator(".role-badge")).to_have_text("Editor")
        expect(page.get_by_role("button", name="Undo")).to_be_visible()
        expect(page.get_by_role("button", name="Rename board")).to_have_count(0)
        composer = column(page, doing).locator(".composer input")
        composer.fill("By Vera")
        composer.press("Enter")
        eventually(lambda: _expect(api_columns(admin, board_id)["Doing"], ["By Vera"]))
        page.get_by_role("button", name="History").click()
        expect(page.locator(".history-item").first.locator(".who")).to_have_text("Vera Viewer")

        # Her session revoked elsewhere (by an admin): the open board's stream says so,
        # and the page goes back to the sign-in page.
        tokens = ok(admin.get(f"/api/v1/users/{vera['user_id']}/tokens"))["tokens"]
        (session,) = [t["token_id"] for t in tokens if t["kind"] == "session"]
        admin.delete(f"/api/v1/users/{vera['user_id']}/tokens/{session}").raise_for_status()
        expect(page.locator(".sign-in .error")).to_have_text(
            "Your session has ended. Sign in again."
        )


def test_an_owner_adds_a_member_who_then_sees_the_board(server: Server, web: Web) -> None:
    with server.client() as admin:
        ana = add_user(admin, "ana", "Ana Owner")
        bo = add_user(admin, "bo", "Bo Berg")
    with server.client(token=ana["token"]) as client:
        board_id, (todo,) = make_board(client, "Team", [("To do", None)])
        owner = web.page()
        signed_in(owner, server, "ana", "Ana Owner")
        member = web.page()
        signed_in(member, server, "bo", "Bo Berg")
        expect(member.locator(".board-item")).to_have_count(0)

        # The owner adds Bo as an editor, picked from the users.
        owner.goto(f"{server.url}/#/b/{board_id}")
        expect(owner.locator(".role-badge")).to_have_text("Owner")
        owner.get_by_role("button", name="Members").click()
        dialog = owner.locator(".members-dialog")
        expect(dialog.locator(".member")).to_have_count(1)
        dialog.locator("select[name=user_id]").select_option(label="Bo Berg (@bo)")
        dialog.locator("select[name=role]").select_option("editor")
        dialog.get_by_role("button", name="Add").click()
        added = dialog.locator(f'.member[data-user-id="{bo["user_id"]}"]')
        expect(added).to_have_attribute("data-role", "editor")
        expect(added.get_by_label("Role of Bo Berg")).to_have_value("editor")
        members = ok(client.get(f"/api/v1/boards/{board_id}/members"))["members"]
        assert [(m["name"], m["role"]) for m in members] == [("ana", "owner"), ("bo", "editor")]

        # The last owner cannot step down: the dialog says why, nothing changes.
        dialog.get_by_label("Role of Ana Owner").select_option("viewer")
        expect(dialog.locator(".error")).to_contain_text("last owner")
        expect(dialog.get_by_label("Role of Ana Owner")).to_have_value("owner")

        # Bo now sees the board, as an editor, and changes it (with his session).
        member.reload()
        entry = member.locator(f'.board-item[data-board-id="{board_id}"]')
        expect(entry.locator(".role")).to_have_text("editor")
        expect(entry.get_by_role("button", name="Archive")).to_have_count(0)
        entry.locator(".board-link").click()
        expect(member.locator(".live-state")).to_have_attribute("data-state", "live")
        composer = column(member, todo).locator(".composer input")
        composer.fill("Bo's card")
        composer.press("Enter")
        eventually(lambda: _expect(api_columns(client, board_id)["To do"], ["Bo's card"]))
        expect(owner.locator(".card-title")).to_have_text(["Bo's card"])

        # Removed by the owner: Bo's open board goes back to his board list, saying why.
        dialog.get_by_role("button", name="Remove Bo Berg").click()
        owner.locator("dialog.modal", has_text="Remove Bo Berg").get_by_role(
            "button", name="Remove"
        ).click()
        expect(dialog.locator(".member")).to_have_count(1)
        expect(member.locator(".toast")).to_contain_text("You no longer have access to “Team”")
        expect(member.locator(".boards-page")).to_be_visible()
        expect(member.locator(".board-item")).to_have_count(0)


def test_the_token_page_creates_and_revokes_tokens(server: Server, web: Web) -> None:
    with server.client() as admin:
        add_user(admin, "tess", "Tess Token")
    page = web.page()
    signed_in(page, server, "tess", "Tess Token")
    page.get_by_role("link", name="Tokens").click()

    # Her first token (from when she was added) and this browser's session.
    api_tokens = page.locator('.token-section[data-kind="api"] .token-item')
    expect(api_tokens).to_have_count(1)
    sessions = page.locator('.token-section[data-kind="session"] .token-item')
    expect(sessions).to_have_count(1)
    expect(sessions.locator(".current")).to_have_text("this browser")

    # A new token: shown once, to copy; it works as a bearer token.
    page.get_by_label("Label of the new token").fill("backup script")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator(".token-once")
    expect(shown).to_contain_text("shown only this once")
    token = page.locator(".token-value").input_value()
    assert re.fullmatch(r"kanban_[0-9a-f]{16}_\S+", token)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    shown.get_by_role("button", name="Copy").click()
    expect(shown.locator(".copy-state")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    with server.client(token=token) as script:
        assert ok(script.get("/api/v1/users/me"))["name"] == "tess"
        expect(api_tokens).to_have_count(2)
        created = api_tokens.filter(has_text="backup script")
        token_id = token.split("_")[1]
        expect(created).to_have_attribute("data-token-id", token_id)

        # Revoked: it stops working at once, and is listed as revoked.
        created.get_by_role("button", name="Revoke").click()
        page.locator("dialog.modal").get_by_role("button", name="Revoke").click()
        expect(api_tokens).to_have_count(1)
        expect(page.locator(".revoked-tokens summary")).to_have_text("Revoked and expired (1)")
        assert script.get("/api/v1/users/me").status_code == 401

    # She signs in again elsewhere in this browser: its cookie is a new session now,
    # so this tab's CSRF token is stale. A change here still goes through: the page
    # asks the server for the new session's token and sends it again.
    again = page.context.request.post(
        f"{server.url}/api/v1/session", data={"name": "tess", "password": PASSWORD}
    )
    assert again.ok
    refused: list[int] = []
    page.on("response", lambda r: r.request.method == "POST" and refused.append(r.status))
    page.get_by_label("Label of the new token").fill("second")
    page.get_by_role("button", name="Create token").click()
    expect(api_tokens.filter(has_text="second")).to_have_count(1)
    assert refused == [403, 201]
    expect(sessions).to_have_count(2)

    # Revoking this browser's own session signs it out.
    sessions.filter(has=page.locator(".current")).get_by_role("button", name="Revoke").click()
    page.locator("dialog.modal").get_by_role("button", name="Revoke").click()
    expect(page.locator(".sign-in .error")).to_contain_text("You revoked the session")
    page.reload()
    expect(page.locator("#name")).to_be_visible()
