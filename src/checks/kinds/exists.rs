//! `[[exists]]`: an object exists with the given properties. The object types (table, column,
//! index, constraint, enum, function/procedure, trigger, view/materialized view, sequence,
//! publication membership, extension, role) live in `kinds::object`, one file each; this kind
//! classifies its keys once at load time and evaluates the typed check. Reads only the Snapshot.

use serde::Deserialize;

use super::object::{Object, ObjectCheck};
use crate::catalog::Snapshot;
use crate::checks::names::Ctx;
use crate::checks::validator::Validator;
use crate::checks::{Outcome, StaticCheck};

/// `[[exists]]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Exists {
    // The keys as written (`diff` reads a snapshot file's posture from them; a doc comment
    // here would become the JSON Schema's description); evaluation reads only `check`.
    raw: Object,
    #[serde(skip)]
    #[schemars(skip)]
    check: Option<ObjectCheck>,
}

impl Exists {
    /// A check of these keys, classified when the loader validates it (`deskctl snapshot`
    /// builds its checks so).
    pub fn new(raw: Object) -> Exists {
        Exists { raw, check: None }
    }

    /// The keys as written.
    pub fn raw(&self) -> &Object {
        &self.raw
    }
}

impl StaticCheck for Exists {
    fn validate(&mut self, v: &mut Validator) {
        self.check = ObjectCheck::classify(&self.raw, v, false);
    }
    fn schemas(&self, ctx: &Ctx) -> Vec<String> {
        match &self.check {
            Some(c) => c.schemas(ctx),
            None => vec![ctx.schema.to_string()],
        }
    }
    fn needs_expressions(&self) -> bool {
        self.check.as_ref().is_some_and(|c| c.needs_expressions())
    }
    fn evaluate(&self, ctx: &Ctx, snap: &Snapshot) -> Outcome {
        match &self.check {
            Some(c) => c.exists(ctx, snap),
            None => Outcome::error("no object named"),
        }
    }
}
