-- 0008: API tokens of `sustain serve`, their revocations, and an index for the models and
-- datasets that training runs produced.
-- A token is stored as the SHA-256 of its text, never the text itself. Append-only like the rest
-- of the ledger: a revocation is a new row, and the token is revoked from then on.

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,            -- public part of the token (12 hex digits)
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    hash        TEXT NOT NULL,               -- hex SHA-256 of the whole token text
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX tokens_name ON tokens(name);

CREATE TABLE token_revocations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id    TEXT NOT NULL REFERENCES tokens(id),
    revoked_at  TEXT NOT NULL,
    revoked_by  TEXT NOT NULL
);
CREATE INDEX token_revocations_token ON token_revocations(token_id);

CREATE TRIGGER tokens_append_only_u BEFORE UPDATE ON tokens
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: tokens cannot be updated'); END;
CREATE TRIGGER tokens_append_only_d BEFORE DELETE ON tokens
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: tokens cannot be deleted'); END;
CREATE TRIGGER token_revocations_append_only_u BEFORE UPDATE ON token_revocations
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: token revocations cannot be updated'); END;
CREATE TRIGGER token_revocations_append_only_d BEFORE DELETE ON token_revocations
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: token revocations cannot be deleted'); END;

-- The ends of runs that produced a model (training runs record `model_sha256` in their
-- outcomes): the server's models and datasets lists read these few rows instead of every end.
CREATE INDEX run_ends_models ON run_ends(json_extract(outcomes, '$.model_sha256'))
    WHERE json_extract(outcomes, '$.model_sha256') IS NOT NULL;
