//! Figures for people: how a physical quantity, an amount of money or a change is written in
//! every rendering (Markdown, HTML, the scenario and target tables). JSON and CSV carry full
//! precision instead.

use std::collections::BTreeMap;

/// A physical figure for reading: one decimal from 100 up, else three significant digits (so
/// small runs do not print as 0.0).
pub fn fig(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        sustain_core::format::sig(v)
    }
}

/// Amounts per currency, to the cent, joined with ` + ` (`—` when there are none).
pub fn money(m: &BTreeMap<String, f64>) -> String {
    if m.is_empty() {
        return "—".into();
    }
    m.iter()
        .map(|(c, v)| format!("{v:.2} {c}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The change from `before` to `now` in percent with its sign; `new` from zero, `—` when both
/// are zero.
pub fn change(before: f64, now: f64) -> String {
    if before == 0.0 {
        if now == 0.0 {
            "—".into()
        } else {
            "new".into()
        }
    } else {
        format!("{:+.1} %", 100.0 * (now - before) / before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(fig(1234.56), "1234.6");
        assert_eq!(fig(0.01234), "0.0123");
        assert_eq!(change(0.0, 0.0), "—");
        assert_eq!(change(0.0, 1.0), "new");
        assert_eq!(change(200.0, 150.0), "-25.0 %");
        let m = [("EUR".to_string(), 1.5), ("USD".to_string(), 2.0)].into();
        assert_eq!(money(&m), "1.50 EUR + 2.00 USD");
    }
}
