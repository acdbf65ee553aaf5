//! Running an engine's command (`sbatch`, `kubectl`): one place that spawns it, captures what
//! it says, and turns "not installed" into an error that says how to install it.

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::process::{Command, Output, Stdio};

use crate::error::{Result, SchedError};

/// A program with the arguments that go before ours and the environment it runs with.
pub(crate) struct Call<'a> {
    /// The program (a name looked up on `PATH`, or a path).
    pub program: &'a OsStr,
    /// Arguments placed before the subcommand's own (global flags).
    pub leading: &'a [OsString],
    /// Variables set for it (a `PATH` here is also where the program is looked up).
    pub env: &'a [(OsString, OsString)],
    /// What to do when it is not installed (the end of the error message).
    pub install: &'a str,
}

impl Call<'_> {
    /// Runs it with `args` after the leading ones, stdin closed, output captured. The error
    /// is about the program (missing, not executable); its exit status is the caller's to read.
    pub fn run<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(self.program);
        cmd.args(self.leading)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in self.env {
            cmd.env(k, v);
        }
        let name = self.program.to_string_lossy();
        cmd.output().map_err(|e| match e.kind() {
            ErrorKind::NotFound => {
                let path = self
                    .env
                    .iter()
                    .find(|(k, _)| k == "PATH")
                    .map(|(_, v)| v.clone())
                    .or_else(|| std::env::var_os("PATH"))
                    .unwrap_or_default();
                SchedError::Engine(format!(
                    "{name} not found (looked on PATH {:?}): {}",
                    path.to_string_lossy(),
                    self.install
                ))
            }
            ErrorKind::PermissionDenied => SchedError::Engine(format!(
                "{name} cannot be run (permission denied): expected an executable {name}; {}",
                self.install
            )),
            _ => SchedError::Engine(format!("{name} could not be started: {e}")),
        })
    }
}

/// What a failed command said, for a message: its standard error (or output, when the error
/// is empty), trimmed and cut to its last 2,000 characters, with the exit status.
pub(crate) fn said(out: &Output) -> String {
    let text = if out.stderr.iter().all(u8::is_ascii_whitespace) {
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    } else {
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    };
    let chars = text.chars().count();
    let text = if chars > 2000 {
        let tail: String = text.chars().skip(chars - 2000).collect();
        format!("...{tail}")
    } else {
        text
    };
    let status = match out.status.code() {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    };
    if text.is_empty() {
        format!("no message, {status}")
    } else {
        format!("{text:?} ({status})")
    }
}
