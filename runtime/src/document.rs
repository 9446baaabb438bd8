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
//! as `f64` (msgpack float32 values are widened). Two exceptions come from the parsers:
//! a JSON integer beyond 64 bits reaches us from serde_json as a float (Python reads an
//! exact int), and a msgpack str that is not UTF-8 arrives as bytes and is written
//! back as `bin`. msgpack `ext` values are refused. msgpack `bin` stays
//! [`Document::Bytes`] and is written as `bin` again (in JSON, as the peers' UTF-8
//! text; see [`bytes`](crate::bytes)).
//!
//! **Buffers are not exploded**: a tesseract `json` buffer is taken from serde_json as
//! its raw text and parsed straight into the array, never as one node per element.
//!
//! **Memory** (issue #14 §5, "Document memory amplification"): a node is 32 bytes
//! (arrays are boxed), and values that hold no array object are kept as their msgpack
//! encoding in a [`Packed`] instead of a node each. While reading, every list or map
//! that holds no array becomes one `Packed` (encoded item by item as it arrives, so a
//! list of ten million values never holds ten million nodes), and in a list or map that
//! does hold an array every maximal run of items (entries) that hold none becomes one
//! run (a lone scalar between two arrays stays a node, which is smaller). A map's
//! entries whose key no array form uses are packed as they arrive; the few entries
//! with array keys are kept for detection, which sees the same keys and values as
//! before. So the only nodes are the arrays, the lists and maps that hold them, and one
//! node per gap between arrays. [`Document::walk`] keeps a stack of child iterators
//! (not a path per pending child) and yields a `Packed` as one node;
//! [`Document::bytes_fields`] finds `bin` values inside packed values without expanding
//! them. Writing transcodes packed bytes straight into the output, one value at a time.
//! Measured by `tests/document_memory.rs` (counting allocator), for reading a payload
//! and writing it back (the output buffer included), or for walking the document:
//!
//! ```text
//! peak live bytes <= 4 * (input + decoded arrays) + 384 * (array objects)
//!                     + 96 * (lists and maps holding an array) + 1 MiB
//! ```
//!
//! The second term is what an array object costs beyond its data (its node, the boxed
//! [`Array`], its shape and data allocations, its share of the written output): small
//! ones, empty arrays and numpy scalars above all, measure up to 6.9 × their few bytes
//! of input without it. The third term is the one place a node per input container
//! remains: nesting around arrays (a list or map that holds an array is a node, one
//! per level; nesting is limited to 128 levels, so there are at most 128 per array).
//! Measured ratios are 2.0-3.8 × (input + decoded) for the shapes in that test (lists
//! of nils, zeros or empty maps, 200k tiny arrays, arrays alternating with scalars, a
//! map with one array beside a million scalars, deep nesting without arrays), 3.7-6.9 ×
//! for 100k small array objects (within the second term), and 11-13.5 × for 100-deep
//! nesting around every array (within the third).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::array::Array;
use crate::error::Segment;
use crate::error::{Path, Result};
use crate::options::{Compression, DecodeOptions, EncodeOptions, Encoding};
use crate::wire::{Key, KeyTracker, MsgpackNumpyForm, Spelling};

mod packed;
pub use packed::Packed;
use packed::{At, Enc, PackedDe, Values};

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
    /// A list. An item that is [`Document::Packed`] stands for its
    /// [`len`](Packed::len) values, in place (a run of consecutive items).
    List(Vec<Document>),
    /// A map, keys in input order. An entry whose key and value are both
    /// [`Document::Packed`] (of the same length) stands for that many consecutive
    /// entries: the key `Packed` holds their keys, the value `Packed` their values.
    Map(Vec<(Document, Document)>),
    /// An array object, and the form it was read in.
    Array(Box<Array>, ArrayForm),
    /// Values that hold no array object, kept as their msgpack encoding (one
    /// allocation for [`len`](Packed::len) values instead of a node each).
    ///
    /// Inside a [`Document::List`] one `Packed` item is a run of `len()` consecutive
    /// items; as a map entry whose key is also `Packed`, a run of entries (see
    /// [`Document::Map`]); anywhere else (the root, a map value beside a non-`Packed`
    /// key) it is exactly one value (`len() == 1`). A document read from a payload is
    /// packed as far as it can be: every list or map that holds no array object is one
    /// `Packed`, and in a list or map that does, every maximal run of items (or
    /// entries) that hold none is one run, so the only nodes left are the arrays, the
    /// lists and maps that hold them, and one run per gap between them.
    Packed(Packed),
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
    /// A pydantic-numpy `{data_type, data, shape}` object.
    PydanticNumpy,
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
    /// `pydantic-numpy`, `msgpack`, `msgpack-scalar`, `msgpack-complex` or `native`.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ArrayForm::Tesseract { encoding, .. } => encoding.as_str(),
            ArrayForm::Truss => "truss",
            ArrayForm::PydanticNumpy => "pydantic-numpy",
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
/// let doc = only_tesseract.from_json_slice(body, &DecodeOptions::default()).unwrap();
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

    /// Reads a JSON payload as [`Document::from_json_slice`] does, recognising only these
    /// forms.
    pub fn from_json_slice(self, bytes: &[u8], opts: &DecodeOptions) -> Result<Document> {
        crate::format::from_json_slice_forms(bytes, opts, self)
    }

    /// Reads a msgpack payload as [`Document::from_msgpack_slice`] does, recognising
    /// only these forms.
    pub fn from_msgpack_slice(self, bytes: &[u8], opts: &DecodeOptions) -> Result<Document> {
        crate::format::from_msgpack_slice_forms(bytes, opts, self)
    }
}

impl Default for Forms {
    fn default() -> Self {
        Forms::ALL
    }
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
    ///
    /// Entries kept packed are expanded (once, cached in the [`Packed`]) to be looked
    /// into; so is a map kept whole as a [`Document::Packed`].
    pub fn get(&self, key: &str) -> Option<&Document> {
        match self {
            Document::Map(entries) => entries.iter().find_map(|(k, v)| match (k, v) {
                (Document::Packed(ks), Document::Packed(vs)) => {
                    let i = ks
                        .cached()
                        .iter()
                        .position(|k| key_bytes(k) == Some(key.as_bytes()))?;
                    vs.cached().get(i)
                }
                _ => (key_bytes(k) == Some(key.as_bytes())).then_some(v),
            }),
            Document::Packed(p) if p.len() == 1 && p.is_map() => p.cached()[0].get(key),
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
    ///
    /// A [`Document::Packed`] is yielded as one node, with the path of its first
    /// value, and not looked into (it holds no array; see
    /// [`bytes_fields`](Document::bytes_fields) for the `bin` values in it).
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            root: Some(self),
            stack: Vec::new(),
            segs: Vec::new(),
        }
    }

    /// Every bytes value (msgpack `bin`), packed or not, with its path as text and its
    /// length, in document order. Packed values are scanned where they lie, never
    /// expanded into nodes.
    pub fn bytes_fields(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        self.collect_bytes(&mut Vec::new(), &mut out);
        out
    }

    fn collect_bytes(&self, path: &mut Vec<Segment>, out: &mut Vec<(String, usize)>) {
        match self {
            Document::Bytes(b) => out.push((packed::path_text(path), b.len())),
            Document::List(items) => {
                let mut i = 0;
                for item in items {
                    match item {
                        Document::Packed(p) => {
                            let mut buf = p.as_msgpack();
                            for j in 0..p.len() {
                                path.push(Segment::Index(i + j));
                                packed::scan_bytes(&mut buf, path, out);
                                path.pop();
                            }
                            i += p.len();
                        }
                        _ => {
                            path.push(Segment::Index(i));
                            item.collect_bytes(path, out);
                            path.pop();
                            i += 1;
                        }
                    }
                }
            }
            Document::Map(entries) => {
                for (k, v) in entries {
                    match (k, v) {
                        (Document::Packed(ks), Document::Packed(vs)) => {
                            let (mut kb, mut vb) = (ks.as_msgpack(), vs.as_msgpack());
                            for _ in 0..ks.len() {
                                path.push(Segment::Field(packed::item_key_text(&mut kb)));
                                packed::scan_bytes(&mut vb, path, out);
                                path.pop();
                            }
                        }
                        _ => {
                            path.push(Segment::Field(key_text(k)));
                            v.collect_bytes(path, out);
                            path.pop();
                        }
                    }
                }
            }
            Document::Packed(p) => {
                let mut buf = p.as_msgpack();
                for _ in 0..p.len() {
                    packed::scan_bytes(&mut buf, path, out);
                }
            }
            _ => {}
        }
    }

    /// The same document with every [`Document::Packed`] expanded into nodes (a node
    /// per value: for tests and small documents).
    pub fn unpacked(&self) -> Document {
        match self {
            Document::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Document::Packed(p) => out.extend(p.to_documents()),
                        _ => out.push(item.unpacked()),
                    }
                }
                Document::List(out)
            }
            Document::Map(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    match (k, v) {
                        (Document::Packed(ks), Document::Packed(vs)) => {
                            out.extend(ks.to_documents().into_iter().zip(vs.to_documents()));
                        }
                        _ => out.push((k.unpacked(), v.unpacked())),
                    }
                }
                Document::Map(out)
            }
            Document::Packed(p) if p.len() == 1 => p.to_documents().remove(0),
            Document::Packed(p) => Document::List(p.to_documents()),
            other => other.clone(),
        }
    }

    /// Every array with its path as text (`inputs.a`, `items[2]`), in document order.
    pub fn arrays(&self) -> impl Iterator<Item = (String, &Array)> {
        self.walk().filter_map(|(path, node)| match node {
            Document::Array(a, _) => Some((path.to_string(), &**a)),
            _ => None,
        })
    }
}

impl From<Array> for Document {
    fn from(a: Array) -> Document {
        Document::Array(Box::new(a), ArrayForm::Native)
    }
}

/// The iterator of [`Document::walk`]: a stack of child iterators, a path built for
/// each node it yields.
pub struct Walk<'a> {
    root: Option<&'a Document>,
    stack: Vec<Frame<'a>>,
    segs: Vec<Segment>,
}

enum Frame<'a> {
    List {
        items: std::slice::Iter<'a, Document>,
        next: usize,
        depth: usize,
    },
    Map {
        entries: std::slice::Iter<'a, (Document, Document)>,
        depth: usize,
    },
}

impl<'a> Walk<'a> {
    fn enter(&mut self, node: &'a Document, depth: usize) {
        match node {
            Document::List(items) => self.stack.push(Frame::List {
                items: items.iter(),
                next: 0,
                depth,
            }),
            Document::Map(entries) => self.stack.push(Frame::Map {
                entries: entries.iter(),
                depth,
            }),
            _ => {}
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = (Path, &'a Document);

    fn next(&mut self) -> Option<(Path, &'a Document)> {
        if let Some(root) = self.root.take() {
            self.enter(root, 0);
            return Some((Path::root(), root));
        }
        loop {
            let (depth, seg, child) = match self.stack.last_mut()? {
                Frame::List { items, next, depth } => match items.next() {
                    Some(item) => {
                        let i = *next;
                        *next += packed::count(item);
                        (*depth, Segment::Index(i), item)
                    }
                    None => {
                        self.stack.pop();
                        continue;
                    }
                },
                Frame::Map { entries, depth } => match entries.next() {
                    Some((k, v)) => (*depth, Segment::Field(key_text(k)), v),
                    None => {
                        self.stack.pop();
                        continue;
                    }
                },
            };
            self.segs.truncate(depth);
            self.segs.push(seg);
            let path = packed::to_path(&self.segs);
            self.enter(child, self.segs.len());
            return Some((path, child));
        }
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
        // The key of a run of entries: its first key.
        Document::Packed(p) => p.first_key_text(),
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
                let n = items.iter().map(packed::count).sum();
                let mut seq = s.serialize_seq(Some(n))?;
                for item in items {
                    match item {
                        Document::Packed(p) => {
                            let cell = std::cell::Cell::new(p.as_msgpack());
                            for _ in 0..p.len() {
                                seq.serialize_element(&At(&cell))?;
                            }
                        }
                        _ => seq.serialize_element(item)?,
                    }
                }
                seq.end()
            }
            Document::Map(entries) => {
                let n = entries.iter().map(|(k, _)| packed::count(k)).sum();
                let mut map = s.serialize_map(Some(n))?;
                for (k, v) in entries {
                    match (k, v) {
                        (Document::Packed(ks), Document::Packed(vs)) => {
                            let kc = std::cell::Cell::new(ks.as_msgpack());
                            let vc = std::cell::Cell::new(vs.as_msgpack());
                            for _ in 0..ks.len() {
                                map.serialize_entry(&At(&kc), &At(&vc))?;
                            }
                        }
                        _ => map.serialize_entry(k, v)?,
                    }
                }
                map.end()
            }
            Document::Array(a, _) => a.serialize(s),
            Document::Packed(p) if p.len() == 1 => {
                At(&std::cell::Cell::new(p.as_msgpack())).serialize(s)
            }
            Document::Packed(p) => Err(serde::ser::Error::custom(format!(
                "a run of {} packed values outside a list or map",
                p.len()
            ))),
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
    Map(Vec<Seg<'a>>),
}

/// A stretch of a map being read: an entry kept as it came (an array key, or a value
/// that holds an array), or a run of entries packed as they arrived (keys that no
/// array form uses, values that hold no array), `key, value, key, value, ...`.
enum Seg<'a> {
    Entry(Document, Tree<'a>),
    Run(Enc),
}

/// Whether a document read by [`TreeVisitor`] holds no array object: lists and maps
/// that hold none are already [`Document::Packed`], so this looks at one node.
fn packable(d: &Document) -> bool {
    !matches!(
        d,
        Document::Array(..) | Document::List(_) | Document::Map(_)
    )
}

impl Tree<'_> {
    fn into_document(self) -> std::result::Result<Document, String> {
        match self {
            Tree::Doc(d) => Ok(d),
            Tree::Raw(text, depth) => reparse(&text, depth).map_err(|e| e.to_string()),
            Tree::Str(s) => Ok(Document::String(s.to_owned())),
            Tree::Bin(b) => Ok(Document::Bytes(b.to_vec())),
            Tree::Map(segs) => build_map(segs),
        }
    }

    /// Whether the value holds no array (and is no pending map or raw text).
    fn packable(&self) -> bool {
        match self {
            Tree::Str(_) | Tree::Bin(_) => true,
            Tree::Doc(d) => packable(d),
            _ => false,
        }
    }

    /// Packs the value if it holds no array (`false`, nothing written, if it does).
    fn pack_into(&self, run: &mut Enc) -> bool {
        match self {
            Tree::Str(s) => run.str(s),
            Tree::Bin(b) => run.bin(b),
            Tree::Doc(d) if packable(d) => return run.doc(d),
            _ => return false,
        }
        true
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
    /// Asked for any value, only rmp-serde answers with a newtype: a msgpack `ext`
    /// (a timestamp, an application type). `Document` has no ext value, and writing
    /// it back as the `[type, bytes]` list rmp-serde shows would change the data for
    /// the next reader, so it is refused.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Tree<'de>, D::Error> {
        if !self.raw {
            return Err(de::Error::custom(
                "msgpack ext values (timestamps, application types) are not supported",
            ));
        }
        d.deserialize_any(TreeVisitor {
            raw: false,
            depth: self.depth,
        })
    }

    /// Items that hold no array are packed as they arrive: a list that holds no array
    /// becomes one [`Packed`], and in one that does, each stretch between arrays is
    /// one run.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Tree<'de>, A::Error> {
        let mut nodes = Vec::new();
        let mut run = Enc::default();
        let depth = self.depth.enter()?;
        while let Some(t) = seq.next_element_seed(TreeSeed { raw: false, depth })? {
            if t.pack_into(&mut run) {
                continue;
            }
            let d = t.into_document().map_err(de::Error::custom)?;
            if packable(&d) {
                run.doc(&d);
                continue;
            }
            push_run(&mut nodes, std::mem::take(&mut run));
            nodes.push(d);
        }
        if nodes.is_empty() {
            return Ok(Tree::Doc(Document::Packed(run.into_list())));
        }
        push_run(&mut nodes, run);
        nodes.shrink_to_fit();
        Ok(Tree::Doc(Document::List(nodes)))
    }

    /// Entries whose key no array form uses are packed as they arrive (when they hold
    /// no array); the entries with array keys are kept for [`detect`].
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Tree<'de>, A::Error> {
        let mut segs: Vec<Seg> = Vec::new();
        let mut run = Enc::default();
        let mut others = Others::default();
        let depth = self.depth.enter()?;
        let mut keys = KeyTracker::default();
        while let Some(key) = map.next_key::<Document>()? {
            // serde_json answers the raw-value token with a one-entry map.
            if self.raw
                && segs.is_empty()
                && run.len() == 0
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
            let array_key = match spelled {
                Some((name, spelling)) => {
                    keys.see(name, spelling)
                        .map_err(crate::serde_impl::de_err::<A::Error>)?
                        != Key::Other
                }
                None => false,
            };
            let raw = !depth.reparsed && matches!(&key, Document::String(k) if k == "buffer");
            let mut value = map.next_value_seed(TreeSeed { raw, depth })?;
            if !array_key {
                match spelled {
                    Some(_) => others.str_or_bin = true,
                    None => others.other_kind = true,
                }
                // No array form has this key, so this map is no array object that
                // could take the value as its `data`: it is finished now.
                if matches!(value, Tree::Map(_) | Tree::Raw(..)) {
                    value = Tree::Doc(value.into_document().map_err(de::Error::custom)?);
                }
                if packable(&key) && value.packable() {
                    run.doc(&key);
                    value.pack_into(&mut run);
                    continue;
                }
            }
            if run.len() > 0 {
                segs.push(Seg::Run(std::mem::take(&mut run)));
            }
            segs.push(Seg::Entry(key, value));
        }
        if run.len() > 0 {
            segs.push(Seg::Run(run));
        }
        finish_map(segs, others)
    }
}

/// Ends a run of list items: one [`Packed`], or a lone scalar as its node (a node
/// costs less than a run of one).
fn push_run(nodes: &mut Vec<Document>, run: Enc) {
    if run.len() == 0 {
        return;
    }
    match run.scalars(1) {
        Some(mut one) => nodes.extend(one.pop()),
        None => nodes.push(Document::Packed(run.into_run())),
    }
}

/// Ends a run of map entries: a key run and a value run, or a lone entry of scalars
/// as nodes.
fn push_entry_run(nodes: &mut Vec<(Document, Document)>, run: Enc) {
    if run.len() == 0 {
        return;
    }
    if let Some(mut kv) = run.scalars(2)
        && let (Some(v), Some(k)) = (kv.pop(), kv.pop())
    {
        nodes.push((k, v));
        return;
    }
    let (ks, vs) = run.into_entry_runs();
    nodes.push((Document::Packed(ks), Document::Packed(vs)));
}

/// What the keys packed into runs were: the keys [`detect`] does not see one by one.
#[derive(Default, Clone, Copy)]
struct Others {
    /// A str or bin key that no array form uses.
    str_or_bin: bool,
    /// A key that is neither str nor bin.
    other_kind: bool,
}

/// Turns a map into an array if it is an array object, and otherwise into a map
/// (kept as a [`Tree::Map`] while it holds a raw `buffer`, for its parent).
fn finish_map<'de, E: de::Error>(
    segs: Vec<Seg<'de>>,
    others: Others,
) -> std::result::Result<Tree<'de>, E> {
    if let Some(form) = detect(&segs, others, crate::context::forms()) {
        let array = Array::deserialize(TreeDe(Tree::Map(segs))).map_err(E::custom)?;
        return Ok(Tree::Doc(Document::Array(Box::new(array), form)));
    }
    if segs
        .iter()
        .any(|s| matches!(s, Seg::Entry(_, Tree::Raw(..))))
    {
        return Ok(Tree::Map(segs));
    }
    build_map(segs).map(Tree::Doc).map_err(E::custom)
}

/// A finished map: one [`Packed`] if it holds no array, else its entries that hold
/// arrays as nodes and one run per stretch between them.
fn build_map(segs: Vec<Seg<'_>>) -> std::result::Result<Document, String> {
    let mut nodes = Vec::new();
    let mut run = Enc::default();
    for seg in segs {
        match seg {
            Seg::Run(r) => run.append(r),
            Seg::Entry(k, t) => {
                let v = t.into_document()?;
                if packable(&k) && packable(&v) {
                    run.doc(&k);
                    run.doc(&v);
                    continue;
                }
                push_entry_run(&mut nodes, std::mem::take(&mut run));
                nodes.push((k, v));
            }
        }
    }
    if nodes.is_empty() {
        return Ok(Document::Packed(run.into_map()));
    }
    push_entry_run(&mut nodes, run);
    nodes.shrink_to_fit();
    Ok(Document::Map(nodes))
}

/// Whether a map is an array object, by its keys and the kinds of their values.
fn detect(segs: &[Seg<'_>], others: Others, forms: Forms) -> Option<ArrayForm> {
    let entries: Vec<(&Document, &Tree<'_>)> = segs
        .iter()
        .filter_map(|s| match s {
            Seg::Entry(k, v) => Some((k, v)),
            Seg::Run(_) => None,
        })
        .collect();
    // Keys that are neither str nor bin (msgpack ints, nil, ...) rule out the tesseract
    // and truss forms, but not msgpack-numpy's: it reads its bin keys whatever else the
    // map holds (a pickle map with an extra `1: 0` key is still a pickle to it).
    let mut keys = Vec::with_capacity(entries.len());
    let mut non_text_key = others.other_kind;
    for (k, _) in &entries {
        match key_bytes(k) {
            Some(k) => keys.push(k),
            None => non_text_key = true,
        }
    }
    let get = |name: &[u8]| {
        entries
            .iter()
            .find(|(k, _)| key_bytes(k) == Some(name))
            .map(|(_, v)| *v)
    };
    let only = |allowed: &[&[u8]]| {
        !others.str_or_bin && !non_text_key && keys.iter().all(|k| allowed.contains(k))
    };
    let is_shape = |t: Option<&Tree<'_>>| match t.and_then(Tree::doc) {
        Some(Document::List(_) | Document::Int(_) | Document::UInt(_)) => true,
        Some(Document::Packed(p)) => p.is_list(),
        _ => false,
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
        // truss (`NumpyArrayField`) reads any map holding its three keys as an array,
        // extra keys or not; such a map is decoded here too (and its extra keys refused,
        // as the typed decoder refuses them), never passed through unchecked.
        let ok = forms.truss
            && b64.str().is_some()
            && is_shape(get(b"shape"))
            && get(b"dtype").and_then(Tree::str).is_some();
        return ok.then_some(ArrayForm::Truss);
    }
    if let Some(data_type) = get(b"data_type") {
        // pydantic-numpy's object, read with the JSON forms (as the typed decoder reads
        // it: `data_type` makes the form, extra keys are refused there).
        let ok = forms.tesseract
            && data_type
                .str()
                .is_some_and(|t| crate::DType::parse(t).is_ok())
            && only(&[b"data_type", b"data", b"shape"])
            && match get(b"data") {
                Some(Tree::Doc(Document::List(_))) => true,
                Some(Tree::Doc(Document::Packed(p))) => p.is_list(),
                _ => false,
            };
        return ok.then_some(ArrayForm::PydanticNumpy);
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
    let mut obj = DataObject::default();
    match data {
        Tree::Doc(Document::List(_)) => {
            return Some(ArrayForm::Tesseract {
                encoding: Encoding::Json,
                compression: Compression::None,
            });
        }
        Tree::Doc(Document::Packed(p)) if p.is_list() => {
            return Some(ArrayForm::Tesseract {
                encoding: Encoding::Json,
                compression: Compression::None,
            });
        }
        Tree::Map(segs) => {
            for seg in segs {
                match seg {
                    Seg::Entry(k, v) => obj.see(key_bytes(k), v.str())?,
                    // Run keys are keys no array form uses.
                    Seg::Run(_) => return None,
                }
            }
        }
        Tree::Doc(Document::Map(e)) => {
            for (k, v) in e {
                match (k, v) {
                    (Document::Packed(ks), Document::Packed(vs)) => {
                        let (mut kb, mut vb) = (ks.as_msgpack(), vs.as_msgpack());
                        for _ in 0..ks.len() {
                            let k = packed::key_name(&mut kb)?;
                            obj.see(k, packed::value_text(&mut vb)?)?;
                        }
                    }
                    _ => obj.see(key_bytes(k), doc_str(v))?,
                }
            }
        }
        Tree::Doc(Document::Packed(p)) if p.is_map() => {
            let mut buf = p.as_msgpack();
            let packed::Item::Map(n) = packed::read(&mut buf)? else {
                return None;
            };
            for _ in 0..n {
                let k = packed::key_name(&mut buf)?;
                obj.see(k, packed::value_text(&mut buf)?)?;
            }
        }
        _ => return None,
    };
    let (encoding, compression) = obj.finish()?;
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
/// are `buffer` and at most `encoding` and `compression`: fed one entry at a time
/// (key name, value text), `None` at the first other key.
#[derive(Default)]
struct DataObject<'a> {
    has_buffer: bool,
    encoding: Option<&'a str>,
    compression: Option<&'a str>,
}

impl<'a> DataObject<'a> {
    fn see(&mut self, key: Option<&[u8]>, text: Option<&'a str>) -> Option<()> {
        match key? {
            b"buffer" => self.has_buffer = true,
            b"encoding" => self.encoding = text,
            b"compression" => self.compression = text,
            _ => return None,
        }
        Some(())
    }

    fn finish(self) -> Option<(Option<&'a str>, Option<&'a str>)> {
        self.has_buffer.then_some((self.encoding, self.compression))
    }
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
            Tree::Map(segs) => v.visit_map(MapDeserializer::new(SegEntries {
                segs: segs.into_iter(),
                run: None,
            })),
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
                let left = items.iter().map(packed::count).sum();
                let mut seq = SeqDeserializer::new(ListItems {
                    items: items.into_iter(),
                    run: None,
                    left,
                });
                let value = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Document::Map(entries) => {
                let left = entries.iter().map(|(k, _)| packed::count(k)).sum();
                v.visit_map(MapDeserializer::new(MapEntries {
                    entries: entries.into_iter(),
                    run: None,
                    left,
                }))
            }
            Document::Array(..) => Err(de::Error::custom(
                "an array object nested inside another array object",
            )),
            Document::Packed(p) if p.len() == 1 => PackedDe(&mut p.as_msgpack()).deserialize_any(v),
            Document::Packed(p) => Err(de::Error::custom(format!(
                "a run of {} packed values outside a list or map",
                p.len()
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, DeError> {
        match self.0 {
            Document::Null => v.visit_none(),
            Document::Packed(p) if p.len() == 1 => {
                PackedDe(&mut p.as_msgpack()).deserialize_option(v)
            }
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

/// A list's items, each value of a run as its own one-value [`Packed`].
struct ListItems {
    items: std::vec::IntoIter<Document>,
    run: Option<Values>,
    left: usize,
}

impl Iterator for ListItems {
    type Item = DocDe;
    fn next(&mut self) -> Option<DocDe> {
        loop {
            if let Some(d) = self.run.as_mut().and_then(Iterator::next) {
                self.left -= 1;
                return Some(DocDe(d));
            }
            match self.items.next()? {
                Document::Packed(p) => self.run = Some(Values::new(p)),
                d => {
                    self.left -= 1;
                    return Some(DocDe(d));
                }
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// A map's entries, each entry of a run as one-value [`Packed`]s.
struct MapEntries {
    entries: std::vec::IntoIter<(Document, Document)>,
    run: Option<(Values, Values)>,
    left: usize,
}

impl Iterator for MapEntries {
    type Item = (DocDe, DocDe);
    fn next(&mut self) -> Option<(DocDe, DocDe)> {
        loop {
            if let Some((ks, vs)) = self.run.as_mut()
                && ks.left() > 0
            {
                let (k, v) = (ks.next()?, vs.next()?);
                self.left -= 1;
                return Some((DocDe(k), DocDe(v)));
            }
            match self.entries.next()? {
                (Document::Packed(ks), Document::Packed(vs)) => {
                    self.run = Some((Values::new(ks), Values::new(vs)));
                }
                (k, v) => {
                    self.left -= 1;
                    return Some((DocDe(k), DocDe(v)));
                }
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// A map being read, its runs' entries one at a time (for `Array::deserialize`).
struct SegEntries<'a> {
    segs: std::vec::IntoIter<Seg<'a>>,
    run: Option<Values>,
}

impl<'a> Iterator for SegEntries<'a> {
    type Item = (DocDe, TreeDe<'a>);
    fn next(&mut self) -> Option<(DocDe, TreeDe<'a>)> {
        loop {
            if let Some(run) = self.run.as_mut()
                && run.left() > 0
            {
                let (k, v) = (run.next()?, run.next()?);
                return Some((DocDe(k), TreeDe(Tree::Doc(v))));
            }
            match self.segs.next()? {
                Seg::Entry(k, t) => return Some((DocDe(k), TreeDe(t))),
                Seg::Run(r) => self.run = Some(Values::new(r.into_run())),
            }
        }
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
            r#""o":{"object_type":"mesh","shape":[1],"dtype":"int8","data":[1]},"#,
            r#""d":{"shape":[1],"dtype":"int8","data":{"buffer":"AQ==","encoding":"base64","x":1}},"#,
            r#""n":{"nd":1,"type":"<f8","data":"x"}}"#
        );
        let doc = json(text);
        assert_eq!(doc.arrays().count(), 0);
        let out = doc.to_json_vec(&EncodeOptions::default()).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), text);
        // A truss object with an extra key is no lookalike: truss reads it as an array,
        // so it is decoded, and its extra key refused (tests/differential.rs).
        let t = r#"{"t":{"data_b64":"AQI=","shape":[2],"dtype":"uint8","extra":1}}"#;
        assert!(Document::from_json_slice(t.as_bytes(), &DecodeOptions::default()).is_err());
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
    fn nodes_are_small_and_values_without_arrays_are_packed() {
        assert_eq!(std::mem::size_of::<Document>(), 32);
        let text = r#"[1,"s",{"shape":[1],"dtype":"uint8","data":[7]},null,[2,{}],{"x":[]},2.5,{"shape":[1],"dtype":"uint8","data":[8]},true]"#;
        let doc = json(text);
        let Document::List(items) = &doc else {
            panic!("{doc:?}")
        };
        // run(1, "s"), array, run(null, [2, {}], {"x": []}, 2.5), array, true
        assert_eq!(items.len(), 5);
        assert!(matches!(&items[0], Document::Packed(p) if p.len() == 2));
        assert!(matches!(&items[2], Document::Packed(p) if p.len() == 4));
        assert_eq!(items[4], Document::Bool(true));
        let paths: Vec<String> = doc.walk().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["", "[0]", "[2]", "[3]", "[7]", "[8]"]);
        let arrays: Vec<String> = doc.arrays().map(|(p, _)| p).collect();
        assert_eq!(arrays, ["[2]", "[7]"]);
        let out = doc.to_json_vec(&EncodeOptions::default()).unwrap();
        let again = json(std::str::from_utf8(&out).unwrap());
        assert_eq!(again.to_json_vec(&EncodeOptions::default()).unwrap(), out);
        assert_eq!(again.walk().count(), 6);
        assert_eq!(
            doc.unpacked()
                .to_json_vec(&EncodeOptions::default())
                .unwrap(),
            out
        );
        // Without arrays: one packed value.
        let plain = json(r#"{"a":[1,{"b":"c"}],"d":-1}"#);
        assert!(matches!(&plain, Document::Packed(p) if p.len() == 1));
        assert_eq!(plain.walk().count(), 1);
        assert_eq!(
            plain
                .get("a")
                .unwrap()
                .to_json_vec(&EncodeOptions::default())
                .unwrap(),
            br#"[1,{"b":"c"}]"#
        );
        assert_eq!(plain.get("d"), Some(&Document::Int(-1)));
    }

    #[test]
    fn maps_keep_runs_of_entries_in_order() {
        let text = r#"{"k1":1,"k2":"two","a":{"shape":[1],"dtype":"uint8","data":[7]},"k3":[3],"k4":{"z":null},"k5":false}"#;
        let doc = json(text);
        let Document::Map(entries) = &doc else {
            panic!("{doc:?}")
        };
        assert_eq!(entries.len(), 3);
        assert!(
            matches!(&entries[0], (Document::Packed(k), Document::Packed(v)) if k.len() == 2 && v.len() == 2)
        );
        assert_eq!(
            doc.get("k4").unwrap().get("z"),
            Some(&Document::Null),
            "found in a run, then in a packed map"
        );
        assert_eq!(doc.get("k2"), Some(&Document::String("two".into())));
        assert_eq!(doc.get("nope"), None);
        let paths: Vec<String> = doc.walk().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["", "k1", "a", "k3"]);
        let out = doc.to_json_vec(&EncodeOptions::default()).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"k1":1,"k2":"two","a":{"object_type":"array","shape":[1],"dtype":"uint8","data":{"buffer":"Bw==","encoding":"base64"}},"k3":[3],"k4":{"z":null},"k5":false}"#
        );
        // The same bytes through msgpack, and back.
        let m = doc.to_msgpack_vec().unwrap();
        let back = Document::from_msgpack_slice(&m, &DecodeOptions::default()).unwrap();
        assert_eq!(back.to_msgpack_vec().unwrap(), m);
    }

    #[test]
    fn bytes_in_packed_values_are_reported_in_place() {
        // {"a": numpy map, "l": [bin 1, {"k": bin 2}], "b": bin 3}
        let mut m = Vec::new();
        m.extend_from_slice(b"\x83\xa1a");
        m.extend_from_slice(b"\x85\xc4\x02nd\xc3\xc4\x04type\xa3<i2\xc4\x04kind\xc4\x00\xc4\x05shape\x91\x01\xc4\x04data\xc4\x02\x01\x00");
        m.extend_from_slice(b"\xa1l\x92\xc4\x01x\x81\xa1k\xc4\x02yz\xa1b\xc4\x03abc");
        let doc = Document::from_msgpack_slice(&m, &DecodeOptions::default()).unwrap();
        assert_eq!(
            doc.bytes_fields(),
            [
                ("l[0]".to_string(), 1),
                ("l[1].k".to_string(), 2),
                ("b".to_string(), 3)
            ]
        );
        assert_eq!(doc.to_msgpack_vec().unwrap()[..4], m[..4]);
        assert_eq!(doc.get("b"), Some(&Document::Bytes(b"abc".to_vec())));
    }

    #[test]
    fn numpy_maps_are_found_beside_many_other_keys() {
        // A msgpack-numpy map with str keys msgpack-numpy ignores: still an array.
        let mut m = Vec::new();
        m.extend_from_slice(
            b"\x87\xa5extra\x01\xc4\x02nd\xc3\xc4\x04type\xa3<i2\xc4\x04kind\xc4\x00",
        );
        m.extend_from_slice(b"\xa1z\x92\x01\x02\xc4\x05shape\x91\x01\xc4\x04data\xc4\x02\x05\x00");
        let doc = Document::from_msgpack_slice(&m, &DecodeOptions::default()).unwrap();
        assert_eq!(doc.as_array().unwrap().as_slice::<i16>(), Some(&[5i16][..]));
    }

    #[test]
    fn raw_buffer_outside_an_array_is_parsed() {
        let text =
            r#"{"buffer":{"k":[1,{"shape":[1],"dtype":"uint8","data":[7]}]},"encoding":"json"}"#;
        let doc = json(text);
        assert_eq!(doc.arrays().next().unwrap().0, "buffer.k[1]");
    }
}
