-- 0007: social indicators entered by users, the weights of the social index, and saved scenarios.
-- Append-only like the other business records; each change is audited in the same transaction.

CREATE TABLE indicators (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,      -- e.g. training_hours, education_investment
    day          TEXT NOT NULL,      -- the day the value belongs to (YYYY-MM-DD)
    scope        TEXT NOT NULL,      -- company, product:P, team:T, site:S ...
    value        REAL NOT NULL,
    unit         TEXT NOT NULL,
    description  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX indicators_day ON indicators(day, name);

-- How an indicator enters the social index: weight, direction and the reference value that
-- scores 100. Added again under its name, the latest entry wins; weight 0 removes it.
CREATE TABLE index_weights (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator    TEXT NOT NULL,
    weight       REAL NOT NULL CHECK (weight >= 0),
    direction    TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    reference    REAL NOT NULL CHECK (reference > 0),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX index_weights_name ON index_weights(indicator, seq);

-- Scenarios saved by `sustain scenario run --save` or the API: the TOML text as given.
CREATE TABLE scenarios (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX scenarios_name ON scenarios(name, seq);

CREATE TRIGGER indicators_append_only_u BEFORE UPDATE ON indicators
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: indicators cannot be updated'); END;
CREATE TRIGGER indicators_append_only_d BEFORE DELETE ON indicators
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: indicators cannot be deleted'); END;
CREATE TRIGGER index_weights_append_only_u BEFORE UPDATE ON index_weights
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: index weights cannot be updated'); END;
CREATE TRIGGER index_weights_append_only_d BEFORE DELETE ON index_weights
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: index weights cannot be deleted'); END;
CREATE TRIGGER scenarios_append_only_u BEFORE UPDATE ON scenarios
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: scenarios cannot be updated'); END;
CREATE TRIGGER scenarios_append_only_d BEFORE DELETE ON scenarios
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: scenarios cannot be deleted'); END;
