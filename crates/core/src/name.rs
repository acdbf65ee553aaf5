//! Names of records (products, targets, scenarios, scope values, indicators): short, plain
//! and safe in URLs, tags and file names. One rule for every record kind.

use crate::error::{CoreError, Result};

/// An invalid value, naming what it is and what would be right.
pub(crate) fn invalid(what: &str, value: impl ToString, expected: &str) -> CoreError {
    CoreError::InvalidValue {
        what: what.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// Checks a record name (product, scope value): 1 to 64 characters of letters, digits, `-`,
/// `_`, `.` or `/`.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            what,
            name,
            "1 to 64 letters, digits, '-', '_', '.' or '/', such as chat or search-v2",
        ))
    }
}
