//! Object type `role` (cluster-wide): its attributes (`superuser`, `bypassrls`, `login`,
//! `inherit`, `createrole`, `createdb`, `replication`) and `member_of`. Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{QualName, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::{Message, Near, Problem};
use crate::words::closest;

#[derive(Debug, Clone)]
pub struct RoleProps {
    superuser: Option<bool>,
    bypassrls: Option<bool>,
    login: Option<bool>,
    inherit: Option<bool>,
    createrole: Option<bool>,
    createdb: Option<bool>,
    replication: Option<bool>,
    member_of: Option<Vec<String>>,
}

impl ObjectType for RoleProps {
    const KEY: &'static str = "role";
    const NOUN: &'static str = "role";
    const NOUNS: &'static str = "roles";
    const PROPERTIES: &'static [&'static str] = &[
        "superuser",
        "bypassrls",
        "login",
        "inherit",
        "createrole",
        "createdb",
        "replication",
        "member_of",
    ];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> RoleProps {
        RoleProps {
            superuser: raw.superuser,
            bypassrls: raw.bypassrls,
            login: raw.login,
            inherit: raw.inherit,
            createrole: raw.createrole,
            createdb: raw.createdb,
            replication: raw.replication,
            member_of: raw.member_of.clone(),
        }
    }

    /// A role belongs to the cluster, not a schema.
    fn schema_names(&self, _ctx: &Ctx, _names: &Names, _out: &mut Vec<String>) {}

    fn exists(
        &self,
        _ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let Some(r) = snap.role(name) else {
            let near = closest(name, snap.roles.iter().map(|r| r.name.as_str()));
            problems.push(Problem::about(
                name,
                Message::Absent {
                    noun: "role".into(),
                    within: None,
                    near: Near::one(near),
                },
            ));
            return name.to_string();
        };
        for (what, want, have) in [
            ("SUPERUSER", self.superuser, r.superuser),
            ("BYPASSRLS", self.bypassrls, r.bypass_rls),
            ("LOGIN", self.login, r.login),
            ("INHERIT", self.inherit, r.inherit),
            ("CREATEROLE", self.createrole, r.create_role),
            ("CREATEDB", self.createdb, r.create_db),
            ("REPLICATION", self.replication, r.replication),
        ] {
            if let Some(w) = want {
                if w != have {
                    problems.push(Problem::says(
                        "role",
                        name,
                        format!(
                            "is {}{what}, expected {}{what}",
                            if have { "" } else { "NO" },
                            if w { "" } else { "NO" }
                        ),
                    ));
                }
            }
        }
        for m in self.member_of.iter().flatten() {
            if !r.member_of.contains(m) {
                problems.push(Problem::says(
                    "role",
                    name,
                    format!("is not a member of {m}"),
                ));
            }
        }
        name.to_string()
    }

    fn absent(
        &self,
        _ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
    ) -> Option<Problem> {
        snap.role(name)
            .map(|r| Problem::says("role", &r.name, "exists"))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::findings::Status;

    #[test]
    fn attributes() {
        let k = kit();
        k.passes("[[exists]]\nrole = \"service_role\"\nbypassrls = true\nsuperuser = false\n");
        assert_eq!(
            k.fails("[[exists]]\nrole = \"anon\"\nbypassrls = true\n"),
            "role anon is NOBYPASSRLS, expected BYPASSRLS"
        );
        assert_eq!(
            k.fails("[[exists]]\nrole = \"anno\"\n"),
            "role anno does not exist (did you mean anon?)"
        );
        let o = k.eval("[[absent]]\nrole = \"anon\"\n");
        assert_eq!(o.status, Status::Fail);
    }
}
