//! The top-level calls: any serde value (a derived model, a struct with [`Array`]
//! fields, a bare array) to and from JSON and msgpack, with options per call.
//!
//! [`Array`]: crate::Array

use std::cell::RefCell;

use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};

use crate::context::{self, EncodeState};
use crate::document::Forms;
use crate::error::{Error, ErrorKind, Path, Result};
use crate::long_strings::{Elided, Restore};
use crate::options::{DecodeOptions, EncodeOptions};

/// Maximum nesting accepted by the msgpack decoder (serde_json's own limit is 128).
const MSGPACK_MAX_DEPTH: usize = 256;

/// Our path from serde_path_to_error's; `hint` names the last unnamed segment (a bin
/// key, see `context::note_key`).
fn convert_path(p: &serde_path_to_error::Path, mut hint: Option<String>) -> Path {
    let mut out = Path::root();
    let last_unknown = p
        .iter()
        .rposition(|s| matches!(s, serde_path_to_error::Segment::Unknown));
    for (i, seg) in p.iter().enumerate() {
        if Some(i) == last_unknown
            && let Some(name) = hint.take()
        {
            out.push_field(name);
            continue;
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

/// Rebuilds our error from a serde error raised while decoding and the path where it
/// happened: the structured error the decode frame kept, if it is this one.
fn from_serde(
    path: &serde_path_to_error::Path,
    message: String,
    syntax: Option<&'static str>,
) -> Error {
    let path = convert_path(path, context::take_key_hint());
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
    let mut out = Vec::new();
    to_json_into(value, opts, &mut out)?;
    Ok(out)
}

/// Like [`to_json_vec`], appending to `out`: a service that keeps its response buffer
/// across requests reuses its memory (no fresh pages to fault in for every large
/// response). On error `out` is left as it was.
///
/// ```
/// use arraymodel::{to_json_into, Array, EncodeOptions};
/// let mut buf = Vec::new();
/// for n in [3usize, 2] {
///     buf.clear();
///     to_json_into(&Array::zeros(arraymodel::DType::UInt8, vec![n]).unwrap(),
///         &EncodeOptions::truss(), &mut buf).unwrap();
/// }
/// assert_eq!(buf, br#"{"data_b64":"AAA=","shape":[2],"dtype":"uint8"}"#);
/// ```
pub fn to_json_into<T: Serialize + ?Sized>(
    value: &T,
    opts: &EncodeOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    let (r, buf) = encode_json(value, opts, std::mem::take(out), None);
    *out = buf;
    let r = r.and_then(finish_binref);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Serializes `value` to JSON into `writer`, streaming: the text goes out in pieces of
/// about 1 MiB, so memory holds at most the largest single array's text (an array is
/// written in one piece) rather than the whole document. No `BufWriter` is needed, the
/// pieces are large. On error the writer may have received part of the document (binref
/// files of a failed call are removed); a failing writer gives [`ErrorKind::Io`].
///
/// ```
/// use arraymodel::{to_json_writer, Array, EncodeOptions};
/// let mut sink = Vec::new();
/// to_json_writer(&Array::from_vec(vec![1u8, 2]), &EncodeOptions::truss(), &mut sink).unwrap();
/// assert_eq!(sink, br#"{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}"#);
/// ```
pub fn to_json_writer<T: Serialize + ?Sized, W: std::io::Write>(
    value: &T,
    opts: &EncodeOptions,
    mut writer: W,
) -> Result<()> {
    let mut sink = |b: &[u8]| writer.write_all(b);
    let (r, rest) = encode_json(
        value,
        opts,
        Vec::with_capacity(STREAM_CHUNK),
        Some(&mut sink),
    );
    // The binref files are renamed into place only once the writer has taken the
    // whole document: a writer failing on its last piece leaves none behind.
    let binref = r?;
    writer.write_all(&rest)?;
    writer.flush()?;
    finish_binref(binref)
}

/// Renames the binref files of a successful call into place.
fn finish_binref(w: Option<crate::codec::binref::BinrefWriter>) -> Result<()> {
    w.map_or(Ok(()), |w| w.finish().map(drop))
}

/// How much output [`to_json_writer`] gathers before handing it to its writer.
const STREAM_CHUNK: usize = 1 << 20;

/// A writer's end of [`to_json_writer`].
type Sink<'a> = &'a mut dyn FnMut(&[u8]) -> std::io::Result<()>;

/// The one JSON encoder behind the three calls: serializes into `out` (appending)
/// through the wrapping serializer, which owns the call's state, and, with a sink,
/// hands the buffer over whenever it holds a chunk. Returns the buffer with what the
/// sink did not take, and the binref writer unfinished: the caller finishes it once the
/// output is complete (dropping it removes the files it started).
fn encode_json<T: Serialize + ?Sized>(
    value: &T,
    opts: &EncodeOptions,
    out: Vec<u8>,
    sink: Option<Sink<'_>>,
) -> (Result<Option<crate::codec::binref::BinrefWriter>>, Vec<u8>) {
    let _call = context::WrappedCall::enter();
    let state = RefCell::new(EncodeState::new(opts, Some(out)));
    let mut io_error = None;
    let r = {
        let mut ser = serde_json::Serializer::new(SharedOut {
            state: &state,
            sink,
            io_error: &mut io_error,
        });
        serde_path_to_error::serialize(value, Wrap::new(&mut ser, &state))
    };
    let EncodeState {
        binref, out, error, ..
    } = state.into_inner();
    let out = out.unwrap_or_default();
    let r = match (r, io_error, error) {
        (Err(_), Some(io), _) => Err(Error::new(ErrorKind::Io(io))),
        (Err(e), None, ours) => {
            let path = convert_path(e.path(), None);
            Err(match ours {
                Some(ours) => ours.at_path(&path),
                None => Error::new(ErrorKind::Custom(e.into_inner().to_string())).at_path(&path),
            })
        }
        // A value under the array token that was no array (see `context::hand_over`).
        (Ok(()), _, Some(e)) => Err(e),
        (Ok(()), _, None) => Ok(()),
    };
    (r.map(|()| binref), out)
}

/// serde_json's writer inside [`to_json_vec`] and friends: appends to the output buffer
/// the call's state owns, where arrays write their text directly (so a large array is
/// written once, into its final place, and never copied or built as a
/// `serde_json::Value`), and hands full chunks to the sink.
struct SharedOut<'c, 's, 'e> {
    state: &'c RefCell<EncodeState>,
    sink: Option<Sink<'s>>,
    io_error: &'e mut Option<std::io::Error>,
}

impl SharedOut<'_, '_, '_> {
    #[inline]
    fn append(&mut self, b: &[u8]) -> std::io::Result<()> {
        let mut state = self.state.borrow_mut();
        let Some(out) = state.out.as_mut() else {
            // Only while an array holds the buffer, which serde_json then writes
            // nothing for (its raw value is empty).
            if b.is_empty() {
                return Ok(());
            }
            let e = std::io::Error::other("serde_json wrote while an array held the output");
            return keep_io_error(self.io_error, Err(e));
        };
        out.extend_from_slice(b);
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if out.len() < STREAM_CHUNK {
            return Ok(());
        }
        let r = sink(out);
        if r.is_ok() {
            out.clear();
        }
        keep_io_error(self.io_error, r)
    }
}

impl std::io::Write for SharedOut<'_, '_, '_> {
    #[inline]
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.append(b)?;
        Ok(b.len())
    }
    #[inline]
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.append(b)
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
    from_json_slice_forms(bytes, opts, Forms::ALL)
}

/// [`from_json_slice`] with the array forms a [`Document`](crate::document::Document)
/// recognises.
pub(crate) fn from_json_slice_forms<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
    forms: Forms,
) -> Result<T> {
    // References into an object store are listed and fetched concurrently first.
    #[cfg(feature = "binref-store")]
    if let Some(s) = &opts.binref_store
        && matches!(s.mode, crate::binref::store::Mode::Direct)
        && let Some(fetched) = crate::binref::store::prefetch(bytes, opts, &s.base)?
    {
        let mut o = opts.clone();
        o.binref_store = Some(crate::binref::store::StoreReader {
            base: s.base.clone(),
            mode: crate::binref::store::Mode::Prefetched(fetched),
        });
        return from_json_slice_forms(bytes, &o, forms);
    }
    context::decode_scope(opts, forms, || {
        // Long strings (base64 buffers) are found with memchr rather than by
        // serde_json, which parses a copy without them (see `long_strings`); base64
        // decoding them proves them UTF-8, so they are not validated separately. If
        // that fails, or a cut string turns out not to be UTF-8 or to hold a control
        // character, the original is checked and parsed as it is, so errors are
        // exactly serde_json's.
        if let Some(map) = Elided::new(bytes) {
            let short = parse_json(map.short(), |de| {
                serde_path_to_error::deserialize(Restore::over(de, &map))
            })
            .ok()
            .filter(|_| map.checked());
            if let Some(value) = short {
                return Ok(value);
            }
            context::reset_frame();
        }
        parse_whole(bytes)
    })
}

/// [`from_json_slice`] without the long-string path: the input checked as UTF-8 and
/// parsed by serde_json as it is. For the fuzz harnesses, which compare the two.
pub fn from_json_slice_uncut<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<T> {
    context::decode_scope(opts, Forms::ALL, || parse_whole(bytes))
}

/// Checks `bytes` as UTF-8 once, with SIMD, up front, and parses it as it is: serde_json
/// then reads a `str` and skips its own (slower, per-string) validation of every
/// string and raw value.
fn parse_whole<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    let text = simdutf8::basic::from_utf8(bytes).map_err(|_| invalid_utf8(bytes))?;
    parse_json(text, |de| serde_path_to_error::deserialize(de))
}

/// Runs `deserialize` over `text` and checks that nothing but whitespace follows,
/// turning serde_json's errors into ours.
fn parse_json<'s, T>(
    text: &'s str,
    deserialize: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'s>>,
    )
        -> std::result::Result<T, serde_path_to_error::Error<serde_json::Error>>,
) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = deserialize(&mut de).map_err(|e| {
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
}

/// The syntax error for JSON input that is not UTF-8, with where it goes wrong.
fn invalid_utf8(bytes: &[u8]) -> Error {
    let e = std::str::from_utf8(bytes).err();
    let at = e.map_or(0, |e| e.valid_up_to());
    let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
    let column = 1 + at - memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    Error::new(ErrorKind::Syntax {
        format: "JSON",
        message: format!("invalid UTF-8 at byte {at} (line {line} column {column})"),
    })
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
    let mut out = Vec::new();
    to_msgpack_into(value, &mut out)?;
    Ok(out)
}

/// Like [`to_msgpack_vec`], appending to `out` (reusing its memory across calls). A
/// first pass only counts bytes (array data is not copied), so `out` grows once, to
/// the exact size. On error `out` is left as it was.
///
/// ```
/// use arraymodel::{to_msgpack_into, to_msgpack_vec, Array};
/// let a = Array::from_vec(vec![1u16, 2]);
/// let mut buf = Vec::with_capacity(64);
/// to_msgpack_into(&a, &mut buf).unwrap();
/// assert_eq!(buf, to_msgpack_vec(&a).unwrap());
/// ```
pub fn to_msgpack_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    let mut counter = ByteCounter(0);
    serde_path_to_error::serialize(
        value,
        &mut rmp_serde::Serializer::new(&mut counter).with_struct_map(),
    )
    .map_err(msgpack_ser_err)?;
    out.reserve_exact(counter.0);
    let start = out.len();
    let r = serde_path_to_error::serialize(
        value,
        &mut rmp_serde::Serializer::new(&mut *out).with_struct_map(),
    )
    .map_err(msgpack_ser_err);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Serializes `value` to msgpack into `writer`, streaming: array data goes from the
/// array to the writer without an intermediate copy. rmp-serde writes many small
/// pieces, so give it a `BufWriter` around a file or socket. On error the writer may
/// have received part of the value.
///
/// ```
/// use arraymodel::{to_msgpack_vec, to_msgpack_writer, Array};
/// let a = Array::from_vec(vec![0.5f64; 4]);
/// let mut sink = Vec::new();
/// to_msgpack_writer(&a, &mut sink).unwrap();
/// assert_eq!(sink, to_msgpack_vec(&a).unwrap());
/// ```
pub fn to_msgpack_writer<T: Serialize + ?Sized, W: std::io::Write>(
    value: &T,
    writer: W,
) -> Result<()> {
    let mut trap = IoTrap {
        inner: writer,
        error: None,
    };
    let r = serde_path_to_error::serialize(
        value,
        &mut rmp_serde::Serializer::new(&mut trap).with_struct_map(),
    );
    match (r, trap.error.take()) {
        (Err(_), Some(io)) => Err(Error::new(ErrorKind::Io(io))),
        (Err(e), None) => Err(msgpack_ser_err(e)),
        (Ok(()), _) => Ok(trap.inner.flush()?),
    }
}

/// msgpack encoding raises no structured errors of ours (arrays and bytes are written
/// as they are): the serializer's message, with the path.
fn msgpack_ser_err(e: serde_path_to_error::Error<rmp_serde::encode::Error>) -> Error {
    let path = convert_path(e.path(), None);
    Error::new(ErrorKind::Custom(e.into_inner().to_string())).at_path(&path)
}

/// A writer that keeps the first I/O error, so it can be reported as
/// [`ErrorKind::Io`] rather than as the serializer's message.
struct IoTrap<W> {
    inner: W,
    error: Option<std::io::Error>,
}

/// Keeps the first I/O error of `r` in `slot` and passes a copy on to the serializer
/// (which turns it into its own message).
fn keep_io_error<R>(
    slot: &mut Option<std::io::Error>,
    r: std::io::Result<R>,
) -> std::io::Result<R> {
    r.map_err(|e| {
        let copy = std::io::Error::new(e.kind(), e.to_string());
        slot.get_or_insert(e);
        copy
    })
}

impl<W: std::io::Write> std::io::Write for IoTrap<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        keep_io_error(&mut self.error, self.inner.write(b))
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        keep_io_error(&mut self.error, self.inner.write_all(b))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        keep_io_error(&mut self.error, self.inner.flush())
    }
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
    from_msgpack_slice_forms(bytes, opts, Forms::ALL)
}

/// [`from_msgpack_slice`] with the array forms a [`Document`](crate::document::Document)
/// recognises.
pub(crate) fn from_msgpack_slice_forms<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
    forms: Forms,
) -> Result<T> {
    // (msgpack has no binref buffers: tesseract's binref is JSON only.)
    context::decode_scope(opts, forms, || {
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
    })
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

// ---------------------------------------------------------------------------------
// The wrapping serializer
// ---------------------------------------------------------------------------------

/// A serializer that forwards every call to `inner` and wraps every nested value, so
/// that an array or bytes value anywhere inside reaches [`Wrap::serialize_newtype_struct`]
/// under its token (see [`context`]) and is handed the call's state.
pub(crate) struct Wrap<'c, S> {
    inner: S,
    state: &'c RefCell<EncodeState>,
}

impl<'c, S> Wrap<'c, S> {
    pub(crate) fn new(inner: S, state: &'c RefCell<EncodeState>) -> Self {
        Wrap { inner, state }
    }
}

/// A value to serialize through a [`Wrap`] of whatever serializer it is given.
struct Wrapped<'a, T: ?Sized> {
    value: &'a T,
    state: &'a RefCell<EncodeState>,
}

impl<T: ?Sized + Serialize> Serialize for Wrapped<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.value.serialize(Wrap::new(s, self.state))
    }
}

/// A compound of the wrapped serializer: forwards to the inner compound, wrapping values.
pub(crate) struct Compound<'c, C> {
    inner: C,
    state: &'c RefCell<EncodeState>,
}

#[inline]
fn wrap<'a, T: ?Sized>(state: &'a RefCell<EncodeState>, value: &'a T) -> Wrapped<'a, T> {
    Wrapped { value, state }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            #[inline]
            fn $method(self, $($arg: $ty),*) -> std::result::Result<S::Ok, S::Error> {
                self.inner.$method($($arg),*)
            }
        )*
    };
}

impl<'c, S: Serializer> Serializer for Wrap<'c, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'c, S::SerializeSeq>;
    type SerializeTuple = Compound<'c, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'c, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'c, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'c, S::SerializeMap>;
    type SerializeStruct = Compound<'c, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'c, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(
        self,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Wrapped {
            value,
            state: self.state,
        })
    }

    /// An array or bytes value under its token is handed the call's state; any other
    /// newtype struct is forwarded.
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        let array = name == context::ARRAY_TOKEN;
        if array || name == context::BYTES_TOKEN {
            let inner = self.inner;
            return context::hand_over(self.state, array, || value.serialize(inner));
        }
        self.inner.serialize_newtype_struct(
            name,
            &Wrapped {
                value,
                state: self.state,
            },
        )
    }

    #[inline]
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_variant(
            name,
            index,
            variant,
            &Wrapped {
                value,
                state: self.state,
            },
        )
    }

    #[inline]
    fn serialize_seq(
        self,
        len: Option<usize>,
    ) -> std::result::Result<Self::SerializeSeq, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_seq(len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> std::result::Result<Self::SerializeTuple, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple(len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> std::result::Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Self::SerializeTupleVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_map(
        self,
        len: Option<usize>,
    ) -> std::result::Result<Self::SerializeMap, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_map(len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> std::result::Result<Self::SerializeStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_struct(name, len)?,
            state: self.state,
        })
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Self::SerializeStructVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            state: self.state,
        })
    }

    #[inline]
    fn collect_str<T: ?Sized + std::fmt::Display>(
        self,
        value: &T,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<C: ser::SerializeSeq> ser::SerializeSeq for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_element(&w)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTuple> ser::SerializeTuple for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_element(&w)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleStruct> ser::SerializeTupleStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_field(&w)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleVariant> ser::SerializeTupleVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_field(&w)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, k);
        self.inner.serialize_key(&w)
    }
    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_value(&w)
    }
    #[inline]
    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        k: &K,
        v: &V,
    ) -> std::result::Result<(), C::Error> {
        let (k, v) = (wrap(self.state, k), wrap(self.state, v));
        self.inner.serialize_entry(&k, &v)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStruct> ser::SerializeStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_field(key, &w)
    }
    #[inline]
    fn skip_field(&mut self, key: &'static str) -> std::result::Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStructVariant> ser::SerializeStructVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> std::result::Result<(), C::Error> {
        let w = wrap(self.state, v);
        self.inner.serialize_field(key, &w)
    }
    #[inline]
    fn skip_field(&mut self, key: &'static str) -> std::result::Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    #[inline]
    fn end(self) -> std::result::Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
