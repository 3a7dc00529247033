//! One check file (or one chunk of a large file) being loaded: its text and line index, the
//! problems found so far with file:line:col, the personas and fixtures it may use (`include`),
//! and the check tables collected from its document. Loading across files (paths, ids,
//! threads) is `loader`'s; must not deserialize a kind (`check` does) or read other files than
//! its includes.

use super::*;

pub(super) struct FileLoader<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) lines: LineStarts,
    pub(super) problems: Vec<LoadProblem>,
    /// The text parsed again, only when a check has a problem (the success path moves each
    /// check's table into its deserializer without copying it).
    pub(super) reparsed: Option<DeTable<'a>>,
    /// The personas and fixtures this file can use.
    pub(super) defs: DefsState,
    /// When `text` is a part of the file (a check, or the rest of the file from one): its byte
    /// offset in the file and the number of lines before it, added to every position reported.
    pub(super) base_offset: usize,
    pub(super) base_line: usize,
    /// The fast path's loaders: a check with a problem records a placeholder and stops there (the
    /// explanation needs the check's table again, which `original` would get by parsing `text`, here
    /// the whole file).
    pub(super) quick: bool,
}

/// A loaded check and where its explicit `id` is written (for duplicate-id messages).
pub(super) type Loaded = (Check, Option<Range<usize>>);

/// Personas and fixtures of a file while it loads.
#[derive(Default)]
pub(super) struct DefsState {
    pub(super) defs: Defs,
    /// The file itself declares personas or fixtures (a definitions file needs no check).
    pub(super) declares: bool,
    /// `collect` met a `personas`, `fixtures` or `include` key.
    pub(super) seen: bool,
}

/// Byte offset → 1-based line and column (in characters), in O(log lines).
/// Shared (not copied) by the loading threads.
#[derive(Clone)]
pub(super) struct LineStarts {
    pub(super) starts: std::sync::Arc<Vec<usize>>,
}

impl LineStarts {
    pub(super) fn new(text: &str) -> LineStarts {
        LineStarts {
            starts: std::sync::Arc::new(crate::sqltext::line_starts(text)),
        }
    }

    pub(super) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        crate::sqltext::line_col_with(text, &self.starts, offset)
    }
}

/// A check table found in a file, before deserialization.
pub(super) struct CheckTable<'i> {
    pub(super) kind: &'static str,
    /// 1-based position among this kind's checks in the file.
    pub(super) n: usize,
    /// Where the check's table is in the file.
    pub(super) span: Range<usize>,
    /// Where the text its table was parsed from starts in the file (0, or a chunk's offset):
    /// spans inside `table` are relative to it.
    pub(super) offset: usize,
    /// The check's table as written (common keys included), moved out of the document.
    pub(super) table: DeTable<'i>,
}

impl<'a> FileLoader<'a> {
    pub(super) fn at(&mut self, span: Option<Range<usize>>, message: String, hint: Option<String>) {
        let (line, col) = span
            .map(|s| self.lines.line_col(self.text, s.start))
            .map(|(l, c)| (l + self.base_line, c))
            .unwrap_or((1, 1));
        self.problems.push(LoadProblem {
            file: self.path.to_path_buf(),
            line,
            col,
            message,
            hint,
        });
    }

    /// The check table at `span` as written (error paths only: parses this loader's text again
    /// once; on the error path that is one check's chunk, not the whole file).
    pub(super) fn original(&mut self, span: &Range<usize>) -> DeTable<'a> {
        if self.reparsed.is_none() {
            self.reparsed = Some(DeTable::parse_recoverable(self.text).0.into_inner());
        }
        let root = self.reparsed.as_ref().expect("parsed above");
        for (_, v) in root.iter() {
            if let DeValue::Array(arr) = v.get_ref() {
                for el in arr.iter() {
                    if let (DeValue::Table(t), true) = (el.get_ref(), el.span() == *span) {
                        return t.clone();
                    }
                }
            }
        }
        DeTable::new()
    }

    /// `include = "shared.toml"` / `include = ["a.toml", "b.toml"]`: files (relative to this
    /// one) holding only `[personas.*]` and `[fixtures.*]`, whose declarations this file uses.
    pub(super) fn include(&mut self, value: &Spanned<DeValue>, offset: usize) {
        let shift = |r: Range<usize>| (r.start + offset)..(r.end + offset);
        let mut names: Vec<(String, Range<usize>)> = Vec::new();
        match value.get_ref() {
            DeValue::String(s) => names.push((s.to_string(), shift(value.span()))),
            DeValue::Array(a) => {
                for el in a.iter() {
                    match el.get_ref() {
                        DeValue::String(s) => names.push((s.to_string(), shift(el.span()))),
                        _ => self.at(
                            Some(shift(el.span())),
                            "`include` lists file names (text)".into(),
                            None,
                        ),
                    }
                }
            }
            _ => self.at(
                Some(shift(value.span())),
                "`include` must be a file name or a list of them".into(),
                Some("e.g. include = \"shared/personas.toml\"".into()),
            ),
        }
        for (name, span) in names {
            let path = self.path.parent().unwrap_or(Path::new("")).join(&name);
            let text = match crate::inputs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    self.at(
                        Some(span),
                        format!("cannot read included file {}: {e}", path.display()),
                        Some("include paths are relative to the check file".into()),
                    );
                    continue;
                }
            };
            let lines = LineStarts::new(&text);
            let src = DefsSource {
                path: &path,
                text: &text,
                lines: &lines,
                offset: 0,
            };
            let (root, errors) = DeTable::parse_recoverable(&text);
            if !errors.is_empty() {
                for e in errors {
                    let msg = e.message().trim().to_string();
                    self.problems
                        .push(src.problem(e.span(), format!("invalid TOML: {msg}"), None));
                }
                continue;
            }
            let root = root.into_inner();
            let mut keys: Vec<_> = root.iter().collect();
            keys.sort_by_key(|(k, _)| k.span().start);
            for (k, v) in keys {
                let key = k.get_ref().as_ref();
                if matches!(key, "personas" | "fixtures") {
                    read_defs(&src, key, v, &mut self.defs.defs, &mut self.problems);
                } else {
                    self.problems.push(src.problem(
                        Some(k.span()),
                        format!("`{key}` in an included file (an included file holds only [personas.*] and [fixtures.*])"),
                        None,
                    ));
                }
            }
        }
    }

    /// Fixtures using unknown fixtures or each other in a cycle, at the fixture.
    pub(super) fn fixture_problems(&mut self) {
        for (name, message) in self.defs.defs.fixture_problems() {
            if let Some(f) = self.defs.defs.fixtures.get(&name) {
                self.problems.push(LoadProblem {
                    file: f.at.file.clone(),
                    line: f.at.line,
                    col: f.at.col,
                    message: format!("[fixtures.{name}] {message}"),
                    hint: None,
                });
            }
        }
    }

    pub(super) fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checks".to_string())
    }

    pub(super) fn new(path: &'a Path, text: &'a str) -> FileLoader<'a> {
        FileLoader {
            path,
            text,
            lines: LineStarts::new(text),
            problems: Vec::new(),
            reparsed: None,
            defs: DefsState::default(),
            base_offset: 0,
            base_line: 0,
            quick: false,
        }
    }

    /// Every check of the file, every problem in `self.problems`. Parses check by check (small
    /// token buffers instead of one for the whole file: 12,000 checks parse several times faster,
    /// and memory stays near the file's size); a check with problems is loaded again on its own to
    /// report them, and only a chunk that is not plainly one check (a TOML error, other tables)
    /// makes the rest of the file, from that chunk on, load as one document. So one bad check at the
    /// end of a huge file costs one small re-parse, not the whole document twice.
    pub(super) fn load<T: Send>(&mut self, keep: &(dyn Fn(Loaded) -> T + Sync)) -> Vec<T> {
        let text: &'a str = self.text;
        let mut chunks = split_checks(text);
        let mut file_schema = "public".to_string();
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        // The preamble (top-level keys before the first header) first: it sets `schema`.
        if chunks.first().is_some_and(|c| c.2.is_none()) {
            let (offset, chunk, _) = chunks.remove(0);
            let (root, errors) = DeTable::parse_recoverable(chunk);
            if !errors.is_empty() {
                return self.load_whole().into_iter().map(keep).collect();
            }
            let mut root = root.into_inner();
            let items = self.collect(&mut root, offset, &mut file_schema, &mut counts);
            self.fixture_problems();
            if !items.is_empty() || !self.problems.is_empty() {
                self.problems.clear();
                return self.load_whole().into_iter().map(keep).collect();
            }
        }
        // Number each check within its kind, in file order (as the whole-file path does).
        let numbered: Vec<(usize, &'a str, &'static str, usize)> = chunks
            .into_iter()
            .map(|(offset, chunk, kind)| {
                let kind = kind.unwrap_or("");
                let n = counts.entry(kind).or_insert(0);
                *n += 1;
                (offset, chunk, kind, *n)
            })
            .collect();
        // The checks of the chunks that loaded, in file order, and the chunks that did not, with
        // how many loaded checks come before each: what they load to is inserted there (usually
        // nothing: a check with problems loads to none), so the loaded checks are never copied.
        let (mut loaded, odd) = self.load_chunks(&numbered, &file_schema, keep);
        let mut inserts: Vec<(usize, Vec<T>)> = Vec::new();
        for (i, pos, outcome) in odd {
            let (offset, chunk, kind, n) = numbered[i];
            match outcome {
                Odd::Problems => {
                    let end = offset + chunk.len();
                    let counts = HashMap::from([(kind, n - 1)]);
                    let Some((checks, mut problems)) =
                        self.load_part(offset..end, &file_schema, counts)
                    else {
                        self.problems.clear();
                        return self.load_whole().into_iter().map(keep).collect();
                    };
                    if !checks.is_empty() {
                        inserts.push((pos, checks.into_iter().map(keep).collect()));
                    }
                    self.problems.append(&mut problems);
                }
                Odd::Irregular => {
                    // Each kind's checks before this chunk, for the default ids after it.
                    let mut counts: HashMap<&'static str, usize> = HashMap::new();
                    for &(_, _, k, _) in &numbered[..i] {
                        *counts.entry(k).or_insert(0) += 1;
                    }
                    // The rest of the file starts at a real header (every chunk before it parsed,
                    // so no string is open): read alone it means what it means in the file, unless
                    // a header in it extends a table from before. Then only the whole file can say,
                    // and it is read whole; TOML syntax errors it can report as they are.
                    let Some((checks, mut problems)) =
                        self.load_part(offset..text.len(), &file_schema, counts)
                    else {
                        self.problems.clear();
                        return self.load_whole().into_iter().map(keep).collect();
                    };
                    let syntax_only = problems.iter().all(|p| {
                        p.message.starts_with("invalid TOML: ")
                            && !p.message.contains("duplicate key")
                            && !p.message.contains("cannot extend")
                    });
                    if !syntax_only {
                        self.problems.clear();
                        return self.load_whole().into_iter().map(keep).collect();
                    }
                    loaded.truncate(pos);
                    inserts.push((pos, checks.into_iter().map(keep).collect()));
                    self.problems.append(&mut problems);
                    break;
                }
            }
        }
        if inserts.is_empty() {
            return loaded;
        }
        let total = loaded.len() + inserts.iter().map(|(_, v)| v.len()).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        let mut rest = loaded.into_iter();
        let mut done = 0;
        for (pos, checks) in inserts {
            out.extend(rest.by_ref().take(pos - done));
            done = pos;
            out.extend(checks);
        }
        out.extend(rest);
        out
    }

    /// The check tables of a parsed document (or of one chunk of it starting at `offset`),
    /// moved out of it; top-level problems are reported. `counts` numbers each kind's checks
    /// across chunks.
    pub(super) fn collect(
        &mut self,
        root: &mut DeTable<'a>,
        offset: usize,
        file_schema: &mut String,
        counts: &mut HashMap<&'static str, usize>,
    ) -> Vec<CheckTable<'a>> {
        let shift = |r: Range<usize>| (r.start + offset)..(r.end + offset);
        // File-level keys.
        // (kind, position in its array, span) of every check table.
        let mut found: Vec<(&'static str, usize, Range<usize>)> = Vec::new();
        let mut keys: Vec<(&Spanned<std::borrow::Cow<str>>, &Spanned<DeValue>)> =
            root.iter().collect();
        keys.sort_by_key(|(k, _)| k.span().start);
        for (key, value) in keys {
            let k = key.get_ref().as_ref();
            if k == "schema" {
                match value.get_ref() {
                    DeValue::String(s) if !s.trim().is_empty() => *file_schema = s.to_string(),
                    _ => self.at(
                        Some(shift(value.span())),
                        "`schema` must be a schema name (text)".to_string(),
                        Some("e.g. schema = \"public\"".to_string()),
                    ),
                }
                continue;
            }
            if matches!(k, "personas" | "fixtures" | "include") {
                self.defs.seen = true;
                if k == "include" {
                    self.include(value, offset);
                } else {
                    self.defs.declares = true;
                    let src = DefsSource {
                        path: self.path,
                        text: self.text,
                        lines: &self.lines,
                        offset,
                    };
                    read_defs(&src, k, value, &mut self.defs.defs, &mut self.problems);
                }
                continue;
            }
            let Some(kind) = KINDS.iter().copied().find(|x| *x == k) else {
                let all: Vec<&str> = KINDS.iter().chain(FILE_KEYS).copied().collect();
                let hint = match closest(k, all.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("check kinds are: {}", KINDS.join(", ")),
                };
                self.at(
                    Some(shift(key.span())),
                    format!("unknown check kind `{k}`"),
                    Some(hint),
                );
                continue;
            };
            match value.get_ref() {
                DeValue::Array(arr) => {
                    for (i, el) in arr.iter().enumerate() {
                        match el.get_ref() {
                            DeValue::Table(_) => found.push((kind, i, shift(el.span()))),
                            other => self.at(
                                Some(shift(el.span())),
                                format!(
                                    "each `{k}` check must be a table, found {}",
                                    other.type_str()
                                ),
                                Some(format!("write [[{k}]] followed by its keys")),
                            ),
                        }
                    }
                }
                DeValue::Table(_) => self.at(
                    Some(shift(key.span())),
                    format!("`{k}` must be an array of tables"),
                    Some(format!("write [[{k}]] (double brackets), once per check")),
                ),
                other => self.at(
                    Some(shift(value.span())),
                    format!(
                        "`{k}` must be an array of tables, found {}",
                        other.type_str()
                    ),
                    Some(format!("write [[{k}]] (double brackets), once per check")),
                ),
            }
        }
        // Move each check's table out of the document (no copy).
        let mut items: Vec<CheckTable> = Vec::with_capacity(found.len());
        for (kind, i, span) in found {
            let Some(DeValue::Array(arr)) = root.get_mut(kind).map(|v| v.get_mut()) else {
                continue;
            };
            let Some(el) = arr.get_mut(i) else { continue };
            let taken = std::mem::replace(el.get_mut(), DeValue::Boolean(false));
            if let DeValue::Table(table) = taken {
                let n = counts.entry(kind).or_insert(0);
                *n += 1;
                items.push(CheckTable {
                    kind,
                    n: *n,
                    span,
                    offset,
                    table,
                });
            }
        }
        items
    }
}
