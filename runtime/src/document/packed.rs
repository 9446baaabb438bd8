//! [`Packed`]: values that hold no array object, kept as their msgpack encoding.
//!
//! The bytes are written here (by [`Enc`]) from documents, never taken from a payload,
//! so they use a small subset of msgpack: nil, bool, int, uint, float64, str (valid
//! UTF-8), bin, array and map. Everything that reads them (serializing, replaying into
//! a deserializer, expanding, scanning for `bin` values) reads one value at a time
//! with a cursor, never building a node per value.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, Expected, MapAccess, SeqAccess, Visitor};
use serde::ser::{Error as _, SerializeMap, SerializeSeq, Serializer};

use super::Document;
use crate::error::{Path, Segment};
use rmp::Marker;

/// Values that hold no array object, kept as their msgpack encoding: one allocation for
/// [`len`](Packed::len) values instead of a [`Document`] node each.
///
/// See [`Document::Packed`] for where a `Packed` stands for one value and where for a
/// run of values. [`to_documents`](Packed::to_documents) expands the values into
/// nodes; [`Document::get`] expands (once, cached) the values it looks into.
pub struct Packed(Box<Inner>);

struct Inner {
    bytes: Box<[u8]>,
    len: usize,
    cache: OnceLock<Box<[Document]>>,
}

impl Packed {
    /// `len` values, msgpack-encoded back to back in `bytes`.
    pub(super) fn new(bytes: Vec<u8>, len: usize) -> Packed {
        Packed(Box::new(Inner {
            bytes: bytes.into_boxed_slice(),
            len,
            cache: OnceLock::new(),
        }))
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// No values (never the case for a `Packed` in a [`Document`] read from a payload).
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The values' msgpack encodings, concatenated.
    pub fn as_msgpack(&self) -> &[u8] {
        &self.0.bytes
    }

    /// The values as documents, one node per value (lists and maps expanded all the
    /// way down; nothing is detected as an array, since no array object is in here).
    pub fn to_documents(&self) -> Vec<Document> {
        let mut buf = self.as_msgpack();
        let mut out = Vec::with_capacity(self.len().min(1 << 16));
        for _ in 0..self.len() {
            match plain(&mut buf) {
                Some(d) => out.push(d),
                None => break,
            }
        }
        out
    }

    /// [`to_documents`](Packed::to_documents), computed once and kept.
    pub(super) fn cached(&self) -> &[Document] {
        self.0
            .cache
            .get_or_init(|| self.to_documents().into_boxed_slice())
    }

    /// Whether the (first) value is a list.
    pub(super) fn is_list(&self) -> bool {
        matches!(self.as_msgpack().first(), Some(0x90..=0x9f | 0xdc | 0xdd))
    }

    /// Whether the (first) value is a map.
    pub(super) fn is_map(&self) -> bool {
        matches!(self.as_msgpack().first(), Some(0x80..=0x8f | 0xde | 0xdf))
    }

    /// The first value as a map key in a path.
    pub(super) fn first_key_text(&self) -> String {
        let mut buf = self.as_msgpack();
        item_key_text(&mut buf)
    }
}

impl Clone for Packed {
    fn clone(&self) -> Packed {
        Packed(Box::new(Inner {
            bytes: self.0.bytes.clone(),
            len: self.0.len,
            cache: OnceLock::new(),
        }))
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.len() == other.len() && self.as_msgpack() == other.as_msgpack()
    }
}

impl fmt::Debug for Packed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Packed")?;
        f.debug_list().entries(self.to_documents()).finish()
    }
}

// ---------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------

/// One msgpack value's header (a list or map's items follow it).
pub(super) enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    List(usize),
    Map(usize),
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Some(head)
}

fn be(buf: &mut &[u8], n: usize) -> Option<u64> {
    Some(
        take(buf, n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)),
    )
}

/// An unsigned integer as a document has it: `Int` when it fits `i64`.
fn unsigned<'a>(u: u64) -> Item<'a> {
    match i64::try_from(u) {
        Ok(i) => Item::Int(i),
        Err(_) => Item::UInt(u),
    }
}

/// A length of `n` big-endian bytes, then that many bytes.
fn counted<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let len = usize::try_from(be(buf, n)?).ok()?;
    take(buf, len)
}

/// Reads one value's header (the markers as rmp names them; `Enc` writes these bytes
/// with rmp's encoder, so `ext` and reserved markers never occur and read as `None`).
pub(super) fn read<'a>(buf: &mut &'a [u8]) -> Option<Item<'a>> {
    let len = |buf: &mut &[u8], n: usize| usize::try_from(be(buf, n)?).ok();
    Some(match Marker::from_u8(take(buf, 1)?[0]) {
        Marker::FixPos(v) => Item::Int(i64::from(v)),
        Marker::FixNeg(v) => Item::Int(i64::from(v)),
        Marker::Null => Item::Nil,
        Marker::False => Item::Bool(false),
        Marker::True => Item::Bool(true),
        Marker::U8 => unsigned(be(buf, 1)?),
        Marker::U16 => unsigned(be(buf, 2)?),
        Marker::U32 => unsigned(be(buf, 4)?),
        Marker::U64 => unsigned(be(buf, 8)?),
        Marker::I8 => Item::Int(i64::from(be(buf, 1)? as u8 as i8)),
        Marker::I16 => Item::Int(i64::from(be(buf, 2)? as u16 as i16)),
        Marker::I32 => Item::Int(i64::from(be(buf, 4)? as u32 as i32)),
        Marker::I64 => Item::Int(be(buf, 8)? as i64),
        Marker::F32 => Item::Float(f64::from(f32::from_bits(be(buf, 4)? as u32))),
        Marker::F64 => Item::Float(f64::from_bits(be(buf, 8)?)),
        Marker::FixStr(n) => Item::Str(take(buf, usize::from(n))?),
        Marker::Str8 => Item::Str(counted(buf, 1)?),
        Marker::Str16 => Item::Str(counted(buf, 2)?),
        Marker::Str32 => Item::Str(counted(buf, 4)?),
        Marker::Bin8 => Item::Bin(counted(buf, 1)?),
        Marker::Bin16 => Item::Bin(counted(buf, 2)?),
        Marker::Bin32 => Item::Bin(counted(buf, 4)?),
        Marker::FixArray(n) => Item::List(usize::from(n)),
        Marker::Array16 => Item::List(len(buf, 2)?),
        Marker::Array32 => Item::List(len(buf, 4)?),
        Marker::FixMap(n) => Item::Map(usize::from(n)),
        Marker::Map16 => Item::Map(len(buf, 2)?),
        Marker::Map32 => Item::Map(len(buf, 4)?),
        _ => return None,
    })
}

/// Reads one whole value, returning its header (its items are skipped).
pub(super) fn read_skip<'a>(buf: &mut &'a [u8]) -> Option<Item<'a>> {
    let item = read(buf)?;
    let mut pending = match item {
        Item::List(n) => n,
        Item::Map(n) => n.checked_mul(2)?,
        _ => 0,
    };
    while pending > 0 {
        pending -= 1;
        match read(buf)? {
            Item::List(n) => pending = pending.checked_add(n)?,
            Item::Map(n) => pending = pending.checked_add(n.checked_mul(2)?)?,
            _ => {}
        }
    }
    Some(item)
}

/// The next whole value's bytes.
pub(super) fn next_value<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let start = *buf;
    read_skip(buf)?;
    Some(&start[..start.len() - buf.len()])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads one value as a plain document.
fn plain(buf: &mut &[u8]) -> Option<Document> {
    Some(match read(buf)? {
        Item::Nil => Document::Null,
        Item::Bool(b) => Document::Bool(b),
        Item::Int(i) => Document::Int(i),
        Item::UInt(u) => Document::UInt(u),
        Item::Float(f) => Document::Float(f),
        Item::Str(s) => Document::String(text(s)),
        Item::Bin(b) => Document::Bytes(b.to_vec()),
        Item::List(n) => {
            let mut items = Vec::with_capacity(n.min(buf.len()));
            for _ in 0..n {
                items.push(plain(buf)?);
            }
            Document::List(items)
        }
        Item::Map(n) => {
            let mut entries = Vec::with_capacity(n.min(buf.len()));
            for _ in 0..n {
                let k = plain(buf)?;
                entries.push((k, plain(buf)?));
            }
            Document::Map(entries)
        }
    })
}

/// Reads one whole value as a map key in a path (what `key_text` shows for its node).
pub(super) fn item_key_text(buf: &mut &[u8]) -> String {
    match read_skip(buf) {
        Some(Item::Str(s) | Item::Bin(s)) => text(s),
        Some(Item::Int(i)) => i.to_string(),
        Some(Item::UInt(u)) => u.to_string(),
        Some(Item::Float(f)) => f.to_string(),
        Some(Item::Bool(b)) => b.to_string(),
        Some(Item::Nil) => "null".into(),
        _ => "?".into(),
    }
}

/// Reads one whole value: a str or bin's bytes (a map key's name), else `None`.
pub(super) fn key_name<'a>(buf: &mut &'a [u8]) -> Option<Option<&'a [u8]>> {
    Some(match read_skip(buf)? {
        Item::Str(s) | Item::Bin(s) => Some(s),
        _ => None,
    })
}

/// Reads one whole value: a str's text, else `None`.
pub(super) fn value_text<'a>(buf: &mut &'a [u8]) -> Option<Option<&'a str>> {
    Some(match read_skip(buf)? {
        Item::Str(s) => std::str::from_utf8(s).ok(),
        _ => None,
    })
}

/// Records every `bin` value of one value (path, length), in order.
pub(super) fn scan_bytes(buf: &mut &[u8], path: &mut Vec<Segment>, out: &mut Vec<(String, usize)>) {
    match read(buf) {
        Some(Item::Bin(b)) => out.push((path_text(path), b.len())),
        Some(Item::List(n)) => {
            for i in 0..n {
                path.push(Segment::Index(i));
                scan_bytes(buf, path, out);
                path.pop();
            }
        }
        Some(Item::Map(n)) => {
            for _ in 0..n {
                path.push(Segment::Field(item_key_text(buf)));
                scan_bytes(buf, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A path's text, as [`Path`] shows it.
pub(super) fn path_text(segs: &[Segment]) -> String {
    to_path(segs).to_string()
}

pub(super) fn to_path(segs: &[Segment]) -> Path {
    let mut p = Path::root();
    for s in segs {
        match s {
            Segment::Field(f) => p.push_field(f.clone()),
            Segment::Index(i) => p.push_index(*i),
        }
    }
    p
}

/// A run's values one at a time, each as its own one-value [`Packed`].
pub(super) struct Values {
    packed: Packed,
    pos: usize,
    left: usize,
}

impl Values {
    pub(super) fn new(packed: Packed) -> Values {
        let left = packed.len();
        Values {
            packed,
            pos: 0,
            left,
        }
    }

    pub(super) fn left(&self) -> usize {
        self.left
    }
}

impl Iterator for Values {
    type Item = Document;
    fn next(&mut self) -> Option<Document> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut buf = &self.packed.as_msgpack()[self.pos..];
        let one = next_value(&mut buf)?;
        self.pos += one.len();
        Some(Document::Packed(Packed::new(one.to_vec(), 1)))
    }
}

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

/// Room kept in front of an [`Enc`]'s bytes for the header of a whole list or map, so
/// that finishing one moves the bytes in place instead of copying them.
const HEAD: usize = 5;

/// Values being packed, appended one at a time.
#[derive(Default)]
pub(super) struct Enc {
    buf: Vec<u8>,
    n: usize,
}

fn w<T, E: fmt::Debug>(r: Result<T, E>) {
    r.expect("writing msgpack to a Vec cannot fail");
}

impl Enc {
    /// How many values.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    fn start(&mut self) -> &mut Vec<u8> {
        if self.buf.is_empty() {
            self.buf.resize(HEAD, 0);
        }
        self.n += 1;
        &mut self.buf
    }

    pub(super) fn str(&mut self, s: &str) {
        w(rmp::encode::write_str(self.start(), s));
    }

    pub(super) fn bin(&mut self, b: &[u8]) {
        w(rmp::encode::write_bin(self.start(), b));
    }

    /// Appends a document that holds no array object (`false`, and nothing written,
    /// if it holds one).
    pub(super) fn doc(&mut self, d: &Document) -> bool {
        if holds_array(d) {
            return false;
        }
        self.start();
        encode(&mut self.buf, d);
        true
    }

    /// Appends another encoder's values.
    pub(super) fn append(&mut self, other: Enc) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = other;
            return;
        }
        self.buf.extend_from_slice(&other.buf[HEAD..]);
        self.n += other.n;
    }

    fn finish(mut self, header: &[u8], len: usize) -> Packed {
        if self.buf.is_empty() {
            self.buf.resize(HEAD, 0);
        }
        let at = HEAD - header.len();
        self.buf[at..HEAD].copy_from_slice(header);
        self.buf.drain(..at);
        Packed::new(self.buf, len)
    }

    /// The values, if they are `n` scalars (no list or map), as nodes.
    pub(super) fn scalars(&self, n: usize) -> Option<Vec<Document>> {
        if self.n != n {
            return None;
        }
        let mut buf = self.buf.get(HEAD..)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            if matches!(buf.first(), Some(0x80..=0x9f | 0xdc..=0xdf)) {
                return None;
            }
            out.push(plain(&mut buf)?);
        }
        Some(out)
    }

    /// The values as a run.
    pub(super) fn into_run(self) -> Packed {
        let n = self.n;
        self.finish(&[], n)
    }

    /// The values as one list.
    pub(super) fn into_list(self) -> Packed {
        let mut h = Vec::new();
        w(rmp::encode::write_array_len(&mut h, self.n as u32));
        self.finish(&h, 1)
    }

    /// The values (key, value, key, value, ...) as one map.
    pub(super) fn into_map(self) -> Packed {
        let mut h = Vec::new();
        w(rmp::encode::write_map_len(&mut h, (self.n / 2) as u32));
        self.finish(&h, 1)
    }

    /// The values (key, value, ...) as a run of keys and a run of values.
    pub(super) fn into_entry_runs(self) -> (Packed, Packed) {
        let pairs = self.n / 2;
        let body = self.buf.get(HEAD..).unwrap_or_default();
        let (mut keys, mut vals) = (Vec::new(), Vec::new());
        let mut buf = body;
        for _ in 0..pairs {
            keys.extend_from_slice(next_value(&mut buf).unwrap_or_default());
            vals.extend_from_slice(next_value(&mut buf).unwrap_or_default());
        }
        (Packed::new(keys, pairs), Packed::new(vals, pairs))
    }
}

/// Whether a document holds an array object anywhere.
pub(super) fn holds_array(d: &Document) -> bool {
    match d {
        Document::Array(..) => true,
        Document::List(items) => items.iter().any(holds_array),
        Document::Map(entries) => entries
            .iter()
            .any(|(k, v)| holds_array(k) || holds_array(v)),
        _ => false,
    }
}

/// The number of values a list item stands for (a run counts its values).
pub(super) fn count(d: &Document) -> usize {
    match d {
        Document::Packed(p) => p.len(),
        _ => 1,
    }
}

/// Encodes a document that holds no array object.
fn encode(buf: &mut Vec<u8>, d: &Document) {
    match d {
        Document::Null => w(rmp::encode::write_nil(buf)),
        Document::Bool(b) => w(rmp::encode::write_bool(buf, *b)),
        Document::Int(i) => w(rmp::encode::write_sint(buf, *i)),
        Document::UInt(u) => w(rmp::encode::write_uint(buf, *u)),
        Document::Float(f) => w(rmp::encode::write_f64(buf, *f)),
        Document::String(s) => w(rmp::encode::write_str(buf, s)),
        Document::Bytes(b) => w(rmp::encode::write_bin(buf, b)),
        Document::Packed(p) => buf.extend_from_slice(p.as_msgpack()),
        Document::List(items) => {
            let n: usize = items.iter().map(count).sum();
            w(rmp::encode::write_array_len(buf, n as u32));
            for item in items {
                encode(buf, item);
            }
        }
        Document::Map(entries) => {
            let n: usize = entries.iter().map(|(k, _)| count(k)).sum();
            w(rmp::encode::write_map_len(buf, n as u32));
            for (k, v) in entries {
                match (k, v) {
                    (Document::Packed(kp), Document::Packed(vp)) => {
                        let (mut kb, mut vb) = (kp.as_msgpack(), vp.as_msgpack());
                        for _ in 0..kp.len() {
                            buf.extend_from_slice(next_value(&mut kb).unwrap_or_default());
                            buf.extend_from_slice(next_value(&mut vb).unwrap_or_default());
                        }
                    }
                    _ => {
                        encode(buf, k);
                        encode(buf, v);
                    }
                }
            }
        }
        Document::Array(..) => unreachable!("checked by holds_array"),
    }
}

// ---------------------------------------------------------------------------------
// Serializing: the bytes transcoded into any serializer, with Document's semantics
// ---------------------------------------------------------------------------------

/// Serializes the next value under a shared cursor (each call moves it past one value).
pub(super) struct At<'a, 'b>(pub(super) &'b Cell<&'a [u8]>);

impl Serialize for At<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = self.0.get();
        let r = serialize_one(&mut buf, s);
        self.0.set(buf);
        r
    }
}

fn serialize_one<S: Serializer>(buf: &mut &[u8], s: S) -> Result<S::Ok, S::Error> {
    let item = read(buf).ok_or_else(|| S::Error::custom("malformed packed document"))?;
    match item {
        Item::Nil => s.serialize_unit(),
        Item::Bool(b) => s.serialize_bool(b),
        Item::Int(i) => s.serialize_i64(i),
        Item::UInt(u) => s.serialize_u64(u),
        Item::Float(f) => s.serialize_f64(f),
        Item::Str(t) => s.serialize_str(
            std::str::from_utf8(t).map_err(|_| S::Error::custom("malformed packed document"))?,
        ),
        Item::Bin(b) => crate::bytes::serialize(b, s),
        Item::List(n) => {
            let cell = Cell::new(*buf);
            let mut seq = s.serialize_seq(Some(n))?;
            for _ in 0..n {
                seq.serialize_element(&At(&cell))?;
            }
            *buf = cell.get();
            seq.end()
        }
        Item::Map(n) => {
            let cell = Cell::new(*buf);
            let mut map = s.serialize_map(Some(n))?;
            for _ in 0..n {
                map.serialize_entry(&At(&cell), &At(&cell))?;
            }
            *buf = cell.get();
            map.end()
        }
    }
}

// ---------------------------------------------------------------------------------
// Deserializing: one value replayed the way `DocDe` replays its expansion
// ---------------------------------------------------------------------------------

type DeError = de::value::Error;

/// A deserializer over the next value under a cursor.
pub(super) struct PackedDe<'a, 'b>(pub(super) &'b mut &'a [u8]);

/// serde's `ExpectedInSeq` (private there), for the same message as `SeqDeserializer`.
struct InSeq(usize);

impl Expected for InSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 1 {
            f.write_str("1 element in sequence")
        } else {
            write!(f, "{} elements in sequence", self.0)
        }
    }
}

fn malformed() -> DeError {
    de::Error::custom("malformed packed document")
}

impl<'de> Deserializer<'de> for PackedDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match read(self.0).ok_or_else(malformed)? {
            Item::Nil => v.visit_unit(),
            Item::Bool(b) => v.visit_bool(b),
            // Non-negative integers come as u64, as `DocDe` gives them.
            Item::Int(i) => match u64::try_from(i) {
                Ok(u) => v.visit_u64(u),
                Err(_) => v.visit_i64(i),
            },
            Item::UInt(u) => v.visit_u64(u),
            Item::Float(f) => v.visit_f64(f),
            Item::Str(t) => v.visit_str(std::str::from_utf8(t).map_err(|_| malformed())?),
            Item::Bin(b) => v.visit_bytes(b),
            Item::List(n) => {
                let mut seq = Seq {
                    buf: &mut *self.0,
                    left: n,
                    count: 0,
                };
                let value = v.visit_seq(&mut seq)?;
                if seq.left > 0 {
                    return Err(de::Error::invalid_length(
                        seq.count + seq.left,
                        &InSeq(seq.count),
                    ));
                }
                Ok(value)
            }
            Item::Map(n) => {
                let mut map = Map {
                    buf: &mut *self.0,
                    left: n * 2,
                };
                let value = v.visit_map(&mut map)?;
                // Keep the cursor on the next value whatever the visitor left unread.
                for _ in 0..map.left {
                    read_skip(map.buf).ok_or_else(malformed)?;
                }
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.0.first() == Some(&0xc0) {
            *self.0 = &self.0[1..];
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct Seq<'a, 'b> {
    buf: &'b mut &'a [u8],
    left: usize,
    count: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.count += 1;
        seed.deserialize(PackedDe(self.buf)).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct Map<'a, 'b> {
    buf: &'b mut &'a [u8],
    /// Keys and values not yet read.
    left: usize,
}

impl<'de> MapAccess<'de> for Map<'_, '_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        if self.left % 2 == 1 {
            // The previous value was never asked for.
            read_skip(self.buf).ok_or_else(malformed)?;
            self.left -= 1;
            if self.left == 0 {
                return Ok(None);
            }
        }
        self.left -= 1;
        seed.deserialize(PackedDe(self.buf)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        if self.left.is_multiple_of(2) {
            return Err(de::Error::custom("a map value asked for before its key"));
        }
        self.left -= 1;
        seed.deserialize(PackedDe(self.buf))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left / 2)
    }
}
