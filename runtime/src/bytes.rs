//! Raw `bytes` fields: msgpack `bin` in binary formats, the peers' convention in JSON.
//!
//! Use it with serde's `with`:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
//! struct Blob {
//!     #[serde(with = "arraymodel::bytes")]
//!     raw: Vec<u8>,
//! }
//! let b = Blob { raw: b"hi\x00".to_vec() };
//! let json = arraymodel::to_json_vec(&b, &Default::default()).unwrap();
//! assert_eq!(json, br#"{"raw":"hi\u0000"}"#);
//! let packed = arraymodel::to_msgpack_vec(&b).unwrap();
//! assert_eq!(packed, b"\x81\xa3raw\xc4\x03hi\x00");
//! let back: Blob = arraymodel::from_msgpack_slice(&packed, &Default::default()).unwrap();
//! assert_eq!(back, b);
//! // Bytes that are not UTF-8 cannot be written the way pydantic writes bytes:
//! let bad = Blob { raw: vec![0xff] };
//! assert!(arraymodel::to_json_vec(&bad, &Default::default()).is_err());
//! ```
//!
//! In JSON, tesseract and truss (pydantic's default `ser_json_bytes="utf8"`) write
//! bytes as a UTF-8 string and fail on bytes that are not UTF-8; so do we, with an
//! error naming the field, instead of altering the data. With
//! [`BytesStyle::Base64Url`](crate::BytesStyle) both directions use pydantic's
//! `ser_json_bytes="base64"` form instead.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{self, Serializer};

use crate::codec::base64::url_safe;
use crate::context;
use crate::error::{Error, ErrorKind};
use crate::options::BytesStyle;

/// Serializes bytes (`#[serde(serialize_with = "arraymodel::bytes::serialize")]`). In
/// JSON, in the [`BytesStyle`] of the call's [`EncodeOptions`](crate::EncodeOptions)
/// (the entry points such as [`to_json_vec`](crate::to_json_vec) carry it to every
/// field); through a serializer outside any such call, as UTF-8 text (the default).
pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    if !s.is_human_readable() {
        return s.serialize_bytes(bytes);
    }
    if context::wrapped_call_active() {
        // The call's wrapper recognises the name and hands over the call's style.
        return s.serialize_newtype_struct(context::BYTES_TOKEN, &Marked(bytes));
    }
    match text(bytes, BytesStyle::default()) {
        Ok(t) => s.serialize_str(&t),
        Err(e) => Err(<S::Error as ser::Error>::custom(e)),
    }
}

/// Bytes under [`context::BYTES_TOKEN`].
struct Marked<'a>(&'a [u8]);

impl serde::Serialize for Marked<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = context::with_handoff(false, |h| {
            h.map(|h| text(self.0, h.bytes).map_err(|e| h.fail::<S::Error>(e)))
        });
        match t {
            Some(t) => s.serialize_str(&t?),
            None => Err(<S::Error as ser::Error>::custom(
                context::unwrapped_inside_call("a bytes field"),
            )),
        }
    }
}

/// `bytes` as JSON text in `style` (an error for bytes that are not UTF-8 in `Utf8`).
fn text(bytes: &[u8], style: BytesStyle) -> Result<std::borrow::Cow<'_, str>, Error> {
    match style {
        BytesStyle::Utf8 => std::str::from_utf8(bytes).map(Into::into).map_err(|e| {
            Error::new(ErrorKind::Unrepresentable(format!(
                "bytes are not valid UTF-8 (at byte {}); tesseract and truss write bytes \
                 as UTF-8 text in JSON, so use msgpack or BytesStyle::Base64Url",
                e.valid_up_to()
            )))
        }),
        BytesStyle::Base64Url => Ok(url_safe::encode(bytes).into()),
    }
}

/// Deserializes bytes from msgpack bin, a JSON string or a list of integers.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    if d.is_human_readable() {
        d.deserialize_any(BytesVisitor)
    } else {
        d.deserialize_byte_buf(BytesVisitor)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes or a string")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        let style = context::with_decode(|f| f.map(|f| f.bytes).unwrap_or_default());
        match style {
            BytesStyle::Utf8 => Ok(v.as_bytes().to_vec()),
            BytesStyle::Base64Url => {
                url_safe::decode(v).map_err(|e| context::to_serde(e, E::custom))
            }
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// The same for `Option<Vec<u8>>` fields (`#[serde(with = "arraymodel::bytes::option")]`).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `None` as null/nil, `Some` like [`super::serialize`].
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&Wrap(b)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes null/nil as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Ok(Option::<Owned>::deserialize(d)?.map(|o| o.0))
    }

    struct Wrap<'a>(&'a [u8]);
    impl serde::Serialize for Wrap<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(self.0, s)
        }
    }
    struct Owned(Vec<u8>);
    impl<'de> Deserialize<'de> for Owned {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Owned, D::Error> {
            super::deserialize(d).map(Owned)
        }
    }
}
