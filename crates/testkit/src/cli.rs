//! The `sustain` binary driven as a user would: a fresh directory per test with its own ledger,
//! home and empty powercap tree (so energy is modelled, the same on every machine), and the
//! environment cleared but for `PATH`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A test's directory and the binary under test.
pub struct CliEnv {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl CliEnv {
    /// A fresh environment for `bin` (the test's `env!("CARGO_BIN_EXE_sustain")`).
    pub fn new(bin: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("powercap")).expect("powercap dir");
        CliEnv {
            dir,
            bin: bin.into(),
        }
    }

    /// A path inside the test's directory.
    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// The binary, run in the test's directory with its ledger.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env_clear()
            .current_dir(self.dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("SUSTAIN_LEDGER", self.path("ledger.sqlite"))
            .env("SUSTAIN_POWERCAP_ROOT", self.path("powercap"))
            .stdin(Stdio::null());
        c
    }

    /// Runs `args` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("spawn sustain")
    }

    /// Runs `args`, which must succeed, and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    /// The number of runs in the ledger.
    pub fn runs(&self) -> usize {
        self.json(&["runs", "list", "--json", "--limit", "100000"])
            .as_array()
            .map_or(0, Vec::len)
    }
}
