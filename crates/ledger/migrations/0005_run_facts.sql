-- 0005: run_facts, a compact rollup of each run's latest end for accounts: one row per ended run,
-- clustered by start time so that a period is one sequential range. Derived, not a record: it is
-- rebuilt from runs and run_ends by this migration and kept current by the trigger below (a
-- later end of a run replaces its row, as the latest end supersedes).
CREATE TABLE run_facts (
    started_at       TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    site_id          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    product          TEXT,
    model            TEXT,
    team             TEXT,
    tags             TEXT NOT NULL,
    cpu_j            REAL NOT NULL,
    gpu_j            REAL NOT NULL,
    ram_j            REAL NOT NULL,
    measured_j       REAL NOT NULL,
    facility_j       REAL NOT NULL,
    co2e_location_g  REAL NOT NULL,
    co2e_market_g    REAL,
    water_l          REAL NOT NULL,
    cost_amount      REAL,
    cost_currency    TEXT,
    duration_s       REAL NOT NULL,
    PRIMARY KEY (started_at, run_id)
) WITHOUT ROWID;

INSERT INTO run_facts
SELECT r.started_at, r.id, r.site_id, r.kind,
       json_extract(r.tags, '$.product'), json_extract(r.tags, '$.model'),
       json_extract(r.tags, '$.team'), r.tags,
       e.cpu_j, e.gpu_j, e.ram_j,
       (CASE WHEN e.cpu_source = 'measured' THEN e.cpu_j ELSE 0 END)
         + (CASE WHEN e.gpu_source = 'measured' THEN e.gpu_j ELSE 0 END)
         + (CASE WHEN e.ram_source = 'measured' THEN e.ram_j ELSE 0 END),
       e.facility_j, e.co2e_location_g, e.co2e_market_g,
       e.water_onsite_l + coalesce(e.water_offsite_l, 0),
       e.cost_amount, e.cost_currency, e.duration_s
FROM runs r
JOIN run_ends e ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id);

CREATE TRIGGER run_facts_on_end AFTER INSERT ON run_ends
BEGIN
    INSERT OR REPLACE INTO run_facts
    SELECT r.started_at, r.id, r.site_id, r.kind,
           json_extract(r.tags, '$.product'), json_extract(r.tags, '$.model'),
           json_extract(r.tags, '$.team'), r.tags,
           NEW.cpu_j, NEW.gpu_j, NEW.ram_j,
           (CASE WHEN NEW.cpu_source = 'measured' THEN NEW.cpu_j ELSE 0 END)
             + (CASE WHEN NEW.gpu_source = 'measured' THEN NEW.gpu_j ELSE 0 END)
             + (CASE WHEN NEW.ram_source = 'measured' THEN NEW.ram_j ELSE 0 END),
           NEW.facility_j, NEW.co2e_location_g, NEW.co2e_market_g,
           NEW.water_onsite_l + coalesce(NEW.water_offsite_l, 0),
           NEW.cost_amount, NEW.cost_currency, NEW.duration_s
    FROM runs r WHERE r.id = NEW.run_id;
END;
