-- 0009: the ends of evaluation runs that recorded fairness (`sustain eval --sensitive`): the
-- social account reads these few rows instead of joining every evaluation of the period.
CREATE INDEX run_ends_fairness ON run_ends(run_id)
    WHERE json_type(outcomes, '$.fairness') = 'object';
