-- Where each relay (the publisher of the log to a Redis stream) has got to:
-- every event up to `seq` of the log's epoch `epoch` is published. Mutable
-- bookkeeping, not part of the log and not covered by the hash chain; a row
-- whose epoch is not the log's (say, after a point-in-time restore) counts as
-- no checkpoint at all.
CREATE TABLE relay_checkpoints (
    name  TEXT    PRIMARY KEY,
    epoch TEXT    NOT NULL,
    seq   INTEGER NOT NULL
) WITHOUT ROWID;
