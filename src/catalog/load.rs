//! Reads a `Snapshot` from the catalogs: a fixed set of set-returning queries (queries/*.sql),
//! pipelined on one connection (on large catalogs the policy expressions are shared with a second
//! connection reading the same exported snapshot), whatever the number of checks or objects. Must
//! not write, and must not issue per-object queries.

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

use super::*;

/// What to read.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Schemas whose objects are read (roles, publications and extensions are cluster/database-wide).
    pub schemas: Vec<String>,
    /// Read deparsed policy USING / WITH CHECK and partial-index predicates. When false those
    /// fields are `None` — "not read", not "absent". `verify` asks for them only when a check
    /// compares such text.
    pub expressions: bool,
    /// Also read column defaults and constraint definitions: deparsing them builds every table's
    /// relcache entry and was most of a catalog read (~0.3 s of 0.5 s on 1,000 tables, 1,000 CHECK
    /// constraints and 3,000 defaults); only checks that compare them ask (`None` otherwise).
    pub table_expressions: bool,
    /// Read whole-object definitions: views (`pg_get_viewdef`, ~0.1 s per 1,000 views), indexes
    /// and triggers. No check kind evaluates them; `None` when false.
    pub definitions: bool,
    /// From how many tables holding policies in the scope [`load_consistent_shared`]
    /// has a second connection read the policies ([`SHARE_POLICIES_AT`]; tests lower it).
    pub share_policies_at: usize,
}

impl Scope {
    /// Everything, expressions and definitions included.
    pub fn new(schemas: Vec<String>) -> Scope {
        Scope {
            schemas,
            expressions: true,
            table_expressions: true,
            definitions: true,
            share_policies_at: SHARE_POLICIES_AT,
        }
    }

    /// Catalog facts without deparsed expressions or definitions.
    pub fn without_expressions(schemas: Vec<String>) -> Scope {
        Scope {
            schemas,
            expressions: false,
            table_expressions: false,
            definitions: false,
            share_policies_at: SHARE_POLICIES_AT,
        }
    }

    /// Expressions (policies, defaults, predicates, constraints) but no view/index/trigger
    /// definitions.
    pub fn with_expressions(schemas: Vec<String>) -> Scope {
        Scope {
            schemas,
            expressions: true,
            table_expressions: true,
            definitions: false,
            share_policies_at: SHARE_POLICIES_AT,
        }
    }

    /// Policy USING / WITH CHECK and index predicates, nothing else deparsed: what diagnose's
    /// rules, snapshot, diff and access read.
    pub fn with_policy_expressions(schemas: Vec<String>) -> Scope {
        Scope {
            schemas,
            expressions: true,
            table_expressions: false,
            definitions: false,
            share_policies_at: SHARE_POLICIES_AT,
        }
    }
}

const RELATIONS: &str = include_str!("queries/relations.sql");
const COLUMNS: &str = include_str!("queries/columns.sql");
const CONSTRAINTS: &str = include_str!("queries/constraints.sql");
const INDEXES: &str = include_str!("queries/indexes.sql");
const POLICIES: &str = include_str!("queries/policies.sql");
const TRIGGERS: &str = include_str!("queries/triggers.sql");
const FUNCTIONS: &str = include_str!("queries/functions.sql");
const ENUMS: &str = include_str!("queries/enums.sql");
const SEQUENCES: &str = include_str!("queries/sequences.sql");
const VIEW_DEPS: &str = include_str!("queries/view_deps.sql");
const SCHEMAS: &str = include_str!("queries/schemas.sql");
const SESSION: &str = include_str!("queries/session.sql");
const ROLES: &str = include_str!("queries/roles.sql");
const PUBLICATIONS: &str = include_str!("queries/publications.sql");
const EXTENSIONS: &str = include_str!("queries/extensions.sql");
const STORAGE: &str = include_str!("queries/storage.sql");

/// The number of queries one snapshot costs (fixed).
pub const QUERY_COUNT: usize = 16;

/// The per-relation facts, read by relation oid through each catalog's index.
struct PerRelation {
    columns: Vec<Row>,
    constraints: Vec<Row>,
    indexes: Vec<Row>,
    triggers: Vec<Row>,
    sequences: Vec<Row>,
    view_deps: Vec<Row>,
}

/// Read the snapshot inside a REPEATABLE READ, READ ONLY transaction that is rolled back: one
/// consistent view of the catalogs (a migration committing meanwhile is seen entirely or not at
/// all), and no way to write. What every read-only command (verify, diagnose, snapshot, access,
/// diff, init) uses; the connection must not be inside a transaction.
pub async fn load_consistent(
    client: &Client,
    scope: &Scope,
) -> Result<Snapshot, tokio_postgres::Error> {
    load_consistent_shared(client, scope, None).await
}

/// Opens one more connection to the same database (with the session settings the first one
/// has, `lock_timeout` included), or `None` when it cannot.
pub type OpenSecond<'a> = Box<dyn FnOnce() -> BoxFuture<'a, Option<Client>> + Send + 'a>;

/// Tables with policies from which the deparsed policy expressions are read by a second
/// connection. Deparsing a policy's USING / WITH CHECK builds its table's relcache entry in a
/// fresh backend (~0.1 ms a table): on 1,000 tables that read is over half of the catalog's server
/// time, and one backend does it on one core.
pub const SHARE_POLICIES_AT: usize = 256;

/// [`load_consistent`], and when the scope deparses policy expressions, `second` opens a
/// connection and the scope holds policies on at least `scope.share_policies_at` tables, that
/// connection reads the policies in a transaction importing this one's snapshot
/// (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`: both see exactly the same catalog) while
/// this one reads everything else. The policy query does not depend on the others, so the second
/// connection starts at once. Whatever goes wrong on the second connection (no connection, the
/// snapshot cannot be imported, a query error, a lock wait it gives up on), the policies are read
/// again here: the result never depends on it, and a lock wait is reported by this connection's
/// watch.
pub async fn load_consistent_shared(
    client: &Client,
    scope: &Scope,
    second: Option<OpenSecond<'_>>,
) -> Result<Snapshot, tokio_postgres::Error> {
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let snap = load_with(client, scope, second).await;
    let end = client.batch_execute("ROLLBACK").await;
    let snap = snap?;
    end?;
    Ok(snap)
}

/// The snapshot id `client` exports when the scope (its schemas, the relation kinds
/// `policies.sql` reads) holds policies on at least `at` tables, else `None`. One unnamed
/// statement with typed parameters: one round trip, sent ahead of the queries pipelined after it.
async fn export_if_large(client: &Client, at: usize, schemas: &Vec<String>) -> Option<String> {
    let at = i64::try_from(at).unwrap_or(i64::MAX);
    let rows = client
        .query_typed(
            "select case when (select count(distinct p.polrelid)
                                 from pg_catalog.pg_policy p
                                 join pg_catalog.pg_class c on c.oid = p.polrelid
                                 join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                                where n.nspname = any($1)
                                  and c.relkind in ('r', 'p', 'v', 'm', 'f')) >= $2
                    then pg_catalog.pg_export_snapshot() end",
            &[(schemas, Type::TEXT_ARRAY), (&at, Type::INT8)],
        )
        .await
        .ok()?;
    rows.first()?.get::<_, Option<String>>(0)
}

/// A second connection inside a REPEATABLE READ READ ONLY transaction that imported the
/// snapshot `id`, or `None` (any step failed: the connection is dropped).
async fn import_snapshot(id: &str, second: OpenSecond<'_>) -> Option<Client> {
    let other = second().await?;
    other
        .batch_execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
             SET TRANSACTION SNAPSHOT {}; set jit = off",
            crate::db::quote_literal(id)
        ))
        .await
        .ok()?;
    Some(other)
}

/// The policies, read by a second connection when `second` opens one that imports `client`'s
/// snapshot (on a large enough catalog), else by `client` (after everything already sent on
/// it); and whether the second connection read them.
async fn read_policies(
    client: &Client,
    second: Option<OpenSecond<'_>>,
    at: usize,
    schemas: &Vec<String>,
    exprs: bool,
) -> Result<(Vec<Row>, bool), tokio_postgres::Error> {
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [schemas, &exprs];
    if let Some(open) = second.filter(|_| exprs) {
        if let Some(id) = export_if_large(client, at, schemas).await {
            if let Some(other) = import_snapshot(&id, open).await {
                if let Ok(rows) = other.query(POLICIES, &p).await {
                    return Ok((rows, true));
                }
            }
        }
    }
    Ok((client.query(POLICIES, &p).await?, false))
}

/// Read the snapshot: 16 queries whatever the number of checks or objects, pipelined on
/// `client`. The relation query goes first; the per-relation queries (columns, constraints,
/// indexes, triggers, sequence owners, view dependencies) follow with its oids, so they read
/// their catalogs through indexes instead of scanning pg_class again; the others, policies
/// included (by schema), run meanwhile. They run in the caller's transaction if there is one.
pub async fn load(client: &Client, scope: &Scope) -> Result<Snapshot, tokio_postgres::Error> {
    load_with(client, scope, None).await
}

/// [`load`], sharing the policy read with a second connection when one is offered and the
/// catalog is large (see [`load_consistent_shared`]; the caller's transaction must be REPEATABLE
/// READ for the snapshot to be exported).
async fn load_with(
    client: &Client,
    scope: &Scope,
    second: Option<OpenSecond<'_>>,
) -> Result<Snapshot, tokio_postgres::Error> {
    let s = &scope.schemas;
    let exprs = scope.expressions;
    let table_exprs = scope.table_expressions;
    let defs = scope.definitions;
    let p1: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [s];
    let p2: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [s, &defs];
    // Catalog queries are cheap but their row estimates are not: keep the JIT from compiling
    // them (it cost 0.25 s on 1,000 tables). Restored below.
    client.batch_execute("set jit = off").await?;
    let per_relation = async {
        let relations = client.query(RELATIONS, &p2).await?;
        let (mut tables, mut seqs, mut views): (Vec<Oid>, Vec<Oid>, Vec<Oid>) = Default::default();
        for r in &relations {
            let oid: Oid = r.get("oid");
            match char_of(r, "relkind") {
                b'S' => seqs.push(oid),
                b'v' | b'm' => {
                    views.push(oid);
                    tables.push(oid);
                }
                _ => tables.push(oid),
            }
        }
        let tt: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tables, &table_exprs];
        let td: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tables, &defs];
        let ted: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&tables, &exprs, &defs];
        let s1: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&seqs];
        let v1: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&views];
        let (columns, constraints, indexes, triggers, sequences, view_deps) = tokio::try_join!(
            client.query(COLUMNS, &tt),
            client.query(CONSTRAINTS, &tt),
            client.query(INDEXES, &ted),
            client.query(TRIGGERS, &td),
            client.query(SEQUENCES, &s1),
            client.query(VIEW_DEPS, &v1),
        )?;
        Ok::<_, tokio_postgres::Error>((
            relations,
            PerRelation {
                columns,
                constraints,
                indexes,
                triggers,
                sequences,
                view_deps,
            },
        ))
    };
    // The policies go first so that the snapshot export is the first message sent.
    let (
        (policies, shared),
        (relations, per),
        functions,
        enums,
        schemas,
        session,
        roles,
        publications,
        extensions,
        storage,
    ) = tokio::try_join!(
        read_policies(client, second, scope.share_policies_at, s, exprs),
        per_relation,
        client.query(FUNCTIONS, &p1),
        client.query(ENUMS, &p1),
        client.query(SCHEMAS, &p1),
        client.query_one(SESSION, &[]),
        client.query(ROLES, &[]),
        client.query(PUBLICATIONS, &p1),
        client.query(EXTENSIONS, &[]),
        client.query(STORAGE, &[]),
    )?;
    client.batch_execute("reset jit").await?;
    let PerRelation {
        columns,
        constraints,
        indexes,
        triggers,
        sequences,
        view_deps,
    } = per;

    let mut snap = Snapshot {
        scope: s.clone(),
        current_user: session.get("current_user"),
        server_version_num: session.get("server_version_num"),
        stats_reset_age_s: session.get("stats_reset_age_s"),
        uptime_s: session.get::<_, Option<f64>>("uptime_s").unwrap_or(0.0),
        connections: if shared { 2 } else { 1 },
        ..Default::default()
    };

    snap.roles = roles
        .iter()
        .map(|r| Role {
            oid: r.get("oid"),
            name: r.get("name"),
            superuser: r.get("rolsuper"),
            inherit: r.get("rolinherit"),
            create_role: r.get("rolcreaterole"),
            create_db: r.get("rolcreatedb"),
            login: r.get("rolcanlogin"),
            replication: r.get("rolreplication"),
            bypass_rls: r.get("rolbypassrls"),
            member_of: r.get("member_of"),
        })
        .collect();
    let role_names: HashMap<Oid, &str> = snap
        .roles
        .iter()
        .map(|r| (r.oid, r.name.as_str()))
        .collect();
    let role_name = |oid: Oid| -> String {
        match oid {
            0 => "public".to_string(),
            o => role_names
                .get(&o)
                .map(|n| n.to_string())
                .unwrap_or_else(|| format!("unknown (OID={o})")),
        }
    };

    // Most objects carry one of a few ACLs (the schema's defaults): each distinct one is parsed
    // once.
    let mut acls: HashMap<Vec<String>, Vec<AclItem>> = HashMap::new();
    let mut acl = |r: &Row| -> Vec<AclItem> {
        acls.entry(r.get("acl"))
            .or_insert_with_key(|items| parse_acl(items))
            .clone()
    };

    let mut by_oid: HashMap<Oid, usize> = HashMap::with_capacity(relations.len());
    for r in relations {
        let Some(kind) = RelKind::from_relkind(char_of(&r, "relkind")) else {
            continue;
        };
        let mut rel = Relation::new(
            &r.get::<_, String>("schema"),
            &r.get::<_, String>("name"),
            kind,
        );
        rel.oid = r.get("oid");
        rel.owner = role_name(r.get("owner"));
        rel.rls_enabled = r.get("relrowsecurity");
        rel.rls_forced = r.get("relforcerowsecurity");
        rel.is_partition = r.get("relispartition");
        rel.options = r.get("options");
        rel.acl = acl(&r);
        if let Some(v) = rel.view.as_mut() {
            v.definition = r.get("definition");
        }
        rel.from_extension = r.get("from_extension");
        by_oid.insert(rel.oid, snap.relations.len());
        snap.relations.push(rel);
    }
    let idx = |oid: Oid| -> Option<usize> { by_oid.get(&oid).copied() };

    for r in columns {
        let Some(i) = idx(r.get("attrelid")) else {
            continue;
        };
        let identity = match char_of(&r, "identity") {
            b'a' => Some("always".to_string()),
            b'd' => Some("by default".to_string()),
            _ => None,
        };
        snap.relations[i].columns.push(Column {
            num: r.get("attnum"),
            name: r.get("name"),
            type_name: r.get("type_name"),
            nullable: !r.get::<_, bool>("attnotnull"),
            default: r.get("default_expr"),
            identity,
            generated: char_of(&r, "generated") == b's',
            acl: acl(&r),
        });
    }

    for r in constraints {
        let Some(i) = idx(r.get("conrelid")) else {
            continue;
        };
        let kind = ConstraintKind::from_contype(char_of(&r, "contype"));
        let foreign = (kind == ConstraintKind::ForeignKey).then(|| ForeignKey {
            table: QualName::new(
                r.get::<_, Option<String>>("ref_schema").unwrap_or_default(),
                r.get::<_, Option<String>>("ref_table").unwrap_or_default(),
            ),
            columns: r.get::<_, Option<Vec<String>>>(7).unwrap_or_default(),
            on_delete: FkAction::from_code(char_of(&r, "on_delete")),
            on_update: FkAction::from_code(char_of(&r, "on_update")),
            to_primary_key: r.get("to_primary_key"),
        });
        let keys: Vec<i16> = r.get("keys");
        let columns = column_names(&snap.relations[i], &keys);
        snap.relations[i].constraints.push(Constraint {
            name: r.get("name"),
            kind,
            columns,
            definition: r.get("definition"),
            foreign,
            validated: r.get("convalidated"),
        });
    }

    for r in indexes {
        let Some(i) = idx(r.get("indrelid")) else {
            continue;
        };
        let keys: Vec<i16> = r.get("keys");
        let exprs: Option<Vec<String>> = r.get("expressions");
        let nkey = usize::try_from(r.get::<_, i16>("indnkeyatts")).unwrap_or(keys.len());
        let options: Vec<i16> = r.get::<_, Option<Vec<i16>>>(10).unwrap_or_default();
        let rel = &snap.relations[i];
        let columns: Vec<String> = keys
            .iter()
            .take(nkey)
            .enumerate()
            .map(|(pos, &num)| {
                if num == 0 {
                    exprs
                        .as_ref()
                        .and_then(|e| e.get(pos).cloned())
                        .unwrap_or_default()
                } else {
                    column_names(rel, &[num]).remove(0)
                }
            })
            .collect();
        let keys: Vec<IndexKey> = keys
            .iter()
            .take(nkey)
            .enumerate()
            .map(|(pos, &num)| {
                IndexKey::from_indoption(options.get(pos).copied().unwrap_or(0), num == 0)
            })
            .collect();
        snap.relations[i].indexes.push(Index {
            name: r.get("name"),
            unique: r.get("indisunique"),
            primary: r.get("indisprimary"),
            valid: r.get("indisvalid"),
            columns,
            keys,
            predicate: r.get("predicate"),
            definition: r.get("definition"),
            scans: r.get("scans"),
            method: r.get::<_, Option<String>>("method").unwrap_or_default(),
        });
    }

    for r in policies {
        let Some(i) = idx(r.get("polrelid")) else {
            continue;
        };
        snap.relations[i].policies.push(Policy {
            name: r.get("name"),
            command: PolicyCommand::from_polcmd(char_of(&r, "cmd")),
            permissive: r.get("polpermissive"),
            roles: {
                let mut names: Vec<String> = r
                    .get::<_, Vec<Oid>>("roles")
                    .into_iter()
                    .map(role_name)
                    .collect();
                names.sort();
                names
            },
            using: r.get("using_expr"),
            with_check: r.get("check_expr"),
        });
    }

    for r in triggers {
        let Some(i) = idx(r.get("tgrelid")) else {
            continue;
        };
        let t: i32 = r.get("tgtype");
        let timing = if t & 64 != 0 {
            TriggerTiming::InsteadOf
        } else if t & 2 != 0 {
            TriggerTiming::Before
        } else {
            TriggerTiming::After
        };
        let mut events = Vec::new();
        for (bit, ev) in [
            (4, TriggerEvent::Insert),
            (16, TriggerEvent::Update),
            (8, TriggerEvent::Delete),
            (32, TriggerEvent::Truncate),
        ] {
            if t & bit != 0 {
                events.push(ev);
            }
        }
        snap.relations[i].triggers.push(Trigger {
            name: r.get("name"),
            function: QualName::new(
                r.get::<_, String>("function_schema"),
                r.get::<_, String>("function_name"),
            ),
            timing,
            events,
            row: t & 1 != 0,
            enabled: TriggerEnabled::from_code(char_of(&r, "enabled")),
            definition: r.get("definition"),
        });
    }

    for r in sequences {
        let Some(i) = idx(r.get("objid")) else {
            continue;
        };
        if let Some(seq) = snap.relations[i].sequence.as_mut() {
            seq.owned_by = Some((
                QualName::new(
                    r.get::<_, String>("table_schema"),
                    r.get::<_, String>("table_name"),
                ),
                r.get("column_name"),
            ));
        }
    }

    for r in view_deps {
        let Some(i) = idx(r.get("ev_class")) else {
            continue;
        };
        if let Some(v) = snap.relations[i].view.as_mut() {
            v.depends_on.push(QualName::new(
                r.get::<_, String>("schema"),
                r.get::<_, String>("name"),
            ));
        }
    }

    snap.functions = functions
        .iter()
        .map(|r| Function {
            oid: r.get("oid"),
            schema: r.get("schema"),
            name: r.get("name"),
            kind: FunctionKind::from_prokind(char_of(r, "prokind")),
            arg_types: r.get("arg_types"),
            identity_args: r.get("identity_args"),
            returns: r.get("returns"),
            language: r.get("language"),
            security_definer: r.get("prosecdef"),
            config: r.get("config"),
            volatility: Volatility::from_code(char_of(r, "volatility")),
            owner: r.get("owner"),
            acl: acl(r),
            body: r.get("body"),
            from_extension: r.get("from_extension"),
        })
        .collect();

    snap.enums = enums
        .iter()
        .map(|r| EnumType {
            schema: r.get("schema"),
            name: r.get("name"),
            values: r.get("labels"),
        })
        .collect();

    snap.schemas = schemas
        .iter()
        .map(|r| SchemaInfo {
            name: r.get("name"),
            owner: r.get("owner"),
            acl: acl(r),
        })
        .collect();

    for r in publications {
        let name: String = r.get("name");
        if snap.publications.last().is_none_or(|p| p.name != name) {
            snap.publications.push(Publication {
                name: name.clone(),
                all_tables: r.get("puballtables"),
                members: Vec::new(),
            });
        }
        if let (Some(schema), Some(table)) = (
            r.get::<_, Option<String>>("table_schema"),
            r.get::<_, Option<String>>("table_name"),
        ) {
            if let Some(p) = snap.publications.last_mut() {
                p.members.push(QualName::new(schema, table));
            }
        }
    }

    snap.extensions = extensions
        .iter()
        .map(|r| Extension {
            name: r.get("name"),
            version: r.get("version"),
            schema: r.get("schema"),
            default_version: r.get("default_version"),
            version_available: r.get("version_available"),
        })
        .collect();

    for r in storage {
        let kind: String = r.get("kind");
        let name: Option<String> = r.get("name");
        if kind == "bucket" {
            snap.storage.public_buckets.extend(name);
            continue;
        }
        let mut roles: Vec<String> = r
            .get::<_, Option<Vec<Oid>>>(4)
            .unwrap_or_default()
            .into_iter()
            .map(role_name)
            .collect();
        roles.sort();
        snap.storage.object_policies.push(Policy {
            name: name.unwrap_or_default(),
            command: PolicyCommand::from_polcmd(char_of(&r, "cmd")),
            permissive: r.get::<_, Option<bool>>("permissive").unwrap_or(true),
            roles,
            using: r.get("using_expr"),
            with_check: None,
        });
    }

    Ok(snap.finish())
}

/// Attribute numbers → column names of `rel` (`#n` when unknown, e.g. a system column).
fn column_names(rel: &Relation, nums: &[i16]) -> Vec<String> {
    nums.iter()
        .map(|&n| {
            rel.columns
                .iter()
                .find(|c| c.num == n)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| format!("#{n}"))
        })
        .collect()
}

/// First byte of a `"char"` column read as text (`' '` when empty or NULL).
fn char_of(r: &Row, column: &str) -> u8 {
    r.get::<_, Option<String>>(column)
        .and_then(|s| s.bytes().next())
        .unwrap_or(b' ')
}

/// Parse `aclitem` texts (`grantee=privs/grantor`, empty grantee = PUBLIC, names possibly
/// double-quoted) into one entry per privilege.
pub fn parse_acl(items: &[String]) -> Vec<AclItem> {
    let mut out = Vec::with_capacity(items.iter().map(|i| i.len()).sum::<usize>() / 8);
    for item in items {
        let (grantee, rest) = take_role(item);
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let (privs, grantor): (&str, std::sync::Arc<str>) = match rest.split_once('/') {
            Some((p, g)) => (p, take_role(g).0.into()),
            None => (rest, "".into()),
        };
        let grantee: std::sync::Arc<str> = if grantee.is_empty() {
            "PUBLIC".into()
        } else {
            grantee.into()
        };
        let mut chars = privs.chars().peekable();
        while let Some(c) = chars.next() {
            let grantable = chars.peek() == Some(&'*');
            if grantable {
                chars.next();
            }
            let Some(privilege) = Privilege::from_acl_char(c) else {
                continue;
            };
            out.push(AclItem {
                grantee: std::sync::Arc::clone(&grantee),
                grantor: std::sync::Arc::clone(&grantor),
                privilege,
                grantable,
            });
        }
    }
    out.shrink_to_fit();
    out
}

/// A role name at the start of `s` (quoted or bare), and the rest.
fn take_role(s: &str) -> (String, &str) {
    if let Some(body) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut it = body.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            if c == '"' {
                if let Some(&(_, '"')) = it.peek() {
                    it.next();
                    name.push('"');
                    continue;
                }
                return (name, &body[i + 1..]);
            }
            name.push(c);
        }
        (name, "")
    } else {
        let end = s.find(['=', '/']).unwrap_or(s.len());
        (s[..end].to_string(), &s[end..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_text_is_parsed() {
        let acl = parse_acl(&[
            "postgres=arwdDxt/postgres".to_string(),
            "=X/postgres".to_string(),
            "\"we\"\"ird=role\"=r*/postgres".to_string(),
        ]);
        assert_eq!(acl.len(), 9);
        assert_eq!(acl[0].privilege, "INSERT");
        assert_eq!(&*acl[7].grantee, "PUBLIC");
        assert_eq!(acl[7].privilege, "EXECUTE");
        assert_eq!(&*acl[8].grantee, "we\"ird=role");
        assert!(acl[8].grantable);
        assert_eq!(&*acl[8].grantor, "postgres");
    }
}
