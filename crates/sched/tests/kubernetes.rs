//! The Kubernetes executor: manifests typed and read back as `batch/v1` Jobs, hostile ids and
//! commands, and the `kubectl` side against a fake `kubectl` that records its arguments.
//!
//! No API server can run here (and `kubectl` on the development machines is a wrapper with
//! no cluster), so the command side is checked with the fake, and the manifests offline
//! against the Kubernetes 1.37 schemas by `scripts/check-k8s.sh` (kubernetes-validate).

mod common;

use std::ffi::OsString;
use std::path::Path;

use common::{FAKE_ENGINE, at, calls, plan_of, planned, script};
use k8s_openapi::api::batch::v1::Job;
use sustain_sched::SchedError;
use sustain_sched::exec::kubernetes::{
    self, ANNOTATION_JOB_ID, K8sOptions, Kubectl, RELEASE_PATCH,
};
use sustain_sched::exec::names::is_dns1123_label;

const HOSTILE: [&str; 6] = [
    "a\nb: c",
    "x\"; rm -rf / #",
    "--- !!python/object:os.system",
    "日本語 job",
    "Train A",
    "{{ .Values }}: &anchor *alias",
];

fn fake_kubectl(dir: &Path, fail: &str) -> Kubectl {
    let program = script(dir, "kubectl", FAKE_ENGINE);
    Kubectl {
        program: program.into(),
        args: vec!["--context=test".into()],
        env: vec![
            ("FAKE_LOG".into(), dir.join("kubectl.log").into()),
            ("FAKE_FAIL".into(), fail.into()),
            (
                "FAKE_ERROR".into(),
                "Error from server (NotFound): jobs.batch \"x\" not found".into(),
            ),
            ("FAKE_OUT".into(), "job.batch/sustain-N configured".into()),
        ],
    }
}

#[test]
fn manifests_read_back_as_suspended_jobs_with_their_site_whatever_the_ids_hold() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let command = format!("echo '{id}' \"$HOME\" \n: ${{x}} # {i}\u{7f}\u{85}");
            planned(id, "eu-west-1", at("2026-03-02 09:00"), 30.0, &command)
        })
        .collect();
    let plan = plan_of(jobs);
    let manifests = kubernetes::manifests(&plan, &K8sOptions::default()).unwrap();
    let paths = kubernetes::write(&manifests, dir.path()).unwrap();
    assert_eq!(paths.len(), HOSTILE.len());
    for ((path, m), planned) in paths.iter().zip(&manifests).zip(&plan.jobs) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.bytes()
                .all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
            "{text}"
        );
        let job: Job = serde_json::from_str(&text).unwrap();
        let name = job.metadata.name.as_deref().unwrap();
        assert!(is_dns1123_label(name), "{name}");
        assert_eq!(name, m.name);
        assert_eq!(
            job.metadata.annotations.as_ref().unwrap()[ANNOTATION_JOB_ID],
            planned.job.id
        );
        let spec = job.spec.unwrap();
        assert_eq!(spec.suspend, Some(true));
        let pod = spec.template.spec.unwrap();
        assert_eq!(
            pod.node_selector.unwrap()["topology.kubernetes.io/region"],
            "eu-west-1"
        );
        let command = pod.containers[0].command.clone().unwrap();
        assert_eq!(
            command,
            ["sh", "-c", planned.job.command.as_deref().unwrap()]
        );
    }
    let back = kubernetes::read(dir.path()).unwrap();
    let mut ids: Vec<_> = back.iter().map(|m| m.job_id.as_str()).collect();
    ids.sort_unstable();
    let mut want = HOSTILE.to_vec();
    want.sort_unstable();
    assert_eq!(ids, want);
}

#[test]
fn release_patches_only_the_jobs_whose_slot_has_come() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifests");
    let plan = plan_of(vec![
        planned("early", "gb", at("2026-03-02 09:00"), 30.0, "true"),
        planned("Later Job", "gb", at("2026-03-02 18:00"), 30.0, "true"),
        planned("now", "gb", at("2026-03-02 12:00"), 30.0, "true"),
    ]);
    let opts = K8sOptions {
        namespace: Some("batch".into()),
        ..K8sOptions::default()
    };
    kubernetes::write(&kubernetes::manifests(&plan, &opts).unwrap(), &out).unwrap();
    let kubectl = fake_kubectl(dir.path(), "");

    kubernetes::apply(&out, &kubectl).unwrap();
    let manifests = kubernetes::read(&out).unwrap();
    let due = kubernetes::due(&manifests, at("2026-03-02 12:00"));
    let released = kubernetes::release(&due, &kubectl).unwrap();
    let names: Vec<_> = released.iter().map(|r| r.job_id.as_str()).collect();
    assert_eq!(names, ["early", "now"]);

    let calls = calls(&dir.path().join("kubectl.log"));
    let out_arg = out.to_str().unwrap();
    assert_eq!(calls[0], ["--context=test", "apply", "-f", out_arg]);
    let patch = |name: &str| {
        vec![
            "--context=test".to_string(),
            "patch".into(),
            "job".into(),
            name.into(),
            "--namespace".into(),
            "batch".into(),
            "--type=merge".into(),
            "-p".into(),
            RELEASE_PATCH.into(),
        ]
    };
    assert_eq!(calls[1..], [patch("sustain-early"), patch("sustain-now")]);
    assert_eq!(RELEASE_PATCH, r#"{"spec":{"suspend":false}}"#);
}

#[test]
fn a_refused_release_names_the_job_and_keeps_those_released_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(vec![
        planned("a", "gb", at("2026-03-02 09:00"), 30.0, "true"),
        planned("b", "gb", at("2026-03-02 09:30"), 30.0, "true"),
        planned("c", "gb", at("2026-03-02 10:00"), 30.0, "true"),
    ]);
    let manifests = kubernetes::manifests(&plan, &K8sOptions::default()).unwrap();
    let due = kubernetes::due(&manifests, at("2026-03-02 11:00"));
    let kubectl = fake_kubectl(dir.path(), "sustain-b");
    let e = kubernetes::release(&due, &kubectl).unwrap_err();
    let m = e.to_string();
    let SchedError::Partial { done, source } = &e else {
        panic!("expected a partial release: {m}");
    };
    assert_eq!(done.len(), 1, "{m}");
    assert!(done[0].contains("sustain-a"), "{m}");
    let s = source.to_string();
    assert!(
        s.contains("\"b\"") && s.contains("NotFound") && s.contains("expected"),
        "{s}"
    );
    // c was not tried after b failed.
    assert_eq!(calls(&dir.path().join("kubectl.log")).len(), 2);
}

#[test]
fn an_absent_kubectl_is_named_with_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let kubectl = Kubectl {
        env: vec![(OsString::from("PATH"), empty.clone().into())],
        ..Kubectl::default()
    };
    let plan = plan_of(vec![planned(
        "a",
        "gb",
        at("2026-03-02 09:00"),
        30.0,
        "true",
    )]);
    let manifests = kubernetes::manifests(&plan, &K8sOptions::default()).unwrap();
    kubernetes::write(&manifests, dir.path()).unwrap();
    for e in [
        kubernetes::apply(dir.path(), &kubectl).unwrap_err(),
        kubernetes::release(
            &kubernetes::due(&manifests, at("2026-03-02 10:00")),
            &kubectl,
        )
        .unwrap_err(),
    ] {
        let m = e.to_string();
        assert!(matches!(e, SchedError::Engine(_)), "{m}");
        assert!(
            m.contains("kubectl not found") && m.contains("install kubectl"),
            "{m}"
        );
    }
    // The manifests stay written for a later `kubectl apply`.
    assert!(dir.path().join("sustain-a.json").is_file());
}

#[test]
fn files_that_are_not_sustains_manifests_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("other.json"),
        r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"other"}}"#,
    )
    .unwrap();
    let m = kubernetes::read(dir.path()).unwrap_err().to_string();
    assert!(
        m.contains("other.json") && m.contains("sustain.dev/job-id"),
        "{m}"
    );
}

#[test]
fn a_failed_apply_quotes_kubectl_and_names_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let kubectl = fake_kubectl(dir.path(), "apply");
    let e = kubernetes::apply(dir.path(), &kubectl).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, SchedError::Engine(_)), "{m}");
    assert!(
        m.contains("kubectl apply -f")
            && m.contains(&dir.path().display().to_string())
            && m.contains("NotFound")
            && m.contains("exit status 1"),
        "{m}"
    );
}
