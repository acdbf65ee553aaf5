//! An attached process tree ([`TreeRoot::Attached`](crate::TreeRoot::Attached)): a process the
//! caller spawned, and its descendants, each remembered once seen.
//!
//! `sustain run` meters every descendant of itself, which is exact because it is a child
//! subreaper and reaps with `waitpid(-1)`. A Sustain process that runs several commands side by
//! side (the local executor of `sustain-sched`) cannot do that: its descendants belong to
//! different runs, and an orphan re-parented to it would not say to which. So each run follows
//! its own tree by process ids:
//!
//! - the tree is the attached process, its descendants, and every process seen in the tree
//!   before that still exists (same pid *and* start time, so a reused pid is not taken), with
//!   their descendants: a process whose parent exited stays metered wherever it was
//!   re-parented;
//! - its CPU time is the sum of the live members' own and waited-for children's times, plus the
//!   last-seen times of members that ended while their parent was outside the tree (an orphan
//!   reaped by init, which never adds it to a member's children's times); a member reaped by a
//!   member is already in that member's children's times.
//!
//! What it cannot see: a process forked and orphaned between two samples (a fast double fork)
//! was never a member; the last interval of a member reaped outside the tree is lost; and a
//! member that ends in the same interval as its parent is taken to be in the parent's
//! children's times, which it is only if the parent waited for it. The
//! caller keeps the attached process unreaped (a zombie, waited for with `WNOWAIT`) until the
//! last sample, so the work's own final CPU time is complete.

use std::collections::{HashMap, HashSet};

use crate::procfs::ProcStat;

/// One member as last seen.
#[derive(Debug, Clone, Copy)]
struct Member {
    start: u64,
    ppid: u32,
    ticks: u64,
}

/// The tree of one attached process across samples.
#[derive(Debug, Clone)]
pub(crate) struct AttachedTree {
    root: u32,
    root_start: Option<u64>,
    members: HashMap<u32, Member>,
    gone_ticks: u64,
}

/// The tree as read from one process table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TreeNow {
    /// Cumulative CPU time of the tree, clock ticks.
    pub ticks: u64,
    /// Live members.
    pub pids: HashSet<u32>,
    /// Resident memory of the live members, pages.
    pub rss_pages: u64,
}

impl AttachedTree {
    /// The tree of `root`, not yet seen.
    pub(crate) fn new(root: u32) -> Self {
        Self {
            root,
            root_start: None,
            members: HashMap::new(),
            gone_ticks: 0,
        }
    }

    /// Updates the members from `procs` (a whole process table) and returns the tree now.
    pub(crate) fn update(&mut self, procs: &[ProcStat]) -> TreeNow {
        let by_pid: HashMap<u32, &ProcStat> = procs.iter().map(|p| (p.pid, p)).collect();
        let mut children: HashMap<u32, Vec<&ProcStat>> = HashMap::new();
        for p in procs {
            children.entry(p.ppid).or_default().push(p);
        }
        let mut seeds = Vec::new();
        if let Some(p) = by_pid.get(&self.root)
            && self.root_start.is_none_or(|s| s == p.starttime)
        {
            self.root_start = Some(p.starttime);
            seeds.push(**p);
        }
        for (pid, m) in &self.members {
            if let Some(p) = by_pid.get(pid)
                && p.starttime == m.start
            {
                seeds.push(**p);
            }
        }
        let mut current: HashMap<u32, Member> = HashMap::new();
        let mut stack = seeds;
        while let Some(p) = stack.pop() {
            if current.contains_key(&p.pid) {
                continue;
            }
            current.insert(
                p.pid,
                Member {
                    start: p.starttime,
                    ppid: p.ppid,
                    ticks: p.total_ticks(),
                },
            );
            if let Some(kids) = children.get(&p.pid) {
                stack.extend(kids.iter().map(|k| **k));
            }
        }
        for (pid, m) in &self.members {
            let alive = current.get(pid).is_some_and(|c| c.start == m.start);
            let parent_in_tree =
                self.members.contains_key(&m.ppid) || current.contains_key(&m.ppid);
            if !alive && !parent_in_tree {
                self.gone_ticks += m.ticks;
            }
        }
        let rss_pages = current
            .keys()
            .filter_map(|pid| by_pid.get(pid))
            .map(|p| p.rss_pages)
            .sum();
        let ticks = self.gone_ticks + current.values().map(|m| m.ticks).sum::<u64>();
        let pids = current.keys().copied().collect();
        self.members = current;
        TreeNow {
            ticks,
            pids,
            rss_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: u32, ppid: u32, start: u64, ticks: u64) -> ProcStat {
        ProcStat {
            pid,
            ppid,
            utime: ticks,
            stime: 0,
            cutime: 0,
            cstime: 0,
            starttime: start,
            rss_pages: 1,
        }
    }

    #[test]
    fn the_tree_is_the_root_and_its_descendants_not_its_siblings() {
        let mut t = AttachedTree::new(10);
        let now = t.update(&[
            p(1, 0, 1, 5),
            p(10, 1, 2, 3),
            p(11, 10, 3, 4),
            p(20, 1, 4, 9),
        ]);
        assert_eq!(now.ticks, 7);
        assert_eq!(now.pids, HashSet::from([10, 11]));
        assert_eq!(now.rss_pages, 2);
    }

    #[test]
    fn an_orphan_stays_in_the_tree_and_its_time_is_kept_when_init_reaps_it() {
        let mut t = AttachedTree::new(10);
        t.update(&[p(1, 0, 1, 0), p(10, 1, 2, 3), p(11, 10, 3, 4)]);
        // The root exits without waiting for 11, which is re-parented to init and forks 12.
        let now = t.update(&[p(1, 0, 1, 0), p(11, 1, 3, 6), p(12, 11, 5, 1)]);
        assert_eq!(now.pids, HashSet::from([11, 12]));
        // The root ended with its parent outside the tree: its last-seen 3 ticks are kept.
        assert_eq!(now.ticks, 3 + 6 + 1);
        // 11 ends and init reaps it; 12 is re-parented to init in turn.
        let now = t.update(&[p(1, 0, 1, 0), p(12, 1, 5, 2)]);
        assert_eq!(now.pids, HashSet::from([12]));
        assert_eq!(now.ticks, 3 + 6 + 2);
        // Init reaps 12; a new process reuses pid 11 and is not taken.
        let now = t.update(&[p(1, 0, 1, 0), p(11, 1, 9, 50)]);
        assert!(now.pids.is_empty());
        assert_eq!(now.ticks, 3 + 6 + 2);
    }

    #[test]
    fn a_child_reaped_by_a_member_is_not_counted_twice() {
        let mut t = AttachedTree::new(10);
        t.update(&[p(10, 1, 2, 3), p(11, 10, 3, 4)]);
        // 10 waits for 11: its children's time now holds 11's.
        let mut root = p(10, 1, 2, 3);
        root.cutime = 4;
        let now = t.update(&[root]);
        assert_eq!(now.ticks, 7);
    }

    #[test]
    fn a_reused_root_pid_is_not_the_root() {
        let mut t = AttachedTree::new(10);
        t.update(&[p(10, 1, 2, 3)]);
        let now = t.update(&[p(10, 1, 8, 100)]);
        assert!(now.pids.is_empty());
        assert_eq!(now.ticks, 3);
    }
}
