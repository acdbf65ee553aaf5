//! A [`Doc`] as HTML, with maud: every span is spliced as `(value)`, which maud escapes, so
//! no text of a document (a tag value, a product or target name) can become markup. The one
//! thing written without escaping is an SVG chart, itself built by maud in `sustain_core::chart`.
//! Alignment is a class (`l`, `r`), never an inline style, so the pages keep a
//! Content-Security-Policy without `'unsafe-inline'` for style attributes.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::doc::{Align, Block, Doc, Line, Span};

/// `doc` as an HTML fragment.
pub fn fragment(doc: &Doc) -> Markup {
    html! {
        @for b in &doc.blocks {
            (block(b))
        }
    }
}

fn line(l: &Line) -> Markup {
    html! {
        @for s in l {
            @match s {
                Span::Lit(t) => (t),
                Span::Text(t) => (t),
                Span::Strong(t) => strong { (t) },
                Span::Code(t) => code { (t) },
            }
        }
    }
}

fn class(a: Option<&Align>) -> &'static str {
    match a {
        Some(Align::Right) => "r",
        _ => "l",
    }
}

fn block(b: &Block) -> Markup {
    html! {
        @match b {
            Block::Heading(1, l) => h1 { (line(l)) },
            Block::Heading(2, l) => h2 { (line(l)) },
            Block::Heading(3, l) => h3 { (line(l)) },
            Block::Heading(_, l) => h4 { (line(l)) },
            Block::Para(l) => p { (line(l)) },
            Block::List(items) => ul { @for l in items { li { (line(l)) } } },
            Block::Table(t) => table {
                thead { tr { @for (i, h) in t.head.iter().enumerate() { th class=(class(t.align.get(i))) { (line(h)) } } } }
                tbody {
                    @for r in &t.rows {
                        tr { @for (i, c) in r.iter().enumerate() { td class=(class(t.align.get(i))) { (line(c)) } } }
                    }
                }
            },
            Block::Code { lang, text } => pre { code class={ "language-" (lang) } { (text) } },
        }
    }
}

/// The style of a standalone report (the file opens offline, so it is inline).
pub const CSS: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:1000px;margin:0 auto;padding:24px;background:#fff}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ddd;padding:4px 8px}
th{background:#f0f0f0}.r{text-align:right}.l{text-align:left}
h1{font-size:1.6em}h2{border-bottom:2px solid #2ca02c;padding-bottom:4px}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
";

/// One figure per chart: its caption and its SVG.
pub fn figures(charts: &[(String, Markup)]) -> Markup {
    html! {
        @for (title, svg) in charts {
            figure { figcaption { (title) } (svg) }
        }
    }
}

/// A whole HTML file: `title`, the inline style, `body` and a section of `charts`.
pub fn page(title: &str, body: Markup, charts: &[(String, Markup)]) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    (body)
                    section.charts {
                        h2 { "Charts" }
                        (figures(charts))
                    }
                }
            }
        }
    };
    page.into_string() + "\n"
}
