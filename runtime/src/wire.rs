//! The wire-form layer: the facts every reader of an array object shares, stated once.
//!
//! An array object arrives in one of several forms — tesseract's
//! `{object_type, shape, dtype, data: {buffer, encoding, compression}}`, truss's
//! `{data_b64, shape, dtype}`, msgpack-numpy's `{nd, type, kind, shape, data}` (bin
//! keys) and its `{complex, data}`, pydantic-numpy's `{data_type, data, shape}` — and two
//! readers look at them: the typed decoder
//! (`serde_impl`, behind `Array`'s `Deserialize`) and the schema-less
//! [`Document`](crate::document::Document) behind `convert` and `inspect`. Whatever
//! they decide about the same bytes must agree with each other and with the Python peer
//! that reads the bytes next, so the decisions live here:
//!
//! - [`Key`]: the names of every form's keys.
//! - [`KeyTracker`]: what a map's keys may look like. A duplicated array key is refused
//!   (JSON and msgpack readers disagree on duplicates: serde_json's first-match lookups,
//!   Python's `dict` keeps the last), and in msgpack the str and bin spellings of array
//!   keys may not be mixed in one map (msgpack-numpy reads only bin keys, so a str
//!   `"kind"` beside a bin `b"nd"` means nothing to it and something to a lenient reader).
//! - [`msgpack_numpy_form`]: msgpack-numpy's own recognition rule (`b"nd" in obj`, then
//!   `b"complex" in obj`), used by both readers.
//! - [`tesseract_encoding`]: the one check of a tesseract `encoding` × `compression`.

use crate::error::{Error, ErrorKind, Result};
use crate::options::{Compression, Encoding};

/// States each array key once: its variant and its name on the wire.
macro_rules! array_keys {
    ($($key:ident = $name:literal,)*) => {
        /// The keys any array form uses (and `Other` for the rest).
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Key {
            $($key,)*
            Other,
        }

        impl Key {
            /// Every array key (not `Other`).
            pub(crate) const ALL: &'static [Key] = &[$(Key::$key,)*];

            /// The key's name on the wire.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Key::$key => $name,)*
                    Key::Other => "",
                }
            }

            /// The key named `b` (a `match`: this runs for every key of every map).
            pub(crate) fn from_bytes(b: &[u8]) -> Key {
                match std::str::from_utf8(b) {
                    $(Ok($name) => Key::$key,)*
                    _ => Key::Other,
                }
            }
        }
    };
}

array_keys! {
    ObjectType = "object_type",
    Shape = "shape",
    DType = "dtype",
    Data = "data",
    DataB64 = "data_b64",
    Nd = "nd",
    Type = "type",
    Kind = "kind",
    Complex = "complex",
    Buffer = "buffer",
    Encoding = "encoding",
    Compression = "compression",
    DataType = "data_type",
}

impl Key {
    /// This key's bit in a set of keys (`Other` has its own).
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// How a map key was spelled: text (every JSON key, a msgpack str) or a msgpack bin.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Spelling {
    Str,
    Bin,
}

/// Checks the keys of one map as they come (see the module docs): duplicates of array
/// keys, and (in msgpack) str and bin spellings of array keys in one map.
#[derive(Default)]
pub(crate) struct KeyTracker {
    seen: u16,
    str_seen: bool,
    bin_seen: bool,
}

impl KeyTracker {
    /// Records `name`; an error (`Refused`, at the key) if the map is ambiguous.
    pub(crate) fn see(&mut self, name: &[u8], spelling: Spelling) -> Result<Key> {
        let key = Key::from_bytes(name);
        if key == Key::Other {
            return Ok(key);
        }
        let shown = || String::from_utf8_lossy(name).into_owned();
        if self.seen & key.bit() != 0 {
            return Err(Error::new(ErrorKind::Refused(format!(
                "duplicate key {:?} in an object that may be an array: readers disagree on \
                 which value counts (Python keeps the last), so the object is ambiguous",
                shown()
            )))
            .at_field(shown()));
        }
        self.seen |= key.bit();
        match spelling {
            Spelling::Str => self.str_seen = true,
            Spelling::Bin => self.bin_seen = true,
        }
        if self.str_seen && self.bin_seen {
            return Err(Error::new(ErrorKind::Refused(format!(
                "str and bin spellings of array keys in one msgpack map (at {:?}): \
                 msgpack-numpy reads only the bin keys, so the map is ambiguous",
                shown()
            )))
            .at_field(shown()));
        }
        Ok(key)
    }
}

/// msgpack-numpy's recognition of a decoded map, in its order: `b"nd" in obj` makes
/// an array (`nd` is `True`) or a numpy scalar (any other value), else
/// `b"complex" in obj` a Python complex, else the map is a plain dict. Only bin keys
/// count. The caller passes whether each bin key is present and `nd`'s value.
pub(crate) fn msgpack_numpy_form(
    bin_nd: Option<bool>,
    bin_complex: bool,
) -> Option<MsgpackNumpyForm> {
    match bin_nd {
        Some(true) => Some(MsgpackNumpyForm::Array),
        Some(false) => Some(MsgpackNumpyForm::Scalar),
        None if bin_complex => Some(MsgpackNumpyForm::Complex),
        None => None,
    }
}

/// The three kinds of msgpack-numpy map.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MsgpackNumpyForm {
    /// `{b"nd": True, b"type", b"kind", b"shape", b"data"}`.
    Array,
    /// `{b"nd": <not True>, b"type", b"data"}`, a numpy scalar.
    Scalar,
    /// `{b"complex": .., b"data"}`, a Python complex.
    Complex,
}

/// tesseract's `encoding` × `compression`: the only place that says which pairs
/// exist. Errors are placed at `data.encoding` / `data.compression`.
pub(crate) fn tesseract_encoding(
    encoding: &str,
    compression: Option<&str>,
) -> Result<(Encoding, Compression)> {
    let compression = match compression {
        None | Some("none") => Compression::None,
        Some("lz4") => Compression::Lz4,
        Some(other) => {
            return Err(Error::invalid(format!(
                "unknown compression {other:?} (expected \"lz4\" or null)"
            ))
            .at_field("compression")
            .at_field("data"));
        }
    };
    let encoding = match encoding {
        "json" => Encoding::Json,
        "base64" => Encoding::Base64,
        "binref" => Encoding::Binref,
        other => {
            return Err(Error::invalid(format!(
                "unknown encoding {other:?} (expected \"json\", \"base64\" or \"binref\")"
            ))
            .at_field("encoding")
            .at_field("data"));
        }
    };
    if encoding == Encoding::Json && compression == Compression::Lz4 {
        return Err(
            Error::invalid("compression is not allowed with the json encoding")
                .at_field("compression")
                .at_field("data"),
        );
    }
    Ok((encoding, compression))
}
