"""Request and response bodies: XCreate / XUpdate for commands, XPublic for queries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from kanban.domain import rules
from kanban.domain.errors import ValidationFailed

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=rules.MAX_LABEL)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=rules.MAX_ASSIGNEE)]
#: An optional PATCH field that cannot be cleared: null is refused, so not documented.
Unset = SkipJsonSchema[None]
Position = Annotated[int, Field(ge=0, le=1_000_000)]
WipLimit = Annotated[int, Field(ge=1, le=10_000)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
#: Versions and seqs are SQLite integers: anything larger cannot name one.
MAX_INT = 2**63 - 1


def given(body: BaseModel, nullable: set[str]) -> dict[str, Any]:
    """The fields a PATCH body sets, as command arguments; null only where it clears."""
    out: dict[str, Any] = {}
    for name, value in body.model_dump(exclude_unset=True, mode="json").items():
        if value is None and name not in nullable:
            raise ValidationFailed(f"{name} cannot be null")
        out[name] = tuple(value) if isinstance(value, list) else value
    return out


class Strict(BaseModel):
    """Bodies reject unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --- commands ---------------------------------------------------------------


class BoardCreate(Strict):
    title: Title


class BoardUpdate(Strict):
    title: Title


class ColumnCreate(Strict):
    title: Title
    position: Position | None = None
    wip_limit: WipLimit | None = None


class ColumnUpdate(Strict):
    title: Title | Unset = None
    wip_limit: WipLimit | None = Field(None, description="A number sets the limit; null clears it.")


class ColumnMove(Strict):
    position: Position


class CardCreate(Strict):
    column_id: Id
    title: Title
    description: Description = ""
    labels: Annotated[list[Label], Field(max_length=20)] = []
    assignees: Annotated[list[Tag], Field(max_length=20)] = []
    due_date: dt.date | None = None
    position: Position | None = None


class CardUpdate(Strict):
    title: Title | Unset = None
    description: Description | Unset = None
    labels: Annotated[list[Label], Field(max_length=20)] | Unset = None
    assignees: Annotated[list[Tag], Field(max_length=20)] | Unset = None
    due_date: dt.date | None = Field(None, description="A date sets it; null clears it.")


class CardMove(Strict):
    column_id: Id
    position: Position


class CardRestore(Strict):
    column_id: Id | None = Field(None, description="Default: the column it was archived from.")
    position: Position | None = Field(None, description="Default: last.")


class CommandPublic(BaseModel):
    """What every command answers: the board's new version and its last event's seq."""

    version: int
    seq: int


class BoardCreated(CommandPublic):
    board_id: str


class ColumnCreated(CommandPublic):
    column_id: str


class CardCreated(CommandPublic):
    card_id: str


class UndoneEvent(BaseModel):
    type: str
    summary: str


class UndoPublic(CommandPublic):
    """Names the unit (the command) that was undone or redone, and what it did now."""

    unit_id: str
    events: list[UndoneEvent]


# --- queries ------------------------------------------------------------------


class CardPublic(BaseModel):
    id: str
    column_id: str
    title: str
    description: str
    labels: list[str]
    assignees: list[str]
    due_date: str | None
    archived: bool


class CardDetailPublic(CardPublic):
    board_id: str
    version: int


class ColumnPublic(BaseModel):
    id: str
    title: str
    wip_limit: int | None
    over_limit: bool
    cards: list[CardPublic]


class BoardPublic(BaseModel):
    id: str
    title: str
    version: int
    archived: bool
    columns: list[ColumnPublic]


class BoardSummaryPublic(BaseModel):
    id: str
    title: str
    version: int
    archived: bool
    created_at: str
    updated_at: str
    role: str | None = Field(
        description="Your role on the board (null: an admin who is not a member)."
    )


class BoardListPublic(BaseModel):
    boards: list[BoardSummaryPublic]


class HistoryItemPublic(BaseModel):
    seq: int
    version: int
    type: str
    data: dict[str, Any]
    actor: str = Field(description="The user id of who made the change.")
    actor_name: str = Field(description="Their display name now.")
    recorded_at: str
    summary: str
    undone: bool
    undo_of: str | None
    redo_of: str | None
    unit_id: str


class HistoryPublic(BaseModel):
    items: list[HistoryItemPublic]
    next_cursor: str | None


class SearchHitPublic(CardPublic):
    board_id: str
    version: int
    snippet: str


class SearchPublic(BaseModel):
    items: list[SearchHitPublic]


class ProjectionPublic(BaseModel):
    name: str
    checkpoint: int
    head: int
    lag: int


class ProjectionsPublic(BaseModel):
    projections: list[ProjectionPublic]


class HealthPublic(BaseModel):
    status: str


class ReadyPublic(BaseModel):
    status: str
    head_seq: int
    projections: list[ProjectionPublic]


class StoredEventPublic(BaseModel):
    seq: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str
    hash: str


class FeedPublic(BaseModel):
    epoch: str
    head_seq: int
    events: list[StoredEventPublic]
