"""What vulture takes for dead code but something outside src/ calls (read by `vulture`).

Routes and CLI commands are ignored by decorator (pyproject's [tool.vulture]);
these are the other entry points, each with who uses it.
"""

# ruff: noqa: B018, F821 - names only read by vulture, never run: it parses this file
from kanban import settings
from kanban.api import access_schemas, metrics, schemas
from kanban.backup import format, restore
from kanban.distributed import relay
from kanban.domain import events
from kanban.service import bus

# pydantic reads `model_config`; response fields are serialized, never read by name.
schemas.Strict.model_config
settings.Settings.model_config
access_schemas.UserPublic.has_password
schemas.HistoryItemPublic.actor_name
schemas.HistoryPublic.next_cursor

# prometheus_client calls a registered collector's `collect` at scrape time.
metrics._LagCollector.collect
metrics._DistributedCollector.collect

# Written into every backup's header (dataclasses.asdict), checked on reading one.
format.Header.format_version
format.Header.app_version

# What a restore and the relay report: the CLI's output and the tests read them.
restore.RestoreReport.point_in_time
relay.RelayStatus.reachable

# Named in a string: cast("dict[FieldT, EncodableT]", ...) in the relay.
relay.FieldT
relay.EncodableT

# The registry calls upcasters by (type, schema version), never by name.
events._board_created_v1

# The log benchmark (bench/log_bench.py) submits commands without waiting for each.
bus.CommandBus.submit

# __exit__(self, exc_type, exc, tb): the context manager protocol names them.
exc_type
tb

# FastAPI reads an endpoint's __signature__ (its parameters) and __qualname__.
_.__signature__
_.__qualname__
