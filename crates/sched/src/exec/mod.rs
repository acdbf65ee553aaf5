//! Executors: a [`Plan`](crate::plan::Plan) handed to the engines clusters use.
//!
//! - [`slurm`]: one batch script per job (`--begin` at the planned start, `--deadline`,
//!   `--time`, `--nice` from the priority, the site as partition), submitted with `sbatch`;
//! - [`kubernetes`]: one `batch/v1` Job per job, created suspended with the site as a node
//!   selector, applied with `kubectl`, and released (unsuspended) when its slot comes;
//! - [`local`]: each job's command run on this machine at its slots with `sh -c`, metered as
//!   `sustain run` meters a command and recorded through a sink the caller gives, stopped
//!   (`SIGSTOP`) between the segments of an interruptible job; jobs whose slots overlap run
//!   side by side.
//!
//! Slurm and Kubernetes have a pure part (plan → scripts or manifests, tested without any
//! engine) and a part that runs the engine's command ([`Sbatch`](slurm::Sbatch),
//! [`Kubectl`](kubernetes::Kubectl)), whose program name and environment are configurable so
//! tests can point it at a fake or at a `PATH` without it. What is written is written before
//! anything is run, and a failure part way names the job, quotes the engine and lists what was
//! already handed over ([`SchedError::Partial`](crate::SchedError::Partial)).
//!
//! Every user string that reaches a script or a manifest is validated, sanitized or escaped:
//! see [`names`] for the names, and the method page `docs/methods/scheduling-executors.md`.

mod command;
mod json;
pub mod kubernetes;
pub mod local;
pub mod names;
pub mod slurm;
#[cfg(test)]
mod testing;

/// Where a plan is carried out (`sustain schedule run --executor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Executor {
    /// Here: each job waits for its slots and runs metered, recorded in the ledger.
    Local,
    /// Batch scripts submitted with `sbatch`.
    Slurm,
    /// Suspended Jobs applied with `kubectl`, released at their slot.
    Kubernetes,
}

/// The first and last planned stretch of a job; a job planned with none is an error named by
/// `at` (its file, line and id).
pub(crate) fn span<'a>(
    planned: &'a crate::plan::PlannedJob,
    at: &dyn Fn(&str) -> String,
) -> crate::Result<(&'a crate::plan::Segment, &'a crate::plan::Segment)> {
    match (planned.segments.first(), planned.segments.last()) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => Err(crate::error::invalid(
            at("segments"),
            "none",
            "a planned job with at least one segment",
        )),
    }
}
