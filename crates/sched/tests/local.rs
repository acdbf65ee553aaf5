//! The local executor with real processes, on a scaled clock (a plan minute per real second),
//! recording into an in-memory sink that checks every record as the ledger would.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{at, plan_of, planned};
use sustain_core::embodied::HostEmbodied;
use sustain_core::run::{RunEnd, RunKind, RunStart, RunStatus, Sample};
use sustain_core::sink::{RunSink, SinkError};
use sustain_core::site::SiteCatalog;
use sustain_meter::{MeterConfig, Setup};
use sustain_sched::exec::local::{
    self, Clock, Interrupt, LocalOptions, LocalOutcome, Recorder, ScaledClock,
};
use sustain_sched::plan::{Plan, PlannedJob, Segment};

/// Plan minutes per real second.
const SPEED: f64 = 60.0;

/// What the sink received, checked as the ledger checks it.
#[derive(Debug, Default)]
struct Store {
    starts: Vec<RunStart>,
    samples: HashMap<String, usize>,
    ends: Vec<RunEnd>,
}

#[derive(Debug, Clone, Default)]
struct MemorySink(Arc<Mutex<Store>>);

impl MemorySink {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.0.lock().unwrap()
    }

    fn start_of(&self, job: &str) -> RunStart {
        self.store()
            .starts
            .iter()
            .find(|s| s.tags.get("schedule.job").map(String::as_str) == Some(job))
            .unwrap_or_else(|| panic!("no start for job {job}"))
            .clone()
    }

    fn end_of(&self, run_id: &str) -> RunEnd {
        self.store()
            .ends
            .iter()
            .find(|e| e.run_id == run_id)
            .unwrap_or_else(|| panic!("no end for run {run_id}"))
            .clone()
    }
}

impl RunSink for MemorySink {
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError> {
        start.validate()?;
        self.store().starts.push(start.clone());
        Ok(())
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<(), SinkError> {
        *self.store().samples.entry(run_id.to_string()).or_default() += samples.len();
        Ok(())
    }
    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError> {
        let mut store = self.store();
        let start = store
            .starts
            .iter()
            .find(|s| s.id == end.run_id)
            .ok_or("end of a run never started")?;
        end.validate(&start.started_at)?;
        store.ends.push(end.clone());
        Ok(())
    }
}

/// Meters at France's factors with the models only, every 100 ms; `mars` has no factors.
struct TestRecorder {
    sink: MemorySink,
    opened: Vec<String>,
}

impl TestRecorder {
    fn new() -> Self {
        Self {
            sink: MemorySink::default(),
            opened: Vec::new(),
        }
    }
}

impl Recorder for TestRecorder {
    fn setup(&mut self, site: &str) -> Result<Setup, SinkError> {
        if site == "mars" {
            return Err("unknown site \"mars\": expected a site of `sustain catalog sites`".into());
        }
        Ok(Setup {
            site: SiteCatalog::bundled()?.get("FR")?.clone(),
            host_embodied: HostEmbodied::default(),
            hourly_rate: None,
            interval: Duration::from_millis(100),
            meter: MeterConfig {
                use_rapl: false,
                use_gpu: false,
                ..MeterConfig::default()
            },
        })
    }

    fn sink(&mut self, job: &PlannedJob) -> Result<Box<dyn RunSink + Send>, SinkError> {
        self.opened.push(job.job.id.clone());
        Ok(Box::new(self.sink.clone()))
    }
}

/// The plan's origin: the scaled clock reads it when created.
fn t0() -> chrono::NaiveDateTime {
    at("2026-03-02 09:00")
}

/// `minutes` after the origin (fractions allowed).
fn plus(minutes: f64) -> chrono::NaiveDateTime {
    t0() + chrono::Duration::milliseconds((minutes * 60_000.0) as i64)
}

/// Job `id` at site `gb` from `start` for `minutes` (plan minutes after the origin).
fn job(id: &str, start: f64, minutes: f64, command: &str) -> PlannedJob {
    planned(id, "gb", plus(start), minutes, command)
}

fn options() -> LocalOptions {
    LocalOptions {
        plan_id: Some("plan-1".into()),
        forward_signals: false,
        ..LocalOptions::default()
    }
}

/// Now since the Unix epoch, ns.
fn epoch_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The numbers in a file, one a line.
fn numbers(path: &Path) -> Vec<u128> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn by_id<'a>(outcomes: &'a [LocalOutcome], id: &str) -> &'a LocalOutcome {
    outcomes.iter().find(|o| o.job_id == id).unwrap()
}

fn run(plan: &Plan, opts: &LocalOptions, rec: &mut TestRecorder) -> (Vec<LocalOutcome>, u128) {
    let clock = ScaledClock::new(t0(), SPEED).unwrap();
    let origin_ns = epoch_ns();
    let out = local::run(plan, opts, &clock, rec).unwrap();
    (out, origin_ns)
}

#[test]
fn a_job_starts_no_earlier_than_its_slot_and_its_run_carries_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let started_file = dir.path().join("started");
    let command = format!(
        "date +%s%N > '{}'; echo hello from $SUSTAIN_JOB_ID",
        started_file.display()
    );
    let mut a = job("train a", 1.0, 1.0, &command);
    a.job.submit = t0();
    let plan = plan_of(vec![a]);
    let mut rec = TestRecorder::new();
    let opts = LocalOptions {
        output_dir: Some(dir.path().join("out")),
        tags: [("team".to_string(), "vision".to_string())].into(),
        ..options()
    };
    let (out, origin_ns) = run(&plan, &opts, &mut rec);

    let o = &out[0];
    assert_eq!(o.status, Some(RunStatus::Succeeded), "{o:?}");
    assert_eq!(o.exit_code, Some(0));
    assert!(o.started.unwrap() >= plus(1.0), "{o:?}");
    assert!(
        !o.overran && !o.missed_deadline && o.problem.is_none(),
        "{o:?}"
    );
    let started_ns = numbers(&started_file)[0];
    assert!(
        started_ns + 20_000_000 >= origin_ns + 1_000_000_000,
        "started {} ms after the clock's origin, planned at 1000 ms",
        (started_ns as i128 - origin_ns as i128) / 1_000_000
    );
    // One file per job, named as the Slurm executor names the job.
    let name = sustain_sched::exec::names::slurm_name("train a");
    let output = std::fs::read_to_string(dir.path().join(format!("out/{name}.out"))).unwrap();
    assert_eq!(output, "hello from train a\n");

    let start = rec.sink.start_of("train a");
    assert_eq!(o.run_id.as_deref(), Some(start.id.as_str()));
    assert_eq!(start.kind, RunKind::Schedule);
    assert_eq!(start.name, "train a");
    assert_eq!(start.command[..2], ["sh".to_string(), "-c".to_string()]);
    for (k, v) in [
        ("schedule.plan", "plan-1"),
        ("schedule.policy", "carbon"),
        ("schedule.job", "train a"),
        ("schedule.site", "gb"),
        ("schedule.start", "2026-03-02T09:01:00"),
        ("schedule.end", "2026-03-02T09:02:00"),
        ("schedule.shift_min", "1"),
        ("schedule.segments", "1"),
        ("schedule.predicted_co2e_g", "100.0"),
        ("schedule.baseline_co2e_g", "150.0"),
        ("team", "vision"),
    ] {
        assert_eq!(start.tags.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(start.site.id, "FR");
    let end = rec.sink.end_of(&start.id);
    assert_eq!(end.status, RunStatus::Succeeded);
    assert_eq!(end.exit_code, Some(0));
    assert_eq!(end.outcomes["schedule"]["job"], "train a");
    assert_eq!(end.outcomes["schedule"]["plan"], "plan-1");
    assert!(rec.sink.store().samples[&start.id] >= 1);
}

#[test]
fn an_interruptible_job_is_stopped_between_its_segments_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let (pid_file, ticks) = (dir.path().join("pid"), dir.path().join("ticks"));
    let command = format!(
        "echo $$ > '{}'; i=0; while [ $i -lt 30 ]; do date +%s%N >> '{}'; sleep 0.05; i=$((i+1)); done",
        pid_file.display(),
        ticks.display()
    );
    // Runs 0.5 to 1.5 s, stopped until 3.5 s, then finishes.
    let mut a = job("a", 0.5, 2.0, &command);
    a.job.interruptible = true;
    a.segments = vec![
        Segment {
            start: plus(0.5),
            end: plus(1.5),
        },
        Segment {
            start: plus(3.5),
            end: plus(4.5),
        },
    ];
    let plan = plan_of(vec![a]);
    let mut rec = TestRecorder::new();
    let opts = options();
    let clock = ScaledClock::new(t0(), SPEED).unwrap();
    let origin_ns = epoch_ns();
    let origin = Instant::now();
    let (out, state_in_gap) = std::thread::scope(|s| {
        let runner = s.spawn(|| local::run(&plan, &opts, &clock, &mut rec).unwrap());
        std::thread::sleep(Duration::from_millis(2500).saturating_sub(origin.elapsed()));
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap();
        let state = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .next()
            .unwrap();
        let when = origin.elapsed().as_millis();
        (runner.join().unwrap(), (state.to_string(), when))
    });
    assert_eq!(
        state_in_gap.0, "T",
        "the job's state {} ms after the start of the plan, in the gap between its segments",
        state_in_gap.1
    );

    let o = &out[0];
    assert_eq!(o.status, Some(RunStatus::Succeeded), "{o:?}");
    assert_eq!(o.pauses, 1);
    assert!(o.paused > Duration::from_millis(1500), "{o:?}");
    let ms: Vec<i128> = numbers(&ticks)
        .into_iter()
        .map(|t| (t as i128 - origin_ns as i128) / 1_000_000)
        .collect();
    assert_eq!(ms.len(), 30);
    // Nothing written while stopped (1.5 to 3.5 s, with room for the clock and scheduling).
    let in_gap: Vec<i128> = ms
        .iter()
        .copied()
        .filter(|&t| t > 1650 && t < 3350)
        .collect();
    assert!(
        in_gap.is_empty(),
        "progress while stopped: {in_gap:?} in {ms:?}"
    );
    assert!(ms.iter().any(|&t| t < 1500), "{ms:?}");
    assert!(ms.iter().any(|&t| t > 3450), "{ms:?}");

    let start = rec.sink.start_of("a");
    assert_eq!(start.tags["schedule.segments"], "2");
    let end = rec.sink.end_of(&start.id);
    assert_eq!(end.outcomes["schedule"]["pauses"], 1);
    assert!(
        end.notes.iter().any(|n| n.contains("SIGSTOP")),
        "{:?}",
        end.notes
    );
}

#[test]
fn overlapping_jobs_run_side_by_side_each_with_its_own_meter() {
    let dir = tempfile::tempdir().unwrap();
    let file = |n: &str| dir.path().join(n).display().to_string();
    let busy = format!(
        "date +%s%N > '{}'; end=$(($(date +%s%N) + 1000000000)); while [ $(date +%s%N) -lt $end ]; do :; done; date +%s%N >> '{}'",
        file("busy"),
        file("busy")
    );
    let idle = format!(
        "date +%s%N > '{}'; sleep 1; date +%s%N >> '{}'",
        file("idle"),
        file("idle")
    );
    let plan = plan_of(vec![
        job("busy", 0.2, 1.0, &busy),
        job("idle", 0.2, 1.0, &idle),
    ]);
    let mut rec = TestRecorder::new();
    let (out, _) = run(&plan, &options(), &mut rec);
    assert!(out.iter().all(LocalOutcome::succeeded), "{out:?}");
    let (b, i) = (
        numbers(Path::new(&file("busy"))),
        numbers(Path::new(&file("idle"))),
    );
    assert!(
        b[0] < i[1] && i[0] < b[1],
        "not concurrent: busy {b:?}, idle {i:?}"
    );

    let (sb, si) = (rec.sink.start_of("busy"), rec.sink.start_of("idle"));
    assert_ne!(sb.id, si.id);
    let (eb, ei) = (rec.sink.end_of(&sb.id), rec.sink.end_of(&si.id));
    // Each meter counts its own tree only: were the idle job's counting the busy one's
    // processes, it would show as much CPU time (the busy one gets what the machine spares).
    assert!(
        eb.cpu_time > Duration::from_millis(20) && ei.cpu_time * 4 < eb.cpu_time,
        "busy {:?}, idle {:?}",
        eb.cpu_time,
        ei.cpu_time
    );
    assert!(eb.energy.cpu.energy.joules() > 3.0 * ei.energy.cpu.energy.joules());
}

#[test]
fn a_failing_job_is_recorded_and_the_others_still_run() {
    let plan = plan_of(vec![
        job("fails", 0.1, 1.0, "echo failing >&2; exit 3"),
        job("later", 0.3, 1.0, "true"),
        job("missing", 0.3, 1.0, "no-such-program-sustain"),
    ]);
    let mut rec = TestRecorder::new();
    let (out, _) = run(&plan, &options(), &mut rec);
    let fails = by_id(&out, "fails");
    assert_eq!(fails.status, Some(RunStatus::Failed));
    assert_eq!(fails.exit_code, Some(3));
    let end = rec.sink.end_of(fails.run_id.as_deref().unwrap());
    assert_eq!((end.status, end.exit_code), (RunStatus::Failed, Some(3)));
    assert!(by_id(&out, "later").succeeded());
    // sh says it is not found: 127, as `sustain run` exits for a missing program.
    assert_eq!(by_id(&out, "missing").exit_code, Some(127));
    assert_eq!(local::exit_code(&out), 1);
    assert_eq!(rec.sink.store().ends.len(), 3);
    assert!(local::render(&out).contains("fails"));
}

#[test]
fn a_job_without_a_command_or_site_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let first = job("first", 0.0, 1.0, &format!("touch '{}'", marker.display()));
    let mut second = job("second", 0.5, 1.0, "true");
    second.job.command = None;
    let mut rec = TestRecorder::new();
    let clock = ScaledClock::new(t0(), SPEED).unwrap();
    let plan = plan_of(vec![first.clone(), second]);
    let e = local::run(&plan, &options(), &clock, &mut rec).unwrap_err();
    let m = e.to_string();
    assert!(e.is_bad_input(), "{m}");
    assert!(m.contains("\"second\"") && m.contains("command"), "{m}");

    let mut on_mars = job("on-mars", 0.5, 1.0, "true");
    on_mars.site = "mars".into();
    let plan = plan_of(vec![first, on_mars]);
    let e = local::run(&plan, &options(), &clock, &mut rec).unwrap_err();
    let m = e.to_string();
    assert!(
        e.is_bad_input() && m.contains("\"on-mars\"") && m.contains("mars"),
        "{m}"
    );

    assert!(rec.opened.is_empty(), "{:?}", rec.opened);
    assert!(rec.sink.store().starts.is_empty());
    assert!(!marker.exists());
}

#[test]
fn an_interrupt_is_passed_on_to_running_and_paused_jobs_and_later_jobs_do_not_start() {
    let dir = tempfile::tempdir().unwrap();
    // Each says when its shell is running the command: a signal that comes before may be
    // caught by the shell itself (dash catches SIGINT under -c until it runs the command).
    let ready = |name: &str| dir.path().join(name);
    let command = |name: &str| format!("echo $$ > '{}'; sleep 30", ready(name).display());
    let mut paused = job("paused", 0.0, 2.0, &command("paused"));
    paused.job.interruptible = true;
    paused.segments = vec![
        Segment {
            start: plus(0.0),
            end: plus(1.0),
        },
        Segment {
            start: plus(10.0),
            end: plus(12.0),
        },
    ];
    let plan = plan_of(vec![
        job("running", 0.0, 5.0, &command("running")),
        paused,
        job("later", 5.0, 1.0, "true"),
    ]);
    let interrupt = Interrupt::new();
    let opts = LocalOptions {
        interrupt: Some(interrupt.clone()),
        ..options()
    };
    let mut rec = TestRecorder::new();
    let clock = ScaledClock::new(t0(), SPEED).unwrap();
    let began = Instant::now();
    let out = std::thread::scope(|s| {
        let runner = s.spawn(|| local::run(&plan, &opts, &clock, &mut rec).unwrap());
        // Both commands running, and the paused job stopped after its first segment (1 s).
        let state = |name: &str| {
            let pid = std::fs::read_to_string(ready(name)).unwrap_or_default();
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .ok()
                .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().next()?.to_string()))
        };
        while !(state("running").is_some() && state("paused").as_deref() == Some("T")) {
            assert!(
                began.elapsed() < Duration::from_secs(8),
                "the jobs never ran"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        interrupt.raise(libc::SIGINT);
        runner.join().unwrap()
    });
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
    for id in ["running", "paused"] {
        let o = by_id(&out, id);
        assert_eq!(o.interrupted, Some(libc::SIGINT), "{o:?}");
        assert_eq!(o.status, Some(RunStatus::Killed), "{o:?}");
        assert_eq!(o.exit_code, Some(130), "{o:?}");
        let end = rec.sink.end_of(o.run_id.as_deref().unwrap());
        assert_eq!(end.signal, Some(libc::SIGINT));
        assert!(
            end.notes.iter().any(|n| n.contains("interrupted")),
            "{:?}",
            end.notes
        );
        assert_eq!(end.outcomes["schedule"]["interrupted_by"], libc::SIGINT);
    }
    assert_eq!(by_id(&out, "paused").pauses, 1);
    let later = by_id(&out, "later");
    assert!(
        later.run_id.is_none() && later.status.is_none(),
        "{later:?}"
    );
    assert!(later.problem.as_deref().unwrap().contains("interrupted"));
    assert_eq!(local::exit_code(&out), 130);
    assert_eq!(rec.sink.store().starts.len(), 2);
}

#[test]
fn a_job_still_running_at_its_deadline_is_stopped_only_when_asked() {
    // It ignores SIGTERM (as do its children), so SIGKILL ends it after the grace.
    let stubborn = "trap '' TERM; while :; do sleep 0.1; done";
    let mut a = job("stubborn", 0.0, 0.2, stubborn);
    a.job.deadline = plus(0.5);
    let mut b = job("overruns", 0.0, 0.2, "sleep 0.6");
    b.job.deadline = plus(5.0);
    let opts = LocalOptions {
        kill_at_deadline: true,
        kill_grace: Duration::from_millis(300),
        ..options()
    };
    let mut rec = TestRecorder::new();
    let (out, _) = run(&plan_of(vec![a, b]), &opts, &mut rec);
    let a = by_id(&out, "stubborn");
    assert!(
        a.killed_at_deadline && a.missed_deadline && a.overran,
        "{a:?}"
    );
    assert_eq!(a.exit_code, Some(128 + libc::SIGKILL), "{a:?}");
    assert_eq!(a.status, Some(RunStatus::Killed));
    // Past its planned end but within its deadline: left to finish, and reported.
    let b = by_id(&out, "overruns");
    assert!(b.succeeded() && b.overran && !b.missed_deadline, "{b:?}");
    let end = rec.sink.end_of(b.run_id.as_deref().unwrap());
    assert!(
        end.notes.iter().any(|n| n.contains("past its planned end")),
        "{:?}",
        end.notes
    );
}

#[test]
fn a_scaled_clock_reads_the_plan_faster() {
    let clock = ScaledClock::new(t0(), SPEED).unwrap();
    let until = clock.real_until(plus(0.5));
    assert!(until <= Duration::from_millis(500) && until > Duration::from_millis(400));
    assert!(clock.now() >= t0() && clock.now() < plus(0.1));
}
