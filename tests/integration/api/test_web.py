"""The web UI's files: served by the app itself, with a strict CSP, nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from kanban.api.routers.web import WEB_DIR

from .conftest import TestClient, assert_problem

IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]""", re.M)
DYNAMIC = re.compile(r"""\bimport\(\s*['"]([^'"]+)['"]""")


class Refs(HTMLParser):
    """Every src and href in a page, and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.refs += [v for k, v in found.items() if k in ("src", "href") and v]
        if tag == "script" and not found.get("src"):
            self.inline_script = True
        if any(k.startswith("on") for k in found) or "style" in found:
            self.inline_script = True  # handlers and style attributes are inline too


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_the_page_is_served_at_the_root_with_a_strict_policy(anonymous: TestClient) -> None:
    with anonymous:
        response = anonymous.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    page = Refs()
    page.feed(response.text)
    assert not page.inline_script
    assert "/static/app.js" in page.refs
    assert all(ref.startswith(("/static/", "#")) for ref in page.refs), page.refs


def test_modules_and_styles_are_served_from_the_package(anonymous: TestClient) -> None:
    """Every module app.js needs, transitively, is here and served as JavaScript."""
    seen: set[str] = set()
    todo = ["app.js"]
    with anonymous:
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            response = anonymous.get(f"/static/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-type"].startswith("text/javascript"), name
            assert "script-src 'self'" in response.headers["content-security-policy"]
            for spec in IMPORT.findall(response.text) + DYNAMIC.findall(response.text):
                assert spec.startswith(("./", "/static/")), f"{name} imports {spec}"
                todo.append(spec.removeprefix("./").removeprefix("/static/"))
        css = anonymous.get("/static/styles.css")
        assert css.headers["content-type"].startswith("text/css")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.text):
            assert "//" not in url, url
            assert not url.startswith("data:"), url
        # Revalidation is cheap: an unchanged file is a 304.
        etag = css.headers["etag"]
        again = anonymous.get("/static/styles.css", headers={"If-None-Match": etag})
        assert again.status_code == 304
    shipped = {p.name for p in WEB_DIR.glob("*.js")}
    assert seen == shipped, "every module is used, and only shipped modules are imported"


def test_the_page_loads_whatever_credentials_the_browser_holds(anonymous: TestClient) -> None:
    """A stale session cookie or a revoked token never keeps the sign-in page away."""
    with anonymous:
        anonymous.cookies.set("kanban_session", "kanban_0123456789abcdef_stale")
        stale = {"Authorization": "Bearer kanban_0123456789abcdef_revoked"}
        for path in ("/", "/static/app.js", "/static/signin.js", "/static/styles.css"):
            assert anonymous.get(path, headers=stale).status_code == 200, path
            assert anonymous.get(path).status_code == 200, path
        # The API refuses both, so the page shows the sign-in form.
        assert_problem(anonymous.get("/api/v1/session", headers=stale), 401, "unauthorized")
        assert_problem(anonymous.get("/api/v1/session"), 401, "unauthorized")


def test_no_file_outside_the_web_directory_is_served(anonymous: TestClient) -> None:
    with anonymous:
        for path in ("/static/../routers/web.py", "/static/%2e%2e/app.py", "/static/missing.js"):
            assert_problem(anonymous.get(path), 404, "not-found")
        assert_problem(anonymous.post("/static/app.js"), 405, "method-not-allowed")


def test_the_ui_is_not_part_of_the_api_description(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(p.startswith("/static") for p in paths)
