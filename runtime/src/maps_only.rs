//! A model is read from a map only. serde's derived `Deserialize` for a struct also
//! accepts a list of its fields in order (`[1, 2]` as `{"a": 1, "b": 2}`), which no
//! peer writes or reads: pydantic refuses it, and to a JSON Schema validator `[1, 2]`
//! is no object at all. The derive reads through [`MapsOnly`], which passes every
//! request on unchanged except that a struct's visitor refuses a list.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// Wraps the deserializer a model is read from (the derive's `Deserialize` impl).
pub struct MapsOnly<D>(pub D);

/// Wraps a struct's visitor: lists are refused, everything else passes.
struct NoSeq<V>(V);

macro_rules! forward_deserialize {
    ($($method:ident $(($($arg:ident: $t:ty),*))?;)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($($arg: $t,)*)? visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($($arg,)*)? visitor)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapsOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, NoSeq(visitor))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(NoSeq(visitor))
    }

    forward_deserialize! {
        deserialize_any;
        deserialize_bool;
        deserialize_i8;
        deserialize_i16;
        deserialize_i32;
        deserialize_i64;
        deserialize_i128;
        deserialize_u8;
        deserialize_u16;
        deserialize_u32;
        deserialize_u64;
        deserialize_u128;
        deserialize_f32;
        deserialize_f64;
        deserialize_char;
        deserialize_str;
        deserialize_string;
        deserialize_bytes;
        deserialize_byte_buf;
        deserialize_option;
        deserialize_unit;
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq;
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier;
        deserialize_ignored_any;
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($t:ty);)*) => {
        $(fn $method<E: de::Error>(self, v: $t) -> Result<V::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NoSeq<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(Unexpected::Seq, &self))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.0.visit_some(d)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.0.visit_newtype_struct(d)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::MapsOnly;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Pair {
        a: i64,
        b: i64,
    }

    fn read(text: &str) -> Result<Pair, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        Pair::deserialize(MapsOnly(&mut de)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_list_is_no_model() {
        assert_eq!(read(r#"{"b": 2, "a": 1}"#), Ok(Pair { a: 1, b: 2 }));
        assert!(
            serde_json::from_str::<Pair>("[1, 2]").is_ok(),
            "serde's own reading"
        );
        assert_eq!(
            read("[1, 2]").unwrap_err(),
            "invalid type: sequence, expected struct Pair at line 1 column 1"
        );
    }
}
