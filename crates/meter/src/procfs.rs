//! Reading the Linux process table and machine counters from `/proc`.
//!
//! Only what the meter needs, parsed by hand: the fields are few, stable and documented in
//! proc(5), and a full procfs crate would bring far more than is used.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{MeterError, Result, read_to_string};

/// The fields of `/proc/PID/stat` the meter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// User time, clock ticks.
    pub utime: u64,
    /// System time, clock ticks.
    pub stime: u64,
    /// User time of waited-for children, clock ticks.
    pub cutime: u64,
    /// System time of waited-for children, clock ticks.
    pub cstime: u64,
    /// Start time after boot, clock ticks.
    pub starttime: u64,
    /// Resident set size, pages.
    pub rss_pages: u64,
}

impl ProcStat {
    /// Parses the text of `/proc/PID/stat`. The command name (field 2) is in parentheses and
    /// may itself contain spaces and parentheses, so parsing starts after the last `)`.
    pub fn parse(text: &str) -> Option<ProcStat> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let pid = text[..open].trim().parse().ok()?;
        let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
        // rest[0] is field 3 (state); field n is rest[n - 3].
        let f = |n: usize| -> Option<u64> { rest.get(n - 3)?.parse().ok() };
        Some(ProcStat {
            pid,
            ppid: f(4)? as u32,
            utime: f(14)?,
            stime: f(15)?,
            cutime: f(16)?,
            cstime: f(17)?,
            starttime: f(22)?,
            rss_pages: rest.get(24 - 3)?.parse::<i64>().ok()?.max(0) as u64,
        })
    }

    /// Own CPU time plus that of waited-for children, in clock ticks.
    pub fn total_ticks(&self) -> u64 {
        self.utime + self.stime + self.cutime + self.cstime
    }
}

/// A view of `/proc` (movable for tests).
#[derive(Debug, Clone)]
pub struct Procfs {
    root: PathBuf,
}

impl Default for Procfs {
    fn default() -> Self {
        Self {
            root: PathBuf::from("/proc"),
        }
    }
}

/// Machine-wide CPU time from the first line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Ticks spent running anything (user, nice, system, irq, softirq, steal).
    pub busy: u64,
    /// All ticks, busy plus idle and iowait.
    pub total: u64,
}

/// Memory figures from `/proc/meminfo`, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    /// MemTotal.
    pub total: u64,
    /// MemAvailable (or MemFree when the kernel is too old to report it).
    pub available: u64,
}

impl MemInfo {
    /// Memory in use.
    pub fn used(&self) -> u64 {
        self.total.saturating_sub(self.available)
    }
}

/// What `/proc/cpuinfo` says about the processors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuInfo {
    /// The model name of the first processor.
    pub model: String,
    /// Logical CPUs listed.
    pub logical: u32,
    /// Distinct physical packages.
    pub packages: u32,
}

impl Procfs {
    /// A view rooted elsewhere (tests).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The stat of one process, `None` when it has gone.
    pub fn stat(&self, pid: u32) -> Option<ProcStat> {
        let text = std::fs::read_to_string(self.root.join(pid.to_string()).join("stat")).ok()?;
        ProcStat::parse(&text)
    }

    /// The stats of every process now.
    pub fn all(&self) -> Result<Vec<ProcStat>> {
        let dir = std::fs::read_dir(&self.root).map_err(|source| MeterError::Read {
            path: self.root.clone(),
            source,
        })?;
        Ok(dir
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| self.stat(pid))
            .collect())
    }

    /// Machine-wide CPU times.
    pub fn cpu_times(&self) -> Result<CpuTimes> {
        let path = self.path("stat");
        let text = read_to_string(&path)?;
        parse_cpu_times(&text).ok_or(MeterError::Parse {
            path,
            message: "no aggregate 'cpu' line".into(),
        })
    }

    /// Memory totals.
    pub fn meminfo(&self) -> Result<MemInfo> {
        let path = self.path("meminfo");
        let text = read_to_string(&path)?;
        let field = |name: &str| -> Option<u64> {
            text.lines()
                .find(|l| l.starts_with(name))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
                .map(|kb| kb * 1024)
        };
        let total = field("MemTotal:").ok_or(MeterError::Parse {
            path: path.clone(),
            message: "no MemTotal".into(),
        })?;
        let available = field("MemAvailable:")
            .or_else(|| field("MemFree:"))
            .unwrap_or(0);
        Ok(MemInfo { total, available })
    }

    /// Processor model and counts.
    pub fn cpuinfo(&self) -> Result<CpuInfo> {
        let text = read_to_string(&self.path("cpuinfo"))?;
        Ok(parse_cpuinfo(&text))
    }

    /// The kernel's boot id, empty when unavailable.
    pub fn boot_id(&self) -> String {
        std::fs::read_to_string(self.path("sys/kernel/random/boot_id"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }
}

/// Parses the aggregate `cpu` line of `/proc/stat`.
pub fn parse_cpu_times(text: &str) -> Option<CpuTimes> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 4 {
        return None;
    }
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
    let total = busy + get(3) + get(4);
    Some(CpuTimes { busy, total })
}

/// Parses `/proc/cpuinfo`.
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut model = String::new();
    let mut logical = 0;
    let mut packages = HashSet::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "processor" => logical += 1,
            "model name" | "Model" | "cpu model" if model.is_empty() => model = v.to_string(),
            "physical id" => {
                packages.insert(v.to_string());
            }
            _ => {}
        }
    }
    CpuInfo {
        model,
        logical,
        packages: (packages.len() as u32).max(1),
    }
}

/// The descendants of `root` (not `root` itself) among `procs`.
pub fn descendants(procs: &[ProcStat], root: u32) -> Vec<ProcStat> {
    let mut children: HashMap<u32, Vec<&ProcStat>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    let mut seen = HashSet::from([root]);
    while let Some(pid) = stack.pop() {
        if let Some(kids) = children.get(&pid) {
            for k in kids {
                if seen.insert(k.pid) {
                    out.push(**k);
                    stack.push(k.pid);
                }
            }
        }
    }
    out
}

/// Clock ticks per second (`USER_HZ`).
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if v > 0 { v as u64 } else { 100 }
}

/// Page size in bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 { v as u64 } else { 4096 }
}

/// Converts clock ticks to a duration.
pub fn ticks_to_duration(ticks: u64, hz: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / hz as f64)
}

/// Resource usage of this process's children that have been waited for: CPU time and the
/// largest peak RSS among them.
pub fn rusage_children() -> (Duration, u64) {
    rusage(libc::RUSAGE_CHILDREN)
}

/// Resource usage of this process itself: CPU time and its peak RSS.
pub fn rusage_self() -> (Duration, u64) {
    rusage(libc::RUSAGE_SELF)
}

fn rusage(who: libc::c_int) -> (Duration, u64) {
    // SAFETY: getrusage writes into the struct we pass; a zeroed rusage is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    if rc != 0 {
        return (Duration::ZERO, 0);
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    (
        tv(ru.ru_utime) + tv(ru.ru_stime),
        (ru.ru_maxrss.max(0) as u64) * 1024,
    )
}

/// Whether `path` exists (used for optional sensors).
pub fn exists(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parses_names_with_spaces_and_parens() {
        let text = "1234 (my (weird) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 98765 1000000 321 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        let s = ProcStat::parse(text).unwrap();
        assert_eq!(s.pid, 1234);
        assert_eq!(s.ppid, 1);
        assert_eq!((s.utime, s.stime, s.cutime, s.cstime), (250, 50, 7, 3));
        assert_eq!(s.starttime, 98765);
        assert_eq!(s.rss_pages, 321);
        assert_eq!(s.total_ticks(), 310);
        assert!(ProcStat::parse("garbage").is_none());
    }

    #[test]
    fn own_stat_is_readable() {
        let me = std::process::id();
        let s = Procfs::default().stat(me).unwrap();
        assert_eq!(s.pid, me);
        assert!(s.rss_pages > 0);
    }

    #[test]
    fn cpu_times_and_cpuinfo() {
        let t = parse_cpu_times("cpu  10 2 3 100 5 1 1 0 0 0\ncpu0 1 1 1 1\n").unwrap();
        assert_eq!(t.busy, 17);
        assert_eq!(t.total, 122);
        let info = parse_cpuinfo(
            "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nphysical id\t: 0\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nphysical id\t: 1\n",
        );
        assert_eq!(info.logical, 2);
        assert_eq!(info.packages, 2);
        assert!(info.model.contains("6248"));
        assert_eq!(parse_cpuinfo("processor : 0\n").packages, 1);
    }

    #[test]
    fn descendants_walks_the_whole_tree() {
        let p = |pid, ppid| ProcStat {
            pid,
            ppid,
            utime: 0,
            stime: 0,
            cutime: 0,
            cstime: 0,
            starttime: 0,
            rss_pages: 0,
        };
        let procs = vec![p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(13, 10)];
        let mut d: Vec<u32> = descendants(&procs, 10).iter().map(|s| s.pid).collect();
        d.sort();
        assert_eq!(d, vec![11, 12, 13]);
    }

    #[test]
    fn machine_files_are_readable_here() {
        let fs = Procfs::default();
        assert!(fs.cpu_times().unwrap().total > 0);
        assert!(fs.meminfo().unwrap().total > 0);
        assert!(fs.cpuinfo().unwrap().logical >= 1);
    }
}
