//! One snapshot of the catalogs per run: every fact the static check kinds, `diagnose` and
//! `snapshot` need, read by `load` in a fixed handful of set-returning queries (never one query
//! per check or per object). Owns the `Snapshot` model and its lookups; must not evaluate checks
//! or write to the database.
//!
//! Building one by hand (tests): fill the public `Vec`s, then call [`Snapshot::finish`] to build
//! the lookup maps.

mod load;
mod objects;
pub mod privilege;
mod relation;

pub use objects::*;
pub use privilege::Privilege;
pub use relation::*;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use load::{
    load, load_consistent, load_consistent_shared, parse_acl, OpenSecond, Scope, QUERY_COUNT,
    SHARE_POLICIES_AT,
};

pub type Oid = u32;

/// A schema-qualified name, exactly as stored in the catalog (case-sensitive, unquoted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QualName {
        QualName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// `schema.name` quoted for SQL.
    pub fn quoted(&self) -> String {
        format!(
            "{}.{}",
            crate::db::quote_ident(&self.schema),
            crate::db::quote_ident(&self.name)
        )
    }

    /// The name as shown to a reader whose default schema is `default_schema`.
    pub fn show(&self, default_schema: &str) -> String {
        if self.schema == default_schema {
            self.name.clone()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// One exploded ACL entry (`aclexplode`), default ACLs included when the catalog stores NULL.
/// Role names are shared (`Arc<str>`): one ACL of 8 privileges holds each name once, not 16
/// times (30,000 relations: ~45 MB less).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclItem {
    /// Role name, or `PUBLIC`.
    pub grantee: std::sync::Arc<str>,
    pub grantor: std::sync::Arc<str>,
    pub privilege: Privilege,
    pub grantable: bool,
}

impl AclItem {
    pub fn new(grantee: &str, privilege: &str) -> AclItem {
        AclItem {
            grantee: grantee.into(),
            grantor: "".into(),
            privilege: Privilege::from_name(privilege)
                .unwrap_or_else(|| panic!("AclItem::new: no privilege is named {privilege}")),
            grantable: false,
        }
    }
}

/// Everything read from the catalogs in one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// The schemas that were read (as requested), whether or not they exist.
    pub scope: Vec<String>,
    /// The requested schemas that exist.
    pub schemas: Vec<SchemaInfo>,
    pub relations: Vec<Relation>,
    pub functions: Vec<Function>,
    pub enums: Vec<EnumType>,
    pub publications: Vec<Publication>,
    pub extensions: Vec<Extension>,
    /// Every role of the cluster.
    pub roles: Vec<Role>,
    pub current_user: String,
    pub server_version_num: i32,
    /// Seconds since this database's statistics were last reset (`None`: never reset).
    pub stats_reset_age_s: Option<f64>,
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// Supabase Storage's public buckets and storage.objects policies (empty without Storage).
    pub storage: Storage,
    /// How many connections read it: 2 when a large catalog's policy read was shared
    /// ([`load_consistent_shared`]), 0 when not read from a database.
    #[serde(skip)]
    pub connections: usize,
    /// Lookup maps built by [`Snapshot::finish`] (opaque; public only so that
    /// `Snapshot { .., ..Default::default() }` works).
    #[serde(skip)]
    pub ix: Lookups,
}

#[derive(Debug, Clone, Default)]
pub struct Lookups {
    relations: HashMap<QualName, usize>,
    /// Lower-cased, underscore-free name → relations (near-miss lookups).
    folded: HashMap<String, Vec<usize>>,
    functions: HashMap<QualName, Vec<usize>>,
    enums: HashMap<QualName, usize>,
    /// Index name → (relation, index position).
    indexes: HashMap<QualName, (usize, usize)>,
    /// Policy name → (relation, policy position), across all tables.
    policies: HashMap<String, Vec<(usize, usize)>>,
    roles: HashMap<String, usize>,
    /// Each role's [`Snapshot::effective_grantees`], worked out once: rules and checks ask for
    /// them on every table.
    grantees: HashMap<String, Vec<String>>,
    publications: HashMap<String, usize>,
    extensions: HashMap<String, usize>,
}

/// Folds a relation name for near-miss matching: `ChatMessage`, `chat_messages`, `chat_message`
/// all fold to `chatmessage`.
pub fn fold_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .flat_map(|c| c.to_lowercase())
        .collect();
    if s.len() > 3 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.len() > 1 && s.ends_with('s') && !s.ends_with("ss") {
        s.pop();
    }
    s
}

impl Snapshot {
    /// Build the lookup maps. Call after filling or changing the public vectors.
    pub fn finish(mut self) -> Snapshot {
        let mut ix = Lookups::default();
        for (i, r) in self.relations.iter().enumerate() {
            ix.relations.insert(r.qual(), i);
            ix.folded.entry(fold_name(&r.name)).or_default().push(i);
            for (j, x) in r.indexes.iter().enumerate() {
                ix.indexes.insert(QualName::new(&r.schema, &x.name), (i, j));
            }
            for (j, p) in r.policies.iter().enumerate() {
                ix.policies.entry(p.name.clone()).or_default().push((i, j));
            }
        }
        for (i, f) in self.functions.iter().enumerate() {
            ix.functions.entry(f.qual()).or_default().push(i);
        }
        for (i, e) in self.enums.iter().enumerate() {
            ix.enums.insert(QualName::new(&e.schema, &e.name), i);
        }
        for (i, r) in self.roles.iter().enumerate() {
            ix.roles.insert(r.name.clone(), i);
        }
        for (i, p) in self.publications.iter().enumerate() {
            ix.publications.insert(p.name.clone(), i);
        }
        for (i, e) in self.extensions.iter().enumerate() {
            ix.extensions.insert(e.name.clone(), i);
        }
        self.ix = ix;
        self.ix.grantees = self
            .roles
            .iter()
            .map(|r| (r.name.clone(), self.grantees_walk(&r.name)))
            .collect();
        self
    }

    /// Whether `schema` was read into this snapshot.
    pub fn covers(&self, schema: &str) -> bool {
        self.scope.iter().any(|s| s == schema)
    }

    pub fn schema(&self, name: &str) -> Option<&SchemaInfo> {
        self.schemas.iter().find(|s| s.name == name)
    }

    pub fn relation(&self, q: &QualName) -> Option<&Relation> {
        self.ix.relations.get(q).map(|&i| &self.relations[i])
    }

    pub fn relation_by(&self, schema: &str, name: &str) -> Option<&Relation> {
        self.relation(&QualName::new(schema, name))
    }

    /// Relations of one schema, in catalog order.
    pub fn relations_in<'a>(&'a self, schema: &str) -> impl Iterator<Item = &'a Relation> + 'a {
        let schema = schema.to_string();
        self.relations.iter().filter(move |r| r.schema == schema)
    }

    /// Relations whose names fold to the same text as `name` (case, underscores, plural), any schema.
    pub fn similar_relations(&self, name: &str) -> Vec<&Relation> {
        self.ix
            .folded
            .get(&fold_name(name))
            .map(|v| v.iter().map(|&i| &self.relations[i]).collect())
            .unwrap_or_default()
    }

    /// Every overload of a function.
    pub fn functions_named(&self, q: &QualName) -> Vec<&Function> {
        self.ix
            .functions
            .get(q)
            .map(|v| v.iter().map(|&i| &self.functions[i]).collect())
            .unwrap_or_default()
    }

    pub fn enum_type(&self, q: &QualName) -> Option<&EnumType> {
        self.ix.enums.get(q).map(|&i| &self.enums[i])
    }

    /// An index by its (schema-qualified) name, with the relation it is on.
    pub fn index(&self, q: &QualName) -> Option<(&Relation, &Index)> {
        self.ix.indexes.get(q).map(|&(i, j)| {
            let r = &self.relations[i];
            (r, &r.indexes[j])
        })
    }

    /// Every policy with this name, on any table, with its table.
    pub fn policies_named(&self, name: &str) -> Vec<(&Relation, &Policy)> {
        self.ix
            .policies
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|&(i, j)| {
                        let r = &self.relations[i];
                        (r, &r.policies[j])
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.ix.roles.get(name).map(|&i| &self.roles[i])
    }

    pub fn publication(&self, name: &str) -> Option<&Publication> {
        self.ix
            .publications
            .get(name)
            .map(|&i| &self.publications[i])
    }

    pub fn extension(&self, name: &str) -> Option<&Extension> {
        self.ix.extensions.get(name).map(|&i| &self.extensions[i])
    }

    /// The grantees whose privileges `role` exercises: itself, PUBLIC, and every role it is
    /// (transitively) a member of through inheriting memberships. Unknown roles get themselves
    /// and PUBLIC.
    pub fn effective_grantees(&self, role: &str) -> Vec<String> {
        self.grantees(role).into_owned()
    }

    /// [`Snapshot::effective_grantees`], borrowed from what [`Snapshot::finish`] worked out
    /// (worked out here for a role the snapshot does not hold).
    pub fn grantees(&self, role: &str) -> std::borrow::Cow<'_, [String]> {
        match self.ix.grantees.get(role) {
            Some(g) => std::borrow::Cow::Borrowed(g),
            None => std::borrow::Cow::Owned(self.grantees_walk(role)),
        }
    }

    /// Membership walk behind [`Snapshot::effective_grantees`].
    fn grantees_walk(&self, role: &str) -> Vec<String> {
        let mut out = vec![role.to_string(), "PUBLIC".to_string()];
        let mut stack = vec![role.to_string()];
        while let Some(r) = stack.pop() {
            let Some(info) = self.role(&r) else { continue };
            if !info.inherit {
                continue;
            }
            for m in &info.member_of {
                if !out.contains(m) {
                    out.push(m.clone());
                    stack.push(m.clone());
                }
            }
        }
        out
    }

    /// Whether `role` is a superuser (has every privilege and bypasses RLS).
    pub fn is_superuser(&self, role: &str) -> bool {
        self.role(role).is_some_and(|r| r.superuser)
    }
}

/// Privileges an ACL grants to any of `grantees` (upper case, deduplicated, in ACL order).
pub fn privileges_of<'a>(acl: &'a [AclItem], grantees: &[String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for a in acl {
        if grantees.iter().any(|g| **g == *a.grantee) && !out.contains(&a.privilege.name()) {
            out.push(a.privilege.name());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_key_options_print_as_create_index_does() {
        let k = |opt, expression| IndexKey::from_indoption(opt, expression);
        assert_eq!(
            (k(0, false).suffix(), k(0, false).order()),
            ("", "ASC".into())
        );
        assert_eq!(
            (k(3, false).suffix(), k(3, false).order()),
            (" DESC", "DESC".into())
        );
        assert_eq!(
            (k(1, false).suffix(), k(1, false).order()),
            (" DESC NULLS LAST", "DESC NULLS LAST".into())
        );
        assert_eq!(
            (k(2, false).suffix(), k(2, false).order()),
            (" NULLS FIRST", "ASC NULLS FIRST".into())
        );
        let ix = Index {
            name: "i".into(),
            columns: vec!["a".into(), "lower(b)".into(), "c".into()],
            keys: vec![k(0, false), k(3, true)],
            unique: false,
            primary: false,
            valid: true,
            predicate: None,
            definition: None,
            scans: None,
            method: "btree".into(),
        };
        assert_eq!(ix.key_texts(), ["a", "lower(b) DESC", "c"]);
        assert!(ix.key(1).expression && !ix.key(2).expression);
    }

    #[test]
    fn fold_matches_pascal_and_snake_plural() {
        assert_eq!(fold_name("ChatMessage"), fold_name("chat_messages"));
        assert_eq!(fold_name("DailyMood"), fold_name("daily_mood"));
        assert_eq!(fold_name("JournalEntry"), fold_name("journal_entries"));
        assert_ne!(fold_name("chat_sessions"), fold_name("chat_messages"));
    }

    #[test]
    fn lookups_and_grantees() {
        let mut s = Snapshot::default();
        let mut t = Relation::new("public", "t", RelKind::Table);
        t.policies
            .push(Policy::new("p", PolicyCommand::Select, &["public"]));
        s.relations.push(t);
        let mut a = Role::new("authenticator");
        a.member_of = vec!["authenticated".into()];
        let mut b = Role::new("authenticated");
        b.member_of = vec!["base".into()];
        s.roles = vec![a, b, Role::new("base")];
        let s = s.finish();
        assert!(s.relation_by("public", "t").is_some());
        assert_eq!(s.policies_named("p").len(), 1);
        assert_eq!(
            s.effective_grantees("authenticator"),
            vec!["authenticator", "PUBLIC", "authenticated", "base"]
        );
    }

    #[test]
    fn reloptions() {
        let mut v = Relation::new("public", "v", RelKind::View);
        assert!(!v.security_invoker());
        v.options = vec!["security_invoker=true".into()];
        assert!(v.security_invoker());
        v.options = vec!["security_invoker=off".into()];
        assert!(!v.security_invoker());
    }
}
