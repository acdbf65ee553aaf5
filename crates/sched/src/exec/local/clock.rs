//! Time as the plan reads it: the system clock (UTC, or at a fixed offset) and a clock that
//! runs a plan faster than real time.

use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDateTime, Offset, Utc};

use super::MAX_WAIT;
use crate::error::{Result, invalid};

/// Time as the plan reads it, and how long to wait in real time for a moment of it.
pub trait Clock: Send + Sync {
    /// Now, in the plan's clock.
    fn now(&self) -> NaiveDateTime;

    /// The real time from now until `t` on this clock; zero when `t` has come.
    fn real_until(&self, t: NaiveDateTime) -> Duration;

    /// Sleeps until `t` has come on this clock.
    fn sleep_until(&self, t: NaiveDateTime) {
        loop {
            let d = self.real_until(t);
            if d.is_zero() {
                return;
            }
            std::thread::sleep(d.min(MAX_WAIT));
        }
    }
}

/// The system's clock, read as UTC plus a fixed offset (UTC by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemClock {
    offset: FixedOffset,
}

impl SystemClock {
    /// The plan's times are UTC (the series' usual clock).
    pub fn utc() -> Self {
        Self::at_offset(Utc.fix())
    }

    /// The plan's times are at `offset` from UTC (`+01:00`: a series in Paris winter time).
    pub fn at_offset(offset: FixedOffset) -> Self {
        Self { offset }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::utc()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().with_timezone(&self.offset).naive_local()
    }

    fn real_until(&self, t: NaiveDateTime) -> Duration {
        (t - self.now()).to_std().unwrap_or(Duration::ZERO)
    }
}

/// A clock that starts at a moment of the plan and runs `speed` times faster than real time:
/// with speed 60 a plan minute passes in a real second, so a plan of minutes runs in seconds.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    origin: NaiveDateTime,
    real_origin: Instant,
    speed: f64,
}

impl ScaledClock {
    /// Reads `origin` now, then runs `speed` times faster than real time (finite, above 0).
    pub fn new(origin: NaiveDateTime, speed: f64) -> Result<Self> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(invalid(
                "clock speed",
                speed,
                "a finite number above 0 (60: a plan minute per real second)",
            ));
        }
        Ok(Self {
            origin,
            real_origin: Instant::now(),
            speed,
        })
    }

    /// The real instant at which this clock reads `t`.
    pub fn real_instant(&self, t: NaiveDateTime) -> Instant {
        let plan_s = (t - self.origin).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        let real = Duration::try_from_secs_f64(plan_s.max(0.0) / self.speed).unwrap_or(MAX_WAIT);
        self.real_origin + real
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> NaiveDateTime {
        let plan_us = self.real_origin.elapsed().as_secs_f64() * self.speed * 1e6;
        self.origin + chrono::Duration::microseconds(plan_us as i64)
    }

    fn real_until(&self, t: NaiveDateTime) -> Duration {
        self.real_instant(t)
            .saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testing::at;

    #[test]
    fn a_scaled_clock_runs_faster_and_refuses_a_bad_speed() {
        let c = ScaledClock::new(at("2026-03-02 09:00"), 600.0).unwrap();
        let t = at("2026-03-02 09:01");
        let d = c.real_until(t);
        assert!(
            d <= Duration::from_millis(100) && d > Duration::from_millis(50),
            "{d:?}"
        );
        c.sleep_until(t);
        assert!(c.now() >= t);
        assert!(ScaledClock::new(at("2026-03-02 09:00"), 0.0).is_err());
        let s = SystemClock::utc();
        assert!((s.now() - Utc::now().naive_utc()).num_seconds().abs() < 2);
        let paris = SystemClock::at_offset(FixedOffset::east_opt(3600).unwrap());
        assert!(((paris.now() - s.now()).num_seconds() - 3600).abs() <= 1);
    }
}
