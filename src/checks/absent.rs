//! `[[absent]]`: an object does not exist (table, column, index, constraint, enum, function
//! overload, trigger, view, sequence, publication membership, extension, role). Shares the object
//! model of `exists`; only locating keys (`table`, `args`, publication `tables`) are allowed.
//! Reads only the Snapshot.

use serde::Deserialize;

use super::exists::Object;
use super::model::{Ctx, Validator};
use super::{Outcome, StaticCheck};
use crate::catalog::Snapshot;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Absent(pub Object);

impl StaticCheck for Absent {
    fn validate(&self, v: &mut Validator) {
        self.0.validate_as(v, true);
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        self.0.schemas(ctx)
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        self.0.absent(ctx, snap)
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::exists::tests::eval;
    use crate::checks::loader::load_str;
    use crate::report::Status;

    #[test]
    fn absent_objects() {
        let o = eval("[[absent]]\ntable = [\"tmp_import\", \"chat_sessions_backup\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail, "no tables tmp_import, chat_sessions_backup");
        let o = eval("[[absent]]\ntable = \"tmp_import\"\n");
        assert_eq!(o.detail, "no table tmp_import");
        let o = eval("[[absent]]\ntable = \"chat_sessions\"\n");
        assert_eq!(
            (o.status, o.detail.as_str()),
            (Status::Fail, "table chat_sessions exists")
        );
        let o = eval("[[absent]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = eval("[[absent]]\nfunction = \"log_chat_activity\"\n");
        assert_eq!(o.detail, "function log_chat_activity(uuid, text) exists");
        let o = eval("[[absent]]\ncolumn = \"chat_sessions.status\"\n");
        assert_eq!(o.detail, "column chat_sessions.status exists");
        let o =
            eval("[[absent]]\npublication = \"supabase_realtime\"\ntables = [\"chat_sessions\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o =
            eval("[[absent]]\npublication = \"supabase_realtime\"\ntables = [\"chat_messages\"]\n");
        assert_eq!(
            o.detail,
            "publication supabase_realtime includes chat_messages"
        );
        let o = eval("[[absent]]\ntrigger = \"set_chat_session_number\"\n");
        assert_eq!(
            o.detail,
            "trigger set_chat_session_number exists on chat_sessions"
        );
        let o = eval("[[absent]]\nrole = \"anon\"\n");
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn properties_are_refused() {
        let e = load_str(
            std::path::Path::new("t.toml"),
            "[[absent]]\nview = \"v\"\nsecurity_invoker = true\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`security_invoker` does not apply to [[absent]] view"),
            "{e}"
        );
    }
}
