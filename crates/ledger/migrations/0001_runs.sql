-- 0001: runs, their samples and their ends. Append-only: triggers refuse UPDATE and DELETE.
-- Timestamps are UTC RFC 3339 with microseconds and a 'Z', so text order is time order.

CREATE TABLE runs (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    command               TEXT NOT NULL,   -- JSON array of strings
    started_at            TEXT NOT NULL,
    site_id               TEXT NOT NULL,
    site                  TEXT NOT NULL,   -- JSON SiteRecord snapshot used for impacts
    host                  TEXT NOT NULL,   -- JSON HostInfo
    meter                 TEXT NOT NULL,   -- JSON MeterIdentity
    methods               TEXT NOT NULL,   -- JSON {cpu, gpu, ram}: how each component is obtained
    interval_s            REAL NOT NULL,
    tags                  TEXT NOT NULL,   -- JSON object
    hourly_rate           REAL,
    hourly_rate_currency  TEXT,
    recorded_at           TEXT NOT NULL
);
CREATE INDEX runs_started_at ON runs(started_at);

CREATE TABLE samples (
    run_id       TEXT NOT NULL REFERENCES runs(id),
    seq          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    interval_s   REAL NOT NULL,
    cpu_j        REAL NOT NULL,
    gpu_j        REAL NOT NULL,
    ram_j        REAL NOT NULL,
    cpu_source   TEXT NOT NULL,
    gpu_source   TEXT NOT NULL,
    ram_source   TEXT NOT NULL,
    apportioned  INTEGER NOT NULL,  -- bit 0 cpu, bit 1 gpu, bit 2 ram
    cpu_s        REAL NOT NULL,
    rss_bytes    INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE run_ends (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            TEXT NOT NULL REFERENCES runs(id),
    ended_at          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN
                        ('succeeded', 'failed', 'killed', 'failed_to_start', 'incomplete')),
    exit_code         INTEGER,
    signal            INTEGER,
    duration_s        REAL NOT NULL,
    cpu_s             REAL NOT NULL,
    peak_rss_bytes    INTEGER NOT NULL,
    cpu_j             REAL NOT NULL,
    gpu_j             REAL NOT NULL,
    ram_j             REAL NOT NULL,
    cpu_source        TEXT NOT NULL,
    gpu_source        TEXT NOT NULL,
    ram_source        TEXT NOT NULL,
    apportioned       INTEGER NOT NULL,
    cpu_method        TEXT NOT NULL,
    gpu_method        TEXT NOT NULL,
    ram_method        TEXT NOT NULL,
    facility_j        REAL NOT NULL,
    co2e_location_g   REAL NOT NULL,
    co2e_market_g     REAL,
    water_onsite_l    REAL NOT NULL,
    water_offsite_l   REAL,
    cost_amount       REAL,
    cost_currency     TEXT,
    notes             TEXT NOT NULL,   -- JSON array of strings
    recorded_at       TEXT NOT NULL
);
CREATE INDEX run_ends_run ON run_ends(run_id, seq);

CREATE TRIGGER runs_append_only_u BEFORE UPDATE ON runs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: runs cannot be updated'); END;
CREATE TRIGGER runs_append_only_d BEFORE DELETE ON runs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: runs cannot be deleted'); END;
CREATE TRIGGER samples_append_only_u BEFORE UPDATE ON samples
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: samples cannot be updated'); END;
CREATE TRIGGER samples_append_only_d BEFORE DELETE ON samples
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: samples cannot be deleted'); END;
CREATE TRIGGER run_ends_append_only_u BEFORE UPDATE ON run_ends
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: run ends cannot be updated'); END;
CREATE TRIGGER run_ends_append_only_d BEFORE DELETE ON run_ends
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: run ends cannot be deleted'); END;
