"""The one typed configuration object, read from the environment at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every option has an environment variable: KANBAN_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KANBAN_", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the event log and read models live.")
    log_key: SecretStr | None = Field(
        None,
        description="Secret that keys the log's hash chain (HMAC-SHA256), so that a "
        "rewrite with recomputed hashes is caught too.",
    )
    snapshot_every: int = Field(250, ge=0, description="Events between board snapshots.")
    board_cache: int = Field(256, ge=1, description="Boards kept folded in memory.")
    max_batch: int = Field(256, ge=1, description="Most commands group-committed at once.")
    host: str = Field("127.0.0.1", description="Address `kanban serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `kanban serve` listens on.")
    admin_token: SecretStr | None = Field(
        None,
        description="The admin's API token. When unset, one is generated at first start "
        "and kept in the data dir (mode 0600).",
    )
    session_ttl: float = Field(
        14 * 24 * 3600.0,
        gt=0,
        description="Seconds a web sign-in lasts before its session cookie stops working.",
    )
    signin_attempts: int = Field(
        5,
        ge=1,
        description="Failed sign-ins allowed per user name in 5 minutes (four times as "
        "many per client address); then 429 until the window passes.",
    )
    password_time_cost: int = Field(
        3, ge=1, description="Passes of argon2id over its memory per password hash."
    )
    password_memory_kib: int = Field(
        64 * 1024,
        ge=1024,
        description="KiB of memory per argon2id password hash (with the time cost, what a "
        "guess costs an attacker who has the hashes; and each sign-in costs the server).",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Comma-separated proxy addresses (or *) whose X-Forwarded-For names "
        "the client, e.g. an ingress controller's; sign-in throttling counts by that address.",
    )
    min_seq_timeout: float = Field(
        5.0, gt=0, description="Seconds a query with min_seq waits for the read models."
    )
    heartbeat: float = Field(15.0, gt=0, description="Seconds between live-stream heartbeats.")
    access_log: bool = Field(
        True,
        description="Log one line per HTTP request to stderr (uvicorn's access log); "
        "off saves about a tenth of a busy server's CPU.",
    )
    role: Literal["writer", "query"] = Field(
        "writer",
        description="writer: owns the log and takes commands. query: a replica without the "
        "log that answers queries from its own read models (fed from Redis) and forwards "
        "commands to --writer-url.",
    )
    writer_url: str | None = Field(
        None,
        description="The writer's base URL, for query replicas and projector workers "
        "that cannot read the log file (they read its feed with KANBAN_ADMIN_TOKEN).",
    )
    group: str | None = Field(
        None,
        description="Redis consumer group of this read database (default: writer, "
        "or query-<hostname>-<read db hash> for a replica).",
    )
    consumer: str | None = Field(
        None, description="Name of this consumer in its group (default: <hostname>-<pid>)."
    )
    read_db: Path | None = Field(
        None, description="Read database file (default: <data dir>/read.db)."
    )
    claim_idle: float = Field(
        10.0,
        gt=0,
        description="Seconds an entry a consumer of the group took stays unacknowledged "
        "before another consumer claims it (a crashed worker's batch).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis to publish the log to (redis://host:port/db). When set, a relay "
        "publishes every committed event, in log order, to the Redis stream of the log's "
        "epoch, resuming from its own checkpoint in the log file; Redis being down never "
        "fails or slows commands. Unset: no Redis at all.",
    )

    @property
    def log_path(self) -> Path:
        return self.data_dir / "events.db"

    @property
    def read_path(self) -> Path:
        """The read models: disposable, rebuilt from the log when deleted."""
        return self.read_db or self.data_dir / "read.db"

    @property
    def log_key_bytes(self) -> bytes | None:
        return self.log_key.get_secret_value().encode() if self.log_key else None
