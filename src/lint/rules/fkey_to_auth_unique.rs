//! `fkey-to-auth-unique` (error): a foreign key that references a unique key of a table in the
//! `auth` schema other than its primary key (splinter 0021).

use super::prelude::*;
use crate::catalog::ConstraintKind;

pub static RULE: Rule = Rule {
    id: "fkey-to-auth-unique",
    level: Level::Error,
    what: "a foreign key to a unique (non-primary) key of a table in the auth schema",
    why: "Supabase Auth manages its own unique indexes and may change or drop them in an upgrade; a foreign key that depends on one blocks that upgrade or breaks with it",
    fix: "Reference the primary key instead (auth.users(id)): drop the constraint and add one on the id column",
    check,
};

fn check(cx: &RuleCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in cx.tables() {
        for c in &t.constraints {
            let Some(fk) = &c.foreign else { continue };
            if c.kind != ConstraintKind::ForeignKey
                || fk.table.schema != "auth"
                || fk.to_primary_key
            {
                continue;
            }
            out.push(
                Finding::new(
                    t.qual(),
                    format!(
                        "foreign key {} on {} ({}) references {}({}), a unique key that is not its primary key",
                        c.name,
                        cx.show(&t.qual()),
                        c.columns.join(", "),
                        fk.table,
                        fk.columns.join(", ")
                    ),
                    format!(
                        "ALTER TABLE {} DROP CONSTRAINT {}; (then reference {}(id))",
                        qident(&t.qual()),
                        ident(&c.name),
                        qident(&fk.table)
                    ),
                )
                .part(c.name.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testkit::*;

    fn to_auth(name: &str, primary: bool) -> Relation {
        let mut t = protected_table(name);
        let mut c = fk(&format!("{name}_email_fkey"), &["email"], "users");
        let f = c.foreign.as_mut().unwrap();
        f.table = QualName::new("auth", "users");
        f.columns = vec![if primary { "id" } else { "email" }.into()];
        f.to_primary_key = primary;
        t.constraints.push(c);
        t
    }

    #[test]
    fn triggers_on_a_reference_to_auth_users_email() {
        let f = run(&RULE, vec![to_auth("profiles", false)], vec![]);
        assert_eq!(keys(&f), ["public.profiles/profiles_email_fkey"]);
        assert!(
            f[0].message.contains("references auth.users(email)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn does_not_trigger_on_a_reference_to_the_primary_key() {
        assert!(run(&RULE, vec![to_auth("profiles", true)], vec![]).is_empty());
    }
}
