//! The sampler: reads the process table and every sensor once per interval and returns the
//! energy attributed to the metered tree in that interval.
//!
//! ## Which processes are "the tree"
//! `sustain run` makes itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`) before it spawns
//! the command, so every descendant — daemonized grandchildren included — stays below it. The
//! tree's cumulative CPU time is then exact at any moment:
//!
//! `CPU(tree) = rusage(children waited for) + Σ over live descendants (utime + stime + cutime + cstime)`
//!
//! A process that is reaped between the two reads could be missed for one sample; the sampler
//! keeps the high-water mark of that sum and counts only increases above it, so a transient dip
//! never makes energy negative or counts the same CPU time twice.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{ComponentEnergy, EnergyBreakdown, HostInfo, Sample};
use sustain_core::units::Power;
use tracing::warn;

use crate::attached::AttachedTree;
use crate::cpu::{CpuPowerModel, ModelCpuSensor, RaplCpuSensor};
use crate::error::Result;
use crate::gpu::GpuSensor;
use crate::host::host_info;
use crate::memory::{DEFAULT_W_PER_GIB, ModelRamSensor, RaplDramSensor};
use crate::powercap::{Rapl, powercap_root};
use crate::procfs::{
    self, CpuTimes, Procfs, clock_ticks_per_second, descendants, page_size, ticks_to_duration,
};
use crate::sensor::{Sensor, Tick};

type Primary = Box<dyn Sensor>;
type Fallback = Option<Box<dyn Sensor>>;

/// Which processes are metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRoot {
    /// Every descendant of this process, not this process itself (`sustain run`).
    ChildrenOfSelf,
    /// This process and its descendants (Sustain metering its own work, such as training).
    SelfAndChildren,
    /// A process the caller spawns once the start is recorded, given with
    /// [`Sampler::attach`], and its descendants, each remembered once seen (so one re-parented
    /// away when its parent exits stays metered); nothing before it is attached. Several runs
    /// can be metered side by side in one process this way (the local executor of
    /// `sustain-sched`), where `ChildrenOfSelf` would count each other's processes. See
    /// `attached.rs` for what it cannot see.
    Attached,
}

/// Settings of the meter.
#[derive(Debug, Clone)]
pub struct MeterConfig {
    /// Root of the powercap tree.
    pub powercap_root: PathBuf,
    /// Use RAPL when readable.
    pub use_rapl: bool,
    /// Use NVML when present.
    pub use_gpu: bool,
    /// TDP of all CPU packages, replacing the catalog's.
    pub cpu_tdp: Option<Power>,
    /// Memory model power per GiB resident, W.
    pub ram_w_per_gib: f64,
}

impl Default for MeterConfig {
    fn default() -> Self {
        Self {
            powercap_root: powercap_root(),
            use_rapl: true,
            use_gpu: true,
            cpu_tdp: None,
            ram_w_per_gib: DEFAULT_W_PER_GIB,
        }
    }
}

/// The totals a meter observed that are not energy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// CPU time of the tree.
    pub cpu_time: Duration,
    /// Peak resident memory of the tree, bytes.
    pub peak_rss_bytes: u64,
}

/// Samples a process tree.
pub struct Sampler {
    procfs: Procfs,
    root: TreeRoot,
    attached: Option<AttachedTree>,
    hz: u64,
    page: u64,
    cpu: Box<dyn Sensor>,
    cpu_fallback: Option<Box<dyn Sensor>>,
    ram: Box<dyn Sensor>,
    ram_fallback: Option<Box<dyn Sensor>>,
    gpu: GpuSensor,
    host: HostInfo,
    last_at: Instant,
    last_machine: CpuTimes,
    tree_cpu_high: Duration,
    last_rss: u64,
    usage: Usage,
    seq: u32,
    notes: Vec<String>,
}

impl Sampler {
    /// Detects the sensors of this machine and takes the first readings; sampling starts now.
    pub fn start(cfg: &MeterConfig, root: TreeRoot, catalog: &CpuCatalog) -> Result<Self> {
        let procfs = Procfs::default();
        let info = procfs.cpuinfo()?;
        let model = CpuPowerModel::for_host(&info, catalog, cfg.cpu_tdp);
        let rapl = if cfg.use_rapl {
            Rapl::discover(&cfg.powercap_root).map_err(|e| e.to_string())
        } else {
            Err("RAPL disabled by configuration".to_string())
        };
        let (cpu, cpu_fallback, ram, ram_fallback): (Primary, Fallback, Primary, Fallback) =
            match rapl {
                Ok(r) => {
                    let model_cpu = ModelCpuSensor::new(model, "used after a RAPL read failed");
                    let ram_model = ModelRamSensor::new(cfg.ram_w_per_gib);
                    let (ram, ram_fb): (Primary, Fallback) = match RaplDramSensor::new(r.clone()) {
                        Some(d) => (Box::new(d), Some(Box::new(ram_model))),
                        None => (Box::new(ram_model), None),
                    };
                    (
                        Box::new(RaplCpuSensor::new(r)),
                        Some(Box::new(model_cpu)),
                        ram,
                        ram_fb,
                    )
                }
                Err(why) => (
                    Box::new(ModelCpuSensor::new(model, why)),
                    None,
                    Box::new(ModelRamSensor::new(cfg.ram_w_per_gib)),
                    None,
                ),
            };
        let gpu = if cfg.use_gpu {
            GpuSensor::detect()
        } else {
            GpuSensor::Absent("GPU metering disabled by configuration".into())
        };
        let host = host_info(&procfs, gpu.device_names());
        let last_machine = procfs.cpu_times()?;
        let mut s = Self {
            procfs,
            root,
            attached: None,
            hz: clock_ticks_per_second(),
            page: page_size(),
            cpu,
            cpu_fallback,
            ram,
            ram_fallback,
            gpu,
            host,
            last_at: Instant::now(),
            last_machine,
            tree_cpu_high: Duration::ZERO,
            last_rss: 0,
            usage: Usage::default(),
            seq: 0,
            notes: Vec::new(),
        };
        // The tree's CPU time so far (zero for a command not yet spawned; Sustain's own start-up
        // for a self-metered run is not the workload's).
        s.tree_cpu_high = s.tree_snapshot().0;
        Ok(s)
    }

    /// The machine as seen at start.
    pub fn host(&self) -> &HostInfo {
        &self.host
    }

    /// How each component is obtained: cpu, gpu, ram.
    pub fn methods(&self) -> [String; 3] {
        [self.cpu.method(), self.gpu.method(), self.ram.method()]
    }

    /// CPU time and peak memory so far. The peak is that of the sampled tree RSS: the
    /// kernel's `ru_maxrss` of a child also counts the memory of the process it was forked
    /// from, so it would report the meter's own size for small commands.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Problems met while sampling (a sensor that failed and was replaced by its model).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Meters the process `pid` and its descendants from now on (with
    /// [`TreeRoot::Attached`]; ignored with the other roots). The caller spawned it after the
    /// start was recorded, and keeps it unreaped until the last sample.
    pub fn attach(&mut self, pid: u32) {
        if self.root == TreeRoot::Attached {
            self.attached = Some(AttachedTree::new(pid));
        }
    }

    /// Cumulative CPU time, live pids and resident memory of the tree now.
    fn tree_snapshot(&mut self) -> (Duration, std::collections::HashSet<u32>, u64) {
        if self.root == TreeRoot::Attached {
            let Some(tree) = self.attached.as_mut() else {
                return (Duration::ZERO, Default::default(), 0);
            };
            let now = tree.update(&self.procfs.all().unwrap_or_default());
            return (
                ticks_to_duration(now.ticks, self.hz),
                now.pids,
                now.rss_pages * self.page,
            );
        }
        let me = std::process::id();
        let (children_cpu, _) = procfs::rusage_children();
        let mut cpu = children_cpu;
        let mut pids = std::collections::HashSet::new();
        let mut rss_pages = 0;
        if self.root == TreeRoot::SelfAndChildren {
            cpu += procfs::rusage_self().0;
            pids.insert(me);
            rss_pages += self.procfs.stat(me).map_or(0, |s| s.rss_pages);
        }
        let all = self.procfs.all().unwrap_or_default();
        for p in descendants(&all, me) {
            cpu += ticks_to_duration(p.total_ticks(), self.hz);
            pids.insert(p.pid);
            rss_pages += p.rss_pages;
        }
        (cpu, pids, rss_pages * self.page)
    }

    /// Reads everything once and returns the interval since the previous sample.
    pub fn sample(&mut self) -> Sample {
        let now = Instant::now();
        let dt = now.duration_since(self.last_at);
        self.last_at = now;

        let (tree_cpu_now, tree_pids, tree_rss) = self.tree_snapshot();
        let tree_cpu = tree_cpu_now.saturating_sub(self.tree_cpu_high);
        self.tree_cpu_high = self.tree_cpu_high.max(tree_cpu_now);

        let machine = self.procfs.cpu_times().unwrap_or(self.last_machine);
        let busy = machine.busy.saturating_sub(self.last_machine.busy);
        let total = machine.total.saturating_sub(self.last_machine.total);
        self.last_machine = machine;
        let mem_used = self.procfs.meminfo().map(|m| m.used()).unwrap_or(0);

        let tick = Tick {
            dt,
            tree_pids,
            tree_cpu,
            machine_busy: ticks_to_duration(busy, self.hz),
            machine_total: ticks_to_duration(total, self.hz),
            // Mean of the interval's two ends (trapezoid rule), so the last interval of a
            // command that has exited still counts the memory it held.
            tree_rss_bytes: (self.last_rss + tree_rss) / 2,
            machine_mem_used_bytes: mem_used,
        };
        self.last_rss = tree_rss;

        let cpu = read_with_fallback(
            "cpu",
            &mut self.cpu,
            &mut self.cpu_fallback,
            &tick,
            &mut self.notes,
        );
        let ram = read_with_fallback(
            "ram",
            &mut self.ram,
            &mut self.ram_fallback,
            &tick,
            &mut self.notes,
        );
        let gpu = match self.gpu.read(&tick) {
            Ok(e) => e,
            Err(e) => {
                let why =
                    format!("GPU sensor failed ({e}); GPU energy after this point is not counted");
                warn!("{why}");
                self.notes.push(why.clone());
                self.gpu = GpuSensor::Absent(why);
                ComponentEnergy::default()
            }
        };

        self.usage.cpu_time += tree_cpu;
        self.usage.peak_rss_bytes = self.usage.peak_rss_bytes.max(tree_rss);
        let sample = Sample {
            seq: self.seq,
            at: chrono::Utc::now(),
            interval: dt,
            energy: EnergyBreakdown { cpu, gpu, ram },
            cpu_time: tree_cpu,
            rss_bytes: tree_rss,
        };
        self.seq += 1;
        sample
    }
}

fn read_with_fallback(
    component: &str,
    primary: &mut Box<dyn Sensor>,
    fallback: &mut Option<Box<dyn Sensor>>,
    tick: &Tick,
    notes: &mut Vec<String>,
) -> ComponentEnergy {
    match primary.read(tick) {
        Ok(e) => e,
        Err(e) => {
            let why = format!("{component} sensor failed ({e})");
            match fallback.take() {
                Some(mut fb) => {
                    let why = format!("{why}; switched to {}", fb.method());
                    warn!("{why}");
                    notes.push(why);
                    let reading = fb.read(tick).unwrap_or_default();
                    *primary = fb;
                    reading
                }
                None => {
                    warn!("{why}");
                    notes.push(why);
                    ComponentEnergy::default()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_only() -> MeterConfig {
        MeterConfig {
            use_rapl: false,
            use_gpu: false,
            ..Default::default()
        }
    }

    #[test]
    fn a_busy_child_gets_more_cpu_energy_than_a_sleeping_one() {
        let cat = CpuCatalog::bundled().unwrap();
        let measure = |script: &str| {
            let mut s = Sampler::start(&model_only(), TreeRoot::ChildrenOfSelf, &cat).unwrap();
            let mut child = std::process::Command::new("sh")
                .args(["-c", script])
                .spawn()
                .unwrap();
            let mut total = EnergyBreakdown::default();
            std::thread::sleep(Duration::from_millis(300));
            total.accumulate(&s.sample().energy);
            child.wait().unwrap();
            total.accumulate(&s.sample().energy);
            (total, s.usage())
        };
        let (busy, busy_usage) = measure(
            "end=$(($(date +%s%N) + 600000000)); while [ $(date +%s%N) -lt $end ]; do :; done",
        );
        let (idle, idle_usage) = measure("sleep 0.6");
        assert!(
            busy_usage.cpu_time > Duration::from_millis(100),
            "{busy_usage:?}"
        );
        assert!(
            idle_usage.cpu_time < Duration::from_millis(200),
            "{idle_usage:?}"
        );
        assert!(
            busy.cpu.energy.joules() > idle.cpu.energy.joules() * 3.0 + 0.01,
            "busy {:?} idle {:?}",
            busy.cpu.energy,
            idle.cpu.energy
        );
        assert_eq!(busy.cpu.source, sustain_core::run::EnergySource::Modelled);
        assert_eq!(busy.gpu.source, sustain_core::run::EnergySource::None);
    }

    #[test]
    fn an_attached_process_is_metered_alone_up_to_its_exit() {
        let cat = CpuCatalog::bundled().unwrap();
        let mut s = Sampler::start(&model_only(), TreeRoot::Attached, &cat).unwrap();
        let busy =
            "end=$(($(date +%s%N) + 400000000)); while [ $(date +%s%N) -lt $end ]; do :; done";
        let spawn = || {
            std::process::Command::new("sh")
                .args(["-c", busy])
                .spawn()
                .unwrap()
        };
        // A sibling as busy as the attached process: not in its tree.
        let mut other = spawn();
        // Reaped below with wait4, which also gives the kernel's count of its CPU time.
        let pid = spawn().id();
        s.attach(pid);
        std::thread::sleep(Duration::from_millis(150));
        s.sample();
        // Waits for the exit without reaping, as the local executor does, so the last sample
        // still reads the process's final times.
        // SAFETY: waitid fills a zeroed siginfo_t for our own child.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        assert_eq!(rc, 0);
        s.sample();
        let metered = s.usage().cpu_time;
        // SAFETY: wait4 reaps our own child and fills the zeroed rusage.
        let truth = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            let mut status = 0;
            assert_eq!(libc::wait4(pid as i32, &mut status, 0, &mut ru), pid as i32);
            let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
            tv(ru.ru_utime) + tv(ru.ru_stime)
        };
        other.wait().unwrap();
        let diff = metered.abs_diff(truth);
        assert!(
            truth > Duration::from_millis(20) && diff <= Duration::from_millis(40) + truth / 5,
            "metered {metered:?}, the kernel says {truth:?}"
        );
    }

    #[test]
    fn rapl_from_a_fake_tree_is_measured_and_a_failing_counter_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        crate::powercap::fake::zone(dir.path(), "intel-rapl:0", "package-0", 1_000_000, 1 << 40);
        let cfg = MeterConfig {
            powercap_root: dir.path().to_path_buf(),
            use_gpu: false,
            ..Default::default()
        };
        let cat = CpuCatalog::bundled().unwrap();
        let mut s = Sampler::start(&cfg, TreeRoot::SelfAndChildren, &cat).unwrap();
        assert!(s.methods()[0].contains("RAPL package-0"));
        // Burn some CPU in this process so it has a share.
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(200) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        assert!(x != 42);
        crate::powercap::fake::set(dir.path(), "intel-rapl:0", 11_000_000);
        let first = s.sample();
        assert_eq!(
            first.energy.cpu.source,
            sustain_core::run::EnergySource::Measured
        );
        assert!(first.energy.cpu.energy.joules() <= 10.0 + 1e-9);
        assert!(first.energy.cpu.energy.joules() > 0.0);
        // The counter disappears: the sampler switches to the model and says so.
        std::fs::remove_file(dir.path().join("intel-rapl:0/energy_uj")).unwrap();
        let second = s.sample();
        assert_eq!(
            second.energy.cpu.source,
            sustain_core::run::EnergySource::Modelled
        );
        assert!(
            s.notes()
                .iter()
                .any(|n| n.contains("switched to TDP model")),
            "{:?}",
            s.notes()
        );
    }
}
