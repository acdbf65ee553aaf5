-- 0006: open_runs, the ids of runs that have started and have no end yet. Derived, not a record:
-- filled from runs and run_ends here, then kept by triggers (a start adds its id, any end removes
-- it), so the check for dead meters that every command makes reads a handful of rows instead of
-- scanning every run.
CREATE TABLE open_runs (run_id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO open_runs
SELECT r.id FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_ends e WHERE e.run_id = r.id);
CREATE TRIGGER open_runs_on_start AFTER INSERT ON runs
BEGIN
    INSERT OR IGNORE INTO open_runs VALUES (NEW.id);
END;
CREATE TRIGGER open_runs_on_end AFTER INSERT ON run_ends
BEGIN
    DELETE FROM open_runs WHERE run_id = NEW.run_id;
END;
