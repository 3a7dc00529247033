//! The snapshot's privilege checks: for each API role (`PRIVILEGE_ROLES`) and each kind of
//! object, what the role holds on which names and what it must not, grouped by what is held.
//! Must not write any other check.

use super::*;
use crate::catalog::privilege::{
    COLUMN as COLUMN_PRIVILEGES, FUNCTION as FUNCTION_PRIVILEGES, SCHEMA as SCHEMA_PRIVILEGES,
    SEQUENCE as SEQUENCE_PRIVILEGES,
};

impl Section<'_, '_> {
    pub(super) fn write_privileges(
        &self,
        w: &mut Doc,
        rels: &[&Relation],
        functions: &[&Function],
    ) {
        let snap = self.cx.snap;
        let roles: Vec<&str> = PRIVILEGE_ROLES
            .iter()
            .copied()
            .filter(|r| snap.role(r).is_some())
            .collect();
        if roles.is_empty() {
            return;
        }
        w.banner(format!(
            "Privileges of the API roles ({}): what each holds, and what it must not",
            roles.join(", ")
        ));
        let table_privs: Vec<&str> =
            crate::catalog::privilege::table(snap.server_version_num).to_vec();
        for role in roles {
            let grantees = snap.effective_grantees(role);
            let superuser = snap.is_superuser(role);
            let held = |acls: &[&[crate::catalog::AclItem]], universe: &[&str]| -> Vec<String> {
                universe
                    .iter()
                    .filter(|p| {
                        superuser || acls.iter().any(|a| privileges_of(a, &grantees).contains(p))
                    })
                    .map(|p| p.to_string())
                    .collect()
            };
            // Schema.
            if let Some(s) = snap.schema(self.schema) {
                let has = held(&[&s.acl], SCHEMA_PRIVILEGES);
                emit_privileges(
                    w,
                    role,
                    On::Schema,
                    vec![name_part(self.schema)],
                    has,
                    SCHEMA_PRIVILEGES,
                );
            }
            // Relations, grouped by kind and by what the role holds.
            for (on, kinds, universe) in [
                (
                    On::Table,
                    &[
                        RelKind::Table,
                        RelKind::PartitionedTable,
                        RelKind::ForeignTable,
                    ][..],
                    &table_privs[..],
                ),
                (On::View, &[RelKind::View][..], &table_privs[..]),
                (
                    On::MaterializedView,
                    &[RelKind::MaterializedView][..],
                    &table_privs[..],
                ),
                (On::Sequence, &[RelKind::Sequence][..], SEQUENCE_PRIVILEGES),
            ] {
                let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
                for r in rels.iter().filter(|r| kinds.contains(&r.kind)) {
                    let has = held(&[&r.acl], universe);
                    push_group(&mut groups, has, self.name(&r.qual()));
                }
                for (has, names) in groups {
                    emit_privileges(w, role, on, names, has, universe);
                }
            }
            // Column-level grants (beyond the table's).
            let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for r in rels {
                for c in &r.columns {
                    if privileges_of(&c.acl, &grantees).is_empty() {
                        continue;
                    }
                    let has = held(&[&r.acl, &c.acl], COLUMN_PRIVILEGES);
                    let name = format!("{}.{}", self.name(&r.qual()), name_part(&c.name));
                    push_group(&mut groups, has, name);
                }
            }
            for (has, names) in groups {
                emit_privileges(w, role, On::Column, names, has, COLUMN_PRIVILEGES);
            }
            // Functions, one overload each.
            let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for f in functions {
                let has = held(&[&f.acl], FUNCTION_PRIVILEGES);
                let name = format!("{}({})", self.name(&f.qual()), f.arg_types.join(", "));
                push_group(&mut groups, has, name);
            }
            for (has, names) in groups {
                emit_privileges(w, role, On::Function, names, has, FUNCTION_PRIVILEGES);
            }
        }
    }
}

fn push_group(groups: &mut Vec<(Vec<String>, Vec<String>)>, has: Vec<String>, name: String) {
    match groups.iter_mut().find(|(h, _)| *h == has) {
        Some((_, names)) => names.push(name),
        None => groups.push((has, vec![name])),
    }
}

/// What `role` holds on `names` (`has`) and the rest of `universe` it must not (`has_not`;
/// `ALL` when it holds nothing).
fn emit_privileges(
    w: &mut Doc,
    role: &str,
    on: On,
    names: Vec<String>,
    has: Vec<String>,
    universe: &[&str],
) {
    let has_not: Vec<String> = universe
        .iter()
        .filter(|p| !has.iter().any(|h| h == *p))
        .map(|p| p.to_string())
        .collect();
    let (has, has_not) = if has.is_empty() {
        (None, Some(vec!["ALL".to_string()]))
    } else {
        (Some(has), (!has_not.is_empty()).then_some(has_not))
    };
    let p = Privileges {
        role: Names(vec![role.to_string()]),
        on,
        names: Some(Names(names)),
        pattern: None,
        all: false,
        except: None,
        has,
        has_not,
    };
    w.check(Spec::Privileges(Box::new(p)));
}
