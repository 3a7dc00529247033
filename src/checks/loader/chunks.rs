//! The fast path of loading one file: cut it at its `[[kind]]` header lines and load each check's
//! chunk alone (on several threads for large files), falling back to the whole document where a
//! chunk is not plainly one check. Must agree with loading the whole document, problems and
//! positions included (tests in `loader`).

use super::*;

/// Why the fast path did not load one check's chunk.
pub(super) enum Odd {
    /// One check of the header's kind with problems: the chunk alone is loaded again to report them.
    Problems,
    /// Not plainly one check (a TOML error, which may come from cutting inside a multi-line string,
    /// or other tables): the rest of the file from here is loaded as one document.
    Irregular,
}

impl<'a> FileLoader<'a> {
    /// The whole file as one document (the preamble is not plain `schema = ...`).
    pub(super) fn load_whole(&mut self) -> Vec<(Check, Option<Range<usize>>)> {
        self.defs = DefsState::default();
        self.load_document("public".to_string(), HashMap::new(), true)
    }

    /// This loader's text as one TOML document.
    pub(super) fn load_document(
        &mut self,
        mut file_schema: String,
        mut counts: HashMap<&'static str, usize>,
        whole: bool,
    ) -> Vec<(Check, Option<Range<usize>>)> {
        let (root, errors) = DeTable::parse_recoverable(self.text);
        if !errors.is_empty() {
            for e in errors {
                let msg = e.message().trim().to_string();
                self.at(e.span(), format!("invalid TOML: {msg}"), None);
            }
            return Vec::new();
        }
        let mut root = root.into_inner();
        let mut items = self.collect(&mut root, 0, &mut file_schema, &mut counts);
        if whole {
            self.fixture_problems();
        }
        items.sort_by_key(|i| i.span.start);
        self.load_items(items, &file_schema)
    }

    /// The file's bytes `range` (starting at a line start) as one document, and its problems, placed
    /// where they are in the whole file; `None` when the part defines personas or fixtures (then
    /// only the whole file can be read).
    pub(super) fn load_part(
        &mut self,
        range: Range<usize>,
        file_schema: &str,
        counts: HashMap<&'static str, usize>,
    ) -> Option<(Vec<Loaded>, Vec<LoadProblem>)> {
        let text: &'a str = &self.text[range.clone()];
        let mut part = FileLoader::new(self.path, text);
        part.base_offset = self.base_offset + range.start;
        part.base_line = self.base_line + self.lines.line_col(self.text, range.start).0 - 1;
        // The personas and fixtures the file's preamble defined.
        part.defs.defs = self.defs.defs.clone();
        let out = part.load_document(file_schema.to_string(), counts, false);
        // Definitions (or includes) in the part: positions and fixture checks are the whole file's.
        (!part.defs.seen).then_some((out, part.problems))
    }

    /// The fast path: each check's chunk parsed and loaded on its own. Large files are loaded by
    /// several threads, each taking a run of checks (the database is not in use yet). Returns the
    /// loaded checks in file order and the chunks that did not load plainly: (index in
    /// `numbered`, how many loaded checks come before it, why).
    pub(super) fn load_chunks<T: Send>(
        &self,
        numbered: &[(usize, &'a str, &'static str, usize)],
        file_schema: &str,
        keep: &(dyn Fn(Loaded) -> T + Sync),
    ) -> (Vec<T>, Vec<(usize, usize, Odd)>) {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(4)
            .min(numbered.len() / 512 + 1);
        let per = numbered.len().div_ceil(threads.max(1)).max(1);
        let one = |fl: &mut FileLoader<'a>, offset: usize, chunk: &'a str, kind, n: usize| {
            let (root, errors) = DeTable::parse_recoverable(chunk);
            if !errors.is_empty() {
                return Err(Odd::Irregular);
            }
            let mut root = root.into_inner();
            let mut schema = file_schema.to_string();
            let mut counts = HashMap::from([(kind, n - 1)]);
            let items = fl.collect(&mut root, offset, &mut schema, &mut counts);
            // Exactly the one check its header opened, and no file-level key.
            if items.len() != 1
                || items[0].kind != kind
                || schema != file_schema
                || fl.defs.seen
                || !fl.problems.is_empty()
            {
                fl.problems.clear();
                return Err(Odd::Irregular);
            }
            let loaded = fl.load_items(items, file_schema);
            if fl.problems.is_empty() {
                Ok(loaded)
            } else {
                fl.problems.clear();
                Err(Odd::Problems)
            }
        };
        type Part<T> = (Vec<T>, Vec<(usize, usize, Odd)>);
        let run = |first: usize, part: &[(usize, &'a str, &'static str, usize)]| -> Part<T> {
            let mut fl = self.fork();
            let mut loaded = Vec::with_capacity(part.len());
            let mut odd = Vec::new();
            for (j, &(offset, chunk, kind, n)) in part.iter().enumerate() {
                match one(&mut fl, offset, chunk, kind, n) {
                    Ok(v) => loaded.extend(v.into_iter().map(keep)),
                    Err(why) => odd.push((first + j, loaded.len(), why)),
                }
            }
            (loaded, odd)
        };
        let parts: Vec<&[(usize, &'a str, &'static str, usize)]> = numbered.chunks(per).collect();
        if parts.len() <= 1 {
            return run(0, parts.first().copied().unwrap_or(&[]));
        }
        let results: Vec<Option<Part<T>>> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let run = &run;
                    s.spawn(move || run(k * per, p))
                })
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        let mut loaded: Vec<T> = Vec::new();
        let mut odd = Vec::new();
        for (k, r) in results.into_iter().enumerate() {
            match r {
                Some((mut l, o)) => {
                    let before = loaded.len();
                    odd.extend(o.into_iter().map(|(i, pos, why)| (i, before + pos, why)));
                    if loaded.is_empty() {
                        loaded = l;
                    } else {
                        loaded.append(&mut l);
                    }
                }
                // A panicking thread: the file from its first chunk on goes the careful way.
                None => {
                    odd.push((k * per, loaded.len(), Odd::Irregular));
                    break;
                }
            }
        }
        (loaded, odd)
    }

    /// A loader for the same file with no problems recorded (one per loading thread).
    pub(super) fn fork(&self) -> FileLoader<'a> {
        FileLoader {
            path: self.path,
            text: self.text,
            lines: self.lines.clone(),
            problems: Vec::new(),
            reparsed: None,
            defs: DefsState {
                defs: self.defs.defs.clone(),
                ..Default::default()
            },
            base_offset: self.base_offset,
            base_line: self.base_line,
            quick: true,
        }
    }

    pub(super) fn load_items(
        &mut self,
        items: Vec<CheckTable<'a>>,
        file_schema: &str,
    ) -> Vec<(Check, Option<Range<usize>>)> {
        let stem = self.stem();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(c) = self.load_check(item, file_schema, &stem) {
                out.push(c);
            }
        }
        out
    }
}

/// Split a check file at its `[[kind]]` header lines: (byte offset, text) of the preamble and of
/// each check. Parsing chunk by chunk means the same as parsing the whole file as long as every
/// chunk parses (a header-like line inside a multi-line string leaves an unterminated string in
/// the chunk before it, which fails to parse, and the caller falls back to the whole file).
/// Each piece comes with the kind its header names (`None` for the preamble).
pub(super) fn split_checks(text: &str) -> Vec<(usize, &str, Option<&'static str>)> {
    let mut cuts: Vec<(usize, Option<&'static str>)> = vec![(0, None)];
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some((name, rest)) = t.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
            let rest = rest.trim_start();
            let kind = KINDS.iter().copied().find(|k| *k == name.trim());
            if let (Some(kind), true) = (kind, rest.is_empty() || rest.starts_with('#')) {
                if pos == 0 {
                    cuts[0].1 = Some(kind);
                } else {
                    cuts.push((pos, Some(kind)));
                }
            }
        }
        pos += line.len();
    }
    let mut out = Vec::with_capacity(cuts.len());
    for (i, &(start, kind)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map(|c| c.0).unwrap_or(text.len());
        if start < end {
            out.push((start, &text[start..end], kind));
        }
    }
    out
}
