//! The checks' unit-test kit, one set for every kind: load a check file's text (as `t.toml`),
//! take the first check's typed spec, evaluate it against a snapshot (`Kit`), read the load
//! problems, and render outcomes and problems for insta snapshots. Test-only; must not hold a
//! kind's fixtures (each kind builds its own snapshot).

use std::path::Path;

use super::{loader::load_str, Check, Outcome, Spec};
use crate::catalog::Snapshot;
use crate::findings::Status;

/// The file name problems are reported in.
pub const FILE: &str = "t.toml";

/// Every check of `toml`, or its load problems as printed.
pub fn load(toml: &str) -> Result<Vec<Check>, String> {
    load_str(Path::new(FILE), toml).map_err(|e| e.to_string())
}

/// The first check's spec, or the load problems.
pub fn first(toml: &str) -> Result<Spec, String> {
    let mut checks = load(toml)?;
    Ok(checks.remove(0).spec)
}

/// The load problems of `toml`, which must not load.
pub fn problems(toml: &str) -> String {
    match load(toml) {
        Ok(c) => panic!("expected load problems, loaded {c:?}"),
        Err(e) => e,
    }
}

/// The first check's `Spec::$variant` value, or the load problems (another kind: its debug form).
macro_rules! spec {
    ($variant:ident, $toml:expr) => {
        $crate::checks::testkit::first($toml).and_then(|s| match s {
            $crate::checks::Spec::$variant(x) => Ok(*x),
            other => Err(format!("{other:?}")),
        })
    };
}
pub(crate) use spec;

/// Static checks evaluated against one snapshot.
pub struct Kit {
    pub snap: Snapshot,
}

impl Kit {
    pub fn new(snap: Snapshot) -> Kit {
        Kit { snap }
    }

    /// The first check of `toml`, evaluated (it must load and be static).
    pub fn eval(&self, toml: &str) -> Outcome {
        let checks = load(toml).unwrap_or_else(|e| panic!("{e}"));
        checks[0]
            .evaluate_static(&self.snap)
            .expect("a static check")
    }

    pub fn passes(&self, toml: &str) {
        let o = self.eval(toml);
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    /// The detail of a check that must fail.
    pub fn fails(&self, toml: &str) -> String {
        let o = self.eval(toml);
        assert_eq!(o.status, Status::Fail, "{o:?}");
        o.detail()
    }
}

/// An outcome as users read it, for snapshots: `FAIL: detail`.
pub fn shown(o: &Outcome) -> String {
    format!(
        "{}: {}",
        format!("{:?}", o.status).to_uppercase(),
        o.detail()
    )
}
