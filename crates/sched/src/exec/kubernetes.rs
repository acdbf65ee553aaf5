//! The Kubernetes executor: one `batch/v1` Job per planned job, created suspended, released
//! when its slot comes.
//!
//! Manifests are typed with `k8s-openapi` built for Kubernetes 1.37 (the newest version that
//! crate supports; `scripts/check-k8s.sh` validates them against the 1.37 schemas), and
//! written as JSON (see the `json` module for why not YAML). Each Job has:
//!
//! | plan | Job field |
//! | --- | --- |
//! | job id | `metadata.name` ([`dns1123_label`]), label `sustain.dev/job` (the same name), annotation `sustain.dev/job-id` (the id as given) |
//! | — | `spec.suspend: true`: nothing runs until [`release`] |
//! | planned start, end, segments | annotations `sustain.dev/start`, `sustain.dev/end`, `sustain.dev/segments` (`start/end,...`), in the plan's clock |
//! | site | `spec.template.spec.nodeSelector` `{<node_label>: <site>}` |
//! | command | one container running `sh -c <command>` in [`K8sOptions::image`], `restartPolicy: Never` |
//! | duration, deadline | `spec.activeDeadlineSeconds` (see [`active_deadline_s`]), annotation `sustain.dev/deadline` |
//! | priority | annotation `sustain.dev/priority` (a pod priority needs a PriorityClass an administrator creates) |
//!
//! Segments: suspending a Job deletes its pods, so a job planned in several segments is
//! released at its first and runs its whole duration; its annotations keep every segment.
//!
//! No API server can run here: the command side ([`apply`], [`release`]) is tested with a fake
//! `kubectl` that records its arguments, and the manifests offline against the API's schemas.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use k8s_openapi::api::batch::v1::{Job as K8sJob, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::error::{Result, SchedError, invalid, io};
use crate::exec::command::{Call, said};
use crate::exec::json::ascii_pretty;
use crate::exec::names::{
    dns1123_label, is_dns1123_label, is_label_key, is_label_value, is_name_prefix,
};
use crate::plan::{Plan, PlannedJob};

/// The Kubernetes version the manifests are typed and validated for.
pub const KUBERNETES_VERSION: &str = "1.37";

/// Annotation: the Sustain job id, as given.
pub const ANNOTATION_JOB_ID: &str = "sustain.dev/job-id";
/// Annotation: when the job is to be released (its first segment's start), plan's clock.
pub const ANNOTATION_START: &str = "sustain.dev/start";
/// Annotation: when the plan has it finish.
pub const ANNOTATION_END: &str = "sustain.dev/end";
/// Annotation: every planned segment, `start/end` separated by commas.
pub const ANNOTATION_SEGMENTS: &str = "sustain.dev/segments";
/// Annotation: the job's deadline.
pub const ANNOTATION_DEADLINE: &str = "sustain.dev/deadline";
/// Annotation: the job's priority (higher first).
pub const ANNOTATION_PRIORITY: &str = "sustain.dev/priority";
/// Annotation: the policy that made the plan.
pub const ANNOTATION_POLICY: &str = "sustain.dev/policy";
/// Label on the Job and its pods: the Job's name.
pub const LABEL_JOB: &str = "sustain.dev/job";

/// The time form of the annotations.
const TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// How plans become Job manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct K8sOptions {
    /// The container image that runs each command with `sh -c` (default `busybox:1.36`).
    pub image: String,
    /// The node label whose value is the site (default `topology.kubernetes.io/region`, the
    /// well-known label cloud providers set on nodes).
    pub node_label: String,
    /// The label value of each site, where it is not the site's own name.
    pub node_values: BTreeMap<String, String>,
    /// The namespace written into each manifest; `None`: kubectl's current namespace.
    pub namespace: Option<String>,
    /// Put before every Job name (default `sustain-`): lowercase letters, digits and `-`.
    pub name_prefix: String,
    /// How much longer than its duration a job may run before Kubernetes stops it, as a
    /// fraction (default 0.1), within its deadline.
    pub deadline_margin: f64,
}

impl Default for K8sOptions {
    fn default() -> Self {
        K8sOptions {
            image: "busybox:1.36".into(),
            node_label: "topology.kubernetes.io/region".into(),
            node_values: BTreeMap::new(),
            namespace: None,
            name_prefix: "sustain-".into(),
            deadline_margin: 0.1,
        }
    }
}

/// A Job manifest for one planned job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobManifest {
    /// The Sustain job id, as given.
    pub job_id: String,
    /// The Job's name.
    pub name: String,
    /// Its namespace, when the manifest names one.
    pub namespace: Option<String>,
    /// When it is to be released: the start of its first segment, in the plan's clock.
    pub start: NaiveDateTime,
    /// The Job object.
    pub job: K8sJob,
}

impl JobManifest {
    /// The file it is written to: `<name>.json`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.name)
    }

    /// The manifest as JSON (plain ASCII), as `kubectl apply -f` reads it.
    pub fn to_json(&self) -> Result<String> {
        ascii_pretty(&self.job).map_err(|e| {
            SchedError::Inconsistent(format!(
                "the manifest of job {:?} could not be written as JSON: {e}",
                self.job_id
            ))
        })
    }
}

/// One manifest per job of `plan`, in the plan's order. Pure: nothing is written or run.
///
/// Errors name the job or the option: no command, no segments, a site that is not a label
/// value, an invalid label key, namespace, prefix or image.
pub fn manifests(plan: &Plan, opts: &K8sOptions) -> Result<Vec<JobManifest>> {
    check_options(opts)?;
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(plan.jobs.len());
    for planned in &plan.jobs {
        let m = manifest(planned, &plan.policy, opts)?;
        if !names.insert(m.name.clone()) {
            return Err(SchedError::Inconsistent(format!(
                "job {:?} and another have the same Kubernetes name {:?}: expected ids that differ after sanitizing",
                m.job_id, m.name
            )));
        }
        out.push(m);
    }
    Ok(out)
}

fn check_options(opts: &K8sOptions) -> Result<()> {
    if !is_label_key(&opts.node_label) {
        return Err(invalid(
            "Kubernetes node label",
            &opts.node_label,
            "a label key such as topology.kubernetes.io/region (an optional DNS prefix and /, then letters, digits, - _ .)",
        ));
    }
    if let Some(ns) = opts.namespace.as_deref().filter(|ns| !is_dns1123_label(ns)) {
        return Err(invalid(
            "Kubernetes namespace",
            ns,
            "a DNS-1123 label: up to 63 lowercase letters, digits and -, starting and ending with a letter or digit",
        ));
    }
    if !is_name_prefix(&opts.name_prefix) {
        return Err(invalid(
            "Kubernetes name prefix",
            &opts.name_prefix,
            "up to 30 lowercase letters, digits and -, not starting with -",
        ));
    }
    let image = opts.image.as_str();
    if image.is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "container image",
            image,
            "an image reference without spaces, such as busybox:1.36",
        ));
    }
    if !(opts.deadline_margin.is_finite() && (0.0..=10.0).contains(&opts.deadline_margin)) {
        return Err(invalid(
            "deadline margin",
            opts.deadline_margin,
            "a fraction of the duration, 0 to 10 (0.1 is 10 %)",
        ));
    }
    Ok(())
}

/// `activeDeadlineSeconds`: the job's duration plus the margin, cut at the time between its
/// planned start and its deadline, never below its duration (rounded up to whole seconds).
/// Kubernetes counts it from the job's release, as resuming a suspended Job resets its start.
pub fn active_deadline_s(planned: &PlannedJob, margin: f64) -> i64 {
    let duration = (planned.job.duration_min * 60.0).ceil().max(1.0);
    // The margin to whole seconds (3600 × 0.1 is 360.00000000000006 in floats).
    let with_margin = duration + (duration * margin).round();
    let until_deadline = planned.segments.first().map_or(f64::MAX, |s| {
        (planned.job.deadline - s.start).num_seconds() as f64
    });
    // Floats to whole seconds: durations are at most a year, far inside i64.
    with_margin.min(until_deadline).max(duration) as i64
}

fn manifest(planned: &PlannedJob, policy: &str, opts: &K8sOptions) -> Result<JobManifest> {
    let job = &planned.job;
    let at = |field: &str| format!("{} (job {:?}), {field}", job.origin, job.id);
    let command = job.command.as_deref().ok_or_else(|| {
        invalid(
            at("command"),
            "",
            "a command for the container to run with sh -c (the jobs file's `command` column)",
        )
    })?;
    if command.contains('\0') {
        return Err(invalid(
            at("command"),
            command,
            "a command without NUL characters",
        ));
    }
    let (first, last) = super::span(planned, &at)?;
    let value = opts
        .node_values
        .get(&planned.site)
        .unwrap_or(&planned.site)
        .clone();
    if !is_label_value(&value) {
        return Err(invalid(
            at("site as node label value"),
            &value,
            "a label value: up to 63 letters, digits, - _ ., starting and ending with a letter or digit (map the site to one with the node values option)",
        ));
    }
    let name = dns1123_label(&opts.name_prefix, &job.id);
    let time = |t: NaiveDateTime| t.format(TIME).to_string();
    let segments = planned
        .segments
        .iter()
        .map(|s| format!("{}/{}", time(s.start), time(s.end)))
        .collect::<Vec<_>>()
        .join(",");
    let annotations = BTreeMap::from([
        (ANNOTATION_JOB_ID.to_string(), job.id.clone()),
        (ANNOTATION_START.to_string(), time(first.start)),
        (ANNOTATION_END.to_string(), time(last.end)),
        (ANNOTATION_SEGMENTS.to_string(), segments),
        (ANNOTATION_DEADLINE.to_string(), time(job.deadline)),
        (ANNOTATION_PRIORITY.to_string(), job.priority.to_string()),
        (ANNOTATION_POLICY.to_string(), policy.to_string()),
    ]);
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "sustain".to_string(),
        ),
        (LABEL_JOB.to_string(), name.clone()),
    ]);
    let k8s = K8sJob {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: opts.namespace.clone(),
            labels: Some(labels.clone()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            suspend: Some(true),
            active_deadline_seconds: Some(active_deadline_s(planned, opts.deadline_margin)),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    node_selector: Some(BTreeMap::from([(opts.node_label.clone(), value)])),
                    containers: vec![Container {
                        name: "job".into(),
                        image: Some(opts.image.clone()),
                        command: Some(vec!["sh".into(), "-c".into(), command.to_string()]),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    };
    Ok(JobManifest {
        job_id: job.id.clone(),
        name,
        namespace: opts.namespace.clone(),
        start: first.start,
        job: k8s,
    })
}

/// Writes each manifest to `dir/<name>.json` (creating `dir`), returning the paths.
pub fn write(manifests: &[JobManifest], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    manifests
        .iter()
        .map(|m| {
            let path = dir.join(m.file_name());
            std::fs::write(&path, m.to_json()?).map_err(|e| io(&path, e))?;
            Ok(path)
        })
        .collect()
}

/// Reads back the manifests [`write()`] wrote in `dir` (every `*.json` file, by name), for
/// [`due`] and [`release`]. A file that is not a Job written by Sustain is named.
pub fn read(dir: &Path) -> Result<Vec<JobManifest>> {
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| read_one(p)).collect()
}

fn read_one(path: &Path) -> Result<JobManifest> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let what = path.display().to_string();
    let job: K8sJob = serde_json::from_str(&text).map_err(|e| {
        invalid(
            &what,
            e,
            "a batch/v1 Job manifest as Sustain writes it (JSON)",
        )
    })?;
    let annotations = job.metadata.annotations.clone().unwrap_or_default();
    let get = |key: &str| {
        annotations.get(key).cloned().ok_or_else(|| {
            invalid(
                format!("{what}, annotation {key}"),
                "",
                "a Job written by Sustain (it annotates each with its job id and start)",
            )
        })
    };
    let job_id = get(ANNOTATION_JOB_ID)?;
    let start_text = get(ANNOTATION_START)?;
    let start = NaiveDateTime::parse_from_str(&start_text, TIME).map_err(|_| {
        invalid(
            format!("{what}, annotation {ANNOTATION_START}"),
            &start_text,
            "YYYY-MM-DDTHH:MM:SS",
        )
    })?;
    let name = job.metadata.name.clone().unwrap_or_default();
    if !is_dns1123_label(&name) {
        return Err(invalid(
            format!("{what}, metadata.name"),
            &name,
            "a DNS-1123 label (as Sustain writes it)",
        ));
    }
    let namespace = job.metadata.namespace.clone();
    if let Some(ns) = namespace.as_deref().filter(|ns| !is_dns1123_label(ns)) {
        return Err(invalid(
            format!("{what}, metadata.namespace"),
            ns,
            "a DNS-1123 label",
        ));
    }
    Ok(JobManifest {
        job_id,
        name,
        namespace,
        start,
        job,
    })
}

/// The `kubectl` to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubectl {
    /// The program: a name looked up on `PATH` (default `kubectl`) or a path.
    pub program: OsString,
    /// Flags put before every subcommand (`--context=prod`, `--kubeconfig=FILE`).
    pub args: Vec<OsString>,
    /// Variables set for it (`KUBECONFIG`; a `PATH` here is also where it is looked up).
    pub env: Vec<(OsString, OsString)>,
}

impl Default for Kubectl {
    fn default() -> Self {
        Kubectl {
            program: "kubectl".into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

impl Kubectl {
    fn call<'a>(&'a self, install: &'a str) -> Call<'a> {
        Call {
            program: &self.program,
            leading: &self.args,
            env: &self.env,
            install,
        }
    }
}

/// Runs `kubectl apply -f <dir>`, creating the (suspended) Jobs [`write()`] wrote there, and
/// returns what kubectl printed. kubectl missing: [`SchedError::Engine`] saying how to install
/// it; kubectl failing: an error quoting it, listing the objects it did apply
/// ([`SchedError::Partial`]) when there were any.
pub fn apply(dir: &Path, kubectl: &Kubectl) -> Result<String> {
    let install = format!(
        "install kubectl and point it at the cluster (KUBECONFIG), or apply the manifests later with `kubectl apply -f {}`",
        dir.display()
    );
    let out = kubectl.call(&install).run([
        OsString::from("apply"),
        "-f".into(),
        dir.as_os_str().into(),
    ])?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        return Ok(stdout);
    }
    let failed = SchedError::Engine(format!(
        "kubectl apply -f {} failed: {}; expected manifests the cluster accepts (the message names the file or Job at fault)",
        dir.display(),
        said(&out)
    ));
    let done: Vec<String> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Err(if done.is_empty() {
        failed
    } else {
        SchedError::Partial {
            done,
            source: Box::new(failed),
        }
    })
}

/// The manifests whose slot has come: planned start at or before `now` (in the plan's clock).
pub fn due(manifests: &[JobManifest], now: NaiveDateTime) -> Vec<&JobManifest> {
    manifests.iter().filter(|m| m.start <= now).collect()
}

/// The patch that unsuspends a Job (a JSON merge patch).
pub const RELEASE_PATCH: &str = r#"{"spec":{"suspend":false}}"#;

/// A Job [`release`] unsuspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The Sustain job id.
    pub job_id: String,
    /// The Job's name.
    pub name: String,
}

/// Unsuspends each of `due` with `kubectl patch job NAME [--namespace NS] --type=merge -p
/// '{"spec":{"suspend":false}}'`, in order (releasing a Job already running changes nothing).
/// kubectl missing: [`SchedError::Engine`]; kubectl failing on a Job: an error naming it and
/// quoting kubectl, listing the Jobs released before it ([`SchedError::Partial`]).
pub fn release(due: &[&JobManifest], kubectl: &Kubectl) -> Result<Vec<Released>> {
    let install = "install kubectl and point it at the cluster (KUBECONFIG), or unsuspend each job with \
         kubectl patch job NAME --type=merge -p '{\"spec\":{\"suspend\":false}}'";
    let call = kubectl.call(install);
    let mut done: Vec<Released> = Vec::new();
    for m in due {
        let mut args: Vec<OsString> = vec!["patch".into(), "job".into(), m.name.clone().into()];
        if let Some(ns) = &m.namespace {
            args.push("--namespace".into());
            args.push(ns.into());
        }
        args.extend(["--type=merge".into(), "-p".into(), RELEASE_PATCH.into()]);
        let result = call.run(&args).and_then(|out| {
            if out.status.success() {
                Ok(())
            } else {
                Err(SchedError::Engine(format!(
                    "kubectl could not release job {:?} (Job {}): {}; expected a Job of that name in the cluster (`kubectl get job {}`), created by applying the manifests",
                    m.job_id,
                    m.name,
                    said(&out),
                    m.name
                )))
            }
        });
        match result {
            Ok(()) => done.push(Released {
                job_id: m.job_id.clone(),
                name: m.name.clone(),
            }),
            Err(e) if done.is_empty() => return Err(e),
            Err(e) => {
                return Err(SchedError::Partial {
                    done: done
                        .iter()
                        .map(|r| format!("job {:?}: Job {} released", r.job_id, r.name))
                        .collect(),
                    source: Box::new(e),
                });
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testing::{at, plan_of, planned};

    #[test]
    fn a_manifest_is_a_suspended_job_on_its_site() {
        let mut a = planned("train-a", "eu-west-1", at("2026-03-02 09:00"), 60.0);
        a.job.deadline = at("2026-03-02 10:30");
        let m = manifests(&plan_of(vec![a]), &K8sOptions::default()).unwrap();
        let j = &m[0].job;
        assert_eq!(m[0].name, "sustain-train-a");
        let spec = j.spec.as_ref().unwrap();
        assert_eq!(spec.suspend, Some(true));
        // 60 min + 10 % = 66 min, within the 90 min to the deadline.
        assert_eq!(spec.active_deadline_seconds, Some(3960));
        let pod = spec.template.spec.as_ref().unwrap();
        assert_eq!(
            pod.node_selector.as_ref().unwrap()["topology.kubernetes.io/region"],
            "eu-west-1"
        );
        assert_eq!(
            pod.containers[0].command.as_deref().unwrap(),
            ["sh", "-c", "echo run train-a"]
        );
        let ann = j.metadata.annotations.as_ref().unwrap();
        assert_eq!(ann[ANNOTATION_START], "2026-03-02T09:00:00");
        assert_eq!(
            ann[ANNOTATION_SEGMENTS],
            "2026-03-02T09:00:00/2026-03-02T10:00:00"
        );
        let text = m[0].to_json().unwrap();
        assert!(
            text.contains("\"apiVersion\": \"batch/v1\"") && text.contains("\"kind\": \"Job\"")
        );
    }

    #[test]
    fn the_active_deadline_stays_within_the_deadline_but_not_below_the_duration() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 60.0);
        a.job.deadline = at("2026-03-02 10:03");
        assert_eq!(active_deadline_s(&a, 0.1), 63 * 60);
        a.job.deadline = at("2026-03-02 09:30");
        assert_eq!(active_deadline_s(&a, 0.1), 3600);
    }

    #[test]
    fn bad_options_and_sites_are_named() {
        let a = planned("a", "eu west", at("2026-03-02 09:00"), 60.0);
        let e = manifests(&plan_of(vec![a.clone()]), &K8sOptions::default()).unwrap_err();
        assert!(e.to_string().contains("node label value"), "{e}");
        let opts = K8sOptions {
            node_values: [("eu west".to_string(), "eu-west".to_string())].into(),
            ..K8sOptions::default()
        };
        assert!(manifests(&plan_of(vec![a.clone()]), &opts).is_ok());
        for (opts, what) in [
            (
                K8sOptions {
                    node_label: "bad label".into(),
                    ..opts.clone()
                },
                "node label",
            ),
            (
                K8sOptions {
                    namespace: Some("Prod".into()),
                    ..opts.clone()
                },
                "namespace",
            ),
            (
                K8sOptions {
                    image: "busybox; rm".into(),
                    ..opts.clone()
                },
                "image",
            ),
            (
                K8sOptions {
                    name_prefix: "Sustain_".into(),
                    ..opts.clone()
                },
                "prefix",
            ),
        ] {
            let e = manifests(&plan_of(vec![a.clone()]), &opts).unwrap_err();
            assert!(e.is_bad_input() && e.to_string().contains(what), "{e}");
        }
        let mut b = planned("b", "gb", at("2026-03-02 09:00"), 60.0);
        b.job.command = None;
        let e = manifests(&plan_of(vec![b]), &K8sOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("\"b\"") && e.to_string().contains("command"),
            "{e}"
        );
    }

    #[test]
    fn due_jobs_are_those_whose_start_has_come() {
        let plan = plan_of(vec![
            planned("a", "gb", at("2026-03-02 09:00"), 60.0),
            planned("b", "gb", at("2026-03-02 12:00"), 60.0),
        ]);
        let m = manifests(&plan, &K8sOptions::default()).unwrap();
        let names = |now| {
            due(&m, at(now))
                .iter()
                .map(|m| m.job_id.clone())
                .collect::<Vec<_>>()
        };
        assert!(names("2026-03-02 08:59").is_empty());
        assert_eq!(names("2026-03-02 09:00"), ["a"]);
        assert_eq!(names("2026-03-02 12:30"), ["a", "b"]);
    }
}
