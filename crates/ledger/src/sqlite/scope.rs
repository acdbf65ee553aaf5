//! The scope of a [`TotalsQuery`] as SQL on the rollup (`run_facts f`): a tag value, a site, a
//! kind; shared by the totals and by the listing of records left out of them.

use super::check_tag_key;
use crate::business::TotalsQuery;
use crate::error::Result;

/// The scope filter of a [`TotalsQuery`] on `run_facts f`: `?3`/`?4` the tag key and value,
/// `?5` the site, `?6` the kind (each NULL for no filter).
pub(super) const SCOPE_SQL: &str =
    "(?3 IS NULL OR (CASE ?3 WHEN 'product' THEN f.product WHEN 'model' THEN f.model
        WHEN 'team' THEN f.team ELSE json_extract(f.tags, '$.\"' || ?3 || '\"') END) = ?4)
   AND (?5 IS NULL OR f.site_id = ?5)
   AND (?6 IS NULL OR f.kind = ?6)";

/// The tag key and value of `q`'s scope, the key checked.
pub(super) fn tag_filter(q: &TotalsQuery) -> Result<(Option<&str>, Option<&str>)> {
    match &q.tag {
        Some((k, v)) => {
            check_tag_key(k)?;
            Ok((Some(k.as_str()), Some(v.as_str())))
        }
        None => Ok((None, None)),
    }
}

/// The parameters of a period and scope query: `?1` and `?2` the period's bounds, then the
/// four of [`SCOPE_SQL`] (tag key and value, site, kind). The tag key is checked.
pub(super) type ScopeParams<'a> = (
    String,
    String,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// [`ScopeParams`] of `q`, in one place for every query over a period and scope.
pub(super) fn scope_params(q: &TotalsQuery) -> Result<ScopeParams<'_>> {
    let (tag_key, tag_value) = tag_filter(q)?;
    Ok((
        super::ts_bound(&q.from),
        super::ts_bound(&q.to),
        tag_key,
        tag_value,
        q.site.as_deref(),
        q.kind.as_deref(),
    ))
}
