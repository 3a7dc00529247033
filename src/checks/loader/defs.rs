//! `[personas.*]` and `[fixtures.*]` of a check file or a file it includes: read, validated and
//! reported with their positions. Must not load checks.

use super::keys::{key_span, say};
use super::walk::{walk, Root, What};
use super::*;

/// A file declarations are read from (the check file or a file it includes).
pub(super) struct DefsSource<'s> {
    pub(super) path: &'s Path,
    pub(super) text: &'s str,
    pub(super) lines: &'s LineStarts,
    /// Where the parsed text starts in the file (spans are relative to it).
    pub(super) offset: usize,
}

impl DefsSource<'_> {
    pub(super) fn location(&self, span: &Range<usize>) -> Location {
        let (line, col) = self.lines.line_col(self.text, span.start + self.offset);
        Location {
            file: self.path.to_path_buf(),
            line,
            col,
        }
    }

    pub(super) fn problem(
        &self,
        span: Option<Range<usize>>,
        message: String,
        hint: Option<String>,
    ) -> LoadProblem {
        let l = self.location(&span.unwrap_or(0..0));
        LoadProblem {
            file: l.file,
            line: l.line,
            col: l.col,
            message,
            hint,
        }
    }

    /// Where a TOML string value's text starts (a multi-line string's first newline is not
    /// part of it).
    pub(super) fn text_location(&self, span: &Range<usize>) -> Location {
        let mut l = self.location(span);
        let raw = self.text.get(span.start + self.offset..).unwrap_or("");
        for open in ["\"\"\"", "'''"] {
            if let Some(rest) = raw.strip_prefix(open) {
                if rest.starts_with('\n') || rest.starts_with("\r\n") {
                    l.line += 1;
                    l.col = 1;
                }
            }
        }
        l
    }
}

/// Read `[personas.*]` or `[fixtures.*]` (`key`) into `defs`, reporting problems.
pub(super) fn read_defs(
    src: &DefsSource,
    key: &str,
    value: &Spanned<DeValue>,
    defs: &mut Defs,
    problems: &mut Vec<LoadProblem>,
) {
    let DeValue::Table(table) = value.get_ref() else {
        problems.push(src.problem(
            Some(value.span()),
            format!("`{key}` must be a table of named {key}"),
            Some(format!(
                "write [{key}.NAME] followed by its keys (docs/checks.md)"
            )),
        ));
        return;
    };
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (name_key, v) in entries {
        let name = name_key.get_ref().to_string();
        let at = src.location(&name_key.span());
        let DeValue::Table(t) = v.get_ref() else {
            problems.push(src.problem(
                Some(v.span()),
                format!("[{key}.{name}] must be a table"),
                None,
            ));
            continue;
        };
        let first = match key {
            "personas" => defs.personas.get(&name).map(|p| p.at.clone()),
            _ => defs.fixtures.get(&name).map(|f| f.at.clone()),
        };
        if let Some(first) = first {
            problems.push(src.problem(
                Some(name_key.span()),
                format!("{key} `{name}` is declared twice"),
                Some(format!(
                    "first at {}:{}:{}",
                    first.file.display(),
                    first.line,
                    first.col
                )),
            ));
            continue;
        }
        // Judge the keys as written first, each problem at its own key or value.
        let label = format!("[{key}.{name}]");
        let issues = if key == "personas" {
            walk(Root::Persona, t, v.span(), &|p| {
                serde_names::<PersonaSpec>(p)
            })
        } else {
            walk(Root::Fixture, t, v.span(), &|p| {
                serde_names::<FixtureSpec>(p)
            })
        };
        if !issues.is_empty() {
            for i in &issues {
                if matches!(
                    i.what,
                    What::Missing {
                        after_problem: true,
                        ..
                    }
                ) {
                    continue;
                }
                let (message, hint) = say(&label, &i.path, &i.what, &[]);
                problems.push(src.problem(Some(i.span.clone()), message, hint));
            }
            continue;
        }
        let de = Spanned::new(v.span(), t.clone()).into_deserializer();
        let fail = |e: toml::de::Error, problems: &mut Vec<LoadProblem>| {
            let span = e.span().unwrap_or(v.span());
            problems.push(src.problem(
                Some(span),
                format!("[{key}.{name}] {}", e.message().trim()),
                None,
            ));
        };
        if key == "personas" {
            match PersonaSpec::deserialize(de) {
                Ok(p) => {
                    let mut v = Validator::default();
                    let as_ = crate::checks::behaviour::As {
                        role: Some(p.role.clone()),
                        settings: p.settings.clone(),
                        ..Default::default()
                    };
                    as_.validate(&mut v, "");
                    for (i, r) in p.rows.iter().enumerate() {
                        if r.values.is_empty() {
                            v.error(
                                &format!("rows.{i}.values"),
                                format!("a row of {} has no values", r.table),
                                None,
                            );
                        }
                    }
                    if v.problems.is_empty() {
                        defs.personas.insert(
                            name.clone(),
                            Persona {
                                name,
                                role: p.role,
                                claims: p.claims,
                                settings: p.settings,
                                rows: p.rows,
                                at,
                            },
                        );
                    } else {
                        for kp in v.problems {
                            let span = key_span(t, &kp.path).unwrap_or(name_key.span());
                            problems.push(src.problem(
                                Some(span),
                                format!("[personas.{name}] {}", kp.message),
                                kp.hint,
                            ));
                        }
                    }
                }
                Err(e) => fail(e, problems),
            }
            continue;
        }
        match FixtureSpec::deserialize(de) {
            Ok(f) => {
                let mut texts = Vec::new();
                match (f.sql.is_some(), &f.file) {
                    (true, None) => match t.get("sql").map(|sv| (sv, sv.get_ref())) {
                        Some((_, DeValue::Array(a))) => {
                            for el in a.iter() {
                                if let DeValue::String(s) = el.get_ref() {
                                    texts.push(FixtureText {
                                        sql: s.to_string(),
                                        at: src.text_location(&el.span()),
                                    });
                                }
                            }
                        }
                        Some((sv, DeValue::String(s))) => texts.push(FixtureText {
                            sql: s.to_string(),
                            at: src.text_location(&sv.span()),
                        }),
                        _ => {}
                    },
                    (false, Some(file)) => {
                        let path = src.path.parent().unwrap_or(Path::new("")).join(file);
                        match crate::inputs::read_to_string(&path) {
                            Ok(sql) => texts.push(FixtureText {
                                sql,
                                at: Location {
                                    file: path,
                                    line: 1,
                                    col: 1,
                                },
                            }),
                            Err(e) => {
                                problems.push(
                                    src.problem(
                                        t.get("file").map(|x| x.span()),
                                        format!(
                                            "[fixtures.{name}] cannot read {}: {e}",
                                            path.display()
                                        ),
                                        Some(
                                            "`file` is relative to the file declaring the fixture"
                                                .into(),
                                        ),
                                    ),
                                );
                                continue;
                            }
                        }
                    }
                    // Only the rows of the personas it names.
                    (false, None) if f.personas.is_some() => {}
                    _ => {
                        problems.push(src.problem(
                            Some(name_key.span()),
                            format!("[fixtures.{name}] give exactly one of `sql` or `file` (or only `personas`)"),
                            Some("e.g. sql = \"insert into tickets (title) values ('a')\"".into()),
                        ));
                        continue;
                    }
                }
                let mut bad = false;
                for ft in &texts {
                    let mut v = Validator::default();
                    crate::checks::behaviour::validate_sql(
                        &mut v,
                        &format!("fixtures.{name}"),
                        &ft.sql,
                    );
                    for kp in v.problems {
                        bad = true;
                        problems.push(LoadProblem {
                            file: ft.at.file.clone(),
                            line: ft.at.line,
                            col: ft.at.col,
                            message: format!("[fixtures.{name}] {}", kp.message),
                            hint: kp.hint,
                        });
                    }
                }
                if !bad {
                    defs.fixtures.insert(
                        name.clone(),
                        Fixture {
                            name,
                            texts,
                            uses: f
                                .uses
                                .map(|u| u.iter().map(str::to_string).collect())
                                .unwrap_or_default(),
                            personas: f
                                .personas
                                .map(|p| p.iter().map(str::to_string).collect())
                                .unwrap_or_default(),
                            at,
                        },
                    );
                }
            }
            Err(e) => fail(e, problems),
        }
    }
}
