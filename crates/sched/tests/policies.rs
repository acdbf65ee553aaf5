//! The policies and the simulator on small cases worked out by hand, and the properties every
//! schedule must have: deadlines met when they can be, capacity never exceeded, carbon always
//! counted on the true series.

use chrono::NaiveDateTime;
use sustain_sched::forecast::ForecastUse;
use sustain_sched::grid::{Curve, Grid, GridInput};
use sustain_sched::job::{Job, from_csv};
use sustain_sched::policy::{Carbon, Placement, Policy, PolicyKind, Seen};
use sustain_sched::series::{IntensitySource, Series};
use sustain_sched::sim::{SimOptions, plan, simulate};

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// A 30-minute series from 2020-03-02 00:00 (a Monday).
fn series(values: &[f64]) -> Series {
    let mut s = Series::constant(
        0.0,
        t("2020-03-02 00:00"),
        30,
        values.len(),
        IntensitySource::Catalog {
            site: "test".into(),
            year: None,
            source: "a test series".into(),
        },
    );
    s.values = values.to_vec();
    s
}

const HEADER: &str = "id,submit,duration_min,deadline,interruptible,power_kw,priority,site,sites\n";

fn jobs(rows: &str) -> Vec<Job> {
    from_csv("jobs.csv", &format!("{HEADER}{rows}")).unwrap()
}

fn grid(sites: &[(&str, &[f64])], capacity: &[(&str, u32)], jobs: &[Job]) -> Grid {
    Grid::build(
        GridInput {
            series: sites
                .iter()
                .map(|(n, v)| (n.to_string(), series(v)))
                .collect(),
            capacity: capacity.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            step_min: 30,
        },
        jobs,
    )
    .unwrap()
}

fn sim(g: &Grid, jobs: &[Job], policy: PolicyKind) -> sustain_sched::sim::Simulation {
    simulate(
        g,
        jobs,
        SimOptions {
            policy,
            ..Default::default()
        },
    )
}

/// Most jobs running at once at `site`, from the placements' segments.
fn peak(placements: &[Placement], site: usize) -> usize {
    let mut ev: Vec<(f64, i32)> = placements
        .iter()
        .filter(|p| p.site == site)
        .flat_map(|p| p.segments.iter().flat_map(|&(a, b)| [(a, 1), (b, -1)]))
        .collect();
    ev.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in ev {
        now += d;
        max = max.max(now);
    }
    max as usize
}

#[test]
fn a_job_that_cannot_be_interrupted_takes_the_cleanest_window_by_its_deadline() {
    // Slots of 30 min from 00:00: 400 300 100 50 250 20 20 500. A 1 h job submitted at 00:00,
    // due 03:30: windows by start (mean g/kWh) 00:00 350, 00:30 200, 01:00 75, 01:30 150,
    // 02:00 135, 02:30 20 (ends 03:30, on the deadline); 03:00 would end late. → 02:30. At
    // 2 kW: 2 × 20 × 1 h = 40 g; at submit: 2 × 350 = 700 g. A deadline of 03:29 leaves 01:00.
    let j = jobs("a,2020-03-02 00:00,60,2020-03-02 03:30,false,2,0,gb,\n");
    let g = grid(
        &[("gb", &[400., 300., 100., 50., 250., 20., 20., 500.])],
        &[],
        &j,
    );
    let s = sim(&g, &j, PolicyKind::Carbon);
    assert_eq!(s.placements[0].segments, vec![(150.0, 210.0)]);
    assert!((s.policy.co2e_g - 40.0).abs() < 1e-9, "{}", s.policy.co2e_g);
    assert!(
        (s.baseline.co2e_g - 700.0).abs() < 1e-9,
        "{}",
        s.baseline.co2e_g
    );
    assert!((s.saved_pct - (700.0 - 40.0) / 700.0 * 100.0).abs() < 1e-9);
    let early = jobs("a,2020-03-02 00:00,60,2020-03-02 03:29,false,2,0,gb,\n");
    let g2 = grid(
        &[("gb", &[400., 300., 100., 50., 250., 20., 20., 500.])],
        &[],
        &early,
    );
    assert_eq!(
        sim(&g2, &early, PolicyKind::Carbon).placements[0].segments,
        vec![(60.0, 120.0)]
    );
    assert_eq!(s.deadline_misses, 0);
    assert!((s.mean_wait_min - 150.0).abs() < 1e-9);
    assert!(
        (s.policy.energy_kwh - 2.0).abs() < 1e-12 && (s.baseline.energy_kwh - 2.0).abs() < 1e-12
    );
}

#[test]
fn an_interruptible_job_takes_the_cheapest_slots_in_time_order() {
    // Same series; 75 min interruptible, due 04:00: the cheapest slots are 20 and 20 at 02:30
    // and 03:00, then 50 at 01:30 for the last 15 min. Carbon at 1 kW: (20×30 + 20×30 + 50×15)/60 = 32.5 g.
    let j = jobs("a,2020-03-02 00:00,75,2020-03-02 04:00,true,1,0,gb,\n");
    let g = grid(
        &[("gb", &[400., 300., 100., 50., 250., 20., 20., 500.])],
        &[],
        &j,
    );
    let s = sim(&g, &j, PolicyKind::Carbon);
    assert_eq!(
        s.placements[0].segments,
        vec![(90.0, 105.0), (150.0, 210.0)]
    );
    assert!((s.policy.co2e_g - 32.5).abs() < 1e-9, "{}", s.policy.co2e_g);
    // fifo: 00:00–01:15 → (400×30 + 300×30 + 100×15)/60 = 375 g.
    assert!(
        (s.baseline.co2e_g - 375.0).abs() < 1e-9,
        "{}",
        s.baseline.co2e_g
    );
}

#[test]
fn a_job_moves_to_the_cleaner_allowed_site_and_only_there() {
    let j = jobs(
        "a,2020-03-02 00:00,60,2020-03-02 02:00,false,1,0,gb,gb;fr\n\
         b,2020-03-02 00:00,60,2020-03-02 02:00,false,1,0,gb,\n",
    );
    let g = grid(&[("gb", &[300.; 8]), ("fr", &[50.; 8])], &[], &j);
    let s = sim(&g, &j, PolicyKind::Carbon);
    let fr = g.site("fr").unwrap();
    let gb = g.site("gb").unwrap();
    assert_eq!(s.placements[0].site, fr, "a may run in fr");
    assert_eq!(s.placements[1].site, gb, "b may not");
    assert_eq!(s.moved_jobs, 1.0);
    assert!((s.policy.co2e_g - (50.0 + 300.0)).abs() < 1e-9);
    assert!((s.per_site["fr"].policy.jobs - 1.0).abs() < 1e-12);
}

#[test]
fn capacity_is_never_exceeded_and_deadlines_are_met_when_they_can_be() {
    // Ten 1 h jobs at 00:00, all cheapest at 02:00–03:00, capacity 3, due 05:00: at most 3 at
    // once, and every job still finishes by 05:00 (5 hours × 3 places ≥ 10 jobs).
    let rows: String = (0..10)
        .map(|i| format!("j{i},2020-03-02 00:00,60,2020-03-02 05:00,false,1,0,gb,\n"))
        .collect();
    let j = jobs(&rows);
    let values = [
        400., 400., 400., 400., 10., 10., 300., 300., 300., 300., 300., 300.,
    ];
    let g = grid(&[("gb", &values)], &[("gb", 3)], &j);
    for policy in [
        PolicyKind::Fifo,
        PolicyKind::Carbon,
        PolicyKind::Priority,
        PolicyKind::LeastLoaded,
    ] {
        let s = sim(&g, &j, policy);
        assert!(
            peak(&s.placements, 0) <= 3,
            "{policy:?}: peak {}",
            peak(&s.placements, 0)
        );
        assert_eq!(
            s.per_site["gb"].policy.peak_concurrent as usize,
            peak(&s.placements, 0)
        );
        if policy == PolicyKind::Carbon {
            assert_eq!(s.deadline_misses, 0, "{:?}", s.late_jobs);
            // Three jobs get the 10 g/kWh hour.
            let cheap = s.placements.iter().filter(|p| p.start() == 120.0).count();
            assert_eq!(cheap, 3);
        }
        assert!(peak(&s.baseline_placements, 0) <= 3);
    }
    // fifo runs them in waves of three: 0, 1 h, 2 h, 3 h → the last finishes at 04:00.
    let s = sim(&g, &j, PolicyKind::Fifo);
    let mut starts: Vec<f64> = s.placements.iter().map(Placement::start).collect();
    starts.sort_by(f64::total_cmp);
    assert_eq!(
        starts,
        vec![0., 0., 0., 60., 60., 60., 120., 120., 120., 180.]
    );
}

#[test]
fn a_job_that_cannot_meet_its_deadline_is_reported_not_silently_late() {
    // Capacity 1, two 2 h jobs at 00:00 due 02:00: one of them cannot make it.
    let j = jobs(
        "a,2020-03-02 00:00,120,2020-03-02 02:00,false,1,0,gb,\n\
         b,2020-03-02 00:00,120,2020-03-02 02:00,false,1,0,gb,\n",
    );
    let g = grid(&[("gb", &[100.; 12])], &[("gb", 1)], &j);
    let s = sim(&g, &j, PolicyKind::Carbon);
    assert_eq!(s.deadline_misses, 1);
    assert_eq!(s.late_jobs, vec!["b".to_string()]);
    assert_eq!(
        s.placements[1].segments,
        vec![(120.0, 240.0)],
        "b as early as there is room"
    );
    let p = plan(&g, &j, PolicyKind::Carbon, ForecastUse::Raw);
    assert!(!p.jobs[0].late && p.jobs[1].late);
}

#[test]
fn higher_priority_work_preempts_interruptible_work_which_resumes() {
    // Capacity 1. `low` (interruptible, 2 h) starts at 00:00; `high` (1 h) arrives at 00:30
    // and takes the place; `low` resumes at 01:30 and finishes at 03:00.
    let j = jobs(
        "low,2020-03-02 00:00,120,2020-03-03 00:00,true,1,0,gb,\n\
         high,2020-03-02 00:30,60,2020-03-03 00:00,false,1,5,gb,\n",
    );
    let g = grid(&[("gb", &[100.; 48])], &[("gb", 1)], &j);
    let s = sim(&g, &j, PolicyKind::Priority);
    assert_eq!(s.placements[0].segments, vec![(0.0, 30.0), (90.0, 180.0)]);
    assert_eq!(s.placements[1].segments, vec![(30.0, 90.0)]);
    // fifo does not preempt: high waits for low.
    assert_eq!(s.baseline_placements[1].segments, vec![(120.0, 180.0)]);
    // A non-interruptible low-priority job is never preempted.
    let j = jobs(
        "low,2020-03-02 00:00,120,2020-03-03 00:00,false,1,0,gb,\n\
         high,2020-03-02 00:30,60,2020-03-03 00:00,false,1,5,gb,\n",
    );
    let g = grid(&[("gb", &[100.; 48])], &[("gb", 1)], &j);
    let s = sim(&g, &j, PolicyKind::Priority);
    assert_eq!(s.placements[0].segments, vec![(0.0, 120.0)]);
    assert_eq!(s.placements[1].segments, vec![(120.0, 180.0)]);
}

#[test]
fn least_loaded_spreads_arrivals_over_the_allowed_sites() {
    let j = jobs(
        "a,2020-03-02 00:00,60,2020-03-02 05:00,false,1,0,gb,gb;fr\n\
         b,2020-03-02 00:00,60,2020-03-02 05:00,false,1,0,gb,gb;fr\n\
         c,2020-03-02 00:00,60,2020-03-02 05:00,false,1,0,gb,gb;fr\n",
    );
    let g = grid(
        &[("gb", &[100.; 12]), ("fr", &[100.; 12])],
        &[("gb", 1), ("fr", 1)],
        &j,
    );
    let s = sim(&g, &j, PolicyKind::LeastLoaded);
    let sites: Vec<usize> = s.placements.iter().map(|p| p.site).collect();
    assert_eq!(sites, vec![0, 1, 0]);
    assert_eq!(s.placements[2].segments, vec![(60.0, 120.0)]);
    assert_eq!(s.moved_jobs, 1.0);
}

#[test]
fn the_policy_decides_on_the_forecast_and_is_accounted_on_the_truth() {
    // The truth is flat at 100; the forecast says 02:00 is clean. The policy follows the
    // forecast (it never sees the truth); the carbon counted is the truth's.
    let j = jobs("a,2020-03-02 00:00,60,2020-03-02 04:00,false,1,0,gb,\n");
    let g = grid(&[("gb", &[100.; 8])], &[], &j);
    let forecast = vec![Curve::new(
        vec![100., 100., 100., 100., 5., 5., 100., 100.],
        30,
    )];
    let seen = Seen {
        jobs: &g.jobs,
        capacity: &[None],
        forecast: &forecast,
        step: 30.0,
    };
    let placed = Carbon.place(&seen);
    assert_eq!(placed[0].segments, vec![(120.0, 180.0)]);
    assert_eq!(g.sites[0].truth.carbon_g(1.0, 120.0, 180.0), 100.0);
}

#[test]
fn forecast_error_is_seeded_and_averaged_over_seeds() {
    let j = jobs(
        "a,2020-03-02 00:00,60,2020-03-02 04:00,true,1,0,gb,\n\
         b,2020-03-02 01:00,90,2020-03-02 05:00,false,1,0,gb,\n",
    );
    let values: Vec<f64> = (0..12)
        .map(|i| 200.0 + 40.0 * ((i as f64) * 0.7).sin())
        .collect();
    let g = grid(&[("gb", &values)], &[], &j);
    let opts = SimOptions {
        forecast_error: 0.3,
        seeds: 5,
        forecast_use: ForecastUse::Raw,
        ..Default::default()
    };
    let a = simulate(&g, &j, opts);
    let b = simulate(&g, &j, opts);
    assert_eq!(a.seeds, b.seeds, "the same seeds give the same draws");
    assert_eq!(a.seeds.len(), 5);
    let mean = a.seeds.iter().map(|s| s.co2e_g).sum::<f64>() / 5.0;
    assert!((a.policy.co2e_g - mean).abs() < 1e-9);
    let perfect = simulate(
        &g,
        &j,
        SimOptions {
            forecast_use: ForecastUse::Raw,
            ..Default::default()
        },
    );
    assert!(
        perfect.policy.co2e_g <= a.policy.co2e_g + 1e-9,
        "a noisy forecast cannot beat the truth here"
    );
}

#[test]
fn under_capacity_a_job_left_late_by_a_greedy_pass_is_placed_first_next_round() {
    // Capacity 1. `a` (due 04:00) comes first in arrival order and would take the cleanest
    // hour, 00:00–01:00; `b` must run then to meet its 01:00 deadline. A second round places
    // `b` first and `a` in the next best hour: nobody is late.
    let j = jobs(
        "a,2020-03-02 00:00,60,2020-03-02 04:00,false,1,0,gb,\n\
         b,2020-03-02 00:00,60,2020-03-02 01:00,false,1,0,gb,\n",
    );
    let g = grid(
        &[("gb", &[10., 10., 50., 50., 90., 90., 90., 90.])],
        &[("gb", 1)],
        &j,
    );
    let s = sim(&g, &j, PolicyKind::Carbon);
    assert_eq!(s.deadline_misses, 0, "{:?}", s.late_jobs);
    assert_eq!(s.placements[1].segments, vec![(0.0, 60.0)]);
    assert_eq!(s.placements[0].segments, vec![(60.0, 120.0)]);
    // (10 + 50) for b and a, at 1 kW for an hour each.
    assert!((s.policy.co2e_g - 60.0).abs() < 1e-9, "{}", s.policy.co2e_g);
}
