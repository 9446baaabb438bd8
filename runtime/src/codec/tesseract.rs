//! tesseract's array object: `{"object_type":"array","shape","dtype","data":{...}}`.
//!
//! This module writes the whole object and turns a decoded `data` part back into an
//! array; the buffer encodings themselves live in [`json`],
//! [`base64`], [`binref`] and [`lz4`].

use std::borrow::Cow;

use crate::array::Array;
use crate::codec::{base64, binref, json, lz4};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::options::{Compression, Encoding};
use crate::shape::Limits;

/// Appends the array object to `out`, byte-identical to tesseract's output.
///
/// `binref` receives the bytes when `encoding` is [`Encoding::Binref`].
///
/// ```
/// use arraymodel::{codec::tesseract, Array, Compression, Encoding};
/// let a = Array::from_vec(vec![1.0f64, 2.0]);
/// let mut out = Vec::new();
/// tesseract::write_array(&a, Encoding::Json, Compression::None, None, &mut out).unwrap();
/// assert_eq!(std::str::from_utf8(&out).unwrap(),
///     r#"{"object_type":"array","shape":[2],"dtype":"float64","data":{"buffer":[1.0,2.0],"encoding":"json"}}"#);
/// ```
pub fn write_array(
    array: &Array,
    encoding: Encoding,
    compression: Compression,
    binref: Option<&mut binref::BinrefWriter>,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.extend_from_slice(br#"{"object_type":"array","shape":"#);
    write_shape(array.shape(), out);
    out.extend_from_slice(br#","dtype":""#);
    out.extend_from_slice(array.dtype().name().as_bytes());
    out.extend_from_slice(br#"","data":{"buffer":"#);
    let lz4 = compression == Compression::Lz4;
    match encoding {
        Encoding::Json => {
            if lz4 {
                return Err(Error::new(ErrorKind::Unrepresentable(
                    "tesseract allows no compression with the json encoding".into(),
                )));
            }
            json::write_buffer(array, out);
        }
        Encoding::Base64 => {
            out.push(b'"');
            if lz4 {
                lz4::compress_base64_into(array.as_bytes(), out)?;
            } else {
                base64::encode_into(array.as_bytes(), out);
            }
            out.push(b'"');
        }
        Encoding::Binref => {
            let writer = binref.ok_or_else(|| {
                Error::new(ErrorKind::Binref(
                    "the binref encoding needs an output folder (EncodeOptions::binref_dir)".into(),
                ))
            })?;
            let reference = if lz4 {
                writer.append_lz4(array.as_bytes())?
            } else {
                writer.append(array.as_bytes(), false)?
            };
            write_json_string(&reference, out);
        }
    }
    out.extend_from_slice(br#","encoding":""#);
    out.extend_from_slice(encoding.as_str().as_bytes());
    out.push(b'"');
    if lz4 {
        out.extend_from_slice(br#","compression":"lz4""#);
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// Writes `[d0,d1,...]`.
pub(crate) fn write_shape(shape: &[usize], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, d) in shape.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(itoa::Buffer::new().format(*d).as_bytes());
    }
    out.push(b']');
}

/// Writes a JSON string with serde_json's escaping (the same as orjson's).
pub(crate) fn write_json_string(s: &str, out: &mut Vec<u8>) {
    // serde_json never fails writing a str into a Vec.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// The `buffer` of a tesseract `data` object, as found in the payload.
#[derive(Debug)]
pub enum Buffer<'a> {
    /// The raw JSON text of the value (a list, a scalar or a quoted string). Bytes,
    /// not `str`: from [`from_json_slice`](crate::from_json_slice), a long string in
    /// it is checked as UTF-8 only if it does not decode as base64.
    RawJson(Cow<'a, [u8]>),
    /// A string value (base64 or binref) from a deserializer without raw access.
    Text(Cow<'a, str>),
    /// Nested lists or a scalar (`json`) from a deserializer without raw access.
    List(super::list::NestedList),
}

impl Buffer<'_> {
    /// The text between the quotes of a raw JSON string buffer, escapes and all.
    fn raw_inner(&self) -> Option<&[u8]> {
        match self {
            Buffer::RawJson(raw) => raw.trim_ascii().strip_prefix(b"\"")?.strip_suffix(b"\""),
            _ => None,
        }
    }

    /// The text of a string buffer (base64 or binref), unescaped if needed.
    fn string(&self) -> Result<Cow<'_, str>> {
        let not_string = || Error::invalid("buffer must be a string for this encoding");
        match self {
            Buffer::RawJson(raw) => {
                let t = raw.trim_ascii();
                let inner = t
                    .strip_prefix(b"\"")
                    .and_then(|r| r.strip_suffix(b"\""))
                    .ok_or_else(not_string)?;
                if memchr::memchr(b'\\', inner).is_some() {
                    serde_json::from_slice::<String>(t)
                        .map(Cow::Owned)
                        .map_err(|e| Error::invalid(e.to_string()))
                } else {
                    std::str::from_utf8(inner)
                        .map(Cow::Borrowed)
                        .map_err(|_| Error::invalid("buffer is not UTF-8"))
                }
            }
            Buffer::Text(s) => Ok(Cow::Borrowed(s)),
            Buffer::List(_) => Err(not_string()),
        }
    }
}

/// Where binref buffers are read from during a decode.
pub type BinrefSource<'r> = Option<&'r binref::BinrefReader>;

/// Builds the array of a tesseract object from its decoded parts. Errors carry the
/// path inside the object (`data.buffer`, `data.encoding`).
#[cfg(feature = "internals")] // the benchmarks and fuzz targets
pub fn decode_data(
    buffer: Buffer<'_>,
    encoding: &str,
    compression: Option<&str>,
    dtype: DType,
    shape: Vec<usize>,
    binref: BinrefSource<'_>,
    limits: &Limits,
) -> Result<Array> {
    decode_data_checked(buffer, encoding, compression, dtype, shape, binref, limits).map(|d| d.0)
}

/// The address range of raw buffer text that decoded as base64 (every byte of it is in
/// the base64 alphabet): the JSON input layer (`long_strings`) need not check it again.
pub(crate) type CheckedText = Option<std::ops::Range<usize>>;

/// [`decode_data`], also returning the raw text it proved to be base64. The codec only
/// reports it; what the caller does with it is the caller's business.
pub(crate) fn decode_data_checked(
    buffer: Buffer<'_>,
    encoding: &str,
    compression: Option<&str>,
    dtype: DType,
    shape: Vec<usize>,
    binref: BinrefSource<'_>,
    limits: &Limits,
) -> Result<(Array, CheckedText)> {
    let (encoding, compression) = crate::wire::tesseract_encoding(encoding, compression)?;
    let lz4 = compression == Compression::Lz4;
    let at_buffer = |e: Error| e.at_field("buffer").at_field("data");
    match encoding {
        Encoding::Json => match buffer {
            Buffer::RawJson(raw) => json::parse_buffer(&raw, dtype, shape, limits),
            Buffer::List(list) => list.into_array_as(dtype, &shape),
            Buffer::Text(_) => Err(Error::invalid(
                "a json buffer must be nested lists or a number, not a string",
            )),
        }
        .map(|a| (a, None))
        .map_err(at_buffer),
        Encoding::Base64 => {
            let decode = |text: &[u8]| -> Result<Array> {
                if !lz4 {
                    return base64::decode_array(text, dtype, shape.clone(), limits);
                }
                // The frame is decoded from the text block by block, never whole; it is
                // checked against the shape before anything is allocated for the shape.
                let frame = lz4::Base64Frame::new(text)?;
                let nbytes = crate::shape::checked_nbytes(&shape, dtype, limits)?;
                lz4::check_source(&frame, nbytes)?;
                // A frame read to its end has had every character of `text` decoded.
                Array::try_fill(dtype, shape.clone(), limits, |dst| {
                    lz4::decompress_source(&frame, dst)
                })
            };
            // Decode the raw text first: base64 has no `\`, so a JSON escape makes that
            // fail, and only then is the string unescaped (saves a pass over the text).
            let unescaped = || decode(buffer.string()?.as_bytes()).map(|a| (a, None));
            match buffer.raw_inner() {
                Some(inner) => match decode(inner) {
                    Ok(a) => {
                        let start = inner.as_ptr() as usize;
                        Ok((a, Some(start..start + inner.len())))
                    }
                    Err(_) if memchr::memchr(b'\\', inner).is_some() => unescaped(),
                    Err(e) => Err(e),
                },
                None => unescaped(),
            }
            .map_err(at_buffer)
        }
        Encoding::Binref => {
            let text = buffer.string().map_err(at_buffer)?;
            let reader = binref.ok_or_else(|| {
                at_buffer(Error::new(ErrorKind::Binref(
                    "binref input needs a base folder (DecodeOptions::binref_dir)".into(),
                )))
            })?;
            reader
                .read(&text, dtype, shape, lz4, limits)
                .map(|a| (a, None))
                .map_err(at_buffer)
        }
    }
}
