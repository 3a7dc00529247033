//! The `Validator` check kinds report their semantic problems to at load time, each located by a
//! key path inside the check. Must not read files or know the check file's layout (the loader
//! turns key paths into file:line:col).

use crate::words::closest;

/// One semantic problem found by a kind's `validate`, located by a key path inside the check
/// (`""` = the check itself, `"expect.2.command"` = a nested key; numbers index arrays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Collects a check's semantic problems.
#[derive(Debug, Default)]
pub struct Validator {
    pub problems: Vec<KeyProblem>,
}

impl Validator {
    pub fn error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(KeyProblem {
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// `value` must be one of `allowed` (case-insensitive); suggests the closest.
    pub fn word(&mut self, path: &str, what: &str, value: &str, allowed: &[&str]) {
        if allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
            return;
        }
        let hint = match closest(value, allowed.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("use one of: {}", allowed.join(", ")),
        };
        self.error(path, format!("unknown {what} `{value}`"), Some(hint));
    }

    /// A key that does not apply in this form of the check.
    pub fn not_here(&mut self, path: &str, why: &str) {
        self.error(path, format!("`{path}` {why}"), None);
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_suggests_the_closest_or_lists_the_allowed() {
        let mut v = Validator::default();
        v.word("command", "command", "selct", &["SELECT", "INSERT"]);
        v.word("command", "command", "zzz", &["SELECT", "INSERT"]);
        v.word("command", "command", "select", &["SELECT", "INSERT"]);
        let hints: Vec<_> = v.problems.iter().map(|p| p.hint.clone().unwrap()).collect();
        assert_eq!(
            hints,
            ["did you mean `SELECT`?", "use one of: SELECT, INSERT"]
        );
        assert_eq!(v.problems[0].message, "unknown command `selct`");
    }
}
