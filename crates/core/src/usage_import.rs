//! `sustain usage import FILE`: a CSV file of usage rows, with the header
//! `date,product,requests[,tokens][,revenue,currency]` (any order, any case), read with the `csv`
//! crate. Every row goes through the one rule for usage rows ([`Usage::from_input`]) and is
//! checked before any is written; errors name the file and the line.

use crate::business::{Product, Usage, UsageInput};
use crate::error::{CoreError, Result};
use crate::time::parse_day;

/// An error at a place in the file.
fn at(at: &str, error: CoreError) -> CoreError {
    CoreError::Located {
        at: at.to_string(),
        error: Box::new(error),
    }
}

fn input(message: String) -> CoreError {
    CoreError::Input(message)
}

/// The usage rows of the CSV text `bytes` of the file `name`, for `products`; each row's
/// source is `source`.
pub fn usage_rows(
    name: &str,
    bytes: &[u8],
    products: &[Product],
    source: &str,
) -> Result<Vec<Usage>> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| input(format!("{name}: not a readable CSV file: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |c: &str| header.iter().position(|h| h == c);
    let (Some(di), Some(pi), Some(ri)) = (col("date"), col("product"), col("requests")) else {
        return Err(input(format!(
            "{name}: the header is {}; it needs date, product and requests (and optionally tokens, revenue, currency)",
            header.join(",")
        )));
    };
    let (ti, vi, ci) = (col("tokens"), col("revenue"), col("currency"));
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| input(format!("{name}: {e}")))?;
        let line = rec.position().map_or(0, |p| p.line());
        let here = format!("{name} line {line}");
        let cell = |j: Option<usize>| j.and_then(|j| rec.get(j)).map(str::trim).unwrap_or("");
        let count = |j: Option<usize>, what: &str| -> Result<u64> {
            match cell(j) {
                "" => Ok(0),
                v => v
                    .parse()
                    .map_err(|_| input(format!("{here}: {what} {v:?} is not a whole number >= 0"))),
            }
        };
        let day = parse_day(&format!("date on {here}"), cell(Some(di)))?;
        let revenue = match cell(vi) {
            "" => None,
            v => Some(
                v.parse::<f64>()
                    .map_err(|_| input(format!("{here}: revenue {v:?} is not a number")))?,
            ),
        };
        let row = UsageInput {
            product: cell(Some(pi)).to_string(),
            day,
            requests: count(Some(ri), "requests")?,
            tokens: count(ti, "tokens")?,
            revenue,
            currency: revenue
                .and(Some(cell(ci).to_string()))
                .filter(|c| !c.is_empty()),
            source: source.to_string(),
        };
        rows.push(Usage::from_input(products, row).map_err(|e| at(&here, e))?);
    }
    if rows.is_empty() {
        return Err(input(format!("{name} has a header but no rows")));
    }
    Ok(rows)
}
