-- The event log: Kanban's single source of truth. Rows are only ever appended;
-- seq is assigned by the writer as last + 1 while it holds the write lock, so
-- it is gapless and matches commit order.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    event_id       TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    -- UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ': fixed width so text order is time order.
    recorded_at    TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    -- Virtual so they cost no space in the row, yet can be indexed.
    command_id     TEXT GENERATED ALWAYS AS (json_extract(metadata, '$.command_id')) VIRTUAL,
    actor          TEXT GENERATED ALWAYS AS (json_extract(metadata, '$.actor')) VIRTUAL
);

CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
CREATE INDEX events_command_id ON events (command_id);
CREATE INDEX events_stream_recorded_at ON events (stream_id, recorded_at);

-- Append-only is enforced by the database too, so a stray UPDATE in a script
-- or a bug cannot rewrite history; the hash chain catches whoever drops these.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;

-- A disposable cache of folded streams: safe to delete at any time.
CREATE TABLE snapshots (
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    schema    INTEGER NOT NULL,
    state     BLOB    NOT NULL,
    PRIMARY KEY (stream_id, version)
) WITHOUT ROWID;

-- Facts about the log itself: 'epoch', 'chain' and, for keyed logs, 'key_check'.
CREATE TABLE log_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
