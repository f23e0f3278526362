"""The feed read over HTTP from a writer's /api/v1/events, for processes without the log."""

from __future__ import annotations

from typing import Any

import httpx

from kanban.domain.errors import StorageError
from kanban.feed.wire import from_wire
from kanban.store.ports import EventFeed
from kanban.store.records import StoredEvent


class HttpFeed(EventFeed):
    def __init__(
        self,
        writer_url: str,
        token: str,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.client = client or httpx.Client(base_url=writer_url.rstrip("/"), timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.get(path, params=params, headers=self.headers)
        except httpx.HTTPError as exc:
            raise StorageError(f"the writer's feed is unreachable: {exc}") from exc
        if response.status_code != 200:
            raise StorageError(
                f"the writer's feed answered {response.status_code}: {response.text[:200]}"
            )
        body: dict[str, Any] = response.json()
        return body

    def epoch(self) -> str:
        return str(self._get("/api/v1/events", {"limit": 0})["epoch"])

    def head_seq(self) -> int:
        return int(self._get("/api/v1/events", {"limit": 0})["head_seq"])

    def read_all(self, after_seq: int = 0, limit: int | None = None) -> list[StoredEvent]:
        body = self._get("/api/v1/events", {"after": after_seq, "limit": limit or 500})
        return [from_wire(item) for item in body["events"]]

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        params: dict[str, Any] = {"from_version": from_version}
        if to_version is not None:
            params["to_version"] = to_version
        out: list[StoredEvent] = []
        # The writer pages nothing here; a board's range is read in one answer.
        body = self._get(f"/api/v1/boards/{stream_id}/events", params)
        out.extend(from_wire(item) for item in body["events"])
        return out

    def close(self) -> None:
        self.client.close()
