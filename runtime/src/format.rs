//! The top-level calls: any serde value (a derived model, a struct with [`Array`]
//! fields, a bare array) to and from JSON and msgpack, with options per call.
//!
//! [`Array`]: crate::Array

use serde::{Deserialize, Serialize};

use crate::context;
use crate::error::{Error, ErrorKind, Path, Result};
use crate::long_strings::{Elided, Restore};
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

/// The one JSON encoder behind the three calls: serializes into the frame's buffer
/// `out` (appending) and, with a sink, hands the buffer over whenever it holds a
/// chunk. Returns the buffer with what the sink did not take, and the binref writer
/// unfinished: the caller finishes it once the output is complete (dropping it removes
/// the files it started).
fn encode_json<T: Serialize + ?Sized>(
    value: &T,
    opts: &EncodeOptions,
    out: Vec<u8>,
    sink: Option<Sink<'_>>,
) -> (Result<Option<crate::codec::binref::BinrefWriter>>, Vec<u8>) {
    context::clear_error();
    let mut io_error = None;
    let (r, binref, out) = context::encode_scope(opts, Some(out), || {
        let mut ser = serde_json::Serializer::new(DirectWriter {
            sink,
            io_error: &mut io_error,
        });
        serde_path_to_error::serialize(value, &mut ser)
    });
    let r = match (r, io_error) {
        (Err(_), Some(io)) => Err(Error::new(ErrorKind::Io(io))),
        (Err(e), None) => {
            let path = e.path().clone();
            Err(from_serde(&path, e.into_inner().to_string(), None))
        }
        (Ok(()), _) => Ok(()),
    };
    (r.map(|()| binref), out)
}

/// serde_json's writer inside [`to_json_vec`] and friends: appends to the call's output
/// buffer, where arrays write their text directly (so a large array is written once,
/// into its final place, and never copied or built as a `serde_json::Value`), and hands
/// full chunks to the sink. Arrays recognise this serializer by this type's name in
/// theirs (`serde_impl::DIRECT_WRITER`).
pub(crate) struct DirectWriter<'s, 'e> {
    sink: Option<Sink<'s>>,
    io_error: &'e mut Option<std::io::Error>,
}

impl DirectWriter<'_, '_> {
    #[inline]
    fn append(&mut self, b: &[u8]) -> std::io::Result<()> {
        context::direct_write(b);
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        let r = context::drain_output(STREAM_CHUNK, |buf| sink(buf));
        keep_io_error(self.io_error, r)
    }
}

impl std::io::Write for DirectWriter<'_, '_> {
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
    context::clear_error();
    context::decode_scope(opts, || {
        // Long strings (base64 buffers) are found with memchr rather than by
        // serde_json, which parses a copy without them (see `long_strings`); base64
        // decoding them proves them UTF-8, so they are not validated separately. If
        // that fails, or a cut string turns out not to be UTF-8 or to hold a control
        // character, the original is checked and parsed as it is, so errors are
        // exactly serde_json's.
        if let Some(map) = Elided::new(bytes) {
            let short = map.recording(|| {
                parse_json(map.short(), |de| {
                    serde_path_to_error::deserialize(Restore::over(de, &map))
                })
                .ok()
                .filter(|_| map.checked())
            });
            if let Some(value) = short {
                return Ok(value);
            }
            context::clear_error();
        }
        parse_whole(bytes)
    })?
}

/// [`from_json_slice`] without the long-string path: the input checked as UTF-8 and
/// parsed by serde_json as it is. For the fuzz harnesses, which compare the two.
pub fn from_json_slice_uncut<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    opts: &DecodeOptions,
) -> Result<T> {
    context::clear_error();
    context::decode_scope(opts, || parse_whole(bytes))?
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
    context::clear_error();
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
    context::clear_error();
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

fn msgpack_ser_err(e: serde_path_to_error::Error<rmp_serde::encode::Error>) -> Error {
    let path = e.path().clone();
    from_serde(&path, e.into_inner().to_string(), None)
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
