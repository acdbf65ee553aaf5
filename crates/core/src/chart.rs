//! Charts as standalone SVG files: horizontal bar charts, line charts and image grids.
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

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend.
    pub name: String,
    /// Points `(x, y)`, in order of x.
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/// Renders series as lines over shared axes, with a legend and min/max tick labels.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let (w, h, left, top, right, bottom) = (640.0, 380.0, 70.0, 40.0, 20.0, 50.0);
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 == x0 {
        x1 = x0 + 1.0;
    }
    if y1 == y0 {
        y1 = y0 + 1.0;
    }
    let (pw, ph) = (w - left - right, h - top - bottom);
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| top + ph - (y - y0) / (y1 - y0) * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<polyline points="{left},{top} {left},{} {},{}" fill="none" stroke="#333333"/>"##,
        top + ph,
        left + pw,
        top + ph
    );
    let fmt = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e9 {
            format!("{v:.0}")
        } else {
            crate::format::sig(v)
        }
    };
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        left - 6.0,
        top + ph,
        fmt(y0)
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        left - 6.0,
        top + 10.0,
        fmt(y1)
    );
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}" text-anchor="middle">{}</text>"#,
        top + ph + 16.0,
        fmt(x0)
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        left + pw,
        top + ph + 16.0,
        fmt(x1)
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        left + pw / 2.0,
        h - 12.0,
        esc(x_label)
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"#,
        top + ph / 2.0,
        top + ph / 2.0,
        esc(y_label)
    );
    for (i, ser) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let line: Vec<String> = ser
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            line.join(" ")
        );
        let ly = top + 14.0 + 16.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="4" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            left + pw - 150.0,
            ly - 4.0,
            left + pw - 132.0,
            ly,
            esc(&ser.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// One image of a grid: grey levels row-major, and a caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Pixel intensities, 0 (white) to 1 (black), `side x side`.
    pub pixels: Vec<f32>,
    /// Side in pixels.
    pub side: usize,
    /// Caption under the image (e.g. `true 3 / pred 8`).
    pub caption: String,
    /// Draw the caption in red (a wrong prediction).
    pub alert: bool,
}

/// Renders square greyscale images in a grid with captions.
pub fn image_grid(title: &str, tiles: &[Tile], columns: usize) -> String {
    let columns = columns.max(1);
    let cell = 96.0;
    let rows = tiles.len().div_ceil(columns);
    let (w, h) = (
        columns as f64 * cell + 20.0,
        rows as f64 * (cell + 18.0) + 40.0,
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for (i, t) in tiles.iter().enumerate() {
        let (cx, cy) = (
            10.0 + (i % columns) as f64 * cell,
            34.0 + (i / columns) as f64 * (cell + 18.0),
        );
        let px = (cell - 16.0) / t.side.max(1) as f64;
        for (j, v) in t.pixels.iter().enumerate() {
            let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
            if g < 250 {
                let _ = writeln!(
                    s,
                    r##"<rect x="{:.1}" y="{:.1}" width="{px:.2}" height="{px:.2}" fill="#{g:02x}{g:02x}{g:02x}"/>"##,
                    cx + (j % t.side) as f64 * px,
                    cy + (j / t.side) as f64 * px
                );
            }
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="{}">{}</text>"##,
            cx,
            cy + cell - 4.0,
            if t.alert { "#c62828" } else { "#333333" },
            esc(&t.caption)
        );
    }
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

    #[test]
    fn line_charts_scale_points_into_the_plot_area() {
        let svg = line_chart(
            "loss",
            "epoch",
            "loss",
            &[Series {
                name: "train".into(),
                points: vec![(1.0, 2.0), (2.0, 1.0), (3.0, 0.5)],
            }],
        );
        // x from 1 to 3 spans 70..620; y from 0.5 to 2 spans 330..40.
        assert!(svg.contains("70.0,40.0"), "{svg}");
        assert!(svg.contains("620.0,330.0"), "{svg}");
        assert!(svg.contains(">train</text>"));
        let empty = line_chart("t", "x", "y", &[]);
        assert!(empty.contains("</svg>"));
    }

    #[test]
    fn image_grids_draw_dark_pixels_and_flag_errors() {
        let svg = image_grid(
            "digits",
            &[
                Tile {
                    pixels: vec![0.0, 1.0, 0.5, 0.0],
                    side: 2,
                    caption: "true 1 / pred 1".into(),
                    alert: false,
                },
                Tile {
                    pixels: vec![1.0; 4],
                    side: 2,
                    caption: "true 3 / pred 8".into(),
                    alert: true,
                },
            ],
            2,
        );
        assert_eq!(svg.matches("fill=\"#000000\"").count(), 5);
        assert!(svg.contains("fill=\"#7f7f7f\""));
        assert!(svg.contains("#c62828"));
    }
}
