//! `sensitive-table-public-access` (error): a GRANT to anon or PUBLIC, or a policy for anon or
//! PUBLIC (a policy without TO applies to PUBLIC), on a sensitive-looking table: its name or a
//! column the set gives it looks like a credential or personal identifier (the word list of
//! diagnose's `sensitive-columns-exposed`).

use pg_query::protobuf::{node, GrantTargetType, ObjectType};

use super::prelude::*;
use super::{qual, strings};
use crate::lint::rules::sensitive;

pub static RULE: MigrationRule = MigrationRule {
    id: "sensitive-table-public-access",
    level: Level::Error,
    what: "a GRANT or policy for anon or PUBLIC on a table whose name or columns look sensitive (password, token, api key, ssn, iban, ...)",
    why: "anon is everyone holding the project's public API key and PUBLIC is every role: credentials and personal identifiers must not be reachable by them",
    fix: "grant to authenticated (or service_role) only, with a policy limiting rows to their owner, or grant only the columns that are not sensitive",
    check,
};

/// Whether a role list reaches everyone.
fn public_roles(roles: &[String]) -> Vec<String> {
    roles
        .iter()
        .filter(|r| *r == "anon" || *r == "public")
        .map(|r| {
            if r == "public" {
                "PUBLIC".into()
            } else {
                r.clone()
            }
        })
        .collect()
}

/// Why the table looks sensitive (`None`: it does not). `only` restricts the columns looked at.
fn why_sensitive(set: &Set, t: &QualName, only: Option<&[String]>) -> Option<String> {
    let name_hit = sensitive(&t.name) || sensitive(t.name.trim_end_matches('s'));
    let cols: Vec<&str> = set
        .columns_of(t)
        .iter()
        .map(String::as_str)
        .filter(|c| sensitive(c))
        .filter(|c| only.is_none_or(|o| o.iter().any(|x| x == c)))
        .collect();
    match (name_hit, cols.is_empty()) {
        (true, _) if only.is_none() => Some("its name looks sensitive".into()),
        (_, false) => Some(format!(
            "column{} {} look{} sensitive",
            if cols.len() == 1 { "" } else { "s" },
            cols.join(", "),
            if cols.len() == 1 { "s" } else { "" }
        )),
        (true, true) => Some("its name looks sensitive".into()),
        _ => None,
    }
}

fn check(set: &Set) -> Vec<Hit> {
    let mut out = Vec::new();
    for s in set.statements() {
        match s.node {
            NodeEnum::GrantStmt(g) if g.is_grant && g.objtype() == ObjectType::ObjectTable => {
                let who = public_roles(&super::role_names(&g.grantees));
                if who.is_empty() {
                    continue;
                }
                // Column grants: only those columns matter.
                let mut cols: Vec<String> = Vec::new();
                let mut whole = g.privileges.is_empty();
                let mut privs: Vec<String> = Vec::new();
                for p in &g.privileges {
                    if let Some(node::Node::AccessPriv(a)) = p.node.as_ref() {
                        privs.push(a.priv_name.to_uppercase());
                        if a.cols.is_empty() {
                            whole = true;
                        }
                        cols.extend(strings(&a.cols));
                    }
                }
                let privs = if privs.is_empty() {
                    "ALL".to_string()
                } else {
                    privs.join(", ")
                };
                let tables: Vec<QualName> = match g.targtype() {
                    GrantTargetType::AclTargetAllInSchema => {
                        let schemas = strings(&g.objects);
                        set.statements()
                            .filter_map(|c| super::created_table(c.node))
                            .filter(|t| schemas.contains(&t.schema))
                            .collect()
                    }
                    _ => g
                        .objects
                        .iter()
                        .filter_map(|o| match o.node.as_ref() {
                            Some(node::Node::RangeVar(r)) => Some(qual(r)),
                            _ => None,
                        })
                        .collect(),
                };
                for t in tables {
                    let only = (!whole).then_some(cols.as_slice());
                    if let Some(why) = why_sensitive(set, &t, only) {
                        out.push(s.hit(
                            format!("GRANT {privs} ON {t} TO {}: {why}", who.join(", ")),
                            format!(
                                "REVOKE {privs} ON {} FROM {}; grant to authenticated with an owner-only policy instead",
                                qident(&t),
                                who.join(", ")
                            ),
                        ));
                    }
                }
            }
            NodeEnum::CreatePolicyStmt(p) => {
                let Some(t) = p.table.as_ref().map(qual) else {
                    continue;
                };
                let roles = super::role_names(&p.roles);
                let who = if roles.is_empty() {
                    vec!["PUBLIC".to_string()]
                } else {
                    public_roles(&roles)
                };
                if who.is_empty() {
                    continue;
                }
                if let Some(why) = why_sensitive(set, &t, None) {
                    out.push(s.hit(
                        format!(
                            "policy \"{}\" on {t} applies to {}: {why}",
                            p.policy_name,
                            who.join(", ")
                        ),
                        format!(
                            "CREATE POLICY ... ON {} TO authenticated USING (<owner column> = auth.uid());",
                            qident(&t)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::migration::testkit::*;

    #[test]
    fn triggers_on_grants_and_policies_for_everyone() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "create table integrations (id int, access_token text);\n\
grant select on integrations to anon;\n\
create policy \"read\" on integrations for select using (true);\n\
grant all on table public.api_keys to public;\n\
create policy p on api_keys to authenticated, anon using (true);\n",
            )],
        );
        assert_eq!(h.len(), 4, "{h:#?}");
        assert!(h[0].starts_with("V1__a.sql:2 GRANT SELECT ON public.integrations TO anon: column access_token looks sensitive"), "{h:?}");
        assert!(
            h[1].contains("policy \"read\" on public.integrations applies to PUBLIC"),
            "{h:?}"
        );
        assert!(
            h[2].contains("GRANT ALL ON public.api_keys TO PUBLIC: its name looks sensitive"),
            "{h:?}"
        );
        assert!(h[3].starts_with("V1__a.sql:5"), "{h:?}");
    }

    #[test]
    fn does_not_trigger_for_other_roles_tables_or_columns() {
        let h = hits(
            &RULE,
            &[(
                "V1__a.sql",
                "create table notes (id int, body text);\n\
grant select on notes to anon;\n\
create table users (id int, password text);\n\
grant select on users to authenticated;\n\
grant select (id) on users to anon;\n\
create policy own on users to authenticated using (true);\n\
revoke select on users from anon;\n",
            )],
        );
        assert!(h.is_empty(), "{h:#?}");
    }
}
