//! Prose building blocks every layer's messages share: plural nouns, bounded lists of names
//! ("a, b, and 3 more") and the closest candidate to a likely typo. Must not know about checks,
//! lint rules, the catalog or any output format.

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&w, &c.to_lowercase());
        if score >= 0.85 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Like `closest`, for long names (policy names): edit distance, so that a shared prefix alone
/// ("Customers see ..." / "Customers update ...") is not a near miss.
pub fn closest_long<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::normalized_damerau_levenshtein(&w, &c.to_lowercase());
        if score >= 0.85 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// The noun for `n` things: `plural(1, "index", "indexes")` is `index`, any other `n` `indexes`.
/// Every count in a detail goes through this (`format!("{n} {}", plural(n, ..))`), so that no
/// detail says "1 triggers" or "indexs".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A bare list of names, for details: `a, b, c` (at most `max`, then `and N more`).
pub fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!(
            "{}, and {} more",
            items[..max].join(", "),
            items.len() - max
        )
    }
}

/// `list` when only the first items were built (display names cost an allocation each; a detail
/// shows a few): `shown` are the first of `total`.
pub fn list_of(shown: &[String], total: usize) -> String {
    if total <= shown.len() {
        shown.join(", ")
    } else {
        format!("{}, and {} more", shown.join(", "), total - shown.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_of_matches_list() {
        let items: Vec<String> = (0..12).map(|i| format!("t{i}")).collect();
        for total in [0, 1, 8, 9, 12] {
            assert_eq!(
                list_of(&items[..total.min(8)], total),
                list(&items[..total], 8),
                "{total}"
            );
        }
    }

    #[test]
    fn closest_word() {
        assert_eq!(
            closest("tabels", ["tables", "pattern", "all"]),
            Some("tables")
        );
        assert_eq!(closest("zzz", ["tables", "pattern"]), None);
    }

    #[test]
    fn plural_nouns() {
        assert_eq!(plural(1, "index", "indexes"), "index");
        assert_eq!(plural(0, "index", "indexes"), "indexes");
        assert_eq!(plural(2, "policy", "policies"), "policies");
    }
}
