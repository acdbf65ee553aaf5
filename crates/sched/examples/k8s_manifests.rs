//! Writes the Kubernetes manifests of a small plan into the directory given as the first
//! argument, for `scripts/check-k8s.sh` to validate offline against the Kubernetes API's
//! schemas. The plan holds the ids and commands a YAML reader could stumble on (newlines,
//! quotes, a document break, tags, anchors, non-ASCII, control characters) and a job planned
//! in two segments.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use sustain_sched::exec::kubernetes::{self, K8sOptions};
use sustain_sched::job::Job;
use sustain_sched::plan::{Plan, PlannedJob, Segment};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a fixed time")
}

fn planned(id: &str, site: &str, start: &str, minutes: i64, command: &str) -> PlannedJob {
    let start = at(start);
    let end = start + chrono::Duration::minutes(minutes);
    PlannedJob {
        job: Job {
            id: id.into(),
            submit: start,
            duration_min: minutes as f64,
            deadline: start + chrono::Duration::hours(12),
            interruptible: false,
            power_kw: 1.0,
            priority: 0,
            site: Some(site.into()),
            sites: Vec::new(),
            command: Some(command.into()),
            origin: format!("example job {id}"),
        },
        site: site.into(),
        segments: vec![Segment { start, end }],
        predicted_co2e_g: 100.0,
        baseline_co2e_g: 150.0,
        late: false,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: k8s_manifests DIR")?
        .into();
    let mut split = planned(
        "train-lm",
        "eu-west-1",
        "2026-03-02 01:00",
        120,
        "python train.py --epochs 3",
    );
    split.job.interruptible = true;
    split.segments = vec![
        Segment {
            start: at("2026-03-02 01:00"),
            end: at("2026-03-02 02:00"),
        },
        Segment {
            start: at("2026-03-02 04:00"),
            end: at("2026-03-02 05:00"),
        },
    ];
    let plan = Plan {
        policy: "carbon".into(),
        step_min: 30,
        jobs: vec![
            split,
            planned(
                "Nightly ETL: \"orders\"\n--- !!python/object:os.system",
                "eu-west-1",
                "2026-03-02 03:00",
                30,
                "echo 'a: b' && echo \"--- &x *x\"\nexit 0 # \u{7f}\u{85} 日本",
            ),
            planned(
                "{{ .Values.evil }}: &anchor",
                "us-east-1",
                "2026-03-02 05:30",
                45,
                "key: [value]\n- item",
            ),
        ],
    };
    let opts = K8sOptions {
        namespace: Some("batch".into()),
        ..K8sOptions::default()
    };
    let manifests = kubernetes::manifests(&plan, &opts)?;
    for path in kubernetes::write(&manifests, &dir)? {
        println!("{}", path.display());
    }
    Ok(())
}
