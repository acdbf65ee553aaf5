//! Number formatting shared by every human-facing rendering.

/// Formats `v` with three significant figures (no exponent), e.g. `1.50`, `0.0123`, `250`.
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Formats `v` (in `unit`) with an SI prefix from µ to G so that the number is at least 1,
/// with three significant figures: `si(0.0123, "Wh")` is `12.3 mWh`.
pub fn si(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return format!("n/a {unit}");
    }
    if v == 0.0 {
        return format!("0 {unit}");
    }
    const PREFIXES: [(f64, &str); 6] = [
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
    ];
    let a = v.abs();
    let (scale, p) = PREFIXES
        .iter()
        .find(|(s, _)| a >= *s)
        .copied()
        .unwrap_or((1e-6, "µ"));
    format!("{} {p}{unit}", sig(v / scale))
}

#[cfg(test)]
mod tests {
    use super::sig;

    #[test]
    fn three_significant_figures() {
        assert_eq!(sig(1.5), "1.50");
        assert_eq!(sig(0.012345), "0.0123");
        assert_eq!(sig(250.4), "250");
        assert_eq!(sig(12345.6), "12346");
        assert_eq!(sig(-2.0), "-2.00");
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(f64::NAN), "n/a");
    }

    #[test]
    fn si_prefixes() {
        assert_eq!(super::si(0.0123, "Wh"), "12.3 mWh");
        assert_eq!(super::si(1234.0, "Wh"), "1.23 kWh");
        assert_eq!(super::si(2e-9, "Wh"), "0.00200 µWh");
        assert_eq!(super::si(-5.0, "L"), "-5.00 L");
    }
}
