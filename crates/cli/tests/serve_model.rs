//! End-to-end tests of `sustain serve-model`: a real server process on loopback, real HTTP
//! clients (ureq, and wrk for 200 concurrent connections), SIGTERM, and the `serve` run it
//! records in a fresh ledger.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sustain_testkit::cli::CliEnv;

const BIN: &str = env!("CARGO_BIN_EXE_sustain");

/// The test environment, and the server it starts.
struct Env(CliEnv);

impl std::ops::Deref for Env {
    type Target = CliEnv;
    fn deref(&self) -> &CliEnv {
        &self.0
    }
}

impl Env {
    fn new() -> Self {
        Env(CliEnv::new(BIN))
    }

    /// `sustain serve-model --addr 127.0.0.1:0 ARGS`, once it prints its address.
    fn serve(&self, args: &[&str]) -> Server {
        let mut child = self
            .cmd()
            .args(["serve-model", "--addr", "127.0.0.1:0", "--json"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn sustain serve-model");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            let line = lines
                .next()
                .expect("serve-model exited before listening")
                .unwrap();
            if let Some(rest) = line.split(" on http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().unwrap());
            }
            assert!(Instant::now() < deadline, "no address printed");
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }
}

struct Server {
    child: Child,
    url: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

impl Server {
    fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let mut res = agent()
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut res = agent().get(format!("{}{path}", self.url)).call().unwrap();
        (
            res.status().as_u16(),
            res.body_mut().read_to_string().unwrap(),
        )
    }

    /// SIGTERM, then the exit status and the run printed with `--json`.
    fn stop(self) -> (std::process::ExitStatus, Value) {
        // SAFETY: kill with the pid of our child and SIGTERM.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let out = self.child.wait_with_output().unwrap();
        let run = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status, run)
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The first row of the breast cancer data, as a user sends it (raw values).
const ROW: &str = "17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189";

#[test]
fn an_int8_model_serves_200_concurrent_clients_without_errors_and_records_one_serve_run() {
    let env = Env::new();
    env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "10",
        "--out",
        "mlp",
        "--json",
    ]);
    env.json(&[
        "optimize", "quantize", "--model", "mlp", "--int8", "--out", "mlp-int8", "--json",
    ]);
    let expected = env.json(&["predict", "--model", "mlp-int8", ROW, "--json"]);
    let server = env.serve(&[
        "--model",
        "mlp-int8",
        "--max-body-bytes",
        "65536",
        "--checkpoint-s",
        "1",
    ]);

    // The same answer as `sustain predict` (a batch of one, the same int8 path).
    let body = format!("{{\"rows\": [[{ROW}]]}}");
    let (status, v) = server.post("/v1/predict", &body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["predictions"], expected["predictions"]);

    // Bad requests: 4xx with a message, and the server goes on.
    for (body, want_status, needle) in [
        (
            "{\"rows\": [[1, 2]]}".to_string(),
            400,
            "rows[0] has 2 values; the model takes 30",
        ),
        ("{\"rows\": []}".to_string(), 400, "is empty"),
        (
            "{\"texts\": [\"hello\"]}".to_string(),
            400,
            "takes rows of 30 numbers",
        ),
        ("{\"row\": [[1]]}".to_string(), 422, "unknown field `row`"),
        ("not json".to_string(), 400, "JSON"),
        (
            format!(
                "{{\"rows\": [{}]}}",
                vec![format!("[{ROW}]"); 400].join(",")
            ),
            413,
            "length limit",
        ),
    ] {
        let (status, v) = server.post("/v1/predict", &body);
        assert_eq!(status, want_status, "{needle}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{v}");
    }
    let (status, v) = server.post("/v1/generate", "{\"prompt\": \"a\"}");
    assert_eq!(status, 400);
    assert!(
        v["error"].as_str().unwrap().contains("POST /v1/predict"),
        "{v}"
    );
    assert_eq!(server.get("/healthz").0, 200);
    let (status, ready) = server.get("/readyz");
    assert_eq!(status, 200);
    assert!(ready.contains("\"precision\":\"int8\""), "{ready}");

    // 200 concurrent connections for 3 s with wrk: no errors, and requests were batched.
    let lua = env.path("post.lua");
    std::fs::write(
        &lua,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = '{body}'\n"
        ),
    )
    .unwrap();
    let wrk = Command::new("wrk")
        .args(["-t2", "-c200", "-d3s", "--latency", "-s"])
        .arg(&lua)
        .arg(format!("{}/v1/predict", server.url))
        .output();
    let wrk = match wrk {
        Ok(o) => o,
        Err(e) if std::env::var("SUSTAIN_E2E_WRK").is_err() => {
            eprintln!(
                "skipping the load test: wrk is not installed ({e}); scripts/check.sh installs it"
            );
            return;
        }
        Err(e) => panic!("wrk: {e}"),
    };
    let report = String::from_utf8_lossy(&wrk.stdout);
    assert!(wrk.status.success(), "{report}");
    assert!(!report.contains("Non-2xx"), "{report}");
    assert!(!report.contains("Socket errors"), "{report}");
    let answered: u64 = report
        .lines()
        .find_map(|l| l.trim().split(" requests in ").next()?.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(answered > 200, "{report}");
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains("sustain_model_batch_rows_count"),
        "{metrics}"
    );

    let (status, run) = server.stop();
    assert!(status.success());
    assert_eq!(run["kind"], "serve");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["tags"]["precision"], "int8");
    let o = &run["outcomes"];
    // wrk counts only completed requests; the server answered at least those and ours.
    assert!(o["requests"].as_u64().unwrap() > answered, "{o}");
    assert_eq!(o["server_errors"], 0, "{o}");
    assert_eq!(o["rejected"], 0, "{o}");
    assert_eq!(o["client_errors"], 7, "{o}");
    assert!(
        f(&o["mean_batch_rows"]) > 1.0,
        "200 connections were micro-batched: {o}"
    );
    let per_request = f(&o["energy_wh_per_request"]);
    let total = f(&run["energy"]["total_wh"]);
    assert!(
        (per_request * o["requests"].as_u64().unwrap() as f64 - total).abs() <= 1e-9 * total,
        "{run}"
    );
    assert!(
        run["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n.as_str().unwrap().contains("checkpoint:")),
        "the final end supersedes the checkpoints"
    );
}

#[test]
fn a_full_queue_answers_503_and_sigterm_finishes_accepted_requests() {
    let env = Env::new();
    env.json(&[
        "train",
        "digits-cnn",
        "--epochs",
        "2",
        "--out",
        "cnn",
        "--json",
    ]);
    let server = env.serve(&[
        "--model",
        "cnn",
        "--queue",
        "2",
        "--max-batch",
        "1",
        "--max-body-bytes",
        "20000000",
    ]);
    // One large request keeps the worker busy while small ones arrive.
    let big = format!(
        "{{\"rows\": [{}]}}",
        vec![format!("[{}]", vec!["8"; 64].join(",")); 10_000].join(",")
    );
    let small = format!("{{\"rows\": [[{}]]}}", vec!["8"; 64].join(","));
    let url = server.url.clone();
    let post = move |body: String| {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut res = agent()
                .post(format!("{url}/v1/predict"))
                .header("content-type", "application/json")
                .send(&body)
                .unwrap();
            (
                res.status().as_u16(),
                res.body_mut().read_to_string().unwrap(),
            )
        })
    };
    // Rounds until the queue overflows (a busy machine may answer a round's small requests
    // before they pile up): each round, one large request, then 20 small ones.
    let (mut answers, mut bigs) = (Vec::new(), 0u64);
    for _ in 0..5 {
        let big_req = post(big.clone());
        std::thread::sleep(Duration::from_millis(200));
        let smalls: Vec<_> = (0..20).map(|_| post(small.clone())).collect();
        answers.extend(smalls.into_iter().map(|h| h.join().unwrap()));
        assert_eq!(big_req.join().unwrap().0, 200);
        bigs += 1;
        if answers.iter().any(|(s, _)| *s == 503) {
            break;
        }
    }
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!refused.is_empty(), "{answers:?}");
    assert!(refused[0].1.contains("queue is full"), "{refused:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 503),
        "{answers:?}"
    );

    // SIGTERM while a large request is being answered: it is still answered.
    let in_flight = post(big);
    std::thread::sleep(Duration::from_millis(150));
    let (status, run) = server.stop();
    assert_eq!(in_flight.join().unwrap().0, 200);
    assert!(status.success());
    let o = &run["outcomes"];
    let small_ok = answers.iter().filter(|(s, _)| *s == 200).count() as u64;
    assert_eq!(o["requests"].as_u64().unwrap(), small_ok + bigs + 1, "{o}");
    assert_eq!(o["rejected"].as_u64().unwrap(), refused.len() as u64, "{o}");
    assert_eq!(
        o["inferences"].as_u64().unwrap(),
        10_000 * (bigs + 1) + small_ok,
        "{o}"
    );
}

#[test]
fn a_char_gpt_model_generates_and_bad_directories_are_refused() {
    let env = Env::new();
    let text = "In the beginning was the word, and the word was with the light. ".repeat(60);
    std::fs::write(env.path("corpus.txt"), text).unwrap();
    env.json(&[
        "train",
        "char-gpt",
        "--dataset",
        "corpus.txt",
        "--epochs",
        "1",
        "--context",
        "16",
        "--d-model",
        "16",
        "--layers",
        "1",
        "--heads",
        "2",
        "--out",
        "gpt",
        "--json",
    ]);
    let server = env.serve(&["--model", "gpt"]);
    let (status, v) = server.post(
        "/v1/generate",
        &json!({"prompt": "In the", "length": 40, "temperature": 0, "seed": 1}).to_string(),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["text"].as_str().unwrap().chars().count(), 40);
    // The same prompt and seed give the same text.
    let (_, again) = server.post(
        "/v1/generate",
        &json!({"prompt": "In the", "length": 40, "temperature": 0, "seed": 1}).to_string(),
    );
    assert_eq!(again["text"], v["text"]);
    for (body, needle) in [
        (json!({"prompt": "x", "length": 0}), "length 0"),
        (json!({"prompt": "x", "temperature": -1}), "temperature -1"),
    ] {
        let (status, v) = server.post("/v1/generate", &body.to_string());
        assert_eq!(status, 400, "{v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{v}");
    }
    let (status, v) = server.post("/v1/predict", "{\"texts\": [\"a\"]}");
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("/v1/generate"), "{v}");
    let (status, run) = server.stop();
    assert!(status.success());
    assert_eq!(run["outcomes"]["tokens"], 80);

    // Not a model: exit 2, nothing recorded.
    let runs = |env: &Env| {
        env.json(&["runs", "list", "--json"])
            .as_array()
            .unwrap()
            .len()
    };
    let before = runs(&env);
    std::fs::create_dir_all(env.path("empty")).unwrap();
    for (args, needle) in [
        (vec!["serve-model", "--model", "empty"], "config.json"),
        (
            vec!["serve-model", "--model", "gpt", "--addr", "nowhere"],
            "--addr",
        ),
        (
            vec!["serve-model", "--model", "gpt", "--max-batch", "0"],
            "--max-batch",
        ),
    ] {
        let out = env.run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{err}");
    }
    assert_eq!(env.runs(), before);
}
