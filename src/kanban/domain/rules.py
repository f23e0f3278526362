"""Input rules shared by every command: what a valid title, label or date is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kanban.domain.errors import PositionOutOfRange, ValidationFailed

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_LABELS = 20
MAX_LABEL = 50
MAX_ASSIGNEES = 20
MAX_ASSIGNEE = 100
MAX_ID = 100
MAX_WIP_LIMIT = 10_000
MAX_COLUMNS = 100
MAX_CARDS = 20_000


def title(value: object, what: str = "title") -> str:
    """A stripped title of 1 to 200 characters."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{what} must be a string")
    text = value.strip()
    if not text:
        raise ValidationFailed(f"{what} must not be empty")
    if len(text) > MAX_TITLE:
        raise ValidationFailed(f"{what} is {len(text)} characters; at most {MAX_TITLE} allowed")
    return text


def description(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("description must be a string")
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"description is {len(value)} characters; at most {MAX_DESCRIPTION} allowed"
        )
    return value


def _tags(values: Iterable[object], what: str, most: int, longest: int) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValidationFailed(f"{what} must be a list of strings, not a string")
    seen: set[str] = set()
    for raw in values:
        if not isinstance(raw, str):
            raise ValidationFailed(f"each of {what} must be a string")
        text = raw.strip()
        if not text or len(text) > longest:
            raise ValidationFailed(f"each of {what} must be 1 to {longest} characters")
        seen.add(text)
    if len(seen) > most:
        raise ValidationFailed(f"too many {what}: {len(seen)}; at most {most} allowed")
    # A set semantically; stored sorted so equal sets give equal events.
    return tuple(sorted(seen))


def labels(values: Iterable[object]) -> tuple[str, ...]:
    return _tags(values, "labels", MAX_LABELS, MAX_LABEL)


def assignees(values: Iterable[object]) -> tuple[str, ...]:
    return _tags(values, "assignees", MAX_ASSIGNEES, MAX_ASSIGNEE)


def due_date(value: object) -> str | None:
    """None, or an ISO calendar date (YYYY-MM-DD)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise ValidationFailed(f"due_date must be an ISO date (YYYY-MM-DD), got {value!r}")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"due_date {value!r} is not a valid date") from None
    return value


def wip_limit(value: object) -> int | None:
    """None (no limit) or a whole number from 1 up."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("wip_limit must be a whole number or null")
    if not 1 <= value <= MAX_WIP_LIMIT:
        raise ValidationFailed(f"wip_limit must be between 1 and {MAX_WIP_LIMIT}, got {value}")
    return value


def entity_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise ValidationFailed(f"{what} must be a non-empty string of at most {MAX_ID} characters")
    return value


def position(value: object, size: int, what: str) -> int:
    """An index in 0..size-1: where the item sits after the insert or move."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{what} position must be a whole number")
    if not 0 <= value < size:
        raise PositionOutOfRange(
            f"{what} position {value} is out of range; valid positions are 0 to {size - 1}"
            if size
            else f"{what} position {value} is out of range"
        )
    return value
