//! serde's own names at a place in a check table: the keys a struct takes or the words an enum
//! takes, aliases included (`object = "tables"`, `steps`), read from the static lists
//! `#[derive(Deserialize)]` hands its deserializer. The key schema (`shape`) asks here only
//! about a key or word it does not list, so aliases are accepted and hints name what serde
//! accepts. Must not deserialize anything real or read serde's error text.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::Deserializer;

use super::keys::PathSeg;

/// The fields (of a struct) or variants (of an enum) that `T` deserializes at `path` (keys and
/// array indexes), or None when no derived struct or enum is there (a hand-written
/// `Deserialize`, a scalar).
pub(crate) fn names<T: DeserializeOwned>(path: &[PathSeg]) -> Option<&'static [&'static str]> {
    match T::deserialize(Probe { path }) {
        Err(Stop::Found(names)) => Some(names),
        _ => None,
    }
}

/// How a probe ends (it always ends in an error: nothing is deserialized).
#[derive(Debug)]
enum Stop {
    Found(&'static [&'static str]),
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
}

/// Follows `path` into the type being deserialized.
struct Probe<'p> {
    path: &'p [PathSeg],
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        match self.path.split_first() {
            Some((PathSeg::Key(k), rest)) => v.visit_map(OneKey {
                key: Some(k.as_str()),
                rest,
            }),
            Some((PathSeg::Index(_), rest)) => v.visit_seq(OneElement { rest, done: false }),
            None => Err(Stop::Lost),
        }
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        if self.path.is_empty() {
            return Err(Stop::Found(fields));
        }
        self.deserialize_any(v)
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
        seed.deserialize(Probe { path: self.rest })
    }
}

/// An array holding only the next element of the path.
struct OneElement<'p> {
    rest: &'p [PathSeg],
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
        seed.deserialize(Probe { path: self.rest }).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::kinds::{count, policies, scenario};

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
}
