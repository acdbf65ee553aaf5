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
}
