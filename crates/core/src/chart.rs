//! Charts as standalone SVG files: horizontal bar charts, line charts and image grids.
//!
//! Written by hand rather than with plotters: plotters lays out text through a font backend
//! (font-kit with the system's fontconfig, or a bundled TTF), which headless servers and CI
//! often lack, while a labelled bar chart is a few rectangles and text elements that any browser
//! renders with its own fonts.
//!
//! The markup is built with maud, the engine of every HTML page: labels, titles, series names
//! and units are user text (tag values, product names, target names), and maud escapes every
//! spliced value, so none of them can close the `<svg>` or open a `<script>`. Empty elements are
//! written `<rect ...></rect>`, which is both valid XML (standalone `.svg` files) and valid SVG
//! inside HTML. The `*_svg` functions give the markup to embed in a page; the others the text of
//! a file.

use maud::{Markup, html};

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

/// The SVG namespace.
const XMLNS: &str = "http://www.w3.org/2000/svg";

/// A number for an attribute, with `d` decimals.
fn n(v: f64, d: usize) -> String {
    format!("{v:.d$}")
}

/// Renders bars, top to bottom, with a title and an axis caption: the text of an SVG file.
pub fn bar_chart(title: &str, caption: &str, bars: &[Bar]) -> String {
    bar_svg(title, caption, bars).into_string() + "\n"
}

/// [`bar_chart`] as markup to embed in a page.
pub fn bar_svg(title: &str, caption: &str, bars: &[Bar]) -> Markup {
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
    let (w0, h0) = (n(width, 0), n(height, 0));
    html! {
        svg xmlns=(XMLNS) width=(w0) height=(h0) viewBox={"0 0 " (w0) " " (h0)} font-family="sans-serif" font-size="12" {
            rect width="100%" height="100%" fill="#ffffff" {}
            text x="10" y="24" font-size="16" font-weight="bold" { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = top + row * i as f64;
                @let w = if max > 0.0 && b.value.is_finite() { (b.value / max * bar_area).max(0.0) } else { 0.0 };
                text x=(n(label_w - 8.0, 0)) y=(n(y + 15.0, 1)) text-anchor="end" { (b.label) }
                rect x=(n(label_w, 0)) y=(n(y + 3.0, 1)) width=(n(w, 1)) height=(n(row - 6.0, 1))
                    fill=(if i == 0 { "#2e7d32" } else { "#66a3d2" }) {}
                text x=(n(label_w + w + 6.0, 1)) y=(n(y + 15.0, 1)) { (b.annotation) }
            }
            text x=(n(label_w, 0)) y=(n(top + row * bars.len() as f64 + 25.0, 1)) fill="#555555" { (caption) }
        }
    }
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

/// Renders series as lines over shared axes, with a legend and min/max tick labels: the text of
/// an SVG file.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    line_svg(title, x_label, y_label, series).into_string() + "\n"
}

/// [`line_chart`] as markup to embed in a page.
pub fn line_svg(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Markup {
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
    let fmt = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e9 {
            format!("{v:.0}")
        } else {
            crate::format::sig(v)
        }
    };
    let lines: Vec<String> = series
        .iter()
        .map(|ser| {
            ser.points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mid = top + ph / 2.0;
    html! {
        svg xmlns=(XMLNS) width=(w) height=(h) viewBox={"0 0 " (w) " " (h)} font-family="sans-serif" font-size="12" {
            rect width="100%" height="100%" fill="#ffffff" {}
            text x=(left) y="24" font-size="15" font-weight="bold" { (title) }
            polyline points={(left) "," (top) " " (left) "," (top + ph) " " (left + pw) "," (top + ph)} fill="none" stroke="#333333" {}
            text x=(left - 6.0) y=(top + ph) text-anchor="end" { (fmt(y0)) }
            text x=(left - 6.0) y=(top + 10.0) text-anchor="end" { (fmt(y1)) }
            text x=(left) y=(top + ph + 16.0) text-anchor="middle" { (fmt(x0)) }
            text x=(left + pw) y=(top + ph + 16.0) text-anchor="middle" { (fmt(x1)) }
            text x=(left + pw / 2.0) y=(h - 12.0) text-anchor="middle" { (x_label) }
            text x="16" y=(mid) text-anchor="middle" transform={"rotate(-90 16 " (mid) ")"} { (y_label) }
            @for (i, (ser, line)) in series.iter().zip(&lines).enumerate() {
                @let color = PALETTE[i % PALETTE.len()];
                @let ly = top + 14.0 + 16.0 * i as f64;
                polyline points=(line) fill="none" stroke=(color) stroke-width="2" {}
                rect x=(left + pw - 150.0) y=(ly - 4.0) width="12" height="4" fill=(color) {}
                text x=(left + pw - 132.0) y=(ly) { (ser.name) }
            }
        }
    }
}

/// One labelled point of a scatter chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Label written beside the point (escaped).
    pub label: String,
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
}

/// Renders labelled points over axes with min/max tick labels (a trade-off chart, such as
/// accuracy against energy): the text of an SVG file. Points that are not finite are left out.
pub fn scatter_chart(title: &str, x_label: &str, y_label: &str, points: &[Point]) -> String {
    scatter_svg(title, x_label, y_label, points).into_string() + "\n"
}

/// [`scatter_chart`] as markup to embed in a page.
pub fn scatter_svg(title: &str, x_label: &str, y_label: &str, points: &[Point]) -> Markup {
    let (w, h, left, top, right, bottom) = (640.0, 380.0, 70.0, 40.0, 160.0, 50.0);
    let finite: Vec<&Point> = points
        .iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &finite {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    // A margin of a tenth of the range (or of the value) so no point sits on an axis.
    let pad = |lo: f64, hi: f64| {
        let d = if hi > lo {
            (hi - lo) * 0.1
        } else {
            lo.abs().max(1e-9) * 0.1
        };
        (lo - d, hi + d)
    };
    (x0, x1) = pad(x0, x1);
    (y0, y1) = pad(y0, y1);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| top + ph - (y - y0) / (y1 - y0) * ph;
    let mid = top + ph / 2.0;
    html! {
        svg xmlns=(XMLNS) width=(w) height=(h) viewBox={"0 0 " (w) " " (h)} font-family="sans-serif" font-size="12" {
            rect width="100%" height="100%" fill="#ffffff" {}
            text x=(left) y="24" font-size="15" font-weight="bold" { (title) }
            polyline points={(left) "," (top) " " (left) "," (top + ph) " " (left + pw) "," (top + ph)} fill="none" stroke="#333333" {}
            text x=(left - 6.0) y=(top + ph) text-anchor="end" { (crate::format::sig(y0)) }
            text x=(left - 6.0) y=(top + 10.0) text-anchor="end" { (crate::format::sig(y1)) }
            text x=(left) y=(top + ph + 16.0) text-anchor="middle" { (crate::format::sig(x0)) }
            text x=(left + pw) y=(top + ph + 16.0) text-anchor="middle" { (crate::format::sig(x1)) }
            text x=(left + pw / 2.0) y=(h - 12.0) text-anchor="middle" { (x_label) }
            text x="16" y=(mid) text-anchor="middle" transform={"rotate(-90 16 " (mid) ")"} { (y_label) }
            @for (i, p) in finite.iter().enumerate() {
                @let color = PALETTE[i % PALETTE.len()];
                circle cx=(format!("{:.1}", sx(p.x))) cy=(format!("{:.1}", sy(p.y))) r="5" fill=(color) {}
                text x=(format!("{:.1}", sx(p.x) + 8.0)) y=(format!("{:.1}", sy(p.y) + 4.0)) { (p.label) }
            }
        }
    }
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

/// Renders square greyscale images in a grid with captions: the text of an SVG file.
pub fn image_grid(title: &str, tiles: &[Tile], columns: usize) -> String {
    let columns = columns.max(1);
    let cell = 96.0;
    let rows = tiles.len().div_ceil(columns);
    let (w, h) = (
        columns as f64 * cell + 20.0,
        rows as f64 * (cell + 18.0) + 40.0,
    );
    let svg = html! {
        svg xmlns=(XMLNS) width=(w) height=(h) viewBox={"0 0 " (w) " " (h)} font-family="sans-serif" font-size="11" {
            rect width="100%" height="100%" fill="#ffffff" {}
            text x="10" y="22" font-size="15" font-weight="bold" { (title) }
            @for (i, t) in tiles.iter().enumerate() {
                @let (cx, cy) = (10.0 + (i % columns) as f64 * cell, 34.0 + (i / columns) as f64 * (cell + 18.0));
                @let px = (cell - 16.0) / t.side.max(1) as f64;
                @for (j, v) in t.pixels.iter().enumerate() {
                    @let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
                    @if g < 250 {
                        rect x=(n(cx + (j % t.side) as f64 * px, 1)) y=(n(cy + (j / t.side) as f64 * px, 1))
                            width=(n(px, 2)) height=(n(px, 2)) fill=(format!("#{g:02x}{g:02x}{g:02x}")) {}
                    }
                }
                text x=(n(cx, 1)) y=(n(cy + cell - 4.0, 1)) fill=(if t.alert { "#c62828" } else { "#333333" }) { (t.caption) }
            }
        }
    };
    svg.into_string() + "\n"
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
    fn scatter_points_land_inside_the_padded_axes_and_labels_are_escaped() {
        let svg = scatter_chart(
            "accuracy against energy",
            "Wh per 1,000",
            "accuracy",
            &[
                Point {
                    label: "f32 <base>".into(),
                    x: 1.0,
                    y: 0.9,
                },
                Point {
                    label: "int8".into(),
                    x: 3.0,
                    y: 0.8,
                },
                Point {
                    label: "nan".into(),
                    x: f64::NAN,
                    y: 0.5,
                },
            ],
        );
        // x 1..3 padded to 0.8..3.2 over 70..480: x=1 at 70 + 0.2/2.4·410 = 104.2.
        assert!(svg.contains(r#"cx="104.2""#), "{svg}");
        assert!(svg.contains(r#"cx="445.8""#), "{svg}");
        // y 0.8..0.9 padded to 0.79..0.91 over 330..40: y=0.9 at 330 − 0.11/0.12·290 = 64.2.
        assert!(svg.contains(r#"cy="64.2""#), "{svg}");
        assert!(svg.contains("f32 &lt;base&gt;") && !svg.contains("<base>"));
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "the NaN point is left out"
        );
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

    const HOSTILE: [&str; 3] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "]]></svg><script>",
    ];

    /// What maud makes of a hostile string: the same text with `&<>"` as entities.
    fn escaped(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    #[test]
    fn every_text_of_every_chart_is_escaped() {
        for h in HOSTILE {
            let bars = [Bar {
                label: h.into(),
                value: 1.0,
                annotation: h.into(),
            }];
            let line = [Series {
                name: h.into(),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
            }];
            let tiles = [Tile {
                pixels: vec![0.5; 4],
                side: 2,
                caption: h.into(),
                alert: false,
            }];
            for (svg, texts) in [
                (bar_chart(h, h, &bars), 4),
                (line_chart(h, h, h, &line), 4),
                (image_grid(h, &tiles, 1), 2),
            ] {
                assert!(!svg.contains(h), "raw {h:?} in {svg}");
                assert_eq!(svg.matches(&escaped(h)).count(), texts, "{svg}");
                assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
                assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
                assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
            }
        }
    }
}
