//! serde's own names at a place in a check table: the keys a struct takes or the words an enum
//! takes, aliases included (`object = "tables"`, `steps`), read from the static lists
//! `#[derive(Deserialize)]` hands its deserializer, and which field an alias stands for (the
//! field serde names when the alias is given twice). `checks::schema` writes aliases into the
//! key schema from here; the walker asks here about a key or word the schema still does not
//! list, so hints name what serde accepts. Must not deserialize anything real or read serde's
//! error text.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::Deserializer;

use super::keys::PathSeg;

/// The fields (of a struct) or variants (of an enum) that `T` deserializes at `path` (keys and
/// array indexes), or None when no derived struct or enum is there (a hand-written
/// `Deserialize`, a scalar).
pub(crate) fn names<T: DeserializeOwned>(path: &[PathSeg]) -> Option<&'static [&'static str]> {
    match T::deserialize(Probe { path, twice: None }) {
        Err(Stop::Found(names)) => Some(names),
        _ => None,
    }
}

/// The field that `alias` stands for in the struct `T` deserializes at `path` (`query` ->
/// `statement` in `[[rejects]]`), or None when `alias` is no key of that struct or its field's
/// value cannot be made up (a struct with required keys). Asked by giving the struct `alias`
/// twice: serde's derive reports the duplicate under the field's own name.
pub(crate) fn field_of<T: DeserializeOwned>(path: &[PathSeg], alias: &str) -> Option<&'static str> {
    match T::deserialize(Probe {
        path,
        twice: Some(alias),
    }) {
        Err(Stop::Duplicate(field)) => Some(field),
        _ => None,
    }
}

/// How a probe ends (it always ends in an error: nothing is deserialized).
#[derive(Debug)]
enum Stop {
    Found(&'static [&'static str]),
    Duplicate(&'static str),
    Lost,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop::Lost
    }

    fn duplicate_field(field: &'static str) -> Self {
        Stop::Duplicate(field)
    }
}

/// Follows `path` into the type being deserialized; there, with `twice`, gives its struct that
/// key twice.
struct Probe<'p> {
    path: &'p [PathSeg],
    twice: Option<&'p str>,
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        match self.path.split_first() {
            Some((PathSeg::Key(k), rest)) => v.visit_map(OneKey {
                key: Some(k.as_str()),
                rest,
                twice: self.twice,
            }),
            Some((PathSeg::Index(_), rest)) => v.visit_seq(OneElement {
                rest,
                twice: self.twice,
                done: false,
            }),
            None => Err(Stop::Lost),
        }
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        match (self.path.is_empty(), self.twice) {
            (true, Some(key)) => v.visit_map(Twice { key, given: 0 }),
            (true, None) => Err(Stop::Found(fields)),
            (false, _) => self.deserialize_any(v),
        }
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Stop> {
        if self.path.is_empty() {
            return Err(Stop::Found(variants));
        }
        Err(Stop::Lost)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Stop> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// A table holding only the next key of the path.
struct OneKey<'p> {
    key: Option<&'p str>,
    rest: &'p [PathSeg],
    twice: Option<&'p str>,
}

impl<'de> MapAccess<'de> for OneKey<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Stop> {
        match self.key.take() {
            Some(k) => seed
                .deserialize(IntoDeserializer::<Stop>::into_deserializer(k))
                .map(Some),
            None => Err(Stop::Lost),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        seed.deserialize(Probe {
            path: self.rest,
            twice: self.twice,
        })
    }
}

/// An array holding only the next element of the path.
struct OneElement<'p> {
    rest: &'p [PathSeg],
    twice: Option<&'p str>,
    done: bool,
}

impl<'de> SeqAccess<'de> for OneElement<'_> {
    type Error = Stop;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Stop> {
        if std::mem::replace(&mut self.done, true) {
            return Err(Stop::Lost);
        }
        seed.deserialize(Probe {
            path: self.rest,
            twice: self.twice,
        })
        .map(Some)
    }
}

/// A table giving `key` twice, each time with a made-up value.
struct Twice<'p> {
    key: &'p str,
    given: u8,
}

impl<'de> MapAccess<'de> for Twice<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Stop> {
        if self.given == 2 {
            return Ok(None);
        }
        self.given += 1;
        seed.deserialize(IntoDeserializer::<Stop>::into_deserializer(self.key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        seed.deserialize(MadeUp)
    }
}

/// The emptiest value of whatever type asks: none, "", 0, false, [], {} or an enum's first
/// word (a struct with required keys, or an enum whose first variant holds data, fail).
struct MadeUp;

impl<'de> Deserializer<'de> for MadeUp {
    type Error = Stop;

    fn deserialize_any<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_str("")
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_none()
    }

    fn deserialize_bool<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_bool(false)
    }

    fn deserialize_i64<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_i64(0)
    }

    fn deserialize_u64<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_u64(0)
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_f64(0.0)
    }

    fn deserialize_unit<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_unit()
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_seq(de::value::SeqDeserializer::<_, Stop>::new(
            std::iter::empty::<()>(),
        ))
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        v.visit_map(de::value::MapDeserializer::<_, Stop>::new(
            std::iter::empty::<((), ())>(),
        ))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        let first = variants.first().ok_or(Stop::Lost)?;
        IntoDeserializer::<Stop>::into_deserializer(*first).deserialize_enum(name, variants, v)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Stop> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 char str string
        bytes byte_buf unit_struct tuple tuple_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::behaviour::scenario;
    use crate::checks::kinds::{count, policies};

    fn key(k: &str) -> PathSeg {
        PathSeg::Key(k.to_string())
    }

    #[test]
    fn serde_names_include_aliases_at_every_depth() {
        let top = names::<count::Count>(&[]).unwrap();
        assert!(
            top.contains(&"object") && top.contains(&"expect"),
            "{top:?}"
        );
        let words = names::<count::Count>(&[key("object")]).unwrap();
        assert!(
            words.contains(&"table") && words.contains(&"tables"),
            "{words:?}"
        );
        let expected = names::<policies::Policies>(&[key("expect"), PathSeg::Index(0)]).unwrap();
        assert!(
            expected.contains(&"name") && expected.contains(&"with_check"),
            "{expected:?}"
        );
        assert!(names::<scenario::Scenario>(&[]).unwrap().contains(&"steps"));
        // No derived struct or enum there: nothing.
        assert_eq!(names::<count::Count>(&[key("names")]), None);
        assert_eq!(names::<count::Count>(&[key("nope")]), None);
    }

    #[test]
    fn an_alias_is_known_by_the_field_it_stands_for() {
        use crate::checks::behaviour::rejects::Rejects;
        assert_eq!(field_of::<Rejects>(&[], "query"), Some("statement"));
        assert_eq!(field_of::<Rejects>(&[], "expect_error"), Some("sqlstate"));
        // A field's own name stands for itself.
        assert_eq!(field_of::<Rejects>(&[], "statement"), Some("statement"));
        assert_eq!(field_of::<scenario::Scenario>(&[], "steps"), Some("step"));
        assert_eq!(field_of::<Rejects>(&[], "nope"), None);
        assert_eq!(field_of::<count::Count>(&[key("names")], "x"), None);
    }
}
