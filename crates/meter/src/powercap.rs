//! RAPL energy counters through the Linux powercap sysfs tree.
//!
//! Each package zone (`intel-rapl:N`, named `package-N`) has a cumulative `energy_uj` counter
//! that wraps at `max_energy_range_uj`; DRAM subzones (`intel-rapl:N:M` named `dram`) count
//! memory energy. AMD processors expose the same tree. The root defaults to
//! `/sys/class/powercap` and can be moved with `SUSTAIN_POWERCAP_ROOT` (tests use fake trees).
//!
//! Wraparound is handled, not dropped: when a counter reads less than its previous value, the
//! delta is `max_energy_range_uj - previous + current`.

use std::path::{Path, PathBuf};

use sustain_core::units::Energy;

use crate::error::{MeterError, Result, read_to_string};

/// Environment variable that moves the powercap root.
pub const POWERCAP_ROOT_ENV: &str = "SUSTAIN_POWERCAP_ROOT";
/// The default powercap root.
pub const DEFAULT_POWERCAP_ROOT: &str = "/sys/class/powercap";

/// The powercap root in effect.
pub fn powercap_root() -> PathBuf {
    std::env::var_os(POWERCAP_ROOT_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_POWERCAP_ROOT))
}

/// One RAPL zone with its last reading.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Directory of the zone.
    pub dir: PathBuf,
    /// Its name (`package-0`, `dram`, ...).
    pub name: String,
    /// The counter's range, µJ.
    pub max_range_uj: u64,
    last_uj: u64,
}

impl Zone {
    fn open(dir: &Path) -> Result<Zone> {
        let name = read_to_string(&dir.join("name"))?.trim().to_string();
        let max_range_uj = read_u64(&dir.join("max_energy_range_uj"))?;
        let last_uj = read_u64(&dir.join("energy_uj"))?;
        Ok(Zone {
            dir: dir.to_path_buf(),
            name,
            max_range_uj,
            last_uj,
        })
    }

    /// Reads the counter and returns the energy since the previous read, handling one
    /// wraparound of the counter.
    pub fn delta(&mut self) -> Result<Energy> {
        let now = read_u64(&self.dir.join("energy_uj"))?;
        let d = wrapping_delta(self.last_uj, now, self.max_range_uj);
        self.last_uj = now;
        Ok(Energy::from_microjoules(d))
    }
}

/// The difference between two readings of a counter that wraps at `max_range`.
pub fn wrapping_delta(prev: u64, now: u64, max_range: u64) -> u64 {
    if now >= prev {
        now - prev
    } else {
        max_range.saturating_sub(prev) + now
    }
}

fn read_u64(path: &Path) -> Result<u64> {
    let text = read_to_string(path)?;
    text.trim().parse().map_err(|_| MeterError::Parse {
        path: path.to_path_buf(),
        message: format!("expected an unsigned integer, found {:?}", text.trim()),
    })
}

/// The package and DRAM zones of a machine.
#[derive(Debug, Clone)]
pub struct Rapl {
    /// Package zones (one per socket).
    pub packages: Vec<Zone>,
    /// DRAM zones, when the platform exposes them.
    pub dram: Vec<Zone>,
}

/// Why RAPL could not be used, for the summary and the method notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaplUnavailable {
    /// No powercap tree, or no RAPL package zone in it.
    Absent(PathBuf),
    /// Zones exist but their counters cannot be read (since Linux 5.10 `energy_uj` is readable
    /// by root only).
    Unreadable(String),
}

impl std::fmt::Display for RaplUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RaplUnavailable::Absent(root) => {
                write!(f, "no RAPL package zone under {}", root.display())
            }
            RaplUnavailable::Unreadable(why) => write!(
                f,
                "RAPL present but unreadable ({why}); run as root or grant read access to energy_uj"
            ),
        }
    }
}

impl Rapl {
    /// Finds the RAPL zones under `root` and takes a first reading of each.
    pub fn discover(root: &Path) -> std::result::Result<Rapl, RaplUnavailable> {
        let Ok(entries) = std::fs::read_dir(root) else {
            return Err(RaplUnavailable::Absent(root.to_path_buf()));
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("intel-rapl:"))
            .collect();
        names.sort();
        let mut packages = Vec::new();
        let mut dram = Vec::new();
        let mut unreadable = None;
        for n in names {
            let depth = n.matches(':').count();
            match Zone::open(&root.join(&n)) {
                Ok(z) if depth == 1 && z.name.starts_with("package") => packages.push(z),
                Ok(z) if depth == 2 && z.name == "dram" => dram.push(z),
                Ok(_) => {}
                Err(e) => {
                    unreadable.get_or_insert_with(|| e.to_string());
                }
            }
        }
        if packages.is_empty() {
            return Err(match unreadable {
                Some(why) => RaplUnavailable::Unreadable(why),
                None => RaplUnavailable::Absent(root.to_path_buf()),
            });
        }
        Ok(Rapl { packages, dram })
    }

    /// Energy of all packages since the previous read.
    pub fn packages_delta(&mut self) -> Result<Energy> {
        self.packages.iter_mut().map(Zone::delta).sum()
    }

    /// Energy of all DRAM zones since the previous read; `None` without DRAM zones.
    pub fn dram_delta(&mut self) -> Result<Option<Energy>> {
        if self.dram.is_empty() {
            return Ok(None);
        }
        self.dram
            .iter_mut()
            .map(Zone::delta)
            .sum::<Result<Energy>>()
            .map(Some)
    }

    /// A short description, such as `RAPL package-0, package-1`.
    pub fn describe_packages(&self) -> String {
        let names: Vec<&str> = self.packages.iter().map(|z| z.name.as_str()).collect();
        format!("RAPL {}", names.join(", "))
    }
}

/// Writes a fake powercap tree (for tests of this crate and of the CLI).
pub mod fake {
    use std::path::Path;

    /// Creates zone `dir_name` under `root` with the given name, counter and range.
    pub fn zone(root: &Path, dir_name: &str, name: &str, energy_uj: u64, max_uj: u64) {
        let d = root.join(dir_name);
        std::fs::create_dir_all(&d).expect("create fake zone");
        std::fs::write(d.join("name"), format!("{name}\n")).expect("write name");
        std::fs::write(d.join("energy_uj"), format!("{energy_uj}\n")).expect("write energy");
        std::fs::write(d.join("max_energy_range_uj"), format!("{max_uj}\n")).expect("write max");
    }

    /// Sets the counter of zone `dir_name`.
    pub fn set(root: &Path, dir_name: &str, energy_uj: u64) {
        std::fs::write(
            root.join(dir_name).join("energy_uj"),
            format!("{energy_uj}\n"),
        )
        .expect("write energy");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_delta_handles_wraparound() {
        assert_eq!(wrapping_delta(100, 250, 1000), 150);
        assert_eq!(wrapping_delta(900, 50, 1000), 150);
        assert_eq!(wrapping_delta(5, 5, 1000), 0);
    }

    #[test]
    fn reads_packages_and_dram_from_a_fake_tree_with_a_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fake::zone(
            root,
            "intel-rapl:0",
            "package-0",
            262_000_000,
            262_143_328_850,
        );
        fake::zone(root, "intel-rapl:1", "package-1", 1_000, 262_143_328_850);
        fake::zone(root, "intel-rapl:0:0", "dram", 5_000_000, 65_712_999_613);
        fake::zone(root, "intel-rapl:0:1", "core", 5, 65_712_999_613);
        let mut rapl = Rapl::discover(root).unwrap();
        assert_eq!(rapl.packages.len(), 2);
        assert_eq!(rapl.dram.len(), 1);
        assert_eq!(rapl.describe_packages(), "RAPL package-0, package-1");

        // package-0 gains 10 J, package-1 wraps: 2 J to the top, then 3 J.
        fake::set(root, "intel-rapl:0", 272_000_000);
        fake::set(root, "intel-rapl:1", 3_000_000);
        rapl.packages[1].last_uj = 262_143_328_850 - 2_000_000;
        let e = rapl.packages_delta().unwrap();
        assert!((e.joules() - 15.0).abs() < 1e-9, "{}", e.joules());

        fake::set(root, "intel-rapl:0:0", 7_500_000);
        let d = rapl.dram_delta().unwrap().unwrap();
        assert!((d.joules() - 2.5).abs() < 1e-9);
    }

    #[test]
    fn absent_and_unreadable_trees_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Rapl::discover(&dir.path().join("nope")),
            Err(RaplUnavailable::Absent(_))
        ));
        assert!(matches!(
            Rapl::discover(dir.path()),
            Err(RaplUnavailable::Absent(_))
        ));
        // A zone whose counter is missing reads as unreadable.
        let d = dir.path().join("intel-rapl:0");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("name"), "package-0\n").unwrap();
        std::fs::write(d.join("max_energy_range_uj"), "1000\n").unwrap();
        let err = Rapl::discover(dir.path()).unwrap_err();
        assert!(matches!(err, RaplUnavailable::Unreadable(_)), "{err:?}");
        assert!(err.to_string().contains("energy_uj"));
    }
}
