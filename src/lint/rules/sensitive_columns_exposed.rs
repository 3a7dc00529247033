//! `sensitive-columns-exposed` (error): a table without row-level security whose
//! sensitive-looking columns (password, token, ssn, iban, ...) anon or authenticated can read in
//! an exposed schema.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "sensitive-columns-exposed",
    level: Level::Error,
    what: "sensitive-looking columns (password, secret, token, api key, ssn, iban, card number, ...) in a table without RLS that anon or authenticated can read",
    why: "Credentials and personal identifiers in a table without RLS are readable row by row by every API client that holds SELECT",
    fix: "ENABLE ROW LEVEL SECURITY with policies limiting rows to their owner, REVOKE SELECT on the columns from the API roles, or move the secrets to a schema the API does not expose",
    check,
};

/// Single words that make a column sensitive.
const WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "ssn",
    "iban",
    "cvv",
    "cvc",
    "passport",
    "apikey",
    "otp",
    "totp",
    "pin",
];

/// Consecutive word pairs that do.
const PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("secret", "key"),
    ("access", "key"),
    ("credit", "card"),
    ("card", "number"),
    ("account", "number"),
    ("routing", "number"),
    ("tax", "id"),
    ("social", "security"),
    ("national", "id"),
    ("bank", "account"),
    ("sort", "code"),
    ("security", "answer"),
];

/// Words after `token` that make it a count, not a credential (`token_count`, LLM usage).
const TOKEN_COUNTS: &[&str] = &[
    "count", "counts", "limit", "usage", "used", "type", "kind", "estimate",
];

/// `encrypted_password` → [encrypted, password]; `apiKey` → [api, key].
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a column name looks like it holds a secret or a personal identifier.
pub fn sensitive(name: &str) -> bool {
    let w = words(name);
    for (i, x) in w.iter().enumerate() {
        if x == "token"
            && w.get(i + 1)
                .is_some_and(|n| TOKEN_COUNTS.contains(&n.as_str()))
        {
            continue;
        }
        if WORDS.contains(&x.as_str()) {
            return true;
        }
        if let Some(next) = w.get(i + 1) {
            if PAIRS.iter().any(|(a, b)| a == x && b == next) {
                return true;
            }
        }
    }
    false
}

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables().filter(|t| !t.rls_enabled) {
        if !cx.is_exposed(&t.schema) {
            continue;
        }
        let mut cols: Vec<String> = Vec::new();
        let mut readers: Vec<String> = Vec::new();
        for c in t.columns.iter().filter(|c| sensitive(&c.name)) {
            let who: Vec<&str> = cx
                .api_roles()
                .into_iter()
                .filter(|r| cx.schema_usage(r, &t.schema))
                .filter(|r| cx.column_privileges(r, t, &c.name).contains(&"SELECT"))
                .collect();
            if who.is_empty() {
                continue;
            }
            cols.push(c.name.clone());
            for r in who {
                if !readers.iter().any(|x| x == r) {
                    readers.push(r.to_string());
                }
            }
        }
        if cols.is_empty() {
            continue;
        }
        out.push(Finding::new(
            t.qual(),
            format!(
                "table {} has no row-level security and {} can read its sensitive-looking column{} {}",
                cx.show(&t.qual()),
                join_and(&readers),
                if cols.len() == 1 { "" } else { "s" },
                join_and(&cols)
            ),
            format!(
                "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY; with owner-only policies, or REVOKE SELECT {1} ON {0} FROM {2};",
                qident(&t.qual()),
                sql::columns(&cols),
                readers.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use crate::lint::testkit::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "password",
            "encrypted_password",
            "apiKey",
            "api_key",
            "ssn",
            "IBAN",
            "refresh_token",
            "card_number",
            "stripe_secret",
        ] {
            assert!(sensitive(n), "{n}");
        }
        for n in [
            "summary",
            "user_id",
            "token_count",
            "prompt_tokens",
            "passed",
            "spinner",
            "keyword",
            "account_id",
        ] {
            assert!(!sensitive(n), "{n}");
        }
    }

    #[test]
    fn triggers_on_readable_secrets_without_rls() {
        let mut t = api_table("integration_tokens");
        t.columns.push(Column::new("access_token", "text"));
        t.columns.push(Column::new("provider", "text"));
        let f = run(&RULE, vec![t], vec![]);
        assert_eq!(keys(&f), ["public.integration_tokens"]);
        assert!(
            f[0].message.contains(
                "anon and authenticated can read its sensitive-looking column access_token"
            ),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_with_rls_or_when_the_column_is_not_readable() {
        let mut t = protected_table("integration_tokens");
        t.columns.push(Column::new("access_token", "text"));
        let mut u = api_table("users");
        u.columns.push(Column::new("password", "text"));
        u.acl = acl(&[("postgres", "SELECT")]);
        u.columns[0].acl = acl(&[("authenticated", "SELECT")]);
        let f = run(&RULE, vec![t, u], vec![]);
        assert!(f.is_empty(), "{f:?}");
    }
}
