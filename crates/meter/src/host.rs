//! The machine and the meter process: what a run records about where it ran, and how a later
//! `sustain` tells a live run from one whose meter died.

use sustain_core::run::{HostInfo, MeterIdentity};

use crate::procfs::Procfs;

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// What the meter can see of this machine; `gpus` come from the GPU sensor.
pub fn host_info(procfs: &Procfs, gpus: Vec<String>) -> HostInfo {
    let cpu = procfs.cpuinfo().unwrap_or_default();
    let mem = procfs.meminfo().unwrap_or_default();
    HostInfo {
        hostname: hostname(),
        cpu_model: cpu.model,
        logical_cpus: cpu.logical,
        packages: cpu.packages,
        ram_total_bytes: mem.total,
        gpus,
        // The meter sees no embodied figures; the settings add them to the run's start.
        embodied: None,
    }
}

/// The identity of the current process.
pub fn self_identity(procfs: &Procfs) -> MeterIdentity {
    let pid = std::process::id();
    MeterIdentity {
        hostname: hostname(),
        boot_id: procfs.boot_id(),
        pid,
        start_ticks: procfs.stat(pid).map(|s| s.starttime).unwrap_or(0),
    }
}

/// Whether a meter process is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// It runs on this machine now.
    Alive,
    /// It ran on this machine (this boot or an earlier one) and is gone.
    Gone,
    /// It ran on another machine; this one cannot tell.
    Unknown,
}

/// Checks a meter identity against this machine's process table.
pub fn liveness(procfs: &Procfs, id: &MeterIdentity) -> Liveness {
    if id.hostname != hostname() {
        return Liveness::Unknown;
    }
    let boot = procfs.boot_id();
    if boot.is_empty() || id.boot_id.is_empty() {
        return Liveness::Unknown;
    }
    if boot != id.boot_id {
        return Liveness::Gone;
    }
    match procfs.stat(id.pid) {
        Some(s) if s.starttime == id.start_ticks => Liveness::Alive,
        _ => Liveness::Gone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_identity_is_alive_and_a_dead_pid_is_gone() {
        let fs = Procfs::default();
        let me = self_identity(&fs);
        assert_eq!(liveness(&fs, &me), Liveness::Alive);
        let reused = MeterIdentity {
            start_ticks: me.start_ticks + 1,
            ..me.clone()
        };
        assert_eq!(liveness(&fs, &reused), Liveness::Gone);
        let elsewhere = MeterIdentity {
            hostname: "some-other-host.invalid".into(),
            ..me.clone()
        };
        assert_eq!(liveness(&fs, &elsewhere), Liveness::Unknown);
        let rebooted = MeterIdentity {
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            ..me
        };
        assert_eq!(liveness(&fs, &rebooted), Liveness::Gone);
    }

    #[test]
    fn host_info_reads_this_machine() {
        let h = host_info(&Procfs::default(), vec![]);
        assert!(h.logical_cpus >= 1);
        assert!(h.ram_total_bytes > 0);
        assert!(!h.hostname.is_empty());
    }
}
