//! Reports: Markdown for people, HTML for a browser, JSON and CSV for scripts. One module per
//! output. The sections people read are written once as a document (`doc`, `sections`), which
//! the Markdown and HTML writers render; JSON and CSV are written from the accounts directly.
//! Every figure is the accounts' figure (grams to one decimal, money to the cent); JSON and CSV
//! carry full precision.

mod charts;
mod csv;
pub mod doc;
pub mod html;
mod json;
pub mod markdown;
mod sections;

use maud::Markup;

use crate::accounts::Accounts;
use crate::report::Extras;
use crate::scenario::ScenarioResult;
use crate::sheets::ModelSheet;
use crate::targets::Progress;

pub use charts::charts;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Markdown.
    #[cfg_attr(feature = "clap", value(name = "md", alias = "markdown"))]
    Markdown,
    /// JSON (the accounts as they are).
    Json,
    /// CSV: `section,metric,group,value,unit`, one figure per row.
    Csv,
    /// One self-contained HTML file (inline CSS and SVG charts; opens offline).
    Html,
}

impl std::str::FromStr for Format {
    type Err = crate::ReportError;
    fn from_str(s: &str) -> crate::Result<Self> {
        Format::parse(s)
    }
}

impl Format {
    /// Parses `md`, `html`, `json` or `csv`.
    pub fn parse(s: &str) -> crate::Result<Self> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(crate::ReportError::Invalid {
                what: "--format".into(),
                value: other.into(),
                expected: "md, html, json or csv".into(),
            }),
        }
    }

    /// The media type of a report in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Renders `a`, and the progress of the targets of its scope, in `format`.
pub fn render(a: &Accounts, targets: &[Progress], format: Format) -> String {
    render_full(a, targets, &Extras::default(), format)
}

/// Renders the accounts, targets, strategy map, scenarios and model sheets in `format`.
pub fn render_full(a: &Accounts, targets: &[Progress], x: &Extras, format: Format) -> String {
    match format {
        Format::Markdown => markdown::markdown(&sections::report(a, targets, x)),
        Format::Json => json::json(a, targets, x),
        Format::Csv => csv::csv(a, targets, x),
        Format::Html => html::page(
            &format!("Sustain report: {} {}", a.period.label, a.scope),
            html_body(a, targets, x),
            &if a.has_data {
                charts(a, targets)
            } else {
                Vec::new()
            },
        ),
    }
}

/// The sections of a report as an HTML fragment (no charts), for a page to embed.
pub fn html_body(a: &Accounts, targets: &[Progress], x: &Extras) -> Markup {
    html::fragment(&sections::report(a, targets, x))
}

/// The targets section as Markdown (what `sustain target list` prints).
pub fn targets_markdown(targets: &[Progress]) -> String {
    markdown::markdown(&sections::targets(targets))
}

/// The targets section as an HTML fragment.
pub fn targets_html(targets: &[Progress]) -> Markup {
    html::fragment(&sections::targets(targets))
}

/// A scenario's result as Markdown: actual and scenario side by side, then each lever's effect
/// (what `sustain scenario run` prints).
pub fn scenario_markdown(r: &ScenarioResult) -> String {
    markdown::markdown(&sections::scenario(r))
}

/// A scenario's result as an HTML fragment.
pub fn scenario_html(r: &ScenarioResult) -> Markup {
    html::fragment(&sections::scenario(r))
}

/// Model sheets as Markdown.
pub fn sheets_markdown(sheets: &[ModelSheet]) -> String {
    markdown::markdown(&sections::sheets(sheets))
}

/// Model sheets as an HTML fragment.
pub fn sheets_html(sheets: &[ModelSheet]) -> Markup {
    html::fragment(&sections::sheets(sheets))
}
