"""The bare stack every HTTP figure of Kanban is compared with.

Run: python -m bench.bare_app --port PORT --db FILE --boards DIR   (BARE_TOKEN in the environment)

FastAPI on uvicorn, 1 worker, uvloop and httptools, no access log. It takes
the same routes and request bodies as Kanban's card commands, validated by
Kanban's own pydantic models (kanban.api.schemas), checks the bearer token
(a constant-time compare), and inserts one row per request into SQLite in WAL
mode with synchronous=FULL, one transaction each, on the event loop. It answers
GET of a board with the JSON bytes Kanban answered for it, read from DIR/<id>.json
at start and kept in memory, with an ETag and the 304 of a matching If-None-Match.
"""

from __future__ import annotations

import argparse
import hmac
import os
import sqlite3
from pathlib import Path
from typing import Annotated

import orjson
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Response

from kanban.api import schemas

ETAG = '"1"'
#: Module level: with postponed annotations FastAPI resolves them in the module's globals.
Auth = Annotated[str | None, Header()]


def create_app(db: Path, boards: Path, token: str) -> FastAPI:
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS commands ("
        " id INTEGER PRIMARY KEY, board_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL)"
    )
    documents = {p.stem: p.read_bytes() for p in boards.glob("*.json")} if boards.is_dir() else {}
    expected = f"Bearer {token}".encode()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def authorize(authorization: str | None) -> None:
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
            raise HTTPException(401, "unauthorized")

    def insert(board_id: str, kind: str, body: str) -> Response:
        # Autocommit: the INSERT is its own transaction, durable (fsync) before the answer.
        seq = conn.execute(
            "INSERT INTO commands (board_id, kind, body) VALUES (?, ?, ?)", (board_id, kind, body)
        ).lastrowid
        return Response(
            orjson.dumps({"version": seq, "seq": seq}),
            status_code=201 if kind == "add" else 200,
            media_type="application/json",
        )

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.post("/api/v1/boards/{board_id}/cards")
    async def add_card(board_id: str, body: schemas.CardCreate, authorization: Auth) -> Response:
        authorize(authorization)
        return insert(board_id, "add", body.model_dump_json())

    @app.patch("/api/v1/boards/{board_id}/cards/{card_id}")
    async def edit_card(
        board_id: str, card_id: str, body: schemas.CardUpdate, authorization: Auth
    ) -> Response:
        authorize(authorization)
        return insert(board_id, "edit", body.model_dump_json(exclude_unset=True))

    @app.post("/api/v1/boards/{board_id}/cards/{card_id}/move")
    async def move_card(
        board_id: str, card_id: str, body: schemas.CardMove, authorization: Auth
    ) -> Response:
        authorize(authorization)
        return insert(board_id, "move", body.model_dump_json())

    @app.get("/api/v1/boards/{board_id}")
    async def get_board(
        board_id: str,
        authorization: Auth,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        authorize(authorization)
        body = documents.get(board_id)
        if body is None:
            raise HTTPException(404, "no such board")
        if if_none_match == ETAG:
            return Response(status_code=304, headers={"ETag": ETAG})
        return Response(body, media_type="application/json", headers={"ETag": ETAG})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--boards", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(args.db, args.boards, os.environ.get("BARE_TOKEN", ""))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
