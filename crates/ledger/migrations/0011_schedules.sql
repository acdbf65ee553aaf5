-- 0011: carbon-aware schedules. A schedule (a plan for execution, or a simulation / back-test)
-- is its head and one row per job, written in one transaction; what came of a job once it ran
-- is a later row of schedule_outcomes referring to it, never an update. Every carbon figure is
-- modelled on the true intensity series: under fifo (each job at submit at its home site), as
-- planned, and avoided = fifo - planned (negative when the schedule did worse). Times are UTC
-- RFC 3339 like the runs', so text order is time order. Append-only like the rest.

CREATE TABLE schedules (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,          -- UUIDv7
    recorded_at      TEXT NOT NULL,
    mode             TEXT NOT NULL CHECK (mode IN ('simulation', 'plan')),
    policy           TEXT NOT NULL,
    step_min         INTEGER NOT NULL,
    forecast_use     TEXT NOT NULL,
    forecast_error   REAL NOT NULL,
    seeds            INTEGER NOT NULL,
    job_count        INTEGER NOT NULL,
    baseline_co2e_g  REAL NOT NULL,
    policy_co2e_g    REAL NOT NULL,
    avoided_co2e_g   REAL NOT NULL
);
CREATE INDEX schedules_recorded ON schedules(recorded_at);

CREATE TABLE schedule_jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id          TEXT NOT NULL REFERENCES schedules(id),
    job_id           TEXT NOT NULL,
    kind             TEXT NOT NULL,                 -- the kind of the run that carries it out
    home_site        TEXT NOT NULL,
    site             TEXT NOT NULL,
    submit_at        TEXT NOT NULL,
    start_at         TEXT NOT NULL,
    end_at           TEXT NOT NULL,
    segments         TEXT NOT NULL,                 -- JSON [{start, end}, ...]
    shift_min        REAL NOT NULL,                 -- start - submit
    moved            INTEGER NOT NULL CHECK (moved IN (0, 1)),
    baseline_co2e_g  REAL NOT NULL,
    planned_co2e_g   REAL NOT NULL,
    avoided_co2e_g   REAL NOT NULL,
    late             INTEGER NOT NULL CHECK (late IN (0, 1)),
    run_id           TEXT,                          -- the run that carried it out, when known
    tags             TEXT NOT NULL DEFAULT '{}',    -- JSON, as runs' tags
    UNIQUE (plan_id, job_id)
);
-- The accounts read a period's jobs by their planned start; a job planned again (same id,
-- same submit) in a later plan supersedes the earlier row.
CREATE INDEX schedule_jobs_start ON schedule_jobs(start_at);
CREATE INDEX schedule_jobs_identity ON schedule_jobs(job_id, submit_at, seq);

CREATE TABLE schedule_outcomes (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id          TEXT NOT NULL,
    job_id           TEXT NOT NULL,
    run_id           TEXT NOT NULL REFERENCES runs(id),
    recorded_at      TEXT NOT NULL,
    actual_co2e_g    REAL NOT NULL,
    fifo_co2e_g      REAL NOT NULL,                 -- the counterfactual on the true series
    avoided_co2e_g   REAL NOT NULL,
    FOREIGN KEY (plan_id, job_id) REFERENCES schedule_jobs(plan_id, job_id)
);
CREATE INDEX schedule_outcomes_job ON schedule_outcomes(plan_id, job_id, seq);

CREATE TRIGGER schedules_append_only_u BEFORE UPDATE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedules cannot be updated'); END;
CREATE TRIGGER schedules_append_only_d BEFORE DELETE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedules cannot be deleted'); END;
CREATE TRIGGER schedule_jobs_append_only_u BEFORE UPDATE ON schedule_jobs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedule jobs cannot be updated'); END;
CREATE TRIGGER schedule_jobs_append_only_d BEFORE DELETE ON schedule_jobs
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedule jobs cannot be deleted'); END;
CREATE TRIGGER schedule_outcomes_append_only_u BEFORE UPDATE ON schedule_outcomes
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedule outcomes cannot be updated'); END;
CREATE TRIGGER schedule_outcomes_append_only_d BEFORE DELETE ON schedule_outcomes
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: schedule outcomes cannot be deleted'); END;
