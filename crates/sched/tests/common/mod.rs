//! Plans and fake engines the executor tests share.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use sustain_sched::job::Job;
use sustain_sched::plan::{Plan, PlannedJob, Segment};

/// A time in the plan's clock.
pub fn at(text: &str) -> NaiveDateTime {
    sustain_sched::time::parse_timestamp("test time", text).unwrap()
}

/// Job `id` planned at `site` from `start` for `minutes`, deadline a day later.
pub fn planned(
    id: &str,
    site: &str,
    start: NaiveDateTime,
    minutes: f64,
    command: &str,
) -> PlannedJob {
    let end = start + chrono::Duration::seconds((minutes * 60.0).ceil() as i64);
    PlannedJob {
        job: Job {
            id: id.to_string(),
            submit: start,
            duration_min: minutes,
            deadline: start + chrono::Duration::days(1),
            interruptible: false,
            power_kw: 1.0,
            priority: 0,
            site: Some(site.to_string()),
            sites: Vec::new(),
            command: Some(command.to_string()),
            origin: format!("jobs.csv (job {id})"),
        },
        site: site.to_string(),
        segments: vec![Segment { start, end }],
        predicted_co2e_g: 100.0,
        baseline_co2e_g: 150.0,
        late: false,
    }
}

/// A plan of `jobs`.
pub fn plan_of(jobs: Vec<PlannedJob>) -> Plan {
    Plan {
        policy: "carbon".to_string(),
        step_min: 30,
        jobs,
    }
}

/// Writes an executable shell script `name` in `dir` and returns its path.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// What a fake engine recorded: one call per `---` line, each argument on its own line.
pub fn calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("---\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.lines().map(str::to_string).collect())
        .collect()
}

/// The body of a fake engine: records its arguments in `$FAKE_LOG`, and fails with
/// `$FAKE_ERROR` on stderr when an argument (or the script it is given) contains `$FAKE_FAIL`;
/// otherwise prints `$FAKE_OUT` (with the call's number in place of `N`).
pub const FAKE_ENGINE: &str = r#"
printf -- '---\n' >> "$FAKE_LOG"
for a in "$@"; do printf '%s\n' "$a" >> "$FAKE_LOG"; done
if [ -n "$FAKE_FAIL" ]; then
    for a in "$@"; do
        case "$a" in *"$FAKE_FAIL"*) echo "$FAKE_ERROR" >&2; exit 1;; esac
        if [ -f "$a" ] && grep -q -- "$FAKE_FAIL" "$a"; then echo "$FAKE_ERROR" >&2; exit 1; fi
    done
fi
n=$(grep -c -- '^---$' "$FAKE_LOG")
echo "${FAKE_OUT:-ok}" | sed "s/N/$n/"
"#;
