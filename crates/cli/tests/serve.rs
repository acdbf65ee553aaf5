//! `sustain token`, `sustain serve` and `sustain run --remote`, driven as a user would: a real
//! server process on a port, a client with its own (empty) ledger, the run pushed end to end.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sustain");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["powercap", "home", "client"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Env { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// The server's ledger.
    fn ledger(&self) -> PathBuf {
        self.path("server.sqlite")
    }

    fn cmd(&self, ledger: &Path) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear()
            .current_dir(self.dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("SUSTAIN_LEDGER", ledger)
            .env("SUSTAIN_POWERCAP_ROOT", self.path("powercap"))
            .env("USER", "tester")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(&self.ledger())
            .args(args)
            .output()
            .expect("spawn sustain")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn token(&self, role: &str, name: &str) -> String {
        self.json(&["token", "create", "--role", role, "--name", name, "--json"])["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `sustain serve --addr 127.0.0.1:0`, and the URL it prints.
    fn serve(&self) -> Server {
        let mut child = self
            .cmd(&self.ledger())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sustain serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            let line = lines
                .next()
                .expect("sustain serve exited before listening")
                .unwrap();
            if let Some(rest) = line.split(" on http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().unwrap());
            }
            assert!(Instant::now() < deadline, "no address printed");
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn get(&self, path: &str, token: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut res = agent
            .get(format!("{}{path}", self.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        (
            res.status().as_u16(),
            res.body_mut().read_to_string().unwrap(),
        )
    }

    fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: kill with the pid of our child and SIGTERM.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn tokens_are_created_once_listed_without_secrets_and_revoked() {
    let env = Env::new();
    // Plain output: the secret alone on stdout, the explanation on stderr.
    let out = env.run(&["token", "create", "--role", "viewer", "--name", "dash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let secret = String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_string();
    assert!(
        secret.starts_with("sst_") && !secret.contains(' '),
        "{secret}"
    );
    assert!(stderr(&out).contains("shown once"));
    let created = env.json(&["token", "create", "--role", "editor", "--json"]);
    assert_eq!(created["role"], "editor");
    assert!(created["name"].as_str().unwrap().starts_with("editor-"));
    let list = env.json(&["token", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&secret[17..]),
        "no secret in the list"
    );
    assert_eq!(list[0]["created_by"], "cli:tester");
    let table = String::from_utf8(env.run(&["token", "list"]).stdout).unwrap();
    assert!(
        table.contains("dash") && table.contains("active"),
        "{table}"
    );
    let r = env.json(&["token", "revoke", "dash", "--json"]);
    assert!(r["revoked_at"].is_string());
    let table = String::from_utf8(env.run(&["token", "list"]).stdout).unwrap();
    assert!(table.contains("revoked"), "{table}");
    // Bad input: exit 2 with a message that names what is right.
    for (args, needle) in [
        (
            &["token", "create", "--role", "owner"][..],
            "viewer, editor or admin",
        ),
        (&["token", "revoke", "dash"][..], "sustain token list"),
        (
            &["token", "create", "--role", "admin", "--name", "a b"][..],
            "letters",
        ),
        (&["serve", "--addr", "localhost"][..], "HOST:PORT"),
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    // Both changes are in the audit log.
    let audit = env.json(&["audit", "--json"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.create", "token.create", "token.revoke"]);
    for cmd in [
        &["serve", "--help"][..],
        &["token", "--help"],
        &["token", "create", "--help"],
        &["token", "list", "--help"],
        &["token", "revoke", "--help"],
    ] {
        let out = env.run(cmd);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples:"),
            "{cmd:?}"
        );
    }
}

#[test]
fn run_remote_pushes_the_run_to_the_server_end_to_end() {
    let env = Env::new();
    let editor = env.token("editor", "agent");
    let viewer = env.token("viewer", "dash");
    let server = env.serve();
    let client_ledger = env.path("client/ledger.sqlite");

    // With flags.
    let out = env
        .cmd(&client_ledger)
        .args([
            "run",
            "--remote",
            &server.url,
            "--token",
            &editor,
            "--name",
            "remote-true",
            "--tag",
            "team=remote",
            "--site",
            "FR",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("pushed to"), "{}", stderr(&out));
    // With SUSTAIN_REMOTE and SUSTAIN_TOKEN, a failing command keeps its exit code.
    let out = env
        .cmd(&client_ledger)
        .env("SUSTAIN_REMOTE", &server.url)
        .env("SUSTAIN_TOKEN", &editor)
        .args([
            "run",
            "--quiet",
            "--name",
            "remote-fail",
            "--",
            "sh",
            "-c",
            "exit 3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // The runs are in the server's ledger, seen through the API and the server's CLI...
    let (status, body) = server.get("/api/v1/runs?limit=10", &viewer);
    assert_eq!(status, 200, "{body}");
    let runs: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["remote-fail", "remote-true"]);
    let ok = &runs[1];
    assert_eq!(ok["status"], "succeeded");
    assert_eq!(ok["command"], serde_json::json!(["true"]));
    assert_eq!(ok["tags"]["team"], "remote");
    assert_eq!(ok["site"], "FR");
    assert!(ok["samples"].as_u64().unwrap() >= 1);
    assert!(ok["co2e"]["location_g"].as_f64().unwrap() >= 0.0);
    // The client's host figures travel with the run; the server computes the embodied figure.
    assert_eq!(ok["host"]["embodied"]["kgco2e"], 1230.3);
    assert!(ok["embodied"]["co2e_g"].as_f64().unwrap() >= 0.0, "{ok}");
    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[0]["exit_code"], 3);
    let local = env.json(&["runs", "list", "--json"]);
    assert_eq!(local.as_array().unwrap().len(), 2);
    // ... and not in the client's.
    assert!(
        !client_ledger.exists(),
        "the client's ledger was not touched"
    );

    // A viewer token, a bad URL, no token: refused before the command runs (exit 125).
    let marker = env.path("client/ran");
    let touch = format!("touch {}", marker.display());
    let dead = "http://127.0.0.1:9".to_string();
    for (remote, token, needle) in [
        (&server.url, Some(viewer.as_str()), "editor or admin"),
        (&server.url, Some("sst_nope"), "refused the token"),
        (&dead, Some(editor.as_str()), "cannot reach"),
        (&server.url, None, "needs a token"),
    ] {
        let mut c = env.cmd(&client_ledger);
        c.args(["run", "--remote", remote]);
        if let Some(t) = token {
            c.args(["--token", t]);
        }
        let out = c.args(["--", "sh", "-c", &touch]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(125),
            "{remote} {token:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(needle), "{needle}: {}", stderr(&out));
        assert!(!marker.exists(), "the command must not run");
    }
    assert!(server.stop().success());
}

#[test]
fn a_run_the_server_cannot_take_is_kept_in_the_local_ledger() {
    let env = Env::new();
    let editor = env.token("editor", "agent");
    let server = env.serve();
    let client_ledger = env.path("client/ledger.sqlite");
    // The command stops the server, so the push at its end finds nobody.
    let pid = server.child.id().to_string();
    let out = env
        .cmd(&client_ledger)
        .args([
            "run",
            "--remote",
            &server.url,
            "--token",
            &editor,
            "--name",
            "orphan",
            "--",
            "kill",
            &pid,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("recorded in the local ledger"),
        "{}",
        stderr(&out)
    );
    let mut server = server;
    assert!(server.child.wait().unwrap().success());
    let local: Value = serde_json::from_slice(
        &env.cmd(&client_ledger)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(local[0]["name"], "orphan");
    assert_eq!(local[0]["status"], "succeeded");
}

/// `sustain report` and `GET /api/v1/reports` are one assembly: for the same ledger, period and
/// scope they give the same bytes in every format, saved scenarios, model sheets, strategy map
/// and targets included (the API's report once lacked them).
#[test]
fn the_cli_report_and_the_api_report_are_byte_identical() {
    let env = Env::new();
    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    ok(&[
        "product",
        "add",
        "chat",
        "--price-per-1k-requests",
        "2.50",
        "--currency",
        "USD",
    ]);
    // A training run of a model (its sheet), a run of the product tagged with text that
    // Markdown and HTML must escape.
    ok(&[
        "run",
        "--quiet",
        "--site",
        "FR",
        "--kind",
        "train",
        "--tag",
        "model=m1",
        "--tag",
        "product=chat",
        "--",
        "true",
    ]);
    ok(&[
        "run",
        "--quiet",
        "--site",
        "DE",
        "--tag",
        "product=chat",
        "--tag",
        "model=<b>x|y</b>",
        "--",
        "true",
    ]);
    ok(&["usage", "add", "--product", "chat", "--requests", "1200"]);
    ok(&[
        "cost",
        "add",
        "--amount",
        "12.5",
        "--currency",
        "USD",
        "--category",
        "storage",
    ]);
    for scope in ["company", "product:chat"] {
        ok(&[
            "target",
            "add",
            &format!("carbon-{}", scope.replace(':', "-")),
            "--metric",
            "co2e_location_g",
            "--scope",
            scope,
            "--baseline",
            &month,
            "--goal",
            "-30%",
            "--by",
            "2030-12-31",
        ]);
    }
    std::fs::write(
        env.path("plan.toml"),
        "name = \"to-france\"\ndescription = \"all <i>in</i> FR\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n",
    )
    .unwrap();
    ok(&["scenario", "run", "plan.toml", "--period", &month, "--save"]);
    let viewer = env.token("viewer", "dash");
    let server = env.serve();
    for scope in ["company", "product:chat"] {
        for format in ["md", "html", "json", "csv"] {
            let file = env.path(&format!("report-{}.{format}", scope.replace(':', "-")));
            ok(&[
                "report",
                "--period",
                &month,
                "--scope",
                scope,
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ]);
            let cli = std::fs::read_to_string(&file).unwrap();
            let (status, api) = server.get(
                &format!("/api/v1/reports?period={month}&scope={scope}&format={format}"),
                &viewer,
            );
            assert_eq!(status, 200, "{scope} {format}: {api}");
            assert!(
                cli == api,
                "{scope} {format}: the CLI's and the API's reports differ:\n--- cli\n{cli}\n--- api\n{api}"
            );
            // What the API's report once lacked is there.
            if format == "md" {
                for want in [
                    "## Targets",
                    "## Strategy map",
                    "### Scenario to-france",
                    "## Model sheets",
                    "### Model m1",
                ] {
                    assert!(cli.contains(want), "{scope}: no {want:?} in\n{cli}");
                }
                if scope == "company" {
                    assert!(cli.contains("\\<b\\>x\\|y\\</b\\>"), "{cli}");
                }
            }
            if format == "html" {
                assert!(!cli.contains("<b>x") && cli.contains("&lt;b&gt;x|y&lt;/b&gt;"));
                assert!(!cli.contains("<i>in") && cli.contains("all &lt;i&gt;in&lt;/i&gt; FR"));
            }
        }
    }
    assert!(server.stop().success());
}
