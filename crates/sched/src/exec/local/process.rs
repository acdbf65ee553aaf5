//! The process calls: waiting for a job without reaping it, reaping it, signalling its tree,
//! and passing on the signals this process receives.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Sender;

use super::dispatch::Event;
use crate::error::{Result, SchedError};

/// The signals passed on to the running jobs.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Spawns `sh -c COMMAND` in a process group of its own, stdin closed, with `env` set, and
/// its output and errors appended to `output` when given (else this process's); returns its
/// pid. It is reaped by [`wait_exit`] then [`reap`], never by `Child::wait`.
pub(super) fn spawn(
    command: &str,
    env: &[(&str, &str)],
    output: Option<&Path>,
) -> std::io::Result<i32> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .process_group(0)
        .stdin(Stdio::null())
        .envs(env.iter().copied());
    if let Some(path) = output {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        cmd.stdout(file.try_clone()?).stderr(file);
    }
    Ok(cmd.spawn()?.id() as i32)
}

/// Waits for `pid` to exit without reaping it (`WNOWAIT`), so its last CPU time is still in
/// `/proc` for the final sample; returns its raw wait status.
pub(super) fn wait_exit(pid: i32) -> std::io::Result<i32> {
    loop {
        // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes into `info`, which lives for the call.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            // SAFETY: waitid filled `info` for a child that exited (SIGCHLD fields are valid).
            let status = unsafe { info.si_status() };
            return Ok(match info.si_code {
                libc::CLD_EXITED => (status & 0xff) << 8,
                libc::CLD_DUMPED => (status & 0x7f) | 0x80,
                _ => status & 0x7f,
            });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Reaps `pid` (after [`wait_exit`]).
pub(super) fn reap(pid: i32) {
    loop {
        let mut raw = 0;
        // SAFETY: waitpid writes the status into `raw`.
        let rc = unsafe { libc::waitpid(pid, &mut raw, 0) };
        if rc >= 0 || std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
            return;
        }
    }
}

/// Sends `sig` to the process group of `leader` (the job's first process, which leads it),
/// and to each of its descendants that left the group; returns those.
pub(super) fn signal_tree(leader: i32, sig: i32) -> Vec<i32> {
    // SAFETY: kill with a negated process group id and a valid signal number.
    unsafe { libc::kill(-leader, sig) };
    let procfs = sustain_meter::procfs::Procfs::default();
    let all = procfs.all().unwrap_or_default();
    let mut outside = Vec::new();
    for p in sustain_meter::procfs::descendants(&all, leader as u32) {
        let pid = p.pid as i32;
        // SAFETY: getpgid reads another process's group id.
        let group = unsafe { libc::getpgid(pid) };
        if group >= 0 && group != leader {
            // SAFETY: kill with a live descendant's pid and a valid signal number.
            unsafe { libc::kill(pid, sig) };
            outside.push(pid);
        }
    }
    outside
}

/// Passes the signals this process receives to the dispatcher while a run lasts.
pub(super) struct Forwarder {
    handle: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Forwarder {
    pub(super) fn install(tx: Sender<Event>) -> Result<Self> {
        let mut signals = signal_hook::iterator::Signals::new(FORWARDED).map_err(|e| {
            SchedError::Engine(format!(
                "cannot install the signal handlers that pass Ctrl-C on to the jobs: {e}"
            ))
        })?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("sustain-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let _ = tx.send(Event::Signal(sig));
                }
            })
            .map_err(|e| {
                SchedError::Engine(format!(
                    "cannot start the thread that passes signals on: {e}"
                ))
            })?;
        Ok(Self {
            handle,
            thread: Some(thread),
        })
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
