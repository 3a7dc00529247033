//! SQLSTATE codes and condition names as check files write them, and how a database error is
//! described in a detail. Pure.

use crate::checks::validator::Validator;
use crate::words::closest;

/// Condition names accepted in place of SQLSTATE codes (and shown next to codes).
pub const SQLSTATES: &[(&str, &str)] = &[
    ("23000", "integrity_constraint_violation"),
    ("23001", "restrict_violation"),
    ("23502", "not_null_violation"),
    ("23503", "foreign_key_violation"),
    ("23505", "unique_violation"),
    ("23514", "check_violation"),
    ("23P01", "exclusion_violation"),
    ("42501", "insufficient_privilege"),
    ("42P01", "undefined_table"),
    ("42703", "undefined_column"),
    ("42883", "undefined_function"),
    ("42601", "syntax_error"),
    ("42704", "undefined_object"),
    ("42804", "datatype_mismatch"),
    ("44000", "with_check_option_violation"),
    ("P0001", "raise_exception"),
    ("P0002", "no_data_found"),
    ("P0003", "too_many_rows"),
    ("P0004", "assert_failure"),
    ("22001", "string_data_right_truncation"),
    ("22003", "numeric_value_out_of_range"),
    ("22004", "null_value_not_allowed"),
    ("22007", "invalid_datetime_format"),
    ("22012", "division_by_zero"),
    ("22023", "invalid_parameter_value"),
    ("22P02", "invalid_text_representation"),
    ("0A000", "feature_not_supported"),
    ("25006", "read_only_sql_transaction"),
    ("55P03", "lock_not_available"),
    ("57014", "query_canceled"),
    ("40001", "serialization_failure"),
    ("40P01", "deadlock_detected"),
];

/// A SQLSTATE code for a code or condition name (`"23505"`, `"unique_violation"`).
pub fn sqlstate_code(s: &str) -> Option<&str> {
    let t = s.trim();
    if t.len() == 5
        && t.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return Some(t);
    }
    SQLSTATES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(t))
        .map(|(c, _)| *c)
}

/// `23505 unique_violation` (or just the code when it has no name here).
pub fn sqlstate_text(code: &str) -> String {
    match SQLSTATES.iter().find(|(c, _)| *c == code) {
        Some((_, n)) => format!("{code} {n}"),
        None => code.to_string(),
    }
}

pub fn validate_sqlstate(v: &mut Validator, path: &str, s: &str) {
    if sqlstate_code(s).is_none() {
        let names: Vec<&str> = SQLSTATES.iter().map(|(_, n)| *n).collect();
        let hint = match closest(s, names.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "a SQLSTATE is 5 characters, digits and upper-case letters (\"23505\"), or a condition name (\"unique_violation\")".to_string(),
        };
        v.error(path, format!("`{s}` is not a SQLSTATE"), Some(hint));
    }
}

/// Errors that mean the check could not run (timeouts, locks, broken SQL, the connection),
/// not that the database behaved one way or another.
pub fn is_infrastructure(code: &str) -> bool {
    code.is_empty()
        || matches!(code, "57014" | "55P03" | "42601" | "40P01" | "25P02")
        || code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
}

/// A client error as text: SQLSTATE, name and message for database errors.
pub fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => describe_error(db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// `42501 insufficient_privilege: permission denied for table x`, with timeouts spelled out.
pub fn describe_error(code: &str, message: &str) -> String {
    if code == "57014" && message.contains("statement timeout") {
        return format!("{} (statement_timeout hit: {message})", sqlstate_text(code));
    }
    if code == "55P03" {
        return format!("{} (lock_timeout hit: {message})", sqlstate_text(code));
    }
    if code.is_empty() {
        return message.to_string();
    }
    format!("{}: {message}", sqlstate_text(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_by_code_or_name() {
        assert_eq!(sqlstate_code("23505"), Some("23505"));
        assert_eq!(sqlstate_code("unique_violation"), Some("23505"));
        assert_eq!(sqlstate_code("P0001"), Some("P0001"));
        assert_eq!(sqlstate_code("2350"), None);
        assert_eq!(sqlstate_code("uniq"), None);
        assert_eq!(sqlstate_text("23514"), "23514 check_violation");
    }
}
