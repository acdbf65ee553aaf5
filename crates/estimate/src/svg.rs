//! A horizontal bar chart as a standalone SVG file.
//!
//! Written by hand rather than with plotters: plotters lays out text through a font backend
//! (font-kit with the system's fontconfig, or a bundled TTF), which headless servers and CI
//! often lack, while a labelled bar chart is a few rectangles and text elements that any browser
//! renders with its own fonts.

use std::fmt::Write;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Label on the left.
    pub label: String,
    /// Length of the bar (>= 0).
    pub value: f64,
    /// Text after the bar (the value with its unit).
    pub annotation: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders bars, top to bottom, with a title and an axis caption.
pub fn bar_chart(title: &str, caption: &str, bars: &[Bar]) -> String {
    let label_w = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, 60) as f64
        * 7.0
        + 20.0;
    let bar_area = 520.0;
    let row = 24.0;
    let top = 50.0;
    let width = label_w + bar_area + 150.0;
    let height = top + row * bars.len() as f64 + 50.0;
    let max = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="10" y="24" font-size="16" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let w = if max > 0.0 && b.value.is_finite() {
            (b.value / max * bar_area).max(0.0)
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y + 15.0,
            esc(&b.label)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{label_w:.0}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"/>"##,
            y + 3.0,
            row - 6.0,
            if i == 0 { "#2e7d32" } else { "#66a3d2" }
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            label_w + w + 6.0,
            y + 15.0,
            esc(&b.annotation)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{label_w:.0}" y="{:.1}" fill="#555555">{}</text>"##,
        top + row * bars.len() as f64 + 25.0,
        esc(caption)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_text_is_escaped() {
        let svg = bar_chart(
            "a <b>",
            "kgCO2e",
            &[
                Bar {
                    label: "x".into(),
                    value: 1.0,
                    annotation: "1 kg".into(),
                },
                Bar {
                    label: "y&z".into(),
                    value: 2.0,
                    annotation: "2 kg".into(),
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("y&amp;z"));
        assert!(
            svg.contains(r#"width="520.0""#),
            "the largest bar spans the area"
        );
        assert!(svg.contains(r#"width="260.0""#));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
