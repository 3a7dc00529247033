//! `rls-disabled` (error): `ALTER TABLE ... DISABLE ROW LEVEL SECURITY`.

use super::prelude::*;

pub static RULE: MigrationRule = MigrationRule {
    id: "rls-disabled",
    level: Level::Error,
    what: "ALTER TABLE ... DISABLE ROW LEVEL SECURITY",
    why: "Every policy of the table stops applying at once: whoever holds a grant on it sees and changes every row",
    fix: "keep row-level security on and change the policies instead; if the table really must be open, say so with -- deskctl:allow rls-disabled",
    check,
};

fn check(set: &Set) -> Vec<Hit> {
    set.statements()
        .filter_map(|s| {
            let (t, cmds) = alter_cmds(s.node)?;
            cmds.iter()
                .any(|c| c.subtype() == AlterTableType::AtDisableRowSecurity)
                .then(|| {
                    s.hit(
                        format!(
                            "row-level security is disabled on {t}: its policies stop applying"
                        ),
                        format!(
                            "drop this statement and adjust the policies of {} instead",
                            qident(&t)
                        ),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_disable() {
        let p = places(
            &RULE,
            &[(
                "V1__a.sql",
                "select 1;\nalter table only app.t disable row level security;",
            )],
        );
        assert_eq!(p, ["V1__a.sql:2"]);
    }

    #[test]
    fn does_not_trigger_on_enable_or_no_force() {
        let p = places(
            &RULE,
            &[(
                "V1__a.sql",
                "alter table t enable row level security;\nalter table t no force row level security;",
            )],
        );
        assert!(p.is_empty());
    }
}
