//! The Slurm executor against a real single-node Slurm, and its failures.
//!
//! The real test starts its own cluster without systemd: a generated munge key and
//! `slurm.conf` in a temp dir (one node, this host; partitions `gb` and `fr` named after the
//! plan's sites, with a one-hour limit enforced at submission), then `munged`, `slurmctld -D`
//! and `slurmd -D` as child processes, every client pointed at the configuration with
//! `SLURM_CONF`. It submits a plan of two jobs beginning a few seconds ahead, checks what
//! `scontrol show job` says of each (begin, partition, time limit, deadline, nice), waits for
//! them and reads what they wrote, then has Slurm refuse jobs (a partition that does not exist,
//! a time over the partition's limit) and stops the daemons.
//!
//! Needs Debian's `slurm-wlm` and `munge`, and root (Slurm's user here). `scripts/check.sh`
//! installs them and sets `SUSTAIN_E2E_SLURM=1`, which makes their absence a failure; without
//! the variable the test is skipped with a notice when they are missing.

mod common;

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike};
use common::{FAKE_ENGINE, at, calls, plan_of, planned, script};
use sustain_sched::SchedError;
use sustain_sched::exec::slurm::{self, SUBMITTED_FILE, Sbatch, SlurmOptions};

#[test]
fn an_absent_sbatch_is_named_with_how_to_install_it_and_the_scripts_stay_written() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let plan = plan_of(vec![planned(
        "a",
        "gb",
        at("2026-03-02 09:00"),
        30.0,
        "true",
    )]);
    let scripts = slurm::scripts(&plan, &SlurmOptions::default()).unwrap();
    let sbatch = Sbatch {
        env: vec![(OsString::from("PATH"), empty.into())],
        ..Sbatch::default()
    };
    let out = dir.path().join("scripts");
    let e = slurm::submit(&scripts, &out, &sbatch).unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(e, SchedError::Engine(_)) && !e.is_bad_input(),
        "{m}"
    );
    assert!(
        m.contains("sbatch not found") && m.contains("apt-get install slurm-client"),
        "{m}"
    );
    assert!(m.contains("write-only"), "{m}");
    assert!(out.join("a.sbatch").is_file());
}

#[test]
fn a_refusal_part_way_names_the_job_and_keeps_those_submitted_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(dir.path(), "sbatch", FAKE_ENGINE);
    let sbatch = Sbatch {
        program: program.into(),
        env: vec![
            ("FAKE_LOG".into(), dir.path().join("sbatch.log").into()),
            ("FAKE_FAIL".into(), "--partition=mars".into()),
            (
                "FAKE_ERROR".into(),
                "sbatch: error: Batch job submission failed: Invalid partition name specified"
                    .into(),
            ),
            ("FAKE_OUT".into(), "10N;cluster".into()),
        ],
    };
    let plan = plan_of(vec![
        planned("a", "gb", at("2026-03-02 09:00"), 30.0, "true"),
        planned("b", "mars", at("2026-03-02 09:00"), 30.0, "true"),
        planned("c", "gb", at("2026-03-02 09:00"), 30.0, "true"),
    ]);
    let scripts = slurm::scripts(&plan, &SlurmOptions::default()).unwrap();
    let out = dir.path().join("scripts");
    let e = slurm::submit(&scripts, &out, &sbatch).unwrap_err();
    let m = e.to_string();
    let SchedError::Partial { done, source } = &e else {
        panic!("expected a partial submission: {m}");
    };
    assert_eq!(done.len(), 1, "{m}");
    assert!(
        done[0].contains("\"a\"") && done[0].contains("Slurm job 101"),
        "{m}"
    );
    let s = source.to_string();
    assert!(
        s.contains("sbatch refused job \"b\"")
            && s.contains("Invalid partition name specified")
            && s.contains("sinfo -s"),
        "{s}"
    );
    // The record of what was submitted, written as it went.
    let record = std::fs::read_to_string(out.join(SUBMITTED_FILE)).unwrap();
    assert_eq!(record, "slurm_id\tjob_name\tscript\n101\ta\ta.sbatch\n");
    // sbatch ran with --parsable on each script, and c was not tried after b failed.
    let calls = calls(&dir.path().join("sbatch.log"));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0][0], "--parsable");
    assert!(calls[0][1].ends_with("a.sbatch"), "{calls:?}");
    assert!(out.join("c.sbatch").is_file());
}

// ---- the real cluster ----

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The daemons, stopped when dropped (also when an assertion fails), last started first.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        while let Some(mut child) = self.daemons.pop() {
            // SIGTERM first, so slurmctld stops its helper (slurmscriptd) itself.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cluster {
    /// A Slurm client command pointed at this cluster.
    fn client(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    fn output(&self, program: &str, args: &[&str]) -> String {
        let out = self.client(program).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The last lines of the daemons' logs, for failure messages.
    fn logs(&self) -> String {
        ["munged.log", "slurmctld.log", "slurmd.log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                format!("== {f}\n{tail}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `scontrol show job -o ID` as fields.
    fn job(&self, id: &str) -> HashMap<String, String> {
        self.output("scontrol", &["show", "job", "-o", id])
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn spawn(cmd: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn wait_for(what: &str, cluster: &Cluster, timeout_s: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(timeout_s),
            "timed out after {timeout_s} s waiting for {what}\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn start_cluster(dir: &Path) -> Cluster {
    // munged refuses a socket directory others cannot enter, and a readable key.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for d in ["state", "spool"] {
        std::fs::create_dir(dir.join(d)).unwrap();
    }
    let key = dir.join("munge.key");
    let mut bytes = vec![0u8; 1024];
    use std::io::Read as _;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    std::fs::write(&key, &bytes).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    let socket = dir.join("munge.sock");

    let host = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    // The node as slurmd sees it (CPUs, sockets, memory), so its registration matches.
    let node = String::from_utf8(
        Command::new(find("slurmd").unwrap())
            .arg("-C")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .find(|l| l.starts_with("NodeName="))
    .and_then(|l| l.split_once(' ').map(|(_, rest)| rest.to_string()))
    .unwrap_or_else(|| " CPUs=1".into());
    let d = dir.display();
    let conf = dir.join("slurm.conf");
    std::fs::write(
        &conf,
        format!(
            "ClusterName=sustaintest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld}
SlurmdPort={slurmd}
AuthType=auth/munge
AuthInfo=socket={socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
DefMemPerCPU=100
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName=gb Nodes={host} Default=YES MaxTime=60 State=UP
PartitionName=fr Nodes={host} MaxTime=60 State=UP
",
            ctld = free_port(),
            slurmd = free_port(),
            socket = socket.display(),
            node = node.trim(),
        ),
    )
    .unwrap();

    let mut cluster = Cluster {
        dir: dir.to_path_buf(),
        conf: conf.clone(),
        daemons: Vec::new(),
    };
    cluster.daemons.push(spawn(
        Command::new(find("munged").unwrap())
            .arg("--foreground")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={d}/munged.pid"))
            .arg(format!("--log-file={d}/munged.log"))
            .arg(format!("--seed-file={d}/munged.seed")),
        &dir.join("munged.out"),
    ));
    wait_for("munged's socket", &cluster, 20, || socket.exists());
    cluster.daemons.push(spawn(
        Command::new(find("slurmctld").unwrap())
            .args(["-D", "-i"])
            .env("SLURM_CONF", &conf),
        &dir.join("slurmctld.out"),
    ));
    cluster.daemons.push(spawn(
        Command::new(find("slurmd").unwrap())
            .args(["-D", "-N", &host])
            .env("SLURM_CONF", &conf),
        &dir.join("slurmd.out"),
    ));
    let c = &cluster;
    wait_for("the node to be idle in sinfo", c, 60, || {
        c.output("sinfo", &["-h", "-N", "-o", "%T"])
            .lines()
            .any(|l| l.trim() == "idle")
    });
    cluster
}

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn slurm_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[test]
fn a_plan_runs_on_a_real_slurm_at_its_slots() {
    let required = std::env::var("SUSTAIN_E2E_SLURM").is_ok_and(|v| v == "1");
    let missing: Vec<&str> = [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "scontrol",
        "sinfo",
    ]
    .into_iter()
    .filter(|p| find(p).is_none())
    .collect();
    if !missing.is_empty() || !root() {
        let why = if missing.is_empty() {
            "not running as root (Slurm's user in this test)".to_string()
        } else {
            format!("{} not found", missing.join(", "))
        };
        assert!(
            !required,
            "SUSTAIN_E2E_SLURM=1 but {why}: apt-get install slurm-wlm munge, as root"
        );
        eprintln!(
            "NOTICE: Slurm test skipped: {why} (apt-get install slurm-wlm munge; scripts/check.sh does, and sets SUSTAIN_E2E_SLURM=1)"
        );
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("sustain-slurm-")
        .tempdir()
        .unwrap();
    let cluster = start_cluster(dir.path());
    let sbatch = Sbatch {
        env: vec![("SLURM_CONF".into(), cluster.conf.clone().into())],
        ..Sbatch::default()
    };
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let w = work.display();

    // Two jobs a few seconds ahead, in the cluster's local clock; b's command starts with a
    // line that looks like a directive, which sbatch must not read (no partition "nowhere").
    let now = chrono::Local::now()
        .naive_local()
        .with_nanosecond(0)
        .unwrap();
    let begin_a = now + chrono::Duration::seconds(8);
    let begin_b = now + chrono::Duration::seconds(10);
    let mut a = planned(
        "a",
        "gb",
        begin_a,
        1.0,
        &format!("echo \"ran $SUSTAIN_JOB_ID on $SLURM_JOB_PARTITION\" > {w}/a.txt"),
    );
    a.job.priority = 2;
    a.job.deadline = now + chrono::Duration::hours(1);
    let mut b = planned(
        "b 'quoted'",
        "fr",
        begin_b,
        1.0,
        &format!("#SBATCH --partition=nowhere\necho \"ran $SUSTAIN_JOB_ID\" > {w}/b.txt"),
    );
    b.job.deadline = now + chrono::Duration::minutes(30);
    let plan = plan_of(vec![a.clone(), b.clone()]);
    let opts = SlurmOptions {
        output_dir: Some(work.clone()),
        ..SlurmOptions::default()
    };
    let scripts = slurm::scripts(&plan, &opts).unwrap();
    let submitted = slurm::submit(&scripts, &dir.path().join("scripts"), &sbatch)
        .unwrap_or_else(|e| panic!("{e}\n{}", cluster.logs()));
    assert_eq!(submitted.len(), 2);

    for (s, (p, nice)) in submitted.iter().zip([(&a, "0"), (&b, "200")]) {
        let job = cluster.job(&s.slurm_id);
        let field = |k: &str| job.get(k).map_or("", String::as_str);
        assert_eq!(s.job_id, p.job.id);
        assert_eq!(field("Partition"), p.site, "{job:?}");
        assert_eq!(field("TimeLimit"), "00:01:00", "{job:?}");
        assert_eq!(field("Deadline"), slurm_time(p.job.deadline), "{job:?}");
        assert_eq!(field("Nice"), nice, "{job:?}");
        // --begin: not eligible before the planned start.
        assert_eq!(field("EligibleTime"), slurm_time(p.start()), "{job:?}");
    }
    let early = cluster.job(&submitted[0].slurm_id);
    if chrono::Local::now().naive_local() < begin_a {
        assert_eq!(early["JobState"], "PENDING", "{early:?}");
        assert_eq!(early["Reason"], "BeginTime", "{early:?}");
    }

    let c = &cluster;
    wait_for("both jobs to complete", c, 120, || {
        submitted
            .iter()
            .all(|s| c.job(&s.slurm_id).get("JobState").map(String::as_str) == Some("COMPLETED"))
    });
    for s in &submitted {
        let job = cluster.job(&s.slurm_id);
        let started =
            NaiveDateTime::parse_from_str(&job["StartTime"], "%Y-%m-%dT%H:%M:%S").unwrap();
        let planned = &plan.jobs[if s.job_id == "a" { 0 } else { 1 }];
        assert!(started >= planned.start(), "{job:?}");
        let output = work.join(format!("sustain-{}-{}.out", job["JobName"], s.slurm_id));
        assert!(output.is_file(), "{} missing: {job:?}", output.display());
    }
    assert_eq!(
        std::fs::read_to_string(work.join("a.txt")).unwrap(),
        "ran a on gb\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("b.txt")).unwrap(),
        "ran b 'quoted'\n"
    );

    // Slurm refusing: a job at a site with no partition, after one it took; then a time over
    // the partition's one-hour limit.
    let later = now + chrono::Duration::minutes(20);
    let plan = plan_of(vec![
        planned("kept", "gb", later, 1.0, "true"),
        planned("c", "mars", later, 1.0, "true"),
    ]);
    let scripts = slurm::scripts(&plan, &SlurmOptions::default()).unwrap();
    let e = slurm::submit(&scripts, &dir.path().join("refused"), &sbatch).unwrap_err();
    let m = e.to_string();
    let SchedError::Partial { done, source } = &e else {
        panic!("expected a partial submission: {m}");
    };
    assert!(
        source.to_string().contains("sbatch refused job \"c\"")
            && m.contains("Invalid partition name specified"),
        "{m}"
    );
    let kept = done[0]
        .split("Slurm job ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap();
    assert_eq!(cluster.job(kept)["JobState"], "PENDING", "{m}");

    let plan = plan_of(vec![planned("d", "gb", later, 120.0, "true")]);
    let scripts = slurm::scripts(&plan, &SlurmOptions::default()).unwrap();
    let e = slurm::submit(&scripts, &dir.path().join("too-long"), &sbatch).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, SchedError::Engine(_)), "{m}");
    assert!(
        m.contains("sbatch refused job \"d\"")
            && m.contains("time limit")
            && m.contains("--time=0-02:00:00"),
        "{m}"
    );
    drop(cluster);
}
