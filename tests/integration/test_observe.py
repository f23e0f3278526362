"""Observing the distributed mode against a real redis-server: group lag, consumers, relay.

A writer (bootstrap with a Redis URL) feeds its own group, "writer"; a second
group, "lagging", is created on the same stream and never applies anything,
and its consumer "reader" has read three entries without acknowledging them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from kanban.api.app import create_app
from kanban.api.deps import Runtime
from kanban.bootstrap import Kanban, bootstrap
from kanban.distributed.observe import distributed_stats, probe_client
from kanban.domain import commands as cmd
from kanban.feed import streams
from kanban.settings import Settings
from tests.redis_server import RedisServer

from .conftest import Client

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
LAGGING, READER, UNREAD = "lagging", "reader", 3


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time limit"
        time.sleep(0.02)


@pytest.fixture
def redis_settings(tmp_path: Path, redis_server: RedisServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        redis_url=redis_server.url,
        consumer="w1",
        admin_token="observe-token",
    )


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.client()
    yield client
    client.close()


def fill_and_lag(kanban: Kanban, client: redis.Redis) -> int:
    """Commands through the writer; wait until its group applied them; add a lagging group."""
    alice = Client(kanban)
    board = alice.board(columns=("To do", "Done"))
    for i in range(4):
        alice.run(cmd.AddCard(board, f"c{i}", "col0", f"Card {i}"))
    head = kanban.log.head_seq()
    epoch = kanban.log.epoch()
    assert kanban.relay is not None
    eventually(lambda: kanban.relay is not None and kanban.relay.status().lag == 0)
    eventually(lambda: client.hget(streams.watermarks_key(epoch), "writer") == str(head).encode())
    key = streams.stream_key(epoch)
    client.xgroup_create(key, LAGGING, id="0")
    delivered = client.xreadgroup(LAGGING, READER, {key: ">"}, count=UNREAD)
    assert len(delivered[0][1]) == UNREAD
    return head


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


# --- the function ----------------------------------------------------------------


def test_stats_show_each_groups_lag_and_each_consumers_pending(
    redis_settings: Settings, client: redis.Redis
) -> None:
    with bootstrap(redis_settings) as kanban:
        head = fill_and_lag(kanban, client)
        time.sleep(0.2)  # the reader has been idle this long at least
        stats = distributed_stats(client, kanban.log)
        first = kanban.log.read_all(0, 1)[0]
        later = distributed_stats(
            client, kanban.log, clock=lambda: first.recorded_at + timedelta(seconds=42)
        )
    assert stats.redis_up
    assert stats.error is None
    assert stats.head == head
    assert (stats.relay.published, stats.relay.lag) == (head, 0)
    groups = {g.name: g for g in stats.groups}
    assert set(groups) == {"writer", LAGGING}

    writer = groups["writer"]
    assert (writer.applied, writer.lag_events, writer.lag_seconds) == (head, 0, 0.0)
    assert writer.source == "watermark"
    assert [(c.name, c.pending) for c in writer.consumers] == [("w1", 0)]

    lagging = groups[LAGGING]
    # Read but not acknowledged is not applied: the group applied nothing yet.
    assert (lagging.applied, lagging.lag_events) == (0, head)
    assert lagging.source == "stream"
    assert lagging.lag_seconds > 0
    assert lagging.pending == UNREAD
    (reader,) = lagging.consumers
    assert (reader.name, reader.pending) == (READER, UNREAD)
    assert 0.15 <= reader.idle_seconds < 30
    # Lag in seconds is the age of the oldest unapplied event: seq 1 here.
    assert {g.name: g.lag_seconds for g in later.groups}[LAGGING] == 42.0


def test_a_group_that_acknowledged_part_of_the_stream_lags_by_the_rest(
    redis_settings: Settings, client: redis.Redis
) -> None:
    with bootstrap(redis_settings) as kanban:
        head = fill_and_lag(kanban, client)
        key = streams.stream_key(kanban.log.epoch())
        client.xack(key, LAGGING, "1-0", "2-0")
        third = kanban.log.read_all(2, 1)[0]
        stats = distributed_stats(
            client, kanban.log, clock=lambda: third.recorded_at + timedelta(seconds=7)
        )
    lagging = {g.name: g for g in stats.groups}[LAGGING]
    assert (lagging.applied, lagging.lag_events, lagging.pending) == (2, head - 2, 1)
    assert lagging.lag_seconds == 7.0  # the age of seq 3, the oldest not applied


def test_with_redis_down_the_relay_still_reports_from_the_log(
    redis_settings: Settings, client: redis.Redis, redis_server: RedisServer
) -> None:
    with bootstrap(redis_settings) as kanban:
        head = fill_and_lag(kanban, client)
        redis_server.kill()
        Client(kanban).run(cmd.CreateBoard("unpublished", "Committed while Redis is down"))
        probe = probe_client(redis_settings.redis_url or "")
        try:
            stats = distributed_stats(probe, kanban.log)
        finally:
            probe.close()
    assert not stats.redis_up
    assert stats.error is not None
    assert "ConnectionError" in stats.error
    assert stats.groups == ()
    assert (stats.relay.published, stats.relay.head, stats.relay.lag) == (head, head + 1, 1)
    assert not stats.relay.reachable


def test_a_frozen_redis_costs_a_scrape_about_the_probe_timeout(
    redis_settings: Settings, redis_server: RedisServer
) -> None:
    store_settings = Settings(data_dir=redis_settings.data_dir)  # the log alone, no Redis
    with bootstrap(store_settings) as kanban:
        Client(kanban).board()
        redis_server.freeze()
        probe = probe_client(redis_server.url, timeout=0.5)
        try:
            started = time.monotonic()
            stats = distributed_stats(probe, kanban.log)
            elapsed = time.monotonic() - started
        finally:
            probe.close()
            redis_server.thaw()
    assert not stats.redis_up
    assert "Timeout" in (stats.error or "")
    assert elapsed < 3
    assert stats.relay.lag == stats.head > 0


# --- /metrics -------------------------------------------------------------------


def test_metrics_expose_group_consumer_and_relay_gauges(
    redis_settings: Settings, client: redis.Redis, redis_server: RedisServer
) -> None:
    with TestClient(create_app(redis_settings)) as http:
        rt: Runtime = http.app.state.runtime  # type: ignore[attr-defined]
        head = fill_and_lag(rt.kanban, client)
        response = http.get("/metrics")
        assert response.status_code == 200
        samples = metric_samples(response.text)
        assert samples[("kanban_group_lag_events", (("group", "writer"),))] == 0
        assert samples[("kanban_group_lag_events", (("group", LAGGING),))] == head
        assert samples[("kanban_group_lag_seconds", (("group", "writer"),))] == 0
        assert samples[("kanban_group_lag_seconds", (("group", LAGGING),))] > 0
        reader = (("consumer", READER), ("group", LAGGING))
        assert samples[("kanban_consumer_pending", reader)] == UNREAD
        assert samples[("kanban_consumer_idle_seconds", reader)] >= 0
        assert samples[("kanban_consumer_pending", (("consumer", "w1"), ("group", "writer")))] == 0
        assert samples[("kanban_relay_lag_events", ())] == 0
        assert samples[("kanban_redis_up", ())] == 1

        redis_server.kill()
        Client(rt.kanban).run(cmd.CreateBoard("unpublished", "Committed while Redis is down"))
        started = time.monotonic()
        response = http.get("/metrics")
        assert time.monotonic() - started < 5
        assert response.status_code == 200
        samples = metric_samples(response.text)
        assert samples[("kanban_redis_up", ())] == 0
        assert samples[("kanban_relay_lag_events", ())] == 1
        assert not any(name.startswith("kanban_group_") for name, _ in samples)
        # The local projection gauges are still there.
        assert ("kanban_projection_lag_events", (("projection", "boards"),)) in samples


def test_embedded_metrics_have_no_redis_gauges(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as http:
        text = http.get("/metrics").text
    assert "kanban_projection_lag_events" in text
    assert "kanban_redis_up" not in text
    assert "kanban_group_lag_events" not in text


# --- the command line ----------------------------------------------------------


def status(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    command = [sys.executable, "-m", "kanban.cli", "projections", "status"]
    return subprocess.run(
        [*command, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**base, "COLUMNS": "200", **env},
    )


def test_cli_status_with_redis_shows_groups_consumers_and_relay(
    redis_settings: Settings, client: redis.Redis, redis_server: RedisServer
) -> None:
    data_dir = redis_settings.data_dir
    with bootstrap(redis_settings) as kanban:
        head = fill_and_lag(kanban, client)

        result = status("--redis-url", redis_server.url, "--json", data_dir=data_dir)
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert [p["name"] for p in body["projections"]] == ["boards", "history", "access"]
        assert body["redis_up"] is True
        assert body["relay"] == {"name": "relay", "published": head, "head": head, "lag": 0}
        groups = {g["name"]: g for g in body["groups"]}
        assert groups["writer"]["lag_events"] == 0
        assert groups[LAGGING]["applied"] == 0
        assert groups[LAGGING]["lag_events"] == head
        assert groups[LAGGING]["lag_seconds"] > 0
        assert groups[LAGGING]["consumers"][0]["name"] == READER
        assert groups[LAGGING]["consumers"][0]["pending"] == UNREAD

        # The URL from the environment works the same; the tables name every row.
        table = status(data_dir=data_dir, KANBAN_REDIS_URL=redis_server.url)
        assert table.returncode == 0, table.stderr
        text = table.stdout
        assert re.search(rf"boards\s*│\s*{head}\s*│\s*{head}\s*│\s*0", text)
        assert f"relay: published {head} of head {head} (lag 0)" in text
        assert re.search(rf"{LAGGING}\s*│\s*0\s*│\s*{head}\s*│\s*[\d.]+\s*│\s*{UNREAD}", text)
        assert re.search(rf"writer\s*│\s*{head}\s*│\s*0\s*│\s*0.000\s*│\s*0", text)
        assert re.search(rf"{LAGGING}\s*│\s*{READER}\s*│\s*{UNREAD}\s*│\s*[\d.]+", text)
        assert re.search(r"writer\s*│\s*w1\s*│\s*0\s*│", text)

        # Without a Redis URL, the JSON is the list it always was.
        plain = status("--json", data_dir=data_dir)
        assert plain.returncode == 0, plain.stderr
        assert json.loads(plain.stdout) == body["projections"]

        redis_server.kill()
        down = status("--redis-url", redis_server.url, "--json", data_dir=data_dir)
        assert down.returncode == 0, down.stderr
        body = json.loads(down.stdout)
        assert body["redis_up"] is False
        assert body["groups"] == []
        assert body["relay"]["published"] == head
        down_table = status("--redis-url", redis_server.url, data_dir=data_dir)
        assert down_table.returncode == 0
        assert "redis unreachable" in down_table.stderr
