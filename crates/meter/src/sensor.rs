//! The plug-in point for energy sources.

use std::collections::HashSet;
use std::time::Duration;

use sustain_core::run::ComponentEnergy;

use crate::error::Result;

/// What happened in one sampling interval, for sensors to attribute energy from.
#[derive(Debug, Clone, Default)]
pub struct Tick {
    /// Length of the interval.
    pub dt: Duration,
    /// Process ids of the metered tree now.
    pub tree_pids: HashSet<u32>,
    /// CPU time the tree used in the interval.
    pub tree_cpu: Duration,
    /// CPU time the whole machine spent busy in the interval (all logical CPUs).
    pub machine_busy: Duration,
    /// CPU time available in the interval (logical CPUs x dt).
    pub machine_total: Duration,
    /// Mean resident memory of the tree over the interval, bytes.
    pub tree_rss_bytes: u64,
    /// Memory in use on the machine now, bytes.
    pub machine_mem_used_bytes: u64,
}

impl Tick {
    /// The tree's share of the machine's busy CPU time, 0..1 (the attribution key for
    /// package-level CPU energy, as in Scaphandre).
    pub fn cpu_share(&self) -> f64 {
        let busy = self.busy().as_secs_f64();
        if busy <= 0.0 {
            return 0.0;
        }
        (self.tree_cpu.as_secs_f64() / busy).clamp(0.0, 1.0)
    }

    /// Machine busy time, at least the tree's own: `/proc/stat` counts in clock ticks (10 ms)
    /// while the tree's time is exact, so over a short interval the machine can read less.
    fn busy(&self) -> Duration {
        self.machine_busy.max(self.tree_cpu)
    }

    /// Machine CPU utilization in the interval, 0..1.
    pub fn utilization(&self) -> f64 {
        let total = self.machine_total.as_secs_f64();
        if total <= 0.0 {
            return 0.0;
        }
        (self.busy().as_secs_f64() / total).clamp(0.0, 1.0)
    }

    /// The tree's share of the memory in use, 0..1 (the attribution key for DRAM energy).
    pub fn memory_share(&self) -> f64 {
        if self.machine_mem_used_bytes == 0 {
            return 0.0;
        }
        (self.tree_rss_bytes as f64 / self.machine_mem_used_bytes as f64).clamp(0.0, 1.0)
    }
}

/// A source of energy readings for one component, attributed to the metered tree.
pub trait Sensor: Send {
    /// How this sensor obtains its figures, for the run's method notes (for example
    /// `RAPL package-0, attributed by CPU-time share`).
    fn method(&self) -> String;

    /// Energy attributed to the tree in the interval that `tick` describes.
    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_bounded_and_zero_safe() {
        let t = Tick {
            dt: Duration::from_secs(1),
            tree_cpu: Duration::from_millis(500),
            machine_busy: Duration::from_millis(400),
            machine_total: Duration::from_secs(2),
            tree_rss_bytes: 10,
            machine_mem_used_bytes: 100,
            ..Default::default()
        };
        assert_eq!(t.cpu_share(), 1.0);
        // The tree used more than the coarse machine counters saw: the tree time counts.
        assert!((t.utilization() - 0.25).abs() < 1e-12);
        assert!((t.memory_share() - 0.1).abs() < 1e-12);
        let coarse = Tick {
            tree_cpu: Duration::from_millis(2),
            machine_busy: Duration::ZERO,
            machine_total: Duration::from_secs(2),
            ..Default::default()
        };
        assert_eq!(coarse.cpu_share(), 1.0);
        assert!(coarse.utilization() > 0.0);
        let z = Tick::default();
        assert_eq!(z.cpu_share(), 0.0);
        assert_eq!(z.utilization(), 0.0);
        assert_eq!(z.memory_share(), 0.0);
    }
}
