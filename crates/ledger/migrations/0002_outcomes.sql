-- 0002: what a run produced (metrics, model path, dataset hash, samples per second), as JSON.
ALTER TABLE run_ends ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}';
