//! Object type `trigger` (on `table`, else on any table of the schema): `function`, `timing`,
//! `events`, `level`, `enabled`. Reads only the Snapshot.

use super::{word, Object, ObjectType};
use crate::catalog::{QualName, RelKind, Relation, Snapshot, TriggerEvent, TriggerTiming};
use crate::checks::names::{missing_relation, Ctx, Names};
use crate::checks::validator::Validator;
use crate::findings::{Message, Missing, Near, Present, Problem};
use crate::words::closest;

/// `timing = "..."` as check files write it (`_` for a space).
const TIMINGS: &[(&str, TriggerTiming)] = &[
    ("before", TriggerTiming::Before),
    ("after", TriggerTiming::After),
    ("instead of", TriggerTiming::InsteadOf),
];

const EVENTS: &[(&str, TriggerEvent)] = &[
    ("insert", TriggerEvent::Insert),
    ("update", TriggerEvent::Update),
    ("delete", TriggerEvent::Delete),
    ("truncate", TriggerEvent::Truncate),
];

/// `level = "row" | "statement"`: whether it fires FOR EACH ROW.
const LEVELS: &[(&str, bool)] = &[("row", true), ("statement", false)];

#[derive(Debug, Clone)]
pub struct TriggerProps {
    function: Option<String>,
    timing: Option<TriggerTiming>,
    /// Sorted, without duplicates.
    events: Option<Vec<TriggerEvent>>,
    row: Option<bool>,
    enabled: Option<bool>,
}

impl ObjectType for TriggerProps {
    const KEY: &'static str = "trigger";
    const NOUN: &'static str = "trigger";
    const NOUNS: &'static str = "triggers";
    const PROPERTIES: &'static [&'static str] =
        &["table", "function", "timing", "events", "level", "enabled"];
    const LOCATORS: &'static [&'static str] = &["table"];

    fn classify(raw: &Object, _names: &Names, v: &mut Validator) -> TriggerProps {
        if raw.function.as_ref().is_some_and(|f| f.len() > 1) {
            v.error(
                "function",
                "a trigger executes one function: give one name",
                Some("e.g. function = \"set_updated_at\"".into()),
            );
        }
        let timing = raw
            .timing
            .as_deref()
            .and_then(|t| word(v, "timing", "trigger timing", &t.replace('_', " "), TIMINGS));
        let events = raw.events.as_ref().map(|evs| {
            let mut want: Vec<TriggerEvent> = evs
                .iter()
                .enumerate()
                .filter_map(|(i, e)| word(v, &format!("events.{i}"), "trigger event", e, EVENTS))
                .collect();
            want.sort();
            want.dedup();
            want
        });
        let row = raw
            .level
            .as_deref()
            .and_then(|l| word(v, "level", "trigger level", l, LEVELS));
        TriggerProps {
            function: raw
                .function
                .as_ref()
                .and_then(|f| f.0.first())
                .map(|f| f.trim_end_matches("()").to_string()),
            timing,
            events,
            row,
            enabled: raw.enabled,
        }
    }

    fn located(_ctx: &Ctx, _name: &str) -> bool {
        true
    }

    fn exists(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
        problems: &mut Vec<Problem>,
    ) -> String {
        let tables: Vec<&Relation> = match table {
            Some(tq) => match snap.relation(tq) {
                Some(r) => vec![r],
                None => {
                    problems.push(missing_relation(ctx, snap, tq, "table", &|k| {
                        k != RelKind::Sequence
                    }));
                    return name.to_string();
                }
            },
            None => snap.relations_in(ctx.schema).collect(),
        };
        let found = tables.iter().find_map(|r| r.trigger(name).map(|t| (*r, t)));
        let Some((r, t)) = found else {
            let names: Vec<&str> = tables
                .iter()
                .flat_map(|r| r.triggers.iter().map(|t| t.name.as_str()))
                .collect();
            let near = closest(name, names.iter().copied());
            problems.push(match tables.as_slice() {
                [one] => {
                    let mut m = Missing::named("trigger", name).near(near);
                    if m.near.is_empty() {
                        m.present = Some(Present {
                            nouns: "triggers".into(),
                            on: None,
                            names: one.triggers.iter().map(|t| t.name.clone()).collect(),
                        });
                    }
                    Problem::missing(ctx.show_rel(one), m)
                }
                _ => Problem::about(
                    name,
                    Message::Absent {
                        noun: "trigger".into(),
                        within: Some(ctx.schema.to_string()),
                        near: Near::one(near),
                    },
                ),
            });
            return name.to_string();
        };
        let shown = format!("{}.{}", ctx.show_rel(r), t.name);
        if let Some(f) = &self.function {
            let want = ctx.qual(f);
            if want != t.function {
                problems.push(Problem::on(
                    &shown,
                    format!(
                        "executes {}, expected {}",
                        ctx.show(&t.function),
                        ctx.show(&want)
                    ),
                ));
            }
        }
        if let Some(want) = self.timing {
            if t.timing != want {
                problems.push(Problem::on(
                    &shown,
                    format!("fires {}, expected {}", t.timing.sql(), want.sql()),
                ));
            }
        }
        if let Some(want) = &self.events {
            let mut have = t.events.clone();
            have.sort();
            if *want != have {
                let show =
                    |v: &[TriggerEvent]| v.iter().map(|e| e.sql()).collect::<Vec<_>>().join(" OR ");
                problems.push(Problem::on(
                    &shown,
                    format!("fires on {}, expected {}", show(&have), show(want)),
                ));
            }
        }
        if let Some(row) = self.row {
            if row != t.row {
                problems.push(Problem::on(
                    &shown,
                    format!(
                        "is FOR EACH {}, expected FOR EACH {}",
                        if t.row { "ROW" } else { "STATEMENT" },
                        if row { "ROW" } else { "STATEMENT" }
                    ),
                ));
            }
        }
        if let Some(e) = self.enabled {
            if e != t.enabled.fires() {
                problems.push(Problem::on(
                    &shown,
                    format!(
                        "is {}, expected {}",
                        if t.enabled.fires() {
                            "enabled"
                        } else {
                            "disabled"
                        },
                        if e { "enabled" } else { "disabled" }
                    ),
                ));
            }
        }
        shown
    }

    fn absent(
        &self,
        ctx: &Ctx,
        snap: &Snapshot,
        name: &str,
        table: Option<&QualName>,
    ) -> Option<Problem> {
        let tables: Vec<&Relation> = match table {
            Some(q) => snap.relation(q).into_iter().collect(),
            None => snap.relations_in(ctx.schema).collect(),
        };
        tables.iter().find_map(|r| {
            r.trigger(name).map(|t| {
                Problem::says("trigger", &t.name, format!("exists on {}", ctx.show_rel(r)))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::checks::testkit::problems;
    use crate::findings::Status;

    #[test]
    fn timing_events_level() {
        let k = kit();
        k.passes("[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = \"chat_sessions\"\nfunction = \"generate_chat_session_number\"\ntiming = \"before\"\nevents = [\"INSERT\"]\nlevel = \"row\"\nenabled = true\n");
        assert_eq!(k.fails("[[exists]]\ntrigger = \"set_chat_session_number\"\ntiming = \"after\"\nevents = [\"insert\", \"update\"]\n"),
            "chat_sessions.set_chat_session_number: fires BEFORE, expected AFTER; chat_sessions.set_chat_session_number: fires on INSERT, expected INSERT OR UPDATE");
        assert_eq!(k.fails("[[exists]]\ntrigger = \"set_chat_session_number\"\ntiming = \"instead_of\"\nlevel = \"STATEMENT\"\n"),
            "chat_sessions.set_chat_session_number: fires BEFORE, expected INSTEAD OF; chat_sessions.set_chat_session_number: is FOR EACH ROW, expected FOR EACH STATEMENT");
        assert_eq!(
            k.fails("[[exists]]\ntrigger = \"set_chat_session_number\"\ntable = [\"chat_sessions\", \"chat_messages\"]\n"),
            "chat_messages: no trigger set_chat_session_number (triggers: none)"
        );
    }

    #[test]
    fn absent_anywhere_or_on_the_tables() {
        let k = kit();
        let o = k.eval("[[absent]]\ntrigger = \"set_chat_session_number\"\n");
        assert_eq!(
            o.detail(),
            "trigger set_chat_session_number exists on chat_sessions"
        );
        let o = k.eval("[[absent]]\ntrigger = \"set_chat_session_number\"\ntable = [\"chat_messages\", \"chat_sessions\"]\n");
        assert_eq!(
            (o.status, o.detail().as_str()),
            (
                Status::Fail,
                "trigger set_chat_session_number exists on chat_sessions"
            )
        );
    }

    #[test]
    fn validation() {
        let e = problems(
            "[[exists]]\ntrigger = \"t\"\ntiming = \"befor\"\nevents = [\"insert\", \"upsert\"]\n",
        );
        assert!(e.contains("did you mean `before`?"), "{e}");
        assert!(e.contains("t.toml:4:"), "{e}");
        assert!(e.contains("unknown trigger event `upsert`"), "{e}");
        // A trigger executes one function; an empty `table` says so.
        let e = problems(
            "[[exists]]\ntrigger = \"t\"\nfunction = [\"a\", \"b\"]\n\n[[exists]]\nindex = \"*\"\ntable = []\n",
        );
        assert!(e.contains("a trigger executes one function"), "{e}");
        assert!(e.contains("`table` is empty"), "{e}");
    }
}
