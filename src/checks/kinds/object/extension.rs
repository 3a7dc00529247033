//! Object type `extension` (installed in the database): `version`. Reads only the Snapshot.

use super::{Object, ObjectType};
use crate::catalog::{QualName, Snapshot};
use crate::checks::names::{Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::Problem;

#[derive(Debug, Clone)]
pub struct ExtensionProps {
    version: Option<String>,
}

impl ObjectType for ExtensionProps {
    const KEY: &'static str = "extension";
    const NOUN: &'static str = "extension";
    const NOUNS: &'static str = "extensions";
    const PROPERTIES: &'static [&'static str] = &["version"];

    fn classify(raw: &Object, _names: &Names, _v: &mut Validator) -> ExtensionProps {
        ExtensionProps {
            version: raw.version.clone(),
        }
    }

    /// An extension's name is not schema-qualified.
    fn schema_names(&self, _ctx: &Ctx, _names: &Names, _out: &mut Vec<String>) {}

    fn exists(
        &self,
        _ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        match snap.extension(name) {
            None => problems.push(Problem::says("extension", name, "is not installed")),
            Some(e) => {
                if let Some(v) = &self.version {
                    if *v != e.version {
                        problems.push(Problem::says(
                            "extension",
                            name,
                            format!("is version {}, expected {v}", e.version),
                        ));
                    }
                }
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
        snap.extension(name)
            .map(|e| Problem::says("extension", &e.name, format!("{} is installed", e.version)))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;

    #[test]
    fn installed_and_version() {
        let k = kit();
        k.passes("[[exists]]\nextension = \"pgcrypto\"\nversion = \"1.3\"\n");
        assert_eq!(
            k.fails("[[exists]]\nextension = \"pg_cron\"\n"),
            "extension pg_cron is not installed"
        );
        assert_eq!(
            k.fails("[[exists]]\nextension = \"pgcrypto\"\nversion = \"1.4\"\n"),
            "extension pgcrypto is version 1.3, expected 1.4"
        );
        assert_eq!(
            k.eval("[[absent]]\nextension = \"pgcrypto\"\n").detail(),
            "extension pgcrypto 1.3 is installed"
        );
    }
}
