//! Shared fixtures of the object types' unit tests: a snapshot with one object of most types,
//! and eval/load helpers; plus the tests of what every type shares (which object a check is
//! about, keys that do not apply).

use crate::catalog::*;
use crate::checks::testkit::{problems, shown, Kit};

pub(crate) fn snap() -> Snapshot {
    let mut sessions = Relation::new("public", "chat_sessions", RelKind::Table);
    sessions.rls_enabled = true;
    let mut status = Column::new("status", "text");
    status.nullable = false;
    status.default = Some("'open'::text".into());
    sessions.columns = vec![
        Column::new("id", "uuid"),
        Column::new("created_at", "timestamp with time zone"),
        status,
    ];
    sessions.constraints = vec![Constraint {
        name: "chat_sessions_pkey".into(),
        kind: ConstraintKind::PrimaryKey,
        columns: vec!["id".into()],
        definition: Some("PRIMARY KEY (id)".into()),
        foreign: None,
        validated: true,
    }];
    sessions.constraints.push(Constraint {
        name: "chat_sessions_status_check".into(),
        kind: ConstraintKind::Check,
        columns: vec!["status".into()],
        definition: Some(
            "CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text, 'closed'::text])))".into(),
        ),
        foreign: None,
        validated: true,
    });
    sessions.constraints.push(Constraint {
        name: "chat_sessions_created_check".into(),
        kind: ConstraintKind::Check,
        columns: vec!["created_at".into()],
        definition: Some(
            "CHECK ((created_at > '2020-01-01 00:00:00+00'::timestamp with time zone))".into(),
        ),
        foreign: None,
        validated: true,
    });
    sessions.indexes = vec![Index {
        name: "idx_chat_sessions_status".into(),
        columns: vec!["status".into()],
        keys: Vec::new(),
        unique: false,
        primary: false,
        valid: true,
        predicate: None,
        definition: None,
        scans: None,
        method: "btree".into(),
    }];
    sessions.triggers = vec![Trigger {
        name: "set_chat_session_number".into(),
        function: QualName::new("public", "generate_chat_session_number"),
        timing: TriggerTiming::Before,
        events: vec![TriggerEvent::Insert],
        row: true,
        enabled: TriggerEnabled::Origin,
        definition: None,
    }];
    let mut messages = Relation::new("public", "chat_messages", RelKind::Table);
    messages.rls_enabled = true;
    messages.columns = vec![Column::new("id", "uuid"), Column::new("session_id", "uuid")];
    messages.constraints = vec![Constraint {
        name: "chat_messages_session_id_fkey".into(),
        kind: ConstraintKind::ForeignKey,
        columns: vec!["session_id".into()],
        definition: Some(
            "FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE".into(),
        ),
        foreign: Some(ForeignKey {
            table: QualName::new("public", "chat_sessions"),
            columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::NoAction,
            to_primary_key: true,
        }),
        validated: true,
    }];
    let plain = IndexKey::default();
    messages.indexes = vec![
        Index {
            name: "idx_chat_messages_lower_body".into(),
            columns: vec!["lower(body)".into()],
            keys: vec![IndexKey::from_indoption(0, true)],
            unique: false,
            primary: false,
            valid: true,
            predicate: None,
            definition: None,
            scans: None,
            method: "btree".into(),
        },
        Index {
            name: "idx_chat_messages_session_created".into(),
            columns: vec!["session_id".into(), "created_at".into()],
            keys: vec![plain, IndexKey::from_indoption(3, false)],
            unique: false,
            primary: false,
            valid: true,
            predicate: None,
            definition: None,
            scans: None,
            method: "btree".into(),
        },
    ];
    let mut stats = Relation::new("public", "chat_session_stats", RelKind::View);
    stats.view.as_mut().unwrap().depends_on = vec![QualName::new("public", "chat_sessions")];
    let mut flagged = Relation::new("public", "security_flagged_chat_sessions", RelKind::View);
    flagged.options = vec!["security_invoker=true".into()];
    let mut seq = Relation::new("public", "chat_session_seq", RelKind::Sequence);
    seq.sequence = Some(SequenceInfo { owned_by: None });
    let mut f = Function::new("public", "log_chat_activity", &["uuid", "text"], "uuid");
    f.language = "plpgsql".into();
    f.security_definer = true;
    f.config = vec!["search_path=public".into()];
    let mut sr = Role::new("service_role");
    sr.bypass_rls = true;
    Snapshot {
        scope: vec!["public".into()],
        relations: vec![
            sessions,
            messages,
            stats,
            flagged,
            seq,
            Relation::new("public", "ChatMessage", RelKind::Table),
        ],
        functions: vec![f],
        enums: vec![EnumType {
            schema: "public".into(),
            name: "ticket_status".into(),
            values: vec!["open".into(), "closed".into()],
        }],
        publications: vec![Publication {
            name: "supabase_realtime".into(),
            all_tables: false,
            members: vec![QualName::new("public", "chat_messages")],
        }],
        extensions: vec![Extension {
            name: "pgcrypto".into(),
            version: "1.3".into(),
            schema: "extensions".into(),
            default_version: Some("1.3".into()),
            version_available: true,
        }],
        roles: vec![sr, Role::new("anon")],
        ..Default::default()
    }
    .finish()
}

/// The kit the object types' tests evaluate with: `snap()`.
pub(crate) fn kit() -> Kit {
    Kit::new(snap())
}

#[test]
fn one_object_per_check() {
    let e = problems("[[exists]]\nview = \"v\"\nsequence = \"s\"\n");
    assert!(
        e.contains("name exactly one object, found `view`, `sequence`"),
        "{e}"
    );
    let e = problems("[[exists]]\nowner = \"me\"\n");
    assert!(
        e.contains("name the object: one of `table`, `column`, `index`, `constraint`, `enum`, `function`, `procedure`, `trigger`, `view`, `materialized_view`, `sequence`, `publication`, `extension`, `role`"),
        "{e}"
    );
    // `table` is a column's property, `function` a trigger's.
    kit().passes("[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = \"chat_sessions\"\nfunction = \"generate_chat_session_number\"\n");
    let e = problems("[[exists]]\nrole = \"r\"\ntable = \"t\"\n");
    assert!(
        e.contains("name exactly one object, found `table`, `role`"),
        "{e}"
    );
}

#[test]
fn keys_that_do_not_apply() {
    let e = problems("[[exists]]\nextension = \"pgcrypto\"\nowner = \"me\"\n");
    assert!(
        e.contains("`owner` does not apply to") && e.contains("(its properties: version)"),
        "{e}"
    );
    let e = problems("[[absent]]\ncolumn = \"t.c\"\ntype = \"text\"\n");
    assert!(
        e.contains(
            "`type` does not apply to [[absent]] column: absent checks only that it does not exist"
        ),
        "{e}"
    );
    let e = problems("[[exists]]\ntable = []\n");
    assert!(e.contains("`table` is empty"), "{e}");
    let e = problems("[[exists]]\ntable = \"*\"\n");
    assert!(
        e.contains("`\"*\"` is only for index and constraint"),
        "{e}"
    );
    let e = problems("[[absent]]\nindex = \"*\"\ntable = \"t\"\n");
    assert!(e.contains("[[absent]] needs a name, not `\"*\"`"), "{e}");
}

/// What users read of some outcomes: the differences listed, each with what to do.
#[test]
fn outcomes_as_users_read_them() {
    let k = kit();
    insta::assert_snapshot!(
        "constraint_wildcard_matching_nothing",
        shown(&k.eval(
            "[[exists]]\nconstraint = \"*\"\ntable = \"chat_messages\"\ntype = \"foreign_key\"\n\
columns = [\"session_id\"]\nreferences = \"chat_sessions(id)\"\non_delete = \"restrict\"\n"
        ))
    );
    insta::assert_snapshot!(
        "function_differences",
        shown(&k.eval(
            "[[exists]]\nfunction = \"log_chat_activity\"\nsecurity_definer = false\n\
search_path = \"public, pg_temp\"\nvolatility = \"stable\"\nbody = \"sha256:0000000000000000\"\n"
        ))
    );
    let mut s = snap();
    s.relations[0].indexes[0].valid = false;
    insta::assert_snapshot!(
        "invalid_index",
        shown(&Kit::new(s.finish()).eval(
            "[[exists]]\nindex = \"*\"\ntable = \"chat_sessions\"\ncolumns = [\"status\"]\n"
        ))
    );
}

/// Load problems with their positions and hints, several checks and keys at once.
#[test]
fn load_problems_as_users_read_them() {
    insta::assert_snapshot!(problems(
        "[[exists]]\ntrigger = \"t\"\ntiming = \"befor\"\nevents = [\"insert\", \"upsert\"]\n\
level = \"rows\"\nfunction = [\"a\", \"b\"]\n\n[[absent]]\nview = \"v\"\nreads = [\"x\"]\n\n\
[[exists]]\nconstraint = \"*\"\non_delete = \"nothing\"\n\n[[exists]]\nowner = \"me\"\n"
    ));
}

/// What a failing object check found, as data (object + typed message), beside the line users
/// read: each type's problems name their object in `object`, not inside the message.
#[test]
fn problems_as_data() {
    let k = kit();
    let cases = [
        "[[exists]]\ntable = \"chat_sesions\"\n",
        "[[exists]]\ntable = \"chat_sessions\"\ncolumns = [\"id\", \"titel\"]\nowner = \"nobody\"\n",
        "[[exists]]\ncolumn = \"chat_sessions.stauts\"\n",
        "[[exists]]\ncolumn = \"chat_sessions.status\"\ntype = \"integer\"\nnullable = true\n",
        "[[exists]]\nconstraint = \"chat_sessions_pkee\"\ntable = \"chat_sessions\"\n",
        "[[exists]]\nindex = \"idx_chat_sessions_status\"\nunique = true\n",
        "[[exists]]\nindex = \"zzz\"\ntable = \"chat_sessions\"\n",
        "[[exists]]\ntrigger = \"zzz\"\ntable = \"chat_sessions\"\n",
        "[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = \"chat_sessions\"\ntiming = \"after\"\n",
        "[[exists]]\nextension = \"pg_cron\"\n",
        "[[exists]]\nrole = \"anon\"\nlogin = true\n",
        "[[exists]]\nview = \"chat_sessions\"\n",
        "[[exists]]\nenum = \"nope\"\n",
        "[[absent]]\ntable = \"chat_sessions\"\n",
        "[[absent]]\ncolumn = \"chat_sessions.status\"\n",
    ];
    let got: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            let o = k.eval(c);
            assert_eq!(o.status, crate::findings::Status::Fail, "{c}");
            serde_json::json!({ "check": c, "problems": o.problems, "detail": o.detail() })
        })
        .collect();
    insta::assert_json_snapshot!(got);
}
