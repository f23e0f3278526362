"""The composition root: the one place that builds and wires the parts.

Three shapes, chosen by settings:
- embedded (the default): the log, its writer, the read models and the
  projector in one process, no Redis;
- writer with Redis (`redis_url`): the same, plus a relay publishing the log
  to Redis Streams, and the read models fed through a consumer group, so
  projector workers on the same volume can share the work;
- query replica (`role = "query"`): no log; read models of its own fed from
  Redis (gaps and catch-up from the writer's feed), commands forwarded.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kanban.domain.errors import KanbanError, NotTheWriter
from kanban.projections.access import AccessProjection
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.progress import ReadSide
from kanban.projections.projection import Projection
from kanban.projections.reads import ReadStore
from kanban.projections.runner import Projector
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.bus import CommandBus
from kanban.service.credentials import Passwords
from kanban.service.mapper import EventMapper
from kanban.service.repository import BoardRepository
from kanban.settings import Settings
from kanban.store.ports import EventFeed, EventStore
from kanban.store.sqlite import SQLiteEventStore

if TYPE_CHECKING:
    # Imported where the distributed shapes are built: redis and httpx are a third of
    # a command-line call's start-up, and the embedded default needs neither.
    import redis

    from kanban.distributed.relay import Relay
    from kanban.distributed.worker import StreamWorker
    from kanban.feed.http import HttpFeed

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Ports:
    """The adapters `bootstrap` wires the service around; None: the SQLite one in the data dir.

    The `Kanban` built takes them over: its `close()` closes them. Tests pass a
    `MemoryEventStore` here (no fsyncs) and the read store of their choice.
    """

    #: The event log (a writer only).
    log: EventStore | None = None
    #: The read models.
    read: ReadStore | None = None
    clock: Clock = utc_now


@dataclass
class Kanban:
    """The wired service: the log and its writer (writer role), the read side, the feed."""

    settings: Settings
    feed: EventFeed
    read: ReadStore
    projector: ReadSide
    #: What everyone here decodes events with: one cache for the whole process.
    mapper: EventMapper
    store: EventStore | None = None
    boards: BoardRepository | None = None
    bus: CommandBus | None = None
    #: Publishes the log to Redis (writer with `redis_url`).
    relay: Relay | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    clock: Clock = field(default=utc_now)

    @property
    def log(self) -> EventStore:
        if self.store is None:
            raise NotTheWriter("this replica has no event log; ask the writer")
        return self.store

    @property
    def commands(self) -> CommandBus:
        if self.bus is None:
            raise NotTheWriter("this replica takes no commands; send them to the writer")
        return self.bus

    @property
    def ready(self) -> bool:
        """Commands can be taken (writer), or queries answered (replica)."""
        return self.bus.running if self.bus is not None else True

    def _threads(self) -> list[CommandBus | ReadSide | Relay]:
        """What runs threads of its own, in the order work flows through it."""
        return [part for part in (self.bus, self.projector, self.relay) if part is not None]

    def start(self) -> Kanban:
        for part in self._threads():
            part.start()
        return self

    def close(self) -> None:
        # Finish every queued command, then project and publish it, then let go.
        for part in self._threads():
            part.stop()
        self.read.close()
        if self.store is not None:
            self.store.close()
        for close in self.closers:
            close()

    @functools.cached_property
    def passwords(self) -> Passwords:
        """How this service hashes and checks passwords, at the settings' cost."""
        return passwords(self.settings)

    def __enter__(self) -> Kanban:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def passwords(settings: Settings) -> Passwords:
    return Passwords(settings.password_time_cost, settings.password_memory_kib)


def open_log(settings: Settings, clock: Clock = utc_now) -> EventStore:
    """Just the event log, for tools that read it (no writer thread, no read models)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SQLiteEventStore(settings.log_path, key=settings.log_key_bytes, clock=clock)


def open_read(settings: Settings) -> ReadStore:
    """The read models in their SQLite file."""
    settings.read_path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteReadStore(settings.read_path)


def projections(feed: EventFeed, mapper: EventMapper) -> list[Projection]:
    return [BoardsProjection(feed, mapper), HistoryProjection(mapper), AccessProjection(mapper)]


def redis_client(url: str) -> redis.Redis:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )


def consumer_name(settings: Settings) -> str:
    return settings.consumer or f"{socket.gethostname()}-{os.getpid()}"


def claim_idle_ms(settings: Settings) -> int:
    return max(round(settings.claim_idle * 1000), 1)


def bootstrap(settings: Settings, ports: Ports | None = None) -> Kanban:
    """The service for `settings`, on `ports` (the SQLite adapters where they give none)."""
    ports = ports or Ports()
    if settings.role == "query":
        return _query_replica(settings, ports)
    clock = ports.clock
    store = ports.log or open_log(settings, clock)
    try:
        read = ports.read or open_read(settings)
    except BaseException:
        store.close()
        raise
    mapper = EventMapper()
    boards = BoardRepository(store, mapper, settings.board_cache, settings.snapshot_every)
    if settings.redis_url is None:
        projector = Projector(store, read, projections(store, mapper), mapper)
        bus = CommandBus(store, boards, settings.max_batch, on_commit=projector.wake)
        return Kanban(settings, store, read, projector, mapper, store, boards, bus, clock=clock)
    from kanban.distributed.relay import Relay

    client = redis_client(settings.redis_url)
    relay = Relay(store, client)
    worker = stream_worker_of(
        client,
        store,
        read,
        projections(store, mapper),
        settings.group or "writer",
        settings,
    )
    bus = CommandBus(store, boards, settings.max_batch, on_commit=relay.wake)
    return Kanban(
        settings,
        store,
        read,
        worker,
        mapper,
        store,
        boards,
        bus,
        relay,
        [client.close],
        clock=clock,
    )


def _query_replica(settings: Settings, ports: Ports) -> Kanban:
    if not settings.redis_url or not settings.writer_url:
        raise KanbanError("a query replica needs both --redis-url and --writer-url")
    feed = writer_feed(settings.writer_url, settings)
    read = ports.read or open_read(settings)
    # One group per read database: two replicas on one host must not split the stream.
    place = hashlib.sha1(str(settings.read_path.resolve()).encode()).hexdigest()[:8]
    group = settings.group or f"query-{socket.gethostname()}-{place}"
    return _fed_from_redis(settings, feed, read, group, [feed.close], ports.clock)


def stream_worker(settings: Settings) -> Kanban:
    """A projector worker process: a read database fed from Redis, no API, no commands."""
    if not settings.redis_url:
        raise KanbanError("a projector worker needs --redis-url")
    closers: list[Callable[[], None]] = []
    feed: EventFeed
    if settings.log_path.exists():
        store = open_log(settings)
        feed = store
        closers.append(store.close)
    elif settings.writer_url:
        http = writer_feed(settings.writer_url, settings)
        feed = http
        closers.append(http.close)
    else:
        raise KanbanError(
            f"no event log at {settings.log_path} and no --writer-url to read the feed from"
        )
    return _fed_from_redis(settings, feed, open_read(settings), settings.group or "writer", closers)


def _fed_from_redis(
    settings: Settings,
    feed: EventFeed,
    read: ReadStore,
    group: str,
    closers: list[Callable[[], None]],
    clock: Clock = utc_now,
) -> Kanban:
    """A read side that Redis Streams feed, as consumer group `group`."""
    client = redis_client(settings.redis_url or "")
    mapper = EventMapper()
    worker = stream_worker_of(client, feed, read, projections(feed, mapper), group, settings)
    return Kanban(
        settings, feed, read, worker, mapper, closers=[client.close, *closers], clock=clock
    )


def stream_worker_of(
    client: redis.Redis,
    feed: EventFeed,
    read: ReadStore,
    projections: list[Projection],
    group: str,
    settings: Settings,
) -> StreamWorker:
    """The read side fed through a Redis consumer group, as this process's consumer."""
    from kanban.distributed.worker import StreamWorker

    return StreamWorker(
        client,
        feed,
        read,
        projections,
        group,
        consumer_name(settings),
        claim_idle_ms=claim_idle_ms(settings),
    )


def writer_feed(url: str, settings: Settings) -> HttpFeed:
    """The writer's feed over HTTP, for processes that cannot open its log file."""
    from kanban.feed.http import HttpFeed

    return HttpFeed(url, _feed_token(settings))


def _feed_token(settings: Settings) -> str:
    if settings.admin_token is None:
        raise KanbanError("reading the writer's feed needs KANBAN_ADMIN_TOKEN")
    return settings.admin_token.get_secret_value()


def rebuilder(settings: Settings) -> tuple[Projector, Callable[[], None]]:
    """An embedded projector over the local log and read database, and how to close it."""
    store = open_log(settings)
    read = SQLiteReadStore(settings.read_path)

    def close() -> None:
        read.close()
        store.close()

    mapper = EventMapper()
    return Projector(store, read, projections(store, mapper), mapper), close
