-- 0004: strategy targets. Append-only; a target added again under its name supersedes.
CREATE TABLE targets (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    metric       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    baseline     TEXT NOT NULL,
    goal         TEXT NOT NULL,   -- JSON {"kind": "relative"|"absolute", "value": x}
    by_day       TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX targets_name ON targets(name, seq);
CREATE TRIGGER targets_append_only_u BEFORE UPDATE ON targets
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: targets cannot be updated'); END;
CREATE TRIGGER targets_append_only_d BEFORE DELETE ON targets
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: targets cannot be deleted'); END;
