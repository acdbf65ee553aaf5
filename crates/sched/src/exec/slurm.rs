//! The Slurm executor: one batch script per planned job, submitted with `sbatch`.
//!
//! Each script is `#!/bin/bash`, then `#SBATCH` lines:
//!
//! | plan | `#SBATCH` | note |
//! | --- | --- | --- |
//! | job id | `--job-name` | sanitized ([`slurm_name`]) |
//! | planned start | `--begin=YYYY-MM-DDTHH:MM:SS` | read by `sbatch` in its own time zone: give it `TZ` ([`Sbatch::env`]) when the plan's clock is not the cluster's |
//! | job deadline | `--deadline` | left out for a job the plan already has late, which Slurm would cancel |
//! | duration | `--time=D-HH:MM:SS` | rounded up to whole minutes |
//! | site | `--partition` | the site itself or [`SlurmOptions::partitions`]; must be a plain token |
//! | priority | `--nice` (default) | see [`SlurmPriority`] |
//! | — | `--output` | `sustain-%x-%j.out`, in [`SlurmOptions::output_dir`] when given |
//!
//! then `export SUSTAIN_JOB_ID='<id>'` (shell-quoted; also the first command line, after which
//! `sbatch` reads no more `#SBATCH` lines, so a command cannot add any) and the job's command
//! as the user wrote it.
//!
//! Segments: Slurm cannot suspend and resume a job on a schedule (`scontrol suspend` is for
//! operators, and holds the job's memory). A job planned in several segments is submitted to
//! begin at its first segment with the time limit of its whole duration, and a comment in its
//! script lists the segments it was planned in. It then finishes no later than its last
//! segment would have.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::error::{Result, SchedError, invalid, io};
use crate::exec::command::{Call, said};
use crate::exec::names::{is_slurm_token, slurm_name};
use crate::plan::{Plan, PlannedJob};

/// The time form of `--begin` and `--deadline`.
const SLURM_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The largest `--nice` Slurm takes.
pub const NICE_MAX: u64 = 2_147_483_645;

/// The name of the file, in the scripts' directory, where each submission is recorded as it is
/// made (`slurm_id`, job name, script file; tab-separated).
pub const SUBMITTED_FILE: &str = "submitted.tsv";

/// How a job's priority reaches Slurm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SlurmPriority {
    /// `--nice=(highest priority in the plan − the job's) × nice_step`: the plan's most urgent
    /// jobs get nice 0 and the others a positive nice, which every user may set (a negative
    /// nice, and `--priority`, need an operator).
    #[default]
    Nice,
    /// `--priority=<the job's priority>`: for operators and administrators only (others are
    /// refused by Slurm); the priority must be 1 to 4294967293.
    Priority,
    /// Nothing: the cluster's own priority rules decide.
    Omit,
}

/// Parses `SITE=PARTITION` (`--partition`): the Slurm partition of a site not named after it.
pub fn parse_partition(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((site, part)) if !site.trim().is_empty() && !part.trim().is_empty() => {
            Ok((site.trim().to_string(), part.trim().to_string()))
        }
        _ => Err(invalid(
            "--partition",
            text,
            "SITE=PARTITION, e.g. gb=gpu-london",
        )),
    }
}

/// How plans become batch scripts.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmOptions {
    /// How priorities are written.
    pub priority: SlurmPriority,
    /// Nice per step of priority below the plan's highest (with [`SlurmPriority::Nice`]).
    pub nice_step: u32,
    /// The partition of each site, where it is not named after the site.
    pub partitions: BTreeMap<String, String>,
    /// Where jobs write their output (`sustain-<job name>-<Slurm id>.out`); `None`: the
    /// directory `sbatch` is run from.
    pub output_dir: Option<PathBuf>,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            priority: SlurmPriority::Nice,
            nice_step: 100,
            partitions: BTreeMap::new(),
            output_dir: None,
        }
    }
}

/// A batch script for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchScript {
    /// The Sustain job id, as given.
    pub job_id: String,
    /// Where the job was read (`jobs.csv line 4`), for messages.
    pub origin: String,
    /// The Slurm job name, also the script's file stem.
    pub name: String,
    /// The partition it is submitted to.
    pub partition: String,
    /// Its `--time`.
    pub time: String,
    /// The script.
    pub text: String,
}

impl BatchScript {
    /// The script's file name: `<name>.sbatch`.
    pub fn file_name(&self) -> String {
        format!("{}.sbatch", self.name)
    }
}

/// One script per job of `plan`, in the plan's order. Pure: nothing is written or run.
///
/// Errors name the job: no command, no segments, a site that cannot be a partition name, an id
/// or command holding a NUL or carriage return (which `sbatch` refuses), a priority
/// `--priority` cannot take.
pub fn scripts(plan: &Plan, opts: &SlurmOptions) -> Result<Vec<BatchScript>> {
    let output = output_pattern(opts)?;
    let highest = plan.jobs.iter().map(|p| p.job.priority).max().unwrap_or(0);
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(plan.jobs.len());
    for planned in &plan.jobs {
        let script = script(planned, opts, highest, &output)?;
        if !names.insert(script.name.clone()) {
            return Err(SchedError::Inconsistent(format!(
                "jobs {:?} and another have the same Slurm name {:?}: expected ids that differ after sanitizing",
                planned.job.id, script.name
            )));
        }
        out.push(script);
    }
    Ok(out)
}

fn output_pattern(opts: &SlurmOptions) -> Result<String> {
    let file = "sustain-%x-%j.out";
    let Some(dir) = &opts.output_dir else {
        return Ok(file.to_string());
    };
    let text = dir.to_str().unwrap_or("");
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._+,@:=-".contains(c));
    if !ok {
        return Err(invalid(
            "Slurm output directory",
            dir.display(),
            "a path of letters, digits and / . _ + , @ : = - (no spaces, quotes or %, which an #SBATCH line would read)",
        ));
    }
    Ok(format!("{}/{file}", text.trim_end_matches('/')))
}

fn script(
    planned: &PlannedJob,
    opts: &SlurmOptions,
    highest: i64,
    output: &str,
) -> Result<BatchScript> {
    let job = &planned.job;
    let at = |field: &str| format!("{} (job {:?}), {field}", job.origin, job.id);
    let command = job.command.as_deref().ok_or_else(|| {
        invalid(
            at("command"),
            "",
            "a command for Slurm to run (the jobs file's `command` column)",
        )
    })?;
    for (field, text) in [("id", job.id.as_str()), ("command", command)] {
        if text.contains(['\0', '\r']) {
            return Err(invalid(
                at(field),
                text,
                "text without NUL or carriage-return characters (sbatch refuses DOS line breaks)",
            ));
        }
    }
    let (first, last) = super::span(planned, &at)?;
    let partition = opts
        .partitions
        .get(&planned.site)
        .unwrap_or(&planned.site)
        .clone();
    if !is_slurm_token(&partition) {
        return Err(invalid(
            at("site as Slurm partition"),
            &partition,
            "a partition name of letters, digits, _ . - (map the site to one with the partitions option)",
        ));
    }
    let name = slurm_name(&job.id);
    let time = time_limit(job.duration_min);
    let priority = match opts.priority {
        SlurmPriority::Nice => {
            let below =
                u64::try_from(i128::from(highest) - i128::from(job.priority)).unwrap_or(u64::MAX);
            let nice = below
                .saturating_mul(u64::from(opts.nice_step))
                .min(NICE_MAX);
            Some(format!("--nice={nice}"))
        }
        SlurmPriority::Priority => {
            if !(1..=4_294_967_293).contains(&job.priority) {
                return Err(invalid(
                    at("priority"),
                    job.priority,
                    "1 to 4294967293 for --priority (or the nice priority mode)",
                ));
            }
            Some(format!("--priority={}", job.priority))
        }
        SlurmPriority::Omit => None,
    };

    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(s, "#SBATCH --job-name={name}");
    let _ = writeln!(s, "#SBATCH --begin={}", slurm_time(first.start));
    if planned.late {
        let _ = writeln!(
            s,
            "# No --deadline: the plan finishes this job after its deadline ({}), which Slurm would cancel.",
            slurm_time(job.deadline)
        );
    } else {
        let _ = writeln!(s, "#SBATCH --deadline={}", slurm_time(job.deadline));
    }
    let _ = writeln!(s, "#SBATCH --time={time}");
    let _ = writeln!(s, "#SBATCH --partition={partition}");
    if let Some(p) = priority {
        let _ = writeln!(s, "#SBATCH {p}");
    }
    let _ = writeln!(s, "#SBATCH --output={output}");
    let _ = writeln!(
        s,
        "# Planned by Sustain at {partition} from {} to {}.",
        slurm_time(first.start),
        slurm_time(last.end)
    );
    if planned.segments.len() > 1 {
        let _ = writeln!(
            s,
            "# Planned in {} segments; Slurm cannot suspend on a schedule, so it runs from the first for its whole duration:",
            planned.segments.len()
        );
        for seg in &planned.segments {
            let _ = writeln!(
                s,
                "#   {} to {}",
                slurm_time(seg.start),
                slurm_time(seg.end)
            );
        }
    }
    // The first command line: sbatch reads no #SBATCH line after it.
    let _ = writeln!(s, "export SUSTAIN_JOB_ID={}", shell_quote(&job.id));
    s.push_str(command);
    if !command.ends_with('\n') {
        s.push('\n');
    }
    Ok(BatchScript {
        job_id: job.id.clone(),
        origin: job.origin.clone(),
        name,
        partition,
        time,
        text: s,
    })
}

/// `t` as `--begin` and `--deadline` take it.
pub fn slurm_time(t: NaiveDateTime) -> String {
    t.format(SLURM_TIME).to_string()
}

/// A duration in minutes as `--time` takes it, `D-HH:MM:SS`, rounded up to whole minutes.
pub fn time_limit(duration_min: f64) -> String {
    let minutes = if duration_min.is_finite() && duration_min > 0.0 {
        // At most a year (the jobs reader's bound); the cast saturates.
        duration_min.ceil() as u64
    } else {
        1
    };
    format!(
        "{}-{:02}:{:02}:00",
        minutes / 1440,
        (minutes % 1440) / 60,
        minutes % 60
    )
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Writes each script to `dir/<name>.sbatch` (creating `dir`), returning the paths.
pub fn write(scripts: &[BatchScript], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    scripts
        .iter()
        .map(|s| {
            let path = dir.join(s.file_name());
            std::fs::write(&path, &s.text).map_err(|e| io(&path, e))?;
            Ok(path)
        })
        .collect()
}

/// The `sbatch` to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbatch {
    /// The program: a name looked up on `PATH` (default `sbatch`) or a path.
    pub program: OsString,
    /// Variables set for it: `SLURM_CONF` for another cluster's configuration, `TZ` for the
    /// plan's clock (`--begin` and `--deadline` are read in sbatch's local time), `PATH`
    /// (also where the program is looked up).
    pub env: Vec<(OsString, OsString)>,
}

impl Default for Sbatch {
    fn default() -> Self {
        Sbatch {
            program: "sbatch".into(),
            env: Vec::new(),
        }
    }
}

/// A script `sbatch` accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The Sustain job id.
    pub job_id: String,
    /// The Slurm job id `sbatch` gave.
    pub slurm_id: String,
    /// The script submitted.
    pub script_path: PathBuf,
}

const INSTALL_SBATCH: &str = "install Slurm's client (Debian and Ubuntu: apt-get install slurm-client; \
     it needs the cluster's slurm.conf and munge key), or only write the scripts (the \
     write-only mode) and submit them with sbatch where Slurm is installed";

/// Writes `scripts` under `dir` (see [`write()`]), then submits each with `sbatch --parsable`,
/// in order, recording each accepted one in `dir/`[`SUBMITTED_FILE`] as it goes.
///
/// `sbatch` missing: [`SchedError::Engine`] saying how to install it; the scripts stay written.
/// `sbatch` refusing a job: an error naming the job and quoting `sbatch`; when jobs were
/// submitted before it, [`SchedError::Partial`] lists them (they stay queued in Slurm).
pub fn submit(scripts: &[BatchScript], dir: &Path, sbatch: &Sbatch) -> Result<Vec<Submitted>> {
    let paths = write(scripts, dir)?;
    let call = Call {
        program: &sbatch.program,
        leading: &[],
        env: &sbatch.env,
        install: INSTALL_SBATCH,
    };
    let record = dir.join(SUBMITTED_FILE);
    let mut done: Vec<Submitted> = Vec::new();
    for (script, path) in scripts.iter().zip(paths) {
        match submit_one(&call, script, &path, &record) {
            Ok(slurm_id) => done.push(Submitted {
                job_id: script.job_id.clone(),
                slurm_id,
                script_path: path,
            }),
            Err(e) if done.is_empty() => return Err(e),
            Err(e) => {
                return Err(SchedError::Partial {
                    done: done
                        .iter()
                        .map(|s| {
                            format!(
                                "job {:?}: Slurm job {} ({})",
                                s.job_id,
                                s.slurm_id,
                                s.script_path.display()
                            )
                        })
                        .collect(),
                    source: Box::new(e),
                });
            }
        }
    }
    Ok(done)
}

fn submit_one(call: &Call<'_>, script: &BatchScript, path: &Path, record: &Path) -> Result<String> {
    let mut args: Vec<OsString> = vec!["--parsable".into()];
    args.push(path.as_os_str().to_owned());
    let out = call.run(&args)?;
    if !out.status.success() {
        return Err(SchedError::Engine(format!(
            "sbatch refused job {:?} ({}, script {}): {}; expected {}",
            script.job_id,
            script.origin,
            path.display(),
            said(&out),
            refusal_hint(&String::from_utf8_lossy(&out.stderr), script)
        )));
    }
    // `--parsable` prints `id` or `id;cluster`.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let slurm_id = stdout
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .and_then(|l| l.split(';').next())
        .unwrap_or("")
        .to_string();
    if slurm_id.is_empty()
        || !slurm_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(SchedError::Engine(format!(
            "sbatch took job {:?} ({}) but printed {:?}: expected a Slurm job id (--parsable); check squeue before submitting it again",
            script.job_id,
            path.display(),
            stdout.trim()
        )));
    }
    append_record(record, &slurm_id, script)?;
    Ok(slurm_id)
}

fn append_record(record: &Path, slurm_id: &str, script: &BatchScript) -> Result<()> {
    let new = !record.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(record)
        .map_err(|e| io(record, e))?;
    let mut line = String::new();
    if new {
        line.push_str("slurm_id\tjob_name\tscript\n");
    }
    let _ = writeln!(line, "{slurm_id}\t{}\t{}", script.name, script.file_name());
    f.write_all(line.as_bytes()).map_err(|e| io(record, e))
}

/// What would be right, from what Slurm said.
fn refusal_hint(stderr: &str, script: &BatchScript) -> String {
    let s = stderr.to_ascii_lowercase();
    if s.contains("partition") {
        format!(
            "a partition that exists on this cluster (`sinfo -s` lists them); the job's site gave {:?}, map it to another with the partitions option",
            script.partition
        )
    } else if s.contains("time limit") {
        format!(
            "a time limit the partition {:?} allows (`scontrol show partition {}`); the job asks --time={}",
            script.partition, script.partition, script.time
        )
    } else if s.contains("deadline") || s.contains("begin") {
        "a --begin and --deadline Slurm can meet: a deadline in the future and after begin + time"
            .into()
    } else {
        "a job this cluster accepts (see sbatch's message above)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testing::{at, plan_of, planned};

    #[test]
    fn a_script_carries_every_field_of_the_plan() {
        let mut a = planned("train-a", "gb", at("2026-03-02 09:00"), 90.5);
        a.job.priority = 5;
        a.job.deadline = at("2026-03-03 06:00");
        let b = planned("b", "fr", at("2026-03-02 10:00"), 30.0);
        let plan = plan_of(vec![a, b]);
        let s = scripts(&plan, &SlurmOptions::default()).unwrap();
        let t = &s[0].text;
        assert!(
            t.starts_with("#!/bin/bash\n#SBATCH --job-name=train-a\n"),
            "{t}"
        );
        for line in [
            "#SBATCH --begin=2026-03-02T09:00:00\n",
            "#SBATCH --deadline=2026-03-03T06:00:00\n",
            "#SBATCH --time=0-01:31:00\n",
            "#SBATCH --partition=gb\n",
            "#SBATCH --nice=0\n",
            "#SBATCH --output=sustain-%x-%j.out\n",
            "export SUSTAIN_JOB_ID='train-a'\necho run train-a\n",
        ] {
            assert!(t.contains(line), "{line} in {t}");
        }
        assert!(s[1].text.contains("#SBATCH --nice=500\n"), "{}", s[1].text);
        assert_eq!(s[1].file_name(), "b.sbatch");
    }

    #[test]
    fn time_limits_round_up_to_minutes_and_count_days() {
        assert_eq!(time_limit(0.2), "0-00:01:00");
        assert_eq!(time_limit(60.0), "0-01:00:00");
        assert_eq!(time_limit(1441.0), "1-00:01:00");
    }

    #[test]
    fn a_job_without_a_command_or_with_a_bad_site_is_named() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        a.job.command = None;
        let e = scripts(&plan_of(vec![a]), &SlurmOptions::default()).unwrap_err();
        let m = e.to_string();
        assert!(
            e.is_bad_input() && m.contains("\"a\"") && m.contains("command"),
            "{m}"
        );

        let b = planned("b", "gb --qos=high", at("2026-03-02 09:00"), 30.0);
        let e = scripts(&plan_of(vec![b.clone()]), &SlurmOptions::default()).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("\"b\"") && m.contains("partition"), "{m}");
        let opts = SlurmOptions {
            partitions: [("gb --qos=high".to_string(), "gb".to_string())].into(),
            ..SlurmOptions::default()
        };
        let s = scripts(&plan_of(vec![b]), &opts).unwrap();
        assert!(s[0].text.contains("--partition=gb\n"));
    }

    #[test]
    fn hostile_ids_and_commands_cannot_add_sbatch_lines() {
        let mut a = planned("x\n#SBATCH --qos=top '", "gb", at("2026-03-02 09:00"), 30.0);
        a.job.command = Some("#SBATCH --partition=other\necho hi".into());
        let s = scripts(&plan_of(vec![a]), &SlurmOptions::default()).unwrap();
        let t = &s[0].text;
        // sbatch reads #SBATCH lines up to the first command line.
        let header: Vec<&str> = t
            .lines()
            .take_while(|l| l.starts_with('#') || l.is_empty())
            .filter(|l| l.starts_with("#SBATCH"))
            .collect();
        assert_eq!(header.len(), 7, "{t}");
        assert!(
            header
                .iter()
                .all(|l| !l.contains("--qos") && !l.contains("other")),
            "{t}"
        );
        assert!(
            t.contains("export SUSTAIN_JOB_ID='x\n#SBATCH --qos=top '\\'''\n"),
            "{t}"
        );
        assert!(s[0].name.starts_with("x-SBATCH-qos-top-"), "{}", s[0].name);
        assert!(is_slurm_token(&s[0].name), "{}", s[0].name);

        let mut b = planned("b", "gb", at("2026-03-02 09:00"), 30.0);
        b.job.command = Some("echo hi\r\n".into());
        let m = scripts(&plan_of(vec![b]), &SlurmOptions::default())
            .unwrap_err()
            .to_string();
        assert!(m.contains("carriage-return"), "{m}");
    }

    #[test]
    fn segments_start_at_the_first_with_the_whole_duration_and_late_jobs_have_no_deadline() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 120.0);
        a.segments = vec![
            crate::plan::Segment {
                start: at("2026-03-02 09:00"),
                end: at("2026-03-02 10:00"),
            },
            crate::plan::Segment {
                start: at("2026-03-02 13:00"),
                end: at("2026-03-02 14:00"),
            },
        ];
        let mut b = planned("b", "gb", at("2026-03-02 09:00"), 30.0);
        b.late = true;
        let s = scripts(&plan_of(vec![a, b]), &SlurmOptions::default()).unwrap();
        let t = &s[0].text;
        assert!(t.contains("--begin=2026-03-02T09:00:00\n") && t.contains("--time=0-02:00:00\n"));
        assert!(
            t.contains("2 segments")
                && t.contains("#   2026-03-02T13:00:00 to 2026-03-02T14:00:00"),
            "{t}"
        );
        assert!(!s[1].text.contains("#SBATCH --deadline"), "{}", s[1].text);
    }

    #[test]
    fn priorities_map_to_nice_or_priority() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        a.job.priority = i64::MAX;
        let mut b = planned("b", "gb", at("2026-03-02 09:00"), 30.0);
        b.job.priority = i64::MIN;
        let plan = plan_of(vec![a, b]);
        let s = scripts(&plan, &SlurmOptions::default()).unwrap();
        assert!(s[1].text.contains(&format!("--nice={NICE_MAX}\n")));
        let opts = SlurmOptions {
            priority: SlurmPriority::Priority,
            ..SlurmOptions::default()
        };
        let m = scripts(&plan, &opts).unwrap_err().to_string();
        assert!(m.contains("priority") && m.contains("4294967293"), "{m}");
        let opts = SlurmOptions {
            priority: SlurmPriority::Omit,
            ..SlurmOptions::default()
        };
        let s = scripts(&plan, &opts).unwrap();
        assert!(!s[0].text.contains("--nice") && !s[0].text.contains("--priority"));
    }

    #[test]
    fn output_directories_that_an_sbatch_line_would_split_are_refused() {
        let a = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        let plan = plan_of(vec![a]);
        let ok = SlurmOptions {
            output_dir: Some("/scratch/sustain/".into()),
            ..SlurmOptions::default()
        };
        let s = scripts(&plan, &ok).unwrap();
        assert!(
            s[0].text
                .contains("--output=/scratch/sustain/sustain-%x-%j.out\n")
        );
        let bad = SlurmOptions {
            output_dir: Some("/my dir".into()),
            ..SlurmOptions::default()
        };
        assert!(
            scripts(&plan, &bad)
                .unwrap_err()
                .to_string()
                .contains("output directory")
        );
    }
}
