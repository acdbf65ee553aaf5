//! "Did you mean" suggestions for unknown names.

/// Up to three candidates closest to `given`: prefix or substring matches first, then by
/// Jaro-Winkler similarity above 0.8. Case-insensitive.
pub fn close_matches<'a, I>(given: &str, candidates: I) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let g = given.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lc = c.to_lowercase();
            let score = if lc.starts_with(&g) || g.starts_with(&lc) {
                2.0
            } else if g.len() >= 3 && lc.contains(&g) {
                1.5
            } else {
                strsim::jaro_winkler(&g, &lc)
            };
            (score > 0.8).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// Renders suggestions as `; did you mean 'a', 'b'?`, or nothing when there are none.
pub fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = suggestions.iter().map(|s| format!("'{s}'")).collect();
        format!("; did you mean {}?", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_ids() {
        let ids = ["FR", "DE", "US-CA", "US-CO", "gcp:europe-west1"];
        assert_eq!(close_matches("us-cal", ids)[0], "US-CA");
        assert!(close_matches("europe-west", ids).contains(&"gcp:europe-west1".to_string()));
        assert!(close_matches("zzzz", ids).is_empty());
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["FR".into()]), "; did you mean 'FR'?");
    }
}
