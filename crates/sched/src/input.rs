//! What a schedule command is given, loaded in one place for the CLI and anyone else: the
//! jobs file, `SITE=FILE` series, `SITE=N` capacities or an inventory, and the step.

use std::path::{Path, PathBuf};

use crate::error::{Result, SchedError, invalid, io};
use crate::grid::{Grid, GridInput};
use crate::job::{self, Job};
use crate::series::Series;

/// The default simulation step, minutes.
pub const DEFAULT_STEP_MIN: u32 = 30;

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The jobs file (CSV or TOML).
    pub jobs: PathBuf,
    /// `SITE=FILE` series.
    pub intensity: Vec<(String, PathBuf)>,
    /// `SITE=N` concurrent jobs.
    pub capacity: Vec<(String, u32)>,
    /// A cluster inventory (CSV `site,nodes[,hardware]`): capacity per site, the nodes summed.
    pub inventory: Option<PathBuf>,
    /// Minutes per slot.
    pub step_min: u32,
}

/// Jobs and the grid they run on.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The jobs as given.
    pub jobs: Vec<Job>,
    /// Sites, series and jobs on one clock.
    pub grid: Grid,
}

fn check_site(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            what,
            name,
            "a site name of letters, digits, '-', '_' or '.' (at most 64)",
        ))
    }
}

/// Parses `SITE=FILE` (`--intensity`).
pub fn parse_site_file(text: &str) -> Result<(String, PathBuf)> {
    match text.split_once('=') {
        Some((site, file)) if !file.trim().is_empty() => {
            let site = site.trim();
            check_site("--intensity site", site)?;
            Ok((site.to_string(), PathBuf::from(file.trim())))
        }
        _ => Err(invalid(
            "--intensity",
            text,
            "SITE=FILE, e.g. gb=gb_2020.csv",
        )),
    }
}

/// Parses `SITE=N` (`--capacity`).
pub fn parse_site_capacity(text: &str) -> Result<(String, u32)> {
    let (site, n) = text
        .split_once('=')
        .ok_or_else(|| invalid("--capacity", text, "SITE=N, e.g. gb=8"))?;
    let site = site.trim();
    check_site("--capacity site", site)?;
    let n: u32 = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        invalid(
            format!("--capacity of site {site}"),
            n.trim(),
            "1 or more concurrent jobs (leave the site out for unlimited)",
        )
    })?;
    Ok((site.to_string(), n))
}

/// Reads an inventory: `site,nodes[,hardware]` rows; a site's capacity is its nodes summed.
pub fn read_inventory(path: &Path) -> Result<Vec<(String, u32)>> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.strip_prefix('\u{feff}').unwrap_or(&text).as_bytes());
    let header = reader
        .headers()
        .map_err(|e| {
            invalid(
                path.display().to_string(),
                e,
                "a CSV with site,nodes[,hardware]",
            )
        })?
        .clone();
    let col = |n: &str| header.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (Some(site_col), Some(nodes_col)) = (col("site"), col("nodes")) else {
        return Err(invalid(
            format!("{} header", path.display()),
            header.iter().collect::<Vec<_>>().join(","),
            "columns site and nodes (and optionally hardware)",
        ));
    };
    let mut out: Vec<(String, u32)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| invalid(path.display().to_string(), e, "CSV rows"))?;
        let line = record.position().map_or(0, |p| p.line());
        let at = format!("{} line {line}", path.display());
        let site = record.get(site_col).unwrap_or("").to_string();
        check_site(&format!("{at}, site"), &site)?;
        let raw = record.get(nodes_col).unwrap_or("");
        let nodes: u32 = raw.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            invalid(
                format!("{at}, nodes"),
                raw,
                "a whole number of nodes, 1 or more",
            )
        })?;
        match out.iter_mut().find(|(s, _)| *s == site) {
            Some((_, n)) => *n += nodes,
            None => out.push((site, nodes)),
        }
    }
    Ok(out)
}

impl Inputs {
    /// Reads everything and puts it on one clock.
    pub fn load(&self) -> Result<Loaded> {
        let step = if self.step_min == 0 {
            DEFAULT_STEP_MIN
        } else {
            self.step_min
        };
        if !(1..=1440).contains(&step) {
            return Err(invalid("--step", step, "minutes per slot, 1 to 1440"));
        }
        let jobs = job::read(&self.jobs)?;
        let mut series = Vec::with_capacity(self.intensity.len());
        for (site, path) in &self.intensity {
            if series.iter().any(|(s, _): &(String, Series)| s == site) {
                return Err(SchedError::Inconsistent(format!(
                    "--intensity names site {site} twice; give one series per site"
                )));
            }
            series.push((site.clone(), Series::read(path, step)?));
        }
        let mut capacity = match &self.inventory {
            Some(p) => read_inventory(p)?,
            None => Vec::new(),
        };
        for (site, n) in &self.capacity {
            match capacity.iter_mut().find(|(s, _)| s == site) {
                Some((_, c)) => *c = *n,
                None => capacity.push((site.clone(), *n)),
            }
        }
        let grid = Grid::build(
            GridInput {
                series,
                capacity,
                step_min: step,
            },
            &jobs,
        )?;
        Ok(Loaded { jobs, grid })
    }
}
