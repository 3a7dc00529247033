//! Object type `function`, and the routine properties `procedure` shares: `args` (which
//! overload), `returns`, `language`, `security_definer`, `search_path`, `volatility`, `owner`,
//! `body` (fingerprint). Reads only the Snapshot.

use super::{word, Object, ObjectType};
use crate::catalog::{FunctionKind, QualName, Snapshot, Volatility};
use crate::checks::names::{BoolOrText, Ctx, Names};
use crate::checks::normalize::{canonical_type, search_path_list};
use crate::checks::validator::Validator;
use crate::findings::{Message, Missing, Problem};
use crate::words::closest;

/// `volatility = "..."` as check files write it.
const VOLATILITIES: &[(&str, Volatility)] = &[
    ("immutable", Volatility::Immutable),
    ("stable", Volatility::Stable),
    ("volatile", Volatility::Volatile),
];

/// A function (`Routine<false>`) or a procedure (`Routine<true>`, see `procedure.rs`): the
/// properties both have.
#[derive(Debug, Clone)]
pub struct Routine<const PROCEDURE: bool> {
    args: Option<Vec<String>>,
    returns: Option<String>,
    language: Option<String>,
    security_definer: Option<bool>,
    search_path: Option<BoolOrText>,
    volatility: Option<Volatility>,
    owner: Option<String>,
    body: Option<String>,
}

pub type FunctionProps = Routine<false>;

impl<const PROCEDURE: bool> ObjectType for Routine<PROCEDURE> {
    const KEY: &'static str = noun(PROCEDURE);
    const NOUN: &'static str = noun(PROCEDURE);
    const NOUNS: &'static str = if PROCEDURE { "procedures" } else { "functions" };
    const PROPERTIES: &'static [&'static str] = &[
        "args",
        "returns",
        "language",
        "security_definer",
        "search_path",
        "volatility",
        "owner",
        "body",
    ];
    const LOCATORS: &'static [&'static str] = &["args"];

    fn classify(raw: &Object, _names: &Names, v: &mut Validator) -> Self {
        Routine {
            args: raw.args.clone(),
            returns: raw.returns.clone(),
            language: raw.language.clone(),
            security_definer: raw.security_definer,
            search_path: raw.search_path.clone(),
            volatility: raw
                .volatility
                .as_deref()
                .and_then(|x| word(v, "volatility", "volatility", x, VOLATILITIES)),
            owner: raw.owner.clone(),
            body: raw.body.clone(),
        }
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let q = ctx.qual(name);
        let all: Vec<&crate::catalog::Function> = snap.functions_named(&q);
        let same_kind: Vec<&crate::catalog::Function> = all
            .iter()
            .copied()
            .filter(|f| (f.kind == FunctionKind::Procedure) == PROCEDURE)
            .collect();
        if same_kind.is_empty() {
            problems.push(match all.first() {
                Some(f) => {
                    let mut m = Missing::of(Self::NOUN);
                    m.it_is = Some(noun(f.kind == FunctionKind::Procedure).into());
                    Problem::missing(ctx.show(&q), m)
                }
                None => Problem::missing(
                    ctx.show(&q),
                    Missing::of(Self::NOUN).near(closest(
                        &q.name,
                        snap.functions
                            .iter()
                            .filter(|f| f.schema == q.schema)
                            .map(|f| f.name.as_str()),
                    )),
                ),
            });
            return ctx.show(&q);
        }
        let candidates: Vec<&crate::catalog::Function> = same_kind
            .iter()
            .copied()
            .filter(|f| self.matches_args(f))
            .collect();
        if candidates.is_empty() {
            let sigs: Vec<String> = same_kind.iter().map(|f| f.signature()).collect();
            problems.push(Problem::about(
                format!(
                    "{}({})",
                    ctx.show(&q),
                    self.args.as_ref().map(|a| a.join(", ")).unwrap_or_default()
                ),
                Message::NoOverload { present: sigs },
            ));
            return ctx.show(&q);
        }
        // Pass when one overload has every property; else report the differences of each.
        let mut all_diffs = Vec::new();
        for f in &candidates {
            let d = self.differences(f);
            if d.is_empty() {
                return ctx.show(&QualName::new(&f.schema, f.signature()));
            }
            let sig = ctx.show(&QualName::new(&f.schema, f.signature()));
            all_diffs.extend(d.into_iter().map(|x| Problem::on(&sig, x)));
        }
        problems.extend(all_diffs);
        ctx.show(&q)
    }

    /// The overload `args` names, if any.
    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        _table: Option<&QualName>,
    ) -> Option<Problem> {
        snap.functions_named(&ctx.qual(name))
            .into_iter()
            .filter(|f| (f.kind == FunctionKind::Procedure) == PROCEDURE && self.matches_args(f))
            .map(|f| {
                Problem::says(
                    Self::NOUN,
                    ctx.show(&QualName::new(&f.schema, f.signature())),
                    "exists",
                )
            })
            .next()
    }
}

const fn noun(procedure: bool) -> &'static str {
    if procedure {
        "procedure"
    } else {
        "function"
    }
}

impl<const PROCEDURE: bool> Routine<PROCEDURE> {
    fn matches_args(&self, f: &crate::catalog::Function) -> bool {
        match &self.args {
            None => true,
            Some(a) => {
                a.len() == f.arg_types.len()
                    && a.iter()
                        .zip(&f.arg_types)
                        .all(|(x, y)| x == y || canonical_type(x) == canonical_type(y))
            }
        }
    }

    fn differences(&self, f: &crate::catalog::Function) -> Vec<String> {
        let mut d = Vec::new();
        if let Some(r) = &self.returns {
            let norm = |s: &str| canonical_type(s).replace(' ', "");
            if *r != f.returns && norm(r) != norm(&f.returns) {
                d.push(format!("returns {}, expected {r}", f.returns));
            }
        }
        if let Some(l) = &self.language {
            if !l.eq_ignore_ascii_case(&f.language) {
                d.push(format!("language is {}, expected {l}", f.language));
            }
        }
        if let Some(sd) = self.security_definer {
            if sd != f.security_definer {
                d.push(format!(
                    "is SECURITY {}, expected SECURITY {}",
                    if f.security_definer {
                        "DEFINER"
                    } else {
                        "INVOKER"
                    },
                    if sd { "DEFINER" } else { "INVOKER" }
                ));
            }
        }
        match (&self.search_path, f.search_path()) {
            (Some(BoolOrText::Bool(true)), None) => {
                d.push("search_path is not pinned (no SET search_path)".to_string())
            }
            (Some(BoolOrText::Bool(false)), Some(p)) => d.push(format!(
                "search_path is pinned to {p}, expected it not pinned"
            )),
            (Some(BoolOrText::Text(w)), None) => {
                d.push(format!("search_path is not pinned, expected {w}"))
            }
            (Some(BoolOrText::Text(w)), Some(p)) if search_path_list(w) != search_path_list(p) => {
                d.push(format!("search_path is {p}, expected {w}"))
            }
            _ => {}
        }
        if let Some(want) = &self.body {
            let have = f
                .body
                .as_deref()
                .map(|b| format!("sha256:{}", crate::sqltext::expr::body_fingerprint(b)));
            if have.as_deref() != Some(want.as_str()) {
                d.push(format!(
                    "body changed (fingerprint {}, expected {want}): review it with \\sf {}",
                    have.as_deref().unwrap_or("unknown"),
                    QualName::new(&f.schema, &f.name)
                ));
            }
        }
        if let Some(v) = self.volatility {
            if v != f.volatility {
                d.push(format!("is {}, expected {}", f.volatility.word(), v.word()));
            }
        }
        if let Some(o) = &self.owner {
            if *o != f.owner {
                d.push(format!("owner is {}, expected {o}", f.owner));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::checks::testkit::problems;
    use crate::findings::Status;

    #[test]
    fn overloads_and_properties() {
        let k = kit();
        k.passes("[[exists]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\", \"text\"]\nreturns = \"uuid\"\nlanguage = \"plpgsql\"\nsecurity_definer = true\nsearch_path = \"public\"\nvolatility = \"volatile\"\n");
        k.passes("[[exists]]\nfunction = \"log_chat_activity\"\nsearch_path = true\n");
        assert_eq!(k.fails("[[exists]]\nfunction = \"log_chat_activity\"\nsecurity_definer = false\nsearch_path = \"public, pg_temp\"\n"),
            "log_chat_activity(uuid, text): is SECURITY DEFINER, expected SECURITY INVOKER; log_chat_activity(uuid, text): search_path is public, expected public, pg_temp");
        assert_eq!(
            k.fails("[[exists]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\"]\n"),
            "log_chat_activity(uuid): no such overload; present: log_chat_activity(uuid, text)"
        );
        assert_eq!(
            k.fails("[[exists]]\nfunction = \"log_chat_activity\"\nvolatility = \"STABLE\"\n"),
            "log_chat_activity(uuid, text): is volatile, expected stable"
        );
        assert_eq!(
            k.fails("[[exists]]\nprocedure = \"log_chat_activity\"\n"),
            "log_chat_activity: no such procedure (it is a function)"
        );
    }

    #[test]
    fn absent_overloads() {
        let k = kit();
        let o = k.eval("[[absent]]\nfunction = \"log_chat_activity\"\nargs = [\"uuid\"]\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = k.eval("[[absent]]\nfunction = \"log_chat_activity\"\n");
        assert_eq!(o.detail(), "function log_chat_activity(uuid, text) exists");
    }

    #[test]
    fn volatility_is_a_closed_set() {
        let e = problems("[[exists]]\nfunction = \"f\"\nvolatility = \"stabel\"\n");
        assert!(e.contains("unknown volatility `stabel`"), "{e}");
        assert!(e.contains("did you mean `stable`?"), "{e}");
    }
}
