-- 0010: embodied carbon. Each run end records the embodied carbon allocated to the run and how
-- it was obtained (NULL in ends recorded before: unknown, not zero). run_facts, the rollup the
-- accounts read, carries the figure too, so reports sum it without joining the ends; its
-- trigger is recreated to copy it. Older facts keep NULL.
ALTER TABLE run_ends ADD COLUMN embodied_g REAL;
ALTER TABLE run_ends ADD COLUMN embodied_method TEXT;
ALTER TABLE run_facts ADD COLUMN embodied_g REAL;

DROP TRIGGER run_facts_on_end;
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
           NEW.cost_amount, NEW.cost_currency, NEW.duration_s, NEW.embodied_g
    FROM runs r WHERE r.id = NEW.run_id;
END;
