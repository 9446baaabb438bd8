//! The top-level calls: any serde value (a derived model, a struct with [`Array`]
//! fields, a bare array) to and from JSON and msgpack, with options per call.
//!
//! [`Array`]: crate::Array

use serde::{Deserialize, Serialize};

use crate::context;
use crate::error::{Error, ErrorKind, Path, Result};
use crate::options::{DecodeOptions, EncodeOptions};

/// Maximum nesting accepted by the msgpack decoder (serde_json's own limit is 128).
const MSGPACK_MAX_DEPTH: usize = 256;

fn convert_path(p: &serde_path_to_error::Path) -> Path {
    let mut out = Path::root();
    let mut hint = context::take_key_hint();
    let last_unknown = p
        .iter()
        .rposition(|s| matches!(s, serde_path_to_error::Segment::Unknown));
    for (i, seg) in p.iter().enumerate() {
        if Some(i) == last_unknown {
            if let Some(name) = hint.take() {
                out.push_field(name);
                continue;
            }
        }
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.push_index(*index),
            serde_path_to_error::Segment::Map { key } => out.push_field(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => out.push_field(variant.clone()),
            serde_path_to_error::Segment::Unknown => out.push_field("?"),
        }
    }
    out
}

/// Rebuilds our error from a serde error and the path where it happened.
fn from_serde(
    path: &serde_path_to_error::Path,
    message: String,
    syntax: Option<&'static str>,
) -> Error {
    let path = convert_path(path);
    if let Some(ours) = context::take_error(&message) {
        return ours.at_path(&path);
    }
    let kind = match syntax {
        Some(format) => ErrorKind::Syntax { format, message },
        None => ErrorKind::Custom(message),
    };
    Error::new(kind).at_path(&path)
}

/// Serializes `value` to JSON, writing arrays in the form `opts` chooses and binref
/// files into its folder.
///
/// ```
/// use arraymodel::{to_json_vec, Array, EncodeOptions, Encoding};
/// #[derive(serde::Serialize)]
/// struct Out { result: Array, norm: Array }
/// let out = Out { result: Array::from_vec(vec![2.5f64, 2.75, 6.0]), norm: Array::scalar(7.057797106746552f64) };
/// let json = to_json_vec(&out, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
/// assert_eq!(std::str::from_utf8(&json).unwrap(), concat!(
///     r#"{"result":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[2.5,2.75,6.0],"encoding":"json"}},"#,
///     r#""norm":{"object_type":"array","shape":[],"dtype":"float64","data":{"buffer":7.057797106746552,"encoding":"json"}}}"#));
/// ```
pub fn to_json_vec<T: Serialize + ?Sized>(value: &T, opts: &EncodeOptions) -> Result<Vec<u8>> {
    context::clear_error();
    let (r, binref, out) = context::encode_scope(opts, true, || {
        let mut ser = serde_json::Serializer::new(DirectWriter);
        serde_path_to_error::serialize(value, &mut ser)
    });
    if let Err(e) = r {
        // Dropping the unfinished binref writer removes the files it started.
        drop(binref);
        let path = e.path().clone();
        return Err(from_serde(&path, e.into_inner().to_string(), None));
    }
    if let Some(w) = binref {
        w.finish()?;
    }
    Ok(out)
}

/// serde_json's writer inside [`to_json_vec`]: appends to the call's output buffer, where
/// arrays write their text directly (so a large array is written once, into its final
/// place, and never copied or built as a `serde_json::Value`). Arrays recognise this
/// serializer by this type's name in theirs (`serde_impl::DIRECT_WRITER`).
pub(crate) struct DirectWriter;

impl std::io::Write for DirectWriter {
    #[inline]
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        context::direct_write(b);
        Ok(b.len())
    }
    #[inline]
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        context::direct_write(b);
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deserializes `T` from JSON. Arrays in any form are accepted; binref buffers are
/// read from (and confined to) `opts`' folder. Errors name the path in the payload.
///
/// ```
/// use arraymodel::{from_json_slice, Array, DecodeOptions};
/// let a: Array = from_json_slice(br#"{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}"#,
///     &DecodeOptions::default()).unwrap();
/// assert_eq!(a.as_slice::<u8>().unwrap(), &[1, 2]);
/// #[derive(serde::Deserialize, Debug)]
/// struct In { a: Array }
/// let e = from_json_slice::<In>(br#"{"a":{"shape":[1],"dtype":"float64","data":{"buffer":"AA==","encoding":"base64"}}}"#,
///     &DecodeOptions::default()).unwrap_err();
/// assert_eq!(e.path().to_string(), "a.data.buffer");
/// ```
pub fn from_json_slice<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<T> {
    context::clear_error();
    context::decode_scope(opts, || {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().clone();
            let inner = e.into_inner();
            let syntax = matches!(
                inner.classify(),
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
            )
            .then_some("JSON");
            from_serde(&path, inner.to_string(), syntax)
        })?;
        de.end().map_err(|e| {
            Error::new(ErrorKind::Syntax {
                format: "JSON",
                message: e.to_string(),
            })
        })?;
        Ok(value)
    })?
}

/// Serializes `value` to msgpack as truss's binary mode does: structs as maps with
/// str keys, arrays as msgpack-numpy maps, bytes as `bin`.
///
/// ```
/// use arraymodel::{to_msgpack_vec, Array};
/// let b = to_msgpack_vec(&Array::from_vec(vec![1.0f32, 2.0, 3.0])).unwrap();
/// assert_eq!(&b[..33], b"\x85\xc4\x02nd\xc3\xc4\x04type\xa3<f4\xc4\x04kind\xc4\x00\xc4\x05shape\x91\x03");
/// ```
pub fn to_msgpack_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    context::clear_error();
    let ser_err = |e: serde_path_to_error::Error<rmp_serde::encode::Error>| {
        let path = e.path().clone();
        from_serde(&path, e.into_inner().to_string(), None)
    };
    // A first pass only counts bytes (array data is not copied), so the output is
    // allocated once at its exact size: no growth copies, no slack pages.
    let mut counter = ByteCounter(0);
    serde_path_to_error::serialize(
        value,
        &mut rmp_serde::Serializer::new(&mut counter).with_struct_map(),
    )
    .map_err(ser_err)?;
    let mut out = Vec::with_capacity(counter.0);
    serde_path_to_error::serialize(
        value,
        &mut rmp_serde::Serializer::new(&mut out).with_struct_map(),
    )
    .map_err(ser_err)?;
    Ok(out)
}

/// A writer that only counts.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    #[inline]
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deserializes `T` from msgpack (truss binary mode, msgpack-numpy). Borrowed
/// [`ArrayView`](crate::ArrayView)s point into `bytes`.
pub fn from_msgpack_slice<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<T> {
    context::clear_error();
    context::decode_scope(opts, || {
        let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
        de.set_max_depth(MSGPACK_MAX_DEPTH);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().clone();
            let inner = e.into_inner();
            let syntax = match &inner {
                rmp_serde::decode::Error::Syntax(_)
                | rmp_serde::decode::Error::Uncategorized(_) => None,
                _ => Some("msgpack"),
            };
            from_serde(&path, inner.to_string(), syntax)
        })?;
        if msgpack_value_len(bytes) != Some(bytes.len()) {
            return Err(Error::new(ErrorKind::Syntax {
                format: "msgpack",
                message: "trailing bytes after the value".into(),
            }));
        }
        Ok(value)
    })?
}

/// The length of the first msgpack value in `b`, or `None` if it is truncated or
/// invalid. Iterative: each step consumes at least one byte, so hostile length
/// claims cost nothing.
fn msgpack_value_len(b: &[u8]) -> Option<usize> {
    fn be(b: &[u8], pos: usize, n: usize) -> Option<usize> {
        let s = b.get(pos..pos.checked_add(n)?)?;
        Some(s.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
    }
    let mut pos = 0usize;
    let mut pending = 1usize;
    while pending > 0 {
        pending -= 1;
        let m = *b.get(pos)?;
        pos += 1;
        let (skip, more) = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * usize::from(m & 0x0f)),
            0x90..=0x9f => (0, usize::from(m & 0x0f)),
            0xa0..=0xbf => (usize::from(m & 0x1f), 0),
            0xc4 | 0xd9 => (1 + be(b, pos, 1)?, 0),
            0xc5 | 0xda => (2 + be(b, pos, 2)?, 0),
            0xc6 | 0xdb => (4 + be(b, pos, 4)?, 0),
            0xc7 => (2 + be(b, pos, 1)?, 0),
            0xc8 => (3 + be(b, pos, 2)?, 0),
            0xc9 => (5 + be(b, pos, 4)?, 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xca | 0xce | 0xd2 => (4, 0),
            0xcb | 0xcf | 0xd3 => (8, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xdc => (2, be(b, pos, 2)?),
            0xdd => (4, be(b, pos, 4)?),
            0xde => (2, 2 * be(b, pos, 2)?),
            0xdf => (4, 2 * be(b, pos, 4)?),
            0xc1 => return None,
        };
        pos = pos.checked_add(skip)?;
        if pos > b.len() {
            return None;
        }
        pending = pending.checked_add(more)?;
    }
    Some(pos)
}
