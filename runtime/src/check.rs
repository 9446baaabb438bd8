//! Value constraints, `#[check(...)]` on a model's fields: JSON Schema's validation
//! keywords (`minimum`, `maxLength`, `pattern`, `uniqueItems`, `enum`, ...), checked on
//! decode and by [`ArrayModel::conform`](crate::ArrayModel::conform) on a value you built.
//!
//! The checks read the field the way serde writes it (a [`serde::Serializer`] that
//! writes nothing), so they mean what the keywords mean for the JSON instance: a
//! string enum is checked by its wire name, an `Option` that is `None` (JSON `null`)
//! satisfies every keyword about numbers, strings, lists and maps, and a nested model
//! is checked by its own fields. Nothing is allocated except for `uniqueItems` (a
//! canonical text of each element, about the element's JSON size) and `enum` (the
//! field as a `serde_json::Value`).
//!
//! Patterns are ECMA-262 as JSON Schema says, matched with `regex-lite` (linear time:
//! no pattern makes a check hang). The generator refuses to emit a pattern that
//! `regex-lite` cannot compile (lookaround, backreferences) and says so in its warnings.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::ser::{self, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// A bound: an integer (exact) or a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// An integer bound or value, exact.
    I(i128),
    /// A float bound or value.
    F(f64),
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::I(i) => write!(f, "{i}"),
            Num::F(x) => write!(f, "{x}"),
        }
    }
}

/// `a` against `b`, exactly (an `i64` near 2^63 against a float bound compares right).
fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(a), Num::I(b)) => Some(a.cmp(&b)),
        (Num::F(a), Num::F(b)) => a.partial_cmp(&b),
        (Num::I(a), Num::F(b)) => cmp_int_float(a, b),
        (Num::F(a), Num::I(b)) => cmp_int_float(b, a).map(Ordering::reverse),
    }
}

fn cmp_int_float(a: i128, b: f64) -> Option<Ordering> {
    if b.is_nan() {
        return None;
    }
    // 2^126 is exact in f64; past it every i128 is on one side.
    const LIMIT: f64 = 8.507_059_173_023_462e37;
    if b >= LIMIT {
        return Some(Ordering::Less);
    }
    if b <= -LIMIT {
        return Some(Ordering::Greater);
    }
    let floor = b.floor();
    let fi = floor as i128;
    Some(match a.cmp(&fi) {
        Ordering::Equal if floor == b => Ordering::Equal,
        Ordering::Equal => Ordering::Less,
        other => other,
    })
}

fn multiple_of(a: Num, d: Num) -> bool {
    match (a, d) {
        (Num::I(a), Num::I(d)) => d != 0 && a % d == 0,
        _ => {
            let (a, d) = (as_f64(a), as_f64(d));
            if d == 0.0 {
                return false;
            }
            let q = a / d;
            q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
        }
    }
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(x) => x,
    }
}

/// A `pattern`, compiled on first use.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<std::result::Result<regex_lite::Regex, String>>,
}

impl Pattern {
    /// A pattern from its source text (not compiled until a value is checked).
    pub const fn new(source: &'static str) -> Pattern {
        Pattern {
            source,
            compiled: OnceLock::new(),
        }
    }

    fn is_match(&self, s: &str) -> Result<bool> {
        let compiled = self
            .compiled
            .get_or_init(|| regex_lite::Regex::new(self.source).map_err(|e| e.to_string()));
        match compiled {
            Ok(re) => Ok(re.is_match(s)),
            Err(e) => Err(Error::new(ErrorKind::Constraint(format!(
                "pattern {:?} does not compile: {e}",
                self.source
            )))),
        }
    }
}

/// An `enum` (or `const`): the JSON values allowed, as JSON text, parsed on first use.
pub struct JsonEnum {
    source: &'static str,
    parsed: OnceLock<std::result::Result<Vec<Value>, String>>,
}

impl JsonEnum {
    /// The allowed values from a JSON array's text (not parsed until a value is checked).
    pub const fn new(source: &'static str) -> JsonEnum {
        JsonEnum {
            source,
            parsed: OnceLock::new(),
        }
    }

    fn values(&self) -> Result<&[Value]> {
        let parsed = self
            .parsed
            .get_or_init(|| serde_json::from_str(self.source).map_err(|e| e.to_string()));
        match parsed {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::new(ErrorKind::Constraint(format!(
                "enum {} is not a JSON array: {e}",
                self.source
            )))),
        }
    }
}

/// What `#[check(...)]` says about one field (the derive writes these as statics).
/// Every keyword is optional; `items`, `values` and `keys` apply to each list element,
/// map value and map key.
pub struct Constraints {
    /// `minimum`.
    pub minimum: Option<Num>,
    /// `maximum`.
    pub maximum: Option<Num>,
    /// `exclusiveMinimum`.
    pub exclusive_minimum: Option<Num>,
    /// `exclusiveMaximum`.
    pub exclusive_maximum: Option<Num>,
    /// `multipleOf`.
    pub multiple_of: Option<Num>,
    /// `minLength`, in Unicode code points.
    pub min_length: Option<usize>,
    /// `maxLength`, in Unicode code points.
    pub max_length: Option<usize>,
    /// `pattern` (unanchored, as JSON Schema says).
    pub pattern: Option<&'static Pattern>,
    /// `minItems`.
    pub min_items: Option<usize>,
    /// `maxItems`.
    pub max_items: Option<usize>,
    /// `uniqueItems: true`.
    pub unique_items: bool,
    /// `minProperties` (maps).
    pub min_properties: Option<usize>,
    /// `maxProperties` (maps).
    pub max_properties: Option<usize>,
    /// `required` (maps: keys that must be present).
    pub required_keys: &'static [&'static str],
    /// `enum` / `const`.
    pub json_enum: Option<&'static JsonEnum>,
    /// Each element of a list.
    pub items: Option<&'static Constraints>,
    /// Each value of a map.
    pub values: Option<&'static Constraints>,
    /// Each key of a map (`propertyNames`, the patterns of `patternProperties`).
    pub keys: Option<&'static Constraints>,
}

impl Constraints {
    /// No constraint at all (for `..Constraints::NONE`).
    pub const NONE: Constraints = Constraints {
        minimum: None,
        maximum: None,
        exclusive_minimum: None,
        exclusive_maximum: None,
        multiple_of: None,
        min_length: None,
        max_length: None,
        pattern: None,
        min_items: None,
        max_items: None,
        unique_items: false,
        min_properties: None,
        max_properties: None,
        required_keys: &[],
        json_enum: None,
        items: None,
        values: None,
        keys: None,
    };
}

fn violation(msg: String) -> Error {
    Error::new(ErrorKind::Constraint(msg))
}

/// Checks `value` against `c`; the error's path leads to the part that broke it
/// (`[2]`, `key`), relative to `value`.
pub fn check<T: Serialize + ?Sized>(value: &T, c: &Constraints) -> Result<()> {
    if let Some(e) = c.json_enum
        && !value.serialize(IsNone).unwrap_or(false)
    {
        let allowed = e.values()?;
        if allowed.is_empty() {
            return Err(violation(
                "no value is allowed here (the schema is `false` or an empty enum)".into(),
            ));
        }
        let v = serde_json::to_value(value).map_err(|e| violation(e.to_string()))?;
        if !allowed.iter().any(|a| json_eq(a, &v)) {
            return Err(violation(format!("{v} is not one of {}", e.source)));
        }
    }
    value.serialize(Checker { c }).map_err(|w| w.0)
}

/// JSON Schema's equality: numbers by value (`1` equals `1.0`), objects by their keys.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            cmp_num(number(x), number(y)) == Some(Ordering::Equal)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn number(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::I(i.into())
    } else if let Some(u) = n.as_u64() {
        Num::I(u.into())
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.fract() == 0.0 && f.abs() < 1e36 {
            Num::I(f as i128)
        } else {
            Num::F(f)
        }
    }
}

/// A text that is equal for JSON-Schema-equal values (for `uniqueItems`).
fn canonical(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Number(n) => {
            let _ = match number(n) {
                Num::I(i) => write!(out, "{i}"),
                Num::F(f) => write!(out, "{f:e}"),
            };
        }
        Value::Array(a) => {
            out.push('[');
            for x in a {
                canonical(x, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&o[k], out);
                out.push(',');
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// An error carrying the crate's [`Error`] through serde.
struct Broken(Error);

impl fmt::Debug for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Broken {}

impl ser::Error for Broken {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Broken(violation(msg.to_string()))
    }
}

fn broken(msg: String) -> Broken {
    Broken(violation(msg))
}

struct Checker<'c> {
    c: &'c Constraints,
}

impl Checker<'_> {
    fn number(&self, n: Num) -> std::result::Result<(), Broken> {
        let c = self.c;
        let fails = |bound: Option<Num>, bad: &[Ordering]| {
            bound.filter(|b| cmp_num(n, *b).is_none_or(|o| bad.contains(&o)))
        };
        if let Some(b) = fails(c.minimum, &[Ordering::Less]) {
            return Err(broken(format!("{n} is less than the minimum {b}")));
        }
        if let Some(b) = fails(c.maximum, &[Ordering::Greater]) {
            return Err(broken(format!("{n} is greater than the maximum {b}")));
        }
        if let Some(b) = fails(c.exclusive_minimum, &[Ordering::Less, Ordering::Equal]) {
            return Err(broken(format!("{n} is not greater than {b}")));
        }
        if let Some(b) = fails(c.exclusive_maximum, &[Ordering::Greater, Ordering::Equal]) {
            return Err(broken(format!("{n} is not less than {b}")));
        }
        if let Some(d) = c.multiple_of
            && !multiple_of(n, d)
        {
            return Err(broken(format!("{n} is not a multiple of {d}")));
        }
        Ok(())
    }

    fn string(&self, s: &str) -> std::result::Result<(), Broken> {
        let c = self.c;
        if c.min_length.is_some() || c.max_length.is_some() {
            let n = s.chars().count();
            if let Some(m) = c.min_length.filter(|m| n < *m) {
                return Err(broken(format!(
                    "{n} characters, fewer than the minimum {m}"
                )));
            }
            if let Some(m) = c.max_length.filter(|m| n > *m) {
                return Err(broken(format!("{n} characters, more than the maximum {m}")));
            }
        }
        if let Some(p) = c.pattern
            && !p.is_match(s).map_err(Broken)?
        {
            return Err(broken(format!(
                "{s:?} does not match the pattern {:?}",
                p.source
            )));
        }
        Ok(())
    }
}

struct Seq<'c> {
    c: &'c Constraints,
    count: usize,
    seen: Option<HashSet<String>>,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> std::result::Result<(), Broken> {
        let i = self.count;
        self.count += 1;
        if let Some(items) = self.c.items {
            check(value, items).map_err(|e| Broken(e.at_index(i)))?;
        }
        if let Some(seen) = &mut self.seen {
            let v = serde_json::to_value(value).map_err(|e| broken(e.to_string()))?;
            let mut text = String::new();
            canonical(&v, &mut text);
            if !seen.insert(text) {
                return Err(Broken(
                    violation(format!("{v} appears more than once (uniqueItems)")).at_index(i),
                ));
            }
        }
        Ok(())
    }

    fn end(self) -> std::result::Result<(), Broken> {
        let n = self.count;
        if let Some(m) = self.c.min_items.filter(|m| n < *m) {
            return Err(broken(format!("{n} items, fewer than the minimum {m}")));
        }
        if let Some(m) = self.c.max_items.filter(|m| n > *m) {
            return Err(broken(format!("{n} items, more than the maximum {m}")));
        }
        Ok(())
    }
}

struct Map<'c> {
    c: &'c Constraints,
    count: usize,
    key: Option<String>,
    /// Which of `required_keys` were seen.
    found: Vec<bool>,
}

impl Map<'_> {
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> std::result::Result<(), Broken> {
        let k = key.serialize(KeyText).unwrap_or_default();
        if let Some(keys) = self.c.keys {
            check(k.as_str(), keys).map_err(|e| Broken(e.at_field(k.clone())))?;
        }
        if let Some(i) = self.c.required_keys.iter().position(|r| *r == k) {
            self.found[i] = true;
        }
        self.key = Some(k);
        self.count += 1;
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> std::result::Result<(), Broken> {
        let key = self.key.take().unwrap_or_default();
        if let Some(values) = self.c.values {
            check(value, values).map_err(|e| Broken(e.at_field(key)))?;
        }
        Ok(())
    }

    fn end(self) -> std::result::Result<(), Broken> {
        if let Some(i) = self.found.iter().position(|f| !f) {
            return Err(broken(format!("missing key {:?}", self.c.required_keys[i])));
        }
        let n = self.count;
        if let Some(m) = self.c.min_properties.filter(|m| n < *m) {
            return Err(broken(format!(
                "{n} properties, fewer than the minimum {m}"
            )));
        }
        if let Some(m) = self.c.max_properties.filter(|m| n > *m) {
            return Err(broken(format!("{n} properties, more than the maximum {m}")));
        }
        Ok(())
    }
}

/// Nested models and enum variants with fields: checked by their own derive.
struct Ignore;

macro_rules! number_methods {
    ($($method:ident: $t:ty => $conv:expr;)*) => {
        $(fn $method(self, v: $t) -> std::result::Result<(), Broken> {
            #[allow(clippy::redundant_closure_call)]
            self.number(($conv)(v))
        })*
    };
}

impl<'c> ser::Serializer for Checker<'c> {
    type Ok = ();
    type Error = Broken;
    type SerializeSeq = Seq<'c>;
    type SerializeTuple = Seq<'c>;
    type SerializeTupleStruct = Seq<'c>;
    type SerializeTupleVariant = Ignore;
    type SerializeMap = Map<'c>;
    type SerializeStruct = Ignore;
    type SerializeStructVariant = Ignore;

    number_methods! {
        serialize_i8: i8 => |v: i8| Num::I(v.into());
        serialize_i16: i16 => |v: i16| Num::I(v.into());
        serialize_i32: i32 => |v: i32| Num::I(v.into());
        serialize_i64: i64 => |v: i64| Num::I(v.into());
        serialize_i128: i128 => Num::I;
        serialize_u8: u8 => |v: u8| Num::I(v.into());
        serialize_u16: u16 => |v: u16| Num::I(v.into());
        serialize_u32: u32 => |v: u32| Num::I(v.into());
        serialize_u64: u64 => |v: u64| Num::I(v.into());
        // The decimal the f32 is written as (`0.1`, not 0.100000001490116...), which is
        // the number the JSON instance holds.
        serialize_f32: f32 => |v: f32| Num::F(v.to_string().parse().unwrap_or(f64::from(v)));
        serialize_f64: f64 => Num::F;
    }

    fn serialize_u128(self, v: u128) -> std::result::Result<(), Broken> {
        match i128::try_from(v) {
            Ok(i) => self.number(Num::I(i)),
            Err(_) => self.number(Num::F(v as f64)),
        }
    }

    fn serialize_bool(self, _: bool) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_char(self, v: char) -> std::result::Result<(), Broken> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> std::result::Result<(), Broken> {
        self.string(v)
    }

    fn serialize_bytes(self, _: &[u8]) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_none(self) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> std::result::Result<(), Broken> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> std::result::Result<(), Broken> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> std::result::Result<(), Broken> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<(), Broken> {
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Seq<'c>, Broken> {
        Ok(Seq {
            c: self.c,
            count: 0,
            seen: self.c.unique_items.then(HashSet::new),
        })
    }

    fn serialize_tuple(self, len: usize) -> std::result::Result<Seq<'c>, Broken> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> std::result::Result<Seq<'c>, Broken> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Ignore, Broken> {
        Ok(Ignore)
    }

    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Map<'c>, Broken> {
        Ok(Map {
            c: self.c,
            count: 0,
            key: None,
            found: vec![false; self.c.required_keys.len()],
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Ignore, Broken> {
        Ok(Ignore)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Ignore, Broken> {
        Ok(Ignore)
    }
}

macro_rules! seq_impls {
    ($($tr:ident::$method:ident;)*) => {
        $(impl ser::$tr for Seq<'_> {
            type Ok = ();
            type Error = Broken;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> std::result::Result<(), Broken> {
                self.element(v)
            }
            fn end(self) -> std::result::Result<(), Broken> {
                Seq::end(self)
            }
        })*
    };
}

seq_impls! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Broken;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> std::result::Result<(), Broken> {
        self.key(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> std::result::Result<(), Broken> {
        self.value(v)
    }
    fn end(self) -> std::result::Result<(), Broken> {
        Map::end(self)
    }
}

macro_rules! ignore {
    ($($tr:ident :: $method:ident ($($arg:ident: $t:ty),*);)*) => {
        $(impl ser::$tr for Ignore {
            type Ok = ();
            type Error = Broken;
            fn $method<T: Serialize + ?Sized>(&mut self, $($arg: $t,)* _: &T) -> std::result::Result<(), Broken> {
                $(let _ = $arg;)*
                Ok(())
            }
            fn end(self) -> std::result::Result<(), Broken> {
                Ok(())
            }
        })*
    };
}

ignore! {
    SerializeTupleVariant::serialize_field();
    SerializeStruct::serialize_field(key: &'static str);
    SerializeStructVariant::serialize_field(key: &'static str);
}

/// The methods of a serializer that takes no lists or maps (an error for them).
macro_rules! compounds_refused {
    ($list:expr, $map:expr) => {
        fn serialize_seq(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeSeq, Broken> {
            Err(broken($list.into()))
        }
        fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, Broken> {
            Err(broken($list.into()))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleStruct, Broken> {
            Err(broken($list.into()))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleVariant, Broken> {
            Err(broken($list.into()))
        }
        fn serialize_map(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeMap, Broken> {
            Err(broken($map.into()))
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeStruct, Broken> {
            Err(broken($map.into()))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeStructVariant, Broken> {
            Err(broken($map.into()))
        }
    };
}

macro_rules! not_none {
    ($($method:ident($t:ty);)*) => {
        $(fn $method(self, _: $t) -> std::result::Result<bool, Broken> {
            Ok(false)
        })*
    };
}

/// Whether a value is an `Option` that is `None` (which satisfies every keyword, `enum`
/// included: the field is optional or nullable), also inside `Some` (`Some(None)` is an
/// optional field that is null). Looks no deeper than the `Option`s.
struct IsNone;

impl ser::Serializer for IsNone {
    type Ok = bool;
    type Error = Broken;
    type SerializeSeq = ser::Impossible<bool, Broken>;
    type SerializeTuple = ser::Impossible<bool, Broken>;
    type SerializeTupleStruct = ser::Impossible<bool, Broken>;
    type SerializeTupleVariant = ser::Impossible<bool, Broken>;
    type SerializeMap = ser::Impossible<bool, Broken>;
    type SerializeStruct = ser::Impossible<bool, Broken>;
    type SerializeStructVariant = ser::Impossible<bool, Broken>;

    fn serialize_none(self) -> std::result::Result<bool, Broken> {
        Ok(true)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> std::result::Result<bool, Broken> {
        // `Some(None)`: an optional field that is null (OpenAPI 3.0 `nullable`).
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<bool, Broken> {
        v.serialize(self)
    }
    not_none! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
    }
    fn serialize_unit(self) -> std::result::Result<bool, Broken> {
        Ok(false)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> std::result::Result<bool, Broken> {
        Ok(false)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<bool, Broken> {
        Ok(false)
    }
    compounds_refused!("", "");
}

/// A map key as text (string keys; numbers and booleans as JSON writes them).
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Broken;
    type SerializeSeq = ser::Impossible<String, Broken>;
    type SerializeTuple = ser::Impossible<String, Broken>;
    type SerializeTupleStruct = ser::Impossible<String, Broken>;
    type SerializeTupleVariant = ser::Impossible<String, Broken>;
    type SerializeMap = ser::Impossible<String, Broken>;
    type SerializeStruct = ser::Impossible<String, Broken>;
    type SerializeStructVariant = ser::Impossible<String, Broken>;

    fn serialize_str(self, v: &str) -> std::result::Result<String, Broken> {
        Ok(v.to_owned())
    }
    fn serialize_bool(self, v: bool) -> std::result::Result<String, Broken> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<String, Broken> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<String, Broken> {
        Ok(v.to_string())
    }
    fn serialize_f64(self, v: f64) -> std::result::Result<String, Broken> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> std::result::Result<String, Broken> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> std::result::Result<String, Broken> {
        Ok(v.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<String, Broken> {
        v.serialize(self)
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<String, Broken> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<String, Broken> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<String, Broken> {
        self.serialize_i64(v.into())
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<String, Broken> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<String, Broken> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<String, Broken> {
        self.serialize_u64(v.into())
    }
    fn serialize_f32(self, v: f32) -> std::result::Result<String, Broken> {
        self.serialize_f64(v.into())
    }
    fn serialize_bytes(self, _: &[u8]) -> std::result::Result<String, Broken> {
        Err(broken("a map key that is bytes".into()))
    }
    fn serialize_none(self) -> std::result::Result<String, Broken> {
        Err(broken("a map key that is null".into()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> std::result::Result<String, Broken> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<String, Broken> {
        Err(broken("a map key that is null".into()))
    }
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<String, Broken> {
        Err(broken("a map key that is null".into()))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> std::result::Result<String, Broken> {
        Err(broken("a map key that is not a string".into()))
    }
    compounds_refused!("a map key that is a list", "a map key that is a map");
}

#[cfg(test)]
mod tests {
    use super::*;

    static SMALL: Constraints = Constraints {
        minimum: Some(Num::I(1)),
        exclusive_maximum: Some(Num::F(10.5)),
        ..Constraints::NONE
    };
    static WORD: Pattern = Pattern::new("^[a-z]+$");
    static WORDS: Constraints = Constraints {
        pattern: Some(&WORD),
        max_length: Some(3),
        ..Constraints::NONE
    };
    static LIST: Constraints = Constraints {
        items: Some(&WORDS),
        unique_items: true,
        max_items: Some(3),
        ..Constraints::NONE
    };
    static ONE_TWO: JsonEnum = JsonEnum::new("[1, 2.0]");
    static ENUM: Constraints = Constraints {
        json_enum: Some(&ONE_TWO),
        ..Constraints::NONE
    };

    #[test]
    fn numbers_are_compared_exactly() {
        assert!(check(&1u8, &SMALL).is_ok());
        assert!(check(&10i64, &SMALL).is_ok());
        assert!(check(&10.5f64, &SMALL).is_err());
        assert_eq!(
            check(&0i64, &SMALL).unwrap_err().to_string(),
            "0 is less than the minimum 1"
        );
        assert_eq!(
            cmp_num(Num::I(i64::MAX as i128), Num::F(9.223372036854776e18)),
            Some(Ordering::Less)
        );
        assert_eq!(cmp_num(Num::I(3), Num::F(2.5)), Some(Ordering::Greater));
        assert_eq!(cmp_num(Num::I(2), Num::F(2.5)), Some(Ordering::Less));
        assert!(multiple_of(Num::F(0.0075), Num::F(0.0001)));
        assert!(!multiple_of(Num::F(0.00751), Num::F(0.0001)));
        assert!(!multiple_of(Num::F(1e308), Num::F(0.123456789)));
        assert!(multiple_of(Num::I(-9), Num::I(3)));
        // An f32 is the decimal it is written as.
        static TENTH: Constraints = Constraints {
            maximum: Some(Num::F(0.1)),
            ..Constraints::NONE
        };
        assert!(check(&0.1f32, &TENTH).is_ok());
        assert!(check(&0.100001f32, &TENTH).is_err());
    }

    #[test]
    fn paths_lead_to_the_element() {
        let ok = vec!["ab".to_owned(), "c".to_owned()];
        assert!(check(&ok, &LIST).is_ok());
        let err = check(&vec!["ab", "Cd"], &LIST).unwrap_err();
        assert_eq!(
            err.to_string(),
            "[1]: \"Cd\" does not match the pattern \"^[a-z]+$\""
        );
        let err = check(&vec!["ab", "ab"], &LIST).unwrap_err();
        assert_eq!(
            err.to_string(),
            "[1]: \"ab\" appears more than once (uniqueItems)"
        );
        let err = check(&vec!["a", "b", "c", "d"], &LIST).unwrap_err();
        assert_eq!(err.to_string(), "4 items, more than the maximum 3");
        assert!(check(&Some(vec!["abcd"]), &LIST).is_err());
        assert!(check(&None::<Vec<String>>, &LIST).is_ok());
    }

    #[test]
    fn enums_compare_as_json_schema_does() {
        assert!(check(&1.0f64, &ENUM).is_ok());
        assert!(check(&2u64, &ENUM).is_ok());
        assert!(check(&3i32, &ENUM).is_err());
        // `None` (an optional or nullable field) satisfies `enum`; a JSON null does not.
        assert!(check(&None::<i32>, &ENUM).is_ok());
        assert!(check(&Some(None::<i32>), &ENUM).is_ok());
        assert!(check(&Some(3i32), &ENUM).is_err());
        assert!(check(&Value::Null, &ENUM).is_err());
        let a: Value = serde_json::json!([1.0, 1]);
        assert!(check(&a, &LIST_ANY).is_err());
    }

    static LIST_ANY: Constraints = Constraints {
        unique_items: true,
        ..Constraints::NONE
    };
}
