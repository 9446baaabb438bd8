//! A schema-less document: a JSON or msgpack tree whose array objects are [`Array`]s.
//!
//! [`Document`] reads any payload without a model. Every array object found anywhere
//! in the tree — a tesseract object (with or without `object_type`, `data` as a
//! `{buffer, encoding}` object or the legacy list), a truss `{data_b64, shape, dtype}`
//! object, a msgpack-numpy map (array, numpy scalar or Python complex), at the root,
//! inside `{"inputs": ...}`, in lists or maps — becomes [`Document::Array`]; everything
//! else is kept as it came, map keys in their original order. Writing it with
//! [`to_json_vec`](crate::to_json_vec) or [`to_msgpack_vec`](crate::to_msgpack_vec)
//! re-encodes the arrays in the form the [`EncodeOptions`] choose and passes the rest
//! through, so a document converts between every format:
//!
//! ```
//! use arraymodel::document::{ArrayForm, Document};
//! use arraymodel::{DecodeOptions, EncodeOptions, Encoding};
//!
//! let body = br#"{"inputs":{"a":{"shape":[2],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8AAAAAAAAAQA==","encoding":"base64"}},"label":"x","n":[1,2]}}"#;
//! let doc = Document::from_json_slice(body, &DecodeOptions::default()).unwrap();
//! let (path, a) = doc.arrays().next().unwrap();
//! assert_eq!((path.as_str(), a.as_slice::<f64>().unwrap()), ("inputs.a", &[1.0, 2.0][..]));
//! assert!(matches!(doc.walk().nth(2).unwrap().1,
//!     Document::Array(_, ArrayForm::Tesseract { encoding: Encoding::Base64, .. })));
//!
//! let truss = doc.to_json_vec(&EncodeOptions::truss()).unwrap();
//! assert_eq!(std::str::from_utf8(&truss).unwrap(),
//!     r#"{"inputs":{"a":{"data_b64":"AAAAAAAA8D8AAAAAAAAAQA==","shape":[2],"dtype":"float64"},"label":"x","n":[1,2]}}"#);
//! let packed = doc.to_msgpack_vec().unwrap();
//! let back = Document::from_msgpack_slice(&packed, &DecodeOptions::default()).unwrap();
//! assert_eq!(back.get("inputs").unwrap().get("a").unwrap().as_array(), Some(a));
//! ```
//!
//! **Detection** is by keys *and* value kinds, so ordinary objects that merely share a
//! key name are left alone (an OpenAPI `properties` object naming `shape`, `dtype`
//! and `data` is not an array): tesseract needs exactly keys from `object_type`,
//! `shape`, `dtype`, `data` with a list `shape`, a string `dtype`, `object_type`
//! absent, null or `"array"`, and `data` a list or an object with a `buffer` and no
//! keys beyond `buffer`, `encoding`, `compression`; truss needs exactly `data_b64`
//! (a string), `shape` and `dtype` (a map with more keys is kept as a map, since
//! dropping them would lose data); msgpack-numpy maps are recognised by msgpack-numpy's
//! own rule (only bin keys count: `b"nd"` makes an array or numpy scalar when the keys
//! it reads are there, whatever else the map holds, then `b"complex"` a Python complex;
//! a map with either key that lacks what it needs is an error, never a map passed through).
//! Keys follow the typed decoder's rules (`wire::KeyTracker`): a duplicated array key,
//! or str and bin spellings of array keys in one msgpack map, make the document an
//! error, never a map passed through that a peer would read differently. Once an object is
//! recognised, decoding problems are errors (a bad base64 buffer, a refused pickle,
//! an unsupported dtype) with the payload path, never a silent pass-through.
//! [`Forms`] restricts which forms are recognised.
//!
//! **Numbers** are kept exactly: integers as `i64` (or `u64` above `i64::MAX`), floats
//! as `f64` (msgpack float32 values are widened). msgpack `bin` stays
//! [`Document::Bytes`] and is written as `bin` again (in JSON, as the peers' UTF-8
//! text; see [`bytes`](crate::bytes)).
//!
//! **Buffers are not exploded**: a tesseract `json` buffer is taken from serde_json as
//! its raw text and parsed straight into the array, never as one node per element.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::array::Array;
use crate::error::{Path, Result};
use crate::options::{Compression, DecodeOptions, EncodeOptions, Encoding};
use crate::wire::{KeyTracker, MsgpackNumpyForm, Spelling};

/// serde_json's private marker for raw values (feature `raw_value`); see `serde_impl`.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// A JSON or msgpack value whose array objects are decoded [`Array`]s.
///
/// Maps keep their keys in input order (and duplicates, as they came). Keys are
/// themselves documents: strings in JSON; str, bin or anything else in msgpack.
#[derive(Clone, Debug, PartialEq)]
pub enum Document {
    /// JSON `null`, msgpack nil.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
    /// Raw bytes (msgpack `bin`).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Document>),
    /// A map, keys in input order.
    Map(Vec<(Document, Document)>),
    /// An array object, and the form it was read in.
    Array(Array, ArrayForm),
}

/// The form an array had in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArrayForm {
    /// A tesseract array object.
    Tesseract {
        /// Its `data.encoding` (`json` for the legacy `"data": [..]`).
        encoding: Encoding,
        /// Its `data.compression`.
        compression: Compression,
    },
    /// A truss `{data_b64, shape, dtype}` object.
    Truss,
    /// A msgpack-numpy array map (`nd: true`).
    MsgpackNumpy,
    /// A msgpack-numpy numpy-scalar map (`nd: false`), read as a 0-d array.
    MsgpackScalar,
    /// msgpack-numpy's map for a Python `complex`, read as a 0-d complex128 array.
    PythonComplex,
    /// Not read from a payload (built in code).
    Native,
}

impl ArrayForm {
    /// A short name of the encoding: `json`, `base64`, `binref` (tesseract), `truss`,
    /// `msgpack`, `msgpack-scalar`, `msgpack-complex` or `native`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ArrayForm::Tesseract { encoding, .. } => encoding.as_str(),
            ArrayForm::Truss => "truss",
            ArrayForm::MsgpackNumpy => "msgpack",
            ArrayForm::MsgpackScalar => "msgpack-scalar",
            ArrayForm::PythonComplex => "msgpack-complex",
            ArrayForm::Native => "native",
        }
    }

    /// `lz4` or `none`.
    pub fn compression_name(&self) -> &'static str {
        match self {
            ArrayForm::Tesseract {
                compression: Compression::Lz4,
                ..
            } => "lz4",
            _ => "none",
        }
    }
}

/// Which array forms [`Document`] recognises while deserializing (all by default).
///
/// ```
/// use arraymodel::document::{Document, Forms};
/// use arraymodel::DecodeOptions;
/// let body = br#"{"a":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}}"#;
/// let only_tesseract = Forms { tesseract: true, ..Forms::NONE };
/// let doc = only_tesseract.scope(|| Document::from_json_slice(body, &DecodeOptions::default())).unwrap();
/// assert_eq!(doc.arrays().count(), 0); // the truss object stayed a map
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Forms {
    /// tesseract array objects.
    pub tesseract: bool,
    /// truss `data_b64` objects.
    pub truss: bool,
    /// msgpack-numpy maps (arrays, numpy scalars, Python complex).
    pub msgpack_numpy: bool,
}

impl Forms {
    /// Every form.
    pub const ALL: Forms = Forms {
        tesseract: true,
        truss: true,
        msgpack_numpy: true,
    };
    /// No form: every object stays a map.
    pub const NONE: Forms = Forms {
        tesseract: false,
        truss: false,
        msgpack_numpy: false,
    };

    /// Runs `f` with these forms recognised by every [`Document`] deserialized on this
    /// thread inside it.
    pub fn scope<R>(self, f: impl FnOnce() -> R) -> R {
        struct Restore(Forms);
        impl Drop for Restore {
            fn drop(&mut self) {
                FORMS.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(FORMS.with(|c| c.replace(self)));
        f()
    }
}

impl Default for Forms {
    fn default() -> Self {
        Forms::ALL
    }
}

thread_local! {
    static FORMS: Cell<Forms> = const { Cell::new(Forms::ALL) };
}

impl Document {
    /// Reads a JSON payload; binref buffers are read from `opts`' folder.
    pub fn from_json_slice(bytes: &[u8], opts: &DecodeOptions) -> Result<Document> {
        crate::from_json_slice(bytes, opts)
    }

    /// Reads a msgpack payload.
    pub fn from_msgpack_slice(bytes: &[u8], opts: &DecodeOptions) -> Result<Document> {
        crate::from_msgpack_slice(bytes, opts)
    }

    /// Writes JSON, arrays in the form `opts` chooses.
    pub fn to_json_vec(&self, opts: &EncodeOptions) -> Result<Vec<u8>> {
        crate::to_json_vec(self, opts)
    }

    /// Writes msgpack, arrays as msgpack-numpy maps.
    pub fn to_msgpack_vec(&self) -> Result<Vec<u8>> {
        crate::to_msgpack_vec(self)
    }

    /// The value of the first entry of a map whose key is the string (or bytes) `key`.
    pub fn get(&self, key: &str) -> Option<&Document> {
        match self {
            Document::Map(entries) => entries
                .iter()
                .find(|(k, _)| key_bytes(k) == Some(key.as_bytes()))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Document::Array(a, _) => Some(a),
            _ => None,
        }
    }

    /// Every node, depth-first in document order, with its path (the root has the
    /// empty path; map keys that are not strings are shown as text).
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![(Path::root(), self)],
        }
    }

    /// Every array with its path as text (`inputs.a`, `items[2]`), in document order.
    pub fn arrays(&self) -> impl Iterator<Item = (String, &Array)> {
        self.walk().filter_map(|(path, node)| match node {
            Document::Array(a, _) => Some((path.to_string(), a)),
            _ => None,
        })
    }
}

impl From<Array> for Document {
    fn from(a: Array) -> Document {
        Document::Array(a, ArrayForm::Native)
    }
}

/// The iterator of [`Document::walk`].
pub struct Walk<'a> {
    stack: Vec<(Path, &'a Document)>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (Path, &'a Document);

    fn next(&mut self) -> Option<(Path, &'a Document)> {
        let (path, node) = self.stack.pop()?;
        match node {
            Document::List(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    let mut p = path.clone();
                    p.push_index(i);
                    self.stack.push((p, item));
                }
            }
            Document::Map(entries) => {
                for (k, v) in entries.iter().rev() {
                    let mut p = path.clone();
                    p.push_field(key_text(k));
                    self.stack.push((p, v));
                }
            }
            _ => {}
        }
        Some((path, node))
    }
}

/// A map key as a path segment.
fn key_text(k: &Document) -> String {
    match k {
        Document::String(s) => s.clone(),
        Document::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Document::Int(i) => i.to_string(),
        Document::UInt(u) => u.to_string(),
        Document::Float(f) => f.to_string(),
        Document::Bool(b) => b.to_string(),
        Document::Null => "null".into(),
        _ => "?".into(),
    }
}

fn doc_str(d: &Document) -> Option<&str> {
    match d {
        Document::String(s) => Some(s),
        _ => None,
    }
}

/// A str or bin key's bytes.
fn key_bytes(k: &Document) -> Option<&[u8]> {
    match k {
        Document::String(s) => Some(s.as_bytes()),
        Document::Bytes(b) => Some(b),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------
// Serialize
// ---------------------------------------------------------------------------------

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Document::Null => s.serialize_unit(),
            Document::Bool(b) => s.serialize_bool(*b),
            Document::Int(i) => s.serialize_i64(*i),
            Document::UInt(u) => s.serialize_u64(*u),
            Document::Float(f) => s.serialize_f64(*f),
            Document::String(t) => s.serialize_str(t),
            Document::Bytes(b) => crate::bytes::serialize(b, s),
            Document::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Document::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Document::Array(a, _) => a.serialize(s),
        }
    }
}

// ---------------------------------------------------------------------------------
// Deserialize
// ---------------------------------------------------------------------------------

/// A value while its parent map decides whether it is an array object: a finished
/// document, the raw JSON text of a `buffer` value (serde_json only), or a map that
/// holds such a raw value (a tesseract `data` object, until its parent is known).
enum Tree<'a> {
    Doc(Document),
    Raw(Cow<'a, str>, Depth),
    /// A string borrowed from the input (a truss `data_b64` is not copied).
    Str(&'a str),
    /// Bytes borrowed from the input (msgpack-numpy `data` is not copied).
    Bin(&'a [u8]),
    Map(Vec<(Document, Tree<'a>)>),
}

impl Tree<'_> {
    fn into_document(self) -> std::result::Result<Document, String> {
        match self {
            Tree::Doc(d) => Ok(d),
            Tree::Raw(text, depth) => reparse(&text, depth).map_err(|e| e.to_string()),
            Tree::Str(s) => Ok(Document::String(s.to_owned())),
            Tree::Bin(b) => Ok(Document::Bytes(b.to_vec())),
            Tree::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| Ok((k, v.into_document()?)))
                .collect::<std::result::Result<Vec<_>, String>>()
                .map(Document::Map),
        }
    }

    fn doc(&self) -> Option<&Document> {
        match self {
            Tree::Doc(d) => Some(d),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Tree::Doc(Document::String(s)) => Some(s),
            Tree::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Document, D::Error> {
        d.deserialize_any(TreeVisitor {
            raw: false,
            depth: Depth::ROOT,
        })?
        .into_document()
        .map_err(de::Error::custom)
    }
}

struct TreeSeed {
    /// Ask serde_json for the raw text (the value of a `buffer` key).
    raw: bool,
    depth: Depth,
}

/// Where a value sits: how many lists and maps enclose it in the whole document, and
/// whether it is being read again from a `buffer`'s raw text.
///
/// One budget covers the whole document whatever the route: raw `buffer` text that
/// turns out not to belong to an array is parsed again from the depth it was found at,
/// and inside such text `buffer` values are read as they are (never held as raw text
/// again), so every byte is parsed at most twice and nesting through buffers cannot
/// recurse without bound.
#[derive(Clone, Copy)]
struct Depth {
    level: usize,
    reparsed: bool,
}

impl Depth {
    /// serde_json's own recursion limit, for the whole document.
    const MAX: usize = 128;
    const ROOT: Depth = Depth {
        level: 0,
        reparsed: false,
    };

    fn enter<E: de::Error>(self) -> std::result::Result<Depth, E> {
        if self.level >= Depth::MAX {
            return Err(E::custom(format!(
                "nesting deeper than {} levels (lists and maps, counted through buffers)",
                Depth::MAX
            )));
        }
        Ok(Depth {
            level: self.level + 1,
            ..self
        })
    }
}

/// Parses raw `buffer` text that did not belong to an array, from the depth it was at.
fn reparse(text: &str, depth: Depth) -> std::result::Result<Document, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let tree = TreeSeed {
        raw: false,
        depth: Depth {
            reparsed: true,
            ..depth
        },
    }
    .deserialize(&mut de)?;
    de.end()?;
    tree.into_document().map_err(de::Error::custom)
}

impl<'de> DeserializeSeed<'de> for TreeSeed {
    type Value = Tree<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Tree<'de>, D::Error> {
        if self.raw {
            d.deserialize_newtype_struct(
                RAW_TOKEN,
                TreeVisitor {
                    raw: true,
                    depth: self.depth,
                },
            )
        } else {
            d.deserialize_any(TreeVisitor {
                raw: false,
                depth: self.depth,
            })
        }
    }
}

struct TreeVisitor {
    raw: bool,
    depth: Depth,
}

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON or msgpack value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Null))
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Tree<'de>, D::Error> {
        d.deserialize_any(TreeVisitor {
            raw: false,
            depth: self.depth,
        })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(match i64::try_from(v) {
            Ok(i) => Document::Int(i),
            Err(_) => Document::UInt(v),
        }))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Tree<'de>, E> {
        if let Ok(i) = i64::try_from(v) {
            self.visit_i64(i)
        } else if let Ok(u) = u64::try_from(v) {
            self.visit_u64(u)
        } else {
            Err(E::custom(format!("integer {v} is out of the 64-bit range")))
        }
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Tree<'de>, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!("integer {v} is out of the 64-bit range"))),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Float(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Str(v))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Bin(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::String(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::String(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Bytes(v.to_vec())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> std::result::Result<Tree<'de>, E> {
        Ok(Tree::Doc(Document::Bytes(v)))
    }
    /// Deserializers without raw values answer the raw token with the value itself.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Tree<'de>, D::Error> {
        d.deserialize_any(TreeVisitor {
            raw: false,
            depth: self.depth,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Tree<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let depth = self.depth.enter()?;
        while let Some(t) = seq.next_element_seed(TreeSeed { raw: false, depth })? {
            items.push(t.into_document().map_err(de::Error::custom)?);
        }
        Ok(Tree::Doc(Document::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Tree<'de>, A::Error> {
        let mut entries: Vec<(Document, Tree)> =
            Vec::with_capacity(map.size_hint().unwrap_or(0).min(256));
        let depth = self.depth.enter()?;
        let mut keys = KeyTracker::default();
        while let Some(key) = map.next_key::<Document>()? {
            // serde_json answers the raw-value token with a one-entry map.
            if self.raw
                && entries.is_empty()
                && matches!(&key, Document::String(k) if k == RAW_TOKEN)
            {
                let text = map.next_value_seed(crate::serde_impl::StrSeed)?;
                return Ok(Tree::Raw(text, self.depth));
            }
            // The same key rules as the typed decoder (`wire::KeyTracker`).
            let spelled = match &key {
                Document::String(k) => Some((k.as_bytes(), Spelling::Str)),
                Document::Bytes(k) => Some((k.as_slice(), Spelling::Bin)),
                _ => None,
            };
            if let Some((name, spelling)) = spelled {
                keys.see(name, spelling)
                    .map_err(crate::serde_impl::de_err::<A::Error>)?;
            }
            let raw = !depth.reparsed && matches!(&key, Document::String(k) if k == "buffer");
            let value = map.next_value_seed(TreeSeed { raw, depth })?;
            entries.push((key, value));
        }
        finish_map(entries)
    }
}

/// Turns a map into an array if it is an array object, and otherwise into a map
/// (kept as a [`Tree::Map`] while it holds a raw `buffer`, for its parent).
fn finish_map<'de, E: de::Error>(
    entries: Vec<(Document, Tree<'de>)>,
) -> std::result::Result<Tree<'de>, E> {
    if let Some(form) = detect(&entries, FORMS.with(Cell::get)) {
        let array = Array::deserialize(TreeDe(Tree::Map(entries))).map_err(E::custom)?;
        return Ok(Tree::Doc(Document::Array(array, form)));
    }
    if entries.iter().any(|(_, v)| matches!(v, Tree::Raw(..))) {
        return Ok(Tree::Map(entries));
    }
    entries
        .into_iter()
        .map(|(k, v)| Ok((k, v.into_document()?)))
        .collect::<std::result::Result<Vec<_>, String>>()
        .map(|e| Tree::Doc(Document::Map(e)))
        .map_err(E::custom)
}

/// Whether a map is an array object, by its keys and the kinds of their values.
fn detect(entries: &[(Document, Tree<'_>)], forms: Forms) -> Option<ArrayForm> {
    let mut keys = Vec::with_capacity(entries.len());
    for (k, _) in entries {
        keys.push(key_bytes(k)?);
    }
    let get = |name: &[u8]| {
        entries
            .iter()
            .find(|(k, _)| key_bytes(k) == Some(name))
            .map(|(_, v)| v)
    };
    let only = |allowed: &[&[u8]]| keys.iter().all(|k| allowed.contains(k));
    let is_shape = |t: Option<&Tree<'_>>| {
        matches!(
            t.and_then(Tree::doc),
            Some(Document::List(_) | Document::Int(_) | Document::UInt(_))
        )
    };

    if forms.msgpack_numpy {
        // msgpack-numpy's own rule (`wire::msgpack_numpy_form`): only bin keys count,
        // `b"nd"` first, then `b"complex"`, and keys it does not read are ignored. A map
        // it would read but that lacks a key is a dict to msgpack-numpy (its `KeyError`
        // fallback) only where it asks for that key: with `kind` `O` it unpickles `data`
        // without asking for `shape`. So every such map is decoded here, and a missing
        // key is an error, never a map passed through.
        let bin = |name: &[u8]| {
            entries
                .iter()
                .any(|(k, _)| matches!(k, Document::Bytes(b) if b.as_slice() == name))
        };
        let nd = entries
            .iter()
            .find(|(k, _)| matches!(k, Document::Bytes(b) if b.as_slice() == b"nd"))
            .map(|(_, v)| matches!(v.doc(), Some(Document::Bool(true))));
        match crate::wire::msgpack_numpy_form(nd, bin(b"complex")) {
            Some(MsgpackNumpyForm::Array) => return Some(ArrayForm::MsgpackNumpy),
            Some(MsgpackNumpyForm::Scalar) => return Some(ArrayForm::MsgpackScalar),
            Some(MsgpackNumpyForm::Complex) => return Some(ArrayForm::PythonComplex),
            None => {}
        }
    }
    if let Some(b64) = get(b"data_b64") {
        let ok = forms.truss
            && b64.str().is_some()
            && only(&[b"data_b64", b"shape", b"dtype"])
            && is_shape(get(b"shape"))
            && get(b"dtype").and_then(Tree::str).is_some();
        return ok.then_some(ArrayForm::Truss);
    }
    if !forms.tesseract
        || !only(&[b"object_type", b"shape", b"dtype", b"data"])
        || !is_shape(get(b"shape"))
        || get(b"dtype").and_then(Tree::str).is_none()
    {
        return None;
    }
    match get(b"object_type") {
        None | Some(Tree::Doc(Document::Null)) => {}
        Some(t) if t.str() == Some("array") => {}
        Some(_) => return None,
    }
    // `data`: the legacy list, or {buffer, encoding[, compression]}.
    let data = get(b"data")?;
    let (encoding, compression) = match data {
        Tree::Doc(Document::List(_)) => {
            return Some(ArrayForm::Tesseract {
                encoding: Encoding::Json,
                compression: Compression::None,
            });
        }
        Tree::Map(e) => data_object(e, Tree::str)?,
        Tree::Doc(Document::Map(e)) => data_object(e, doc_str)?,
        _ => return None,
    };
    let encoding = match encoding {
        Some("base64") => Encoding::Base64,
        Some("binref") => Encoding::Binref,
        // `json`, or an unknown encoding that decoding is about to refuse.
        _ => Encoding::Json,
    };
    let compression = match compression {
        Some("lz4") => Compression::Lz4,
        _ => Compression::None,
    };
    Some(ArrayForm::Tesseract {
        encoding,
        compression,
    })
}

/// The `encoding` and `compression` texts of a tesseract `data` object, if its keys
/// are `buffer` and at most `encoding` and `compression`.
fn data_object<'a, V>(
    entries: &'a [(Document, V)],
    text: impl Fn(&'a V) -> Option<&'a str>,
) -> Option<(Option<&'a str>, Option<&'a str>)> {
    let mut has_buffer = false;
    let (mut encoding, mut compression) = (None, None);
    for (k, v) in entries {
        match key_bytes(k)? {
            b"buffer" => has_buffer = true,
            b"encoding" => encoding = text(v),
            b"compression" => compression = text(v),
            _ => return None,
        }
    }
    has_buffer.then_some((encoding, compression))
}

// ---------------------------------------------------------------------------------
// Replaying a buffered value into `Array::deserialize`
// ---------------------------------------------------------------------------------

type DeError = de::value::Error;

/// A deserializer over a buffered [`Tree`]: raw `buffer` text is handed out the way
/// serde_json hands out raw values, so the array codecs see the original text.
struct TreeDe<'a>(Tree<'a>);

/// A deserializer over a finished [`Document`].
struct DocDe(Document);

impl<'de> IntoDeserializer<'de, DeError> for TreeDe<'de> {
    type Deserializer = TreeDe<'de>;
    fn into_deserializer(self) -> TreeDe<'de> {
        self
    }
}

impl<'de> IntoDeserializer<'de, DeError> for DocDe {
    type Deserializer = DocDe;
    fn into_deserializer(self) -> DocDe {
        self
    }
}

impl<'de> Deserializer<'de> for TreeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Tree::Doc(d) => DocDe(d).deserialize_any(v),
            Tree::Str(s) => v.visit_borrowed_str(s),
            Tree::Bin(b) => v.visit_borrowed_bytes(b),
            Tree::Raw(text, depth) => {
                let d = reparse(&text, depth).map_err(de::Error::custom)?;
                DocDe(d).deserialize_any(v)
            }
            Tree::Map(entries) => v.visit_map(MapDeserializer::new(
                entries.into_iter().map(|(k, t)| (DocDe(k), TreeDe(t))),
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Tree::Doc(Document::Null) => v.visit_none(),
            other => v.visit_some(TreeDe(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Tree::Raw(Cow::Borrowed(text), _) if name == RAW_TOKEN => {
                v.visit_map(MapDeserializer::new(std::iter::once((
                    RAW_TOKEN,
                    BorrowedStrDeserializer::new(text),
                ))))
            }
            Tree::Raw(Cow::Owned(text), _) if name == RAW_TOKEN => {
                v.visit_map(MapDeserializer::new(std::iter::once((RAW_TOKEN, text))))
            }
            other => v.visit_newtype_struct(TreeDe(other)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> Deserializer<'de> for DocDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Document::Null => v.visit_unit(),
            Document::Bool(b) => v.visit_bool(b),
            // Non-negative integers come as u64, as serde_json and rmp-serde give them.
            Document::Int(i) => match u64::try_from(i) {
                Ok(u) => v.visit_u64(u),
                Err(_) => v.visit_i64(i),
            },
            Document::UInt(u) => v.visit_u64(u),
            Document::Float(f) => v.visit_f64(f),
            Document::String(s) => v.visit_string(s),
            Document::Bytes(b) => v.visit_byte_buf(b),
            Document::List(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(DocDe));
                let value = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Document::Map(entries) => v.visit_map(MapDeserializer::new(
                entries.into_iter().map(|(k, d)| (DocDe(k), DocDe(d))),
            )),
            Document::Array(..) => Err(de::Error::custom(
                "an array object nested inside another array object",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Document::Null => v.visit_none(),
            other => v.visit_some(DocDe(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> std::result::Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Document {
        Document::from_json_slice(text.as_bytes(), &DecodeOptions::default()).unwrap()
    }

    #[test]
    fn passes_everything_else_through_in_order() {
        let text = r#"{"z":1,"a":[true,null,-3,18446744073709551615,0.1,"s"],"m":{"buffer":[1,2],"k":{}},"e":[]}"#;
        let doc = json(text);
        let out = doc.to_json_vec(&EncodeOptions::default()).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), text);
        assert_eq!(doc.arrays().count(), 0);
        assert_eq!(doc.get("a").unwrap(), &{
            Document::List(vec![
                Document::Bool(true),
                Document::Null,
                Document::Int(-3),
                Document::UInt(u64::MAX),
                Document::Float(0.1),
                Document::String("s".into()),
            ])
        });
    }

    #[test]
    fn finds_arrays_everywhere() {
        let doc = json(concat!(
            r#"{"inputs":{"a":{"object_type":"array","shape":[2],"dtype":"int64","data":{"buffer":[1,18],"encoding":"json"}},"#,
            r#""l":[{"data_b64":"AQI=","shape":[2],"dtype":"uint8"},{"shape":[1],"dtype":"float64","data":[2.5]}]},"#,
            r#""z":{"shape":[1],"dtype":"float32","data":{"buffer":"AADAPw==","encoding":"base64","compression":null}}}"#
        ));
        let found: Vec<(String, Vec<u8>)> = doc
            .arrays()
            .map(|(p, a)| (p, a.as_bytes().to_vec()))
            .collect();
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].0, "inputs.a");
        assert_eq!(found[1].0, "inputs.l[0]");
        assert_eq!(found[2].0, "inputs.l[1]");
        assert_eq!(found[3].0, "z");
        let forms: Vec<&str> = doc
            .walk()
            .filter_map(|(_, d)| match d {
                Document::Array(_, f) => Some(f.encoding_name()),
                _ => None,
            })
            .collect();
        assert_eq!(forms, ["json", "truss", "json", "base64"]);
    }

    #[test]
    fn lookalikes_stay_maps() {
        let text = concat!(
            r#"{"properties":{"shape":{"type":"array"},"dtype":{"type":"string"},"data":{"type":"object"}},"#,
            r#""t":{"data_b64":"AQI=","shape":[2],"dtype":"uint8","extra":1},"#,
            r#""o":{"object_type":"mesh","shape":[1],"dtype":"int8","data":[1]},"#,
            r#""d":{"shape":[1],"dtype":"int8","data":{"buffer":"AQ==","encoding":"base64","x":1}},"#,
            r#""n":{"nd":1,"type":"<f8","data":"x"}}"#
        );
        let doc = json(text);
        assert_eq!(doc.arrays().count(), 0);
        let out = doc.to_json_vec(&EncodeOptions::default()).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), text);
    }

    #[test]
    fn errors_name_the_path() {
        let e = Document::from_json_slice(
            br#"{"inputs":{"a":{"shape":[1],"dtype":"float64","data":{"buffer":"AAAAAAAAAA-=","encoding":"base64"}}}}"#,
            &DecodeOptions::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inputs.a.data.buffer: invalid base64"),
            "{e}"
        );
        let e = Document::from_json_slice(
            br#"{"x":[{"data_b64":"AQI=","shape":[2],"dtype":"<U1"}]}"#,
            &DecodeOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("x[0].dtype:"), "{e}");
    }

    #[test]
    fn msgpack_keeps_bytes_and_reads_numpy_maps() {
        // {"b": bin "\xff", "arr": numpy <i2 [2] map with bin keys, "c": complex map}
        let mut m = Vec::new();
        m.extend_from_slice(b"\x83\xa1b\xc4\x01\xff\xa3arr");
        m.extend_from_slice(b"\x85\xc4\x02nd\xc3\xc4\x04type\xa3<i2\xc4\x04kind\xc4\x00\xc4\x05shape\x91\x02\xc4\x04data\xc4\x04\x01\x00\x02\x00");
        m.extend_from_slice(b"\xa1c\x82\xc4\x07complex\xc3\xc4\x04data\xa6(1+2j)");
        let doc = Document::from_msgpack_slice(&m, &DecodeOptions::default()).unwrap();
        assert_eq!(doc.get("b"), Some(&Document::Bytes(vec![0xff])));
        assert_eq!(
            doc.get("arr")
                .unwrap()
                .as_array()
                .unwrap()
                .as_slice::<i16>(),
            Some(&[1i16, 2][..])
        );
        assert!(matches!(
            doc.get("c"),
            Some(Document::Array(_, ArrayForm::PythonComplex))
        ));
        let again = doc.to_msgpack_vec().unwrap();
        assert_eq!(&again[..10], b"\x83\xa1b\xc4\x01\xff\xa3arr");
        assert!(doc.to_json_vec(&EncodeOptions::default()).is_err());
    }

    #[test]
    fn raw_buffer_outside_an_array_is_parsed() {
        let text =
            r#"{"buffer":{"k":[1,{"shape":[1],"dtype":"uint8","data":[7]}]},"encoding":"json"}"#;
        let doc = json(text);
        assert_eq!(doc.arrays().next().unwrap().0, "buffer.k[1]");
    }
}
