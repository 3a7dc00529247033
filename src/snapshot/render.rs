//! The snapshot's TOML text: each check is the loader's own typed kind struct (`checks::Spec`),
//! serialised through serde into [`Tree`] (keys in the struct's field order, which `toml::Table`
//! would sort) and laid out for reading: banners, a note above a check, long lists filled into
//! lines, text with line breaks as multi-line strings, `[[kind.key]]` sub-tables. Knows no
//! check-file key by name; must not read the catalog.

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

use crate::checks::Spec;

/// A check file as `snapshot` builds it.
#[derive(Debug, Clone)]
pub struct Document {
    /// Comment lines at the top (without `# `).
    pub header: Vec<String>,
    /// The file's default schema.
    pub schema: String,
    pub entries: Vec<Entry>,
}

impl Document {
    /// The checks, in file order.
    pub fn checks(&self) -> impl Iterator<Item = &Emitted> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Check(c) => Some(c),
            Entry::Banner(_) => None,
        })
    }
}

#[derive(Debug, Clone)]
pub enum Entry {
    /// A section title between rules.
    Banner(String),
    Check(Emitted),
}

/// One check as written: its kind's typed keys and the common keys the loader takes itself.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// A comment line right above the `[[kind]]` header.
    pub note: Option<String>,
    /// The check's own `schema` (None: the file's).
    pub schema: Option<String>,
    pub spec: Spec,
}

/// The keys every check and the file itself take besides a kind's (`checks::loader`'s common
/// and file keys); serialised like the kinds, so that no key is spelled here.
#[derive(serde::Serialize)]
struct Common<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a str>,
}

/// The text of `doc`.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    for line in &doc.header {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    out.push('\n');
    let file = item_of(&Common {
        schema: Some(&doc.schema),
    });
    write_keys(&mut out, &file, None, "");
    for e in &doc.entries {
        match e {
            Entry::Banner(title) => {
                let _ = write!(out, "\n# {0}\n# {title}\n# {0}\n", "-".repeat(77));
            }
            Entry::Check(c) => write_check(&mut out, c),
        }
    }
    out
}

/// The check's keys as serialised: its common keys, then its kind's (what the round trip
/// compares).
pub fn check_item(c: &Emitted) -> [Tree; 2] {
    let common = item_of(&Common {
        schema: c.schema.as_deref(),
    });
    [common, spec_item(&c.spec)]
}

fn write_check(out: &mut String, c: &Emitted) {
    out.push('\n');
    if let Some(note) = &c.note {
        let _ = writeln!(out, "# {note}");
    }
    let kind = c.spec.kind();
    let _ = writeln!(out, "[[{kind}]]");
    let [common, keys] = check_item(c);
    write_keys(out, &common, None, kind);
    write_keys(out, &keys, lead_key(&c.spec), kind);
}

/// The key written first: the one naming the object of an `[[exists]]` check (a trigger's
/// `trigger`, before its `table` and `function`), as the object type registry says.
fn lead_key(spec: &Spec) -> Option<&'static str> {
    match spec {
        Spec::Exists(e) => e.raw().object_key(),
        _ => None,
    }
}

/// The kind's keys of a spec the snapshot writes (the static kinds).
fn spec_item(spec: &Spec) -> Tree {
    match spec {
        Spec::Count(c) => item_of(c),
        Spec::Exists(c) => item_of(c),
        Spec::Rls(c) => item_of(c),
        Spec::Policies(c) => item_of(c),
        Spec::Privileges(c) => item_of(c),
        // Behaviour kinds are never snapshot output.
        _ => Tree::Table(Vec::new()),
    }
}

/// `v` serialised; a value serde cannot give as TOML (never one of the kinds) is an empty table.
fn item_of<T: Serialize + ?Sized>(v: &T) -> Tree {
    match v.serialize(ItemSerializer) {
        Ok(Some(i)) => i,
        Ok(None) | Err(_) => {
            debug_assert!(false, "a check kind does not serialise to a table");
            Tree::Table(Vec::new())
        }
    }
}

/// `key = value` lines of a table (`lead` first), then its lists of tables as
/// `[[<parent>.<key>]]` sections.
fn write_keys(out: &mut String, item: &Tree, lead: Option<&str>, parent: &str) {
    let Tree::Table(keys) = item else { return };
    let ordered = keys
        .iter()
        .filter(|(k, _)| Some(k.as_str()) == lead)
        .chain(keys.iter().filter(|(k, _)| Some(k.as_str()) != lead));
    let mut sub: Vec<(&str, &[Tree])> = Vec::new();
    for (k, v) in ordered {
        match v {
            Tree::List(items) if !items.is_empty() && items.iter().all(Tree::is_table) => {
                sub.push((k, items))
            }
            _ => {
                let _ = writeln!(out, "{} = {}", toml_key(k), value(v));
            }
        }
    }
    for (k, items) in sub {
        for t in items {
            let _ = writeln!(out, "\n[[{parent}.{}]]", toml_key(k));
            write_keys(out, t, None, "");
        }
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_str(k)
    }
}

/// A value on the right of `=`.
fn value(v: &Tree) -> String {
    match v {
        Tree::Str(s) => text(s),
        Tree::List(items) => toml_list(items.iter().map(inline).collect()),
        other => inline(other),
    }
}

/// A value inside a list or inline table: always on one line.
fn inline(v: &Tree) -> String {
    match v {
        Tree::Str(s) => toml_str(s),
        Tree::Int(n) => n.to_string(),
        Tree::Bool(b) => b.to_string(),
        Tree::List(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Tree::Table(keys) => format!(
            "{{ {} }}",
            keys.iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A text ending in a line break is written on its lines as a multi-line literal string when
/// TOML can hold it so (no `'''`, no control character but the line breaks); any other text as
/// a basic string.
fn text(s: &str) -> String {
    let multi =
        s.ends_with('\n') && !s.contains("'''") && !s.chars().any(|c| c != '\n' && c.is_control());
    if multi {
        format!("'''\n{s}'''")
    } else {
        toml_str(s)
    }
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML array of inline values: inline when short, else items filled into indented lines of
/// at most 100 characters (one item per line when an item is longer).
fn toml_list(parts: Vec<String>) -> String {
    let inline = format!("[{}]", parts.join(", "));
    if inline.len() <= 90 {
        return inline;
    }
    let mut s = String::from("[\n");
    let mut line = String::new();
    for p in parts {
        if !line.is_empty() && line.len() + p.len() + 2 > 98 {
            let _ = writeln!(s, "  {}", line.trim_end());
            line.clear();
        }
        line.push_str(&p);
        line.push_str(", ");
    }
    if !line.is_empty() {
        let _ = writeln!(s, "  {}", line.trim_end());
    }
    s.push(']');
    s
}

/// A value as serde gives it, tables keeping their keys in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tree {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Tree>),
    Table(Vec<(String, Tree)>),
}

impl Tree {
    fn is_table(&self) -> bool {
        matches!(self, Tree::Table(_))
    }
}

/// Why a value has no TOML form (floats, bytes, enum variants with data: no kind has them).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn unsupported(what: &str) -> Error {
    Error(format!("a check file holds no {what}"))
}

/// serde → [`Tree`]; `Ok(None)`: no value (`None`, unit), which a table leaves out.
struct ItemSerializer;

type Nothing = Impossible<Option<Tree>, Error>;

impl ser::Serializer for ItemSerializer {
    type Ok = Option<Tree>;
    type Error = Error;
    type SerializeSeq = ListSerializer;
    type SerializeTuple = ListSerializer;
    type SerializeTupleStruct = ListSerializer;
    type SerializeTupleVariant = Nothing;
    type SerializeMap = TableSerializer;
    type SerializeStruct = TableSerializer;
    type SerializeStructVariant = Nothing;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Bool(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Int(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok, Error> {
        i64::try_from(v)
            .map(|v| Some(Tree::Int(v)))
            .map_err(|_| unsupported("integer above 2^63"))
    }
    fn serialize_f32(self, _: f32) -> Result<Self::Ok, Error> {
        Err(unsupported("float"))
    }
    fn serialize_f64(self, _: f64) -> Result<Self::Ok, Error> {
        Err(unsupported("float"))
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Str(v.to_string())))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Str(v.to_string())))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Error> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<Self::Ok, Error> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Self::Ok, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Error> {
        Ok(None)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Error> {
        Ok(None)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Str(variant.to_string())))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Error> {
        Err(unsupported("enum variant with a value"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListSerializer, Error> {
        Ok(ListSerializer(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListSerializer, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ListSerializer, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Nothing, Error> {
        Err(unsupported("enum variant with values"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<TableSerializer, Error> {
        Ok(TableSerializer {
            keys: Vec::with_capacity(len.unwrap_or(0)),
            next: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<TableSerializer, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Nothing, Error> {
        Err(unsupported("enum variant with fields"))
    }
}

struct ListSerializer(Vec<Tree>);

impl ListSerializer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        match v.serialize(ItemSerializer)? {
            Some(i) => {
                self.0.push(i);
                Ok(())
            }
            None => Err(unsupported("list element without a value")),
        }
    }
}

/// Sequences, tuples and tuple structs are all lists.
macro_rules! list_serializer {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for ListSerializer {
            type Ok = Option<Tree>;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.push(v)
            }
            fn end(self) -> Result<Self::Ok, Error> {
                Ok(Some(Tree::List(self.0)))
            }
        }
    )*};
}

list_serializer!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

struct TableSerializer {
    keys: Vec<(String, Tree)>,
    /// A map's key waiting for its value.
    next: Option<String>,
}

impl TableSerializer {
    fn field<T: Serialize + ?Sized>(&mut self, key: String, v: &T) -> Result<(), Error> {
        if let Some(i) = v.serialize(ItemSerializer)? {
            self.keys.push((key, i));
        }
        Ok(())
    }
}

impl ser::SerializeMap for TableSerializer {
    type Ok = Option<Tree>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match key.serialize(ItemSerializer)? {
            Some(Tree::Str(k)) => {
                self.next = Some(k);
                Ok(())
            }
            _ => Err(unsupported("key that is not a text")),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self
            .next
            .take()
            .ok_or_else(|| unsupported("value without a key"))?;
        self.field(key, v)
    }
    fn end(self) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Table(self.keys)))
    }
}

impl ser::SerializeStruct for TableSerializer {
    type Ok = Option<Tree>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(key.to_string(), v)
    }
    fn end(self) -> Result<Self::Ok, Error> {
        Ok(Some(Tree::Table(self.keys)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_filled_into_lines() {
        let items: Vec<String> = (0..30)
            .map(|i| toml_str(&format!("column_{i:02}")))
            .collect();
        let l = toml_list(items);
        assert!(l.starts_with("[\n  \"column_00\", \"column_01\","), "{l}");
        assert!(l.lines().all(|x| x.len() <= 100), "{l}");
        assert!(l.ends_with("\"column_29\",\n]"), "{l}");
        let parsed: toml::Value = toml::from_str(&format!("x = {l}")).unwrap();
        assert_eq!(parsed["x"].as_array().map(|a| a.len()), Some(30));
        assert_eq!(toml_list(vec![toml_str("a")]), "[\"a\"]");
    }

    #[test]
    fn strings_are_escaped_and_text_on_lines_stays_exact() {
        assert_eq!(toml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        for s in [
            "a\nb\n",
            "x'''y\n",
            "tab\there\n",
            "cr\r\n",
            "]]\n[[exists]]\n",
            "é \u{1F600}\u{7}\n",
            "no break",
            "",
        ] {
            let doc = format!("x = {}", text(s));
            let parsed: toml::Value = toml::from_str(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
            assert_eq!(parsed["x"].as_str(), Some(s), "{doc}");
        }
        assert_eq!(text("a\nb\n"), "'''\na\nb\n'''");
        assert_eq!(text("x'''y\n"), "\"x'''y\\n\"");
    }

    #[test]
    fn serialises_in_field_order_leaving_out_none() {
        #[derive(serde::Serialize)]
        struct S {
            zeta: i32,
            alpha: Option<String>,
            mid: Vec<bool>,
            none: Option<bool>,
        }
        let i = item_of(&S {
            zeta: 1,
            alpha: Some("a".into()),
            mid: vec![true],
            none: None,
        });
        assert_eq!(
            i,
            Tree::Table(vec![
                ("zeta".into(), Tree::Int(1)),
                ("alpha".into(), Tree::Str("a".into())),
                ("mid".into(), Tree::List(vec![Tree::Bool(true)])),
            ])
        );
        assert!(1.5f64.serialize(ItemSerializer).is_err());
    }
}
