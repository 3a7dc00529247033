//! `[[privileges]]` (being written).

use serde::Deserialize;

use super::model::Ctx;
use super::{Outcome, StaticCheck};
use crate::catalog::Snapshot;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privileges {}

impl StaticCheck for Privileges {
    fn evaluate(&self, _ctx: &Ctx, _snap: &Snapshot) -> Outcome {
        Outcome::error("not built yet")
    }
}
