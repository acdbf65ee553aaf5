//! The scenario file: TOML with a name, an optional default period and scope, and `[[lever]]`
//! tables. Read in two steps so that every mistake gets a message that names the lever, its
//! line and the fix: the file's own keys and each lever's `type` first (an unknown type gets
//! "did you mean"), then each table as its [`Lever`] variant (a field that does not apply lists
//! those that do; a missing one says how to write it), then the values ([`Lever::validate`]).

use serde::{Deserialize, Serialize};

use super::lever::{Lever, LeverKind};
use crate::error::{ReportError, Result};

/// A scenario file: a name, optional default period and scope, and levers applied in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioFile {
    /// Name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Default period.
    pub period: Option<String>,
    /// Default scope.
    pub scope: Option<String>,
    /// The levers.
    #[serde(rename = "lever")]
    pub levers: Vec<Lever>,
}

/// The file as written, before its levers are read by type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    lever: Vec<toml::Spanned<toml::Table>>,
}

const HELP: &str = "a scenario as in `sustain scenario run --help`";

impl ScenarioFile {
    /// The text of the scenario file at `path`. A file that cannot be read or is not UTF-8 text
    /// (a binary file given by mistake) is the user's input, named with what would be right.
    pub fn read_text(path: &std::path::Path) -> Result<String> {
        let bad = |why: String| ReportError::Invalid {
            what: "scenario file".into(),
            value: path.display().to_string(),
            expected: why,
        };
        let bytes = std::fs::read(path).map_err(|e| {
            bad(format!(
                "a readable TOML file ({e}); see `sustain scenario run --help`"
            ))
        })?;
        String::from_utf8(bytes).map_err(|_| {
            bad(
                "a TOML text file (this one is not UTF-8 text); see `sustain scenario run --help`"
                    .into(),
            )
        })
    }

    /// Parses and checks a scenario's TOML: unknown keys, lever types and fields that do not
    /// apply to a lever are errors that name the lever and suggest the right word.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            ReportError::invalid(
                format!("scenario file{}", location(text, e.span())),
                e.message().to_string(),
                HELP,
            )
        })?;
        sustain_core::business::check_name("scenario name", &raw.name)
            .map_err(|e| ReportError::invalid("scenario name", raw.name.clone(), e.to_string()))?;
        if raw.lever.is_empty() {
            return Err(ReportError::invalid(
                "scenario file",
                "no [[lever]]",
                "at least one [[lever]] table",
            ));
        }
        let mut levers = Vec::with_capacity(raw.lever.len());
        for (i, table) in raw.lever.into_iter().enumerate() {
            let at = location(text, Some(table.span()));
            let lever = lever(i + 1, &at, table.into_inner())?;
            lever.validate(i + 1)?;
            levers.push(lever);
        }
        Ok(ScenarioFile {
            name: raw.name,
            description: raw.description,
            period: raw.period,
            scope: raw.scope,
            levers,
        })
    }
}

/// Reads lever `n` (at `at`, " (line L)") as the variant its `type` names.
fn lever(n: usize, at: &str, table: toml::Table) -> Result<Lever> {
    let names: Vec<&str> = LeverKind::ALL.iter().map(|k| k.name()).collect();
    let given = match table.get("type") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => {
            return Err(ReportError::invalid(
                format!("lever {n}{at}"),
                "no type",
                format!("type = one of {}", names.join(", ")),
            ));
        }
    };
    let Some(kind) = LeverKind::parse(&given) else {
        let hint = closest(&given, &names)
            .map(|c| format!(" (did you mean \"{c}\"?)"))
            .unwrap_or_default();
        return Err(ReportError::invalid(
            format!("type of lever {n}{at}"),
            given,
            format!("one of {}{hint}", names.join(", ")),
        ));
    };
    table.try_into::<Lever>().map_err(|e| {
        let message = e.message().to_string();
        let quoted = |after: &str| {
            message
                .strip_prefix(after)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string)
        };
        let fields = kind.fields();
        if let Some(field) = quoted("unknown field `") {
            let hint = closest(&field, &fields)
                .map(|c| format!(" (did you mean \"{c}\"?)"))
                .unwrap_or_default();
            ReportError::invalid(
                format!("field {field} of lever {n} ({}){at}", kind.name()),
                format!("unknown field `{field}`"),
                format!(
                    "only {} apply to a {} lever{hint}",
                    fields.join(", "),
                    kind.name()
                ),
            )
        } else if let Some(field) = quoted("missing field `") {
            ReportError::invalid(
                format!("lever {n} ({}){at}", kind.name()),
                format!("no {field}"),
                kind.hint(&field),
            )
        } else {
            ReportError::invalid(format!("lever {n} ({}){at}", kind.name()), message, HELP)
        }
    })
}

/// " (line L)" of the start of `span` in `text`, or nothing.
fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// The name of `names` closest to `word`, when one is close.
fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (strsim::jaro_winkler(word, n), *n))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(t: &str) -> String {
        ScenarioFile::parse(t).unwrap_err().to_string()
    }

    #[test]
    fn each_mistake_names_the_lever_its_line_and_the_fix() {
        let e = err("name = \"x\"\n[[lever]]\ntype = \"move-site\"\ntoo = \"FR\"\n");
        assert!(
            e.contains("unknown field `too`") && e.contains("line 2") && e.contains("\"to\""),
            "{e}"
        );
        let e = err("name = \"x\"\n[[lever]]\ntype = \"pue\"\npue = 1.2\nseries = \"a.csv\"\n");
        assert!(e.contains("field series") && e.contains("only pue"), "{e}");
        let e = err("name = \"x\"\n[[lever]]\nto = \"FR\"\n");
        assert!(e.contains("no type") && e.contains("move-site"), "{e}");
        let e = err("name = \"x\"\n[[lever]]\ntype = \"pue\"\npue = \"high\"\n");
        assert!(
            e.contains("lever 1 (pue)") && e.contains("invalid type"),
            "{e}"
        );
        let e = err("name = \"x\"\n[[lever]]\ntype = \"energy-price\"\nprice_per_kwh = 0.1\n");
        assert!(e.contains("no currency") && e.contains("EUR"), "{e}");
        let e = err("name = \"x\"\n[[lever]]\ntype = \"hardware\"\nfrom = \"a100-80gb\"\n");
        assert!(e.contains("no from/to"), "{e}");
        let e = err(
            "name = \"x\"\n[[lever]]\ntype = \"shift-hours\"\nseries = \"s.csv\"\nwindow_hours = 500\n",
        );
        assert!(e.contains("1 to 336 hours"), "{e}");
        let e = err("name = \"x\"\nlevers = 1\n");
        assert!(
            e.contains("unknown field `levers`") && e.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn a_file_reads_back_as_written() {
        let text = "name = \"x\"\ndescription = \"d\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\nshare = 0.5\n[[lever]]\ntype = \"volume\"\nproduct = \"chat\"\nchange = \"+10%\"\n";
        let f = ScenarioFile::parse(text).unwrap();
        assert_eq!(f.levers.len(), 2);
        assert_eq!(f.levers[0].kind(), LeverKind::MoveSite);
        assert_eq!(f.levers[1].label(), "volume product=chat change=+10%");
        let again = ScenarioFile::parse(&toml::to_string(&f).unwrap()).unwrap();
        assert_eq!(again, f);
    }
}
