"""The one error hierarchy of Kanban.

Every error the service raises on purpose is a `KanbanError`. The domain raises
the rule errors; storage adapters translate driver errors into the storage
errors below; only `kanban.api` maps them to HTTP status codes.
"""

from __future__ import annotations


class KanbanError(Exception):
    """Base of every error Kanban raises on purpose."""

    #: Stable, machine-readable kind used by the API's problem `type` URI.
    kind = "kanban-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- input validation -------------------------------------------------------


class ValidationFailed(KanbanError):
    """A command's input is malformed: a bad title, too many labels, a bad date."""

    kind = "validation"


# --- unknown things ---------------------------------------------------------


class NotFound(KanbanError):
    """Something the command names does not exist."""

    kind = "not-found"


class BoardNotFound(NotFound):
    """The board does not exist."""

    kind = "board-not-found"


class ColumnNotFound(NotFound):
    """The column does not exist on this board."""

    kind = "column-not-found"


class CardNotFound(NotFound):
    """The card does not exist on this board."""

    kind = "card-not-found"


class VersionNotFound(NotFound):
    """The board never had the requested version."""

    kind = "version-not-found"


class UserNotFound(NotFound):
    """No user has that id or name."""

    kind = "user-not-found"


class TokenNotFound(NotFound):
    """The user holds no token with that id."""

    kind = "token-not-found"


class MemberNotFound(NotFound):
    """The user is not a member of the board."""

    kind = "member-not-found"


# --- who may do what ----------------------------------------------------------


class Unauthenticated(KanbanError):
    """No valid credentials: a missing, unknown, expired or revoked token or session."""

    kind = "unauthorized"


class Forbidden(KanbanError):
    """The caller is known but their role does not allow this action."""

    kind = "forbidden"


class CsrfRejected(Forbidden):
    """A cookie-authenticated change came without the session's CSRF token."""

    kind = "csrf"


class TooManyAttempts(KanbanError):
    """Too many failed sign-ins for this name or address; wait and try again."""

    kind = "too-many-attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        #: Seconds until another attempt will be considered.
        self.retry_after = retry_after


# --- broken board rules -----------------------------------------------------


class RuleViolation(KanbanError):
    """The command is well-formed but the board's current state forbids it."""

    kind = "rule-violation"


class BoardArchived(RuleViolation):
    """The board is archived; restore it before changing it."""

    kind = "board-archived"


class AlreadyExists(RuleViolation):
    """An id the command wants to create is already taken."""

    kind = "already-exists"


class WipLimitReached(RuleViolation):
    """The target column is already at its work-in-progress limit."""

    kind = "wip-limit"


class ColumnNotEmpty(RuleViolation):
    """A column that still holds cards cannot be removed."""

    kind = "column-not-empty"


class CardArchived(RuleViolation):
    """An archived card cannot be edited or moved; restore it first."""

    kind = "card-archived"


class PositionOutOfRange(RuleViolation):
    """A position is outside the valid range of indexes."""

    kind = "position-out-of-range"


class NothingToUndo(RuleViolation):
    """The actor has no change on this board that is still in effect."""

    kind = "nothing-to-undo"


class NothingToRedo(RuleViolation):
    """The actor has no undone change to redo, or made a new change since."""

    kind = "nothing-to-redo"


class LastOwner(RuleViolation):
    """The board's last owner cannot be removed or demoted."""

    kind = "last-owner"


class TokenShownOnce(RuleViolation):
    """A retried request would issue a secret again, which is shown only once."""

    kind = "token-shown-once"


class UndoConflict(RuleViolation):
    """Undoing or redoing would collide with a later change by someone else."""

    kind = "undo-conflict"

    def __init__(self, message: str, later: dict[str, object] | None = None) -> None:
        super().__init__(message)
        #: The later change it collides with: its version, actor and event type.
        self.later = later


class CorruptStream(KanbanError):
    """A stream's events cannot be folded: the stored history is impossible."""

    kind = "corrupt-stream"


class CorruptEvent(CorruptStream):
    """One event of the log cannot be read, or does not apply to its stream."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"event seq {seq} {reason}")
        self.seq = seq
        #: What is wrong with it ("cannot be read: ...", "does not apply to its board: ...").
        self.reason = reason


class UnreadableEvent(KanbanError, LookupError):
    """Stored event data this code cannot read: an unknown type or version, a missing field."""

    kind = "unreadable-event"


# --- concurrency and idempotency --------------------------------------------


class ConcurrencyError(KanbanError):
    """The stream moved on: the expected version is stale; nothing was written."""

    kind = "concurrency"


class IdempotencyConflict(KanbanError):
    """The command id was already used with a different payload."""

    kind = "idempotency-conflict"


class NotYetProjected(KanbanError):
    """The read models have not reached the requested seq yet; retry shortly."""

    kind = "not-yet-projected"


class NotTheWriter(KanbanError):
    """This process has no log: commands and log reads go to the writer."""

    kind = "not-the-writer"


# --- storage ------------------------------------------------------------------


class StorageError(KanbanError):
    """The event store failed; the command may be retried with the same id."""

    kind = "storage"


class SchemaTooNew(StorageError):
    """The database was written by a newer Kanban than this one."""

    kind = "schema-too-new"


class LogKeyMismatch(StorageError):
    """The log's hash chain key does not match the configured key."""

    kind = "log-key-mismatch"


class LogCorrupted(StorageError):
    """The log's hash chain or sequence is broken at a named event."""

    kind = "log-corrupted"


class BackupInvalid(KanbanError):
    """A backup file is damaged, truncated, tampered with or not a backup at all."""

    kind = "backup-invalid"


class RestoreRefused(KanbanError):
    """A restore would overwrite data, or its arguments cannot be honoured."""

    kind = "restore-refused"
