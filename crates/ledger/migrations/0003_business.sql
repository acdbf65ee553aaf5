-- 0003: products, usage, cost lines, and the hash-chained audit log of their changes.
-- Append-only like runs: a product added again supersedes the earlier entry (latest seq wins).
-- Days are ISO dates (YYYY-MM-DD, UTC).

CREATE TABLE products (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                   TEXT NOT NULL,
    unit                   TEXT NOT NULL,
    price_per_1k_requests  REAL,
    price_per_1m_tokens    REAL,
    currency               TEXT,
    description            TEXT NOT NULL,
    recorded_at            TEXT NOT NULL
);
CREATE INDEX products_name ON products(name, seq);

CREATE TABLE usage (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    product    TEXT NOT NULL,
    day        TEXT NOT NULL,
    requests   INTEGER NOT NULL CHECK (requests >= 0),
    tokens     INTEGER NOT NULL CHECK (tokens >= 0),
    revenue    REAL NOT NULL CHECK (revenue >= 0),
    currency   TEXT NOT NULL,
    source     TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX usage_day ON usage(day, product);

CREATE TABLE cost_lines (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    day          TEXT NOT NULL,
    scope        TEXT NOT NULL,
    category     TEXT NOT NULL,
    amount       REAL NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    description  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX cost_lines_day ON cost_lines(day);

CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,   -- JSON
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TRIGGER products_append_only_u BEFORE UPDATE ON products
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: products cannot be updated'); END;
CREATE TRIGGER products_append_only_d BEFORE DELETE ON products
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: products cannot be deleted'); END;
CREATE TRIGGER usage_append_only_u BEFORE UPDATE ON usage
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: usage cannot be updated'); END;
CREATE TRIGGER usage_append_only_d BEFORE DELETE ON usage
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: usage cannot be deleted'); END;
CREATE TRIGGER cost_lines_append_only_u BEFORE UPDATE ON cost_lines
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: cost lines cannot be updated'); END;
CREATE TRIGGER cost_lines_append_only_d BEFORE DELETE ON cost_lines
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: cost lines cannot be deleted'); END;
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: the audit log cannot be updated'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: the audit log cannot be deleted'); END;
