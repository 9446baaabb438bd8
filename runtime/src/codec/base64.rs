//! Standard base64 (RFC 4648, `+/`, `=` padding, no whitespace), SIMD-accelerated.
//!
//! tesseract (`pybase64.b64decode(validate=True)`) and truss `data_b64` both use this
//! alphabet. Decoding is strict: wrong characters, missing padding, URL-safe
//! characters and embedded whitespace are errors, as in tesseract.

use base64_simd::{Out, STANDARD};

use crate::array::Array;
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::shape::Limits;

/// Length of the base64 text for `n` raw bytes.
pub fn encoded_len(n: usize) -> usize {
    STANDARD.encoded_length(n)
}

/// Appends the base64 text of `bytes` to `out`, writing into exactly reserved space.
///
/// ```
/// let mut out = b"x=".to_vec();
/// arraymodel::codec::base64::encode_into(&[1, 0, 1], &mut out);
/// assert_eq!(out, b"x=AQAB");
/// ```
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    // Reserve the exact length (plus room for the closing JSON) so a large array grows
    // the output once, and append without zero-filling first.
    out.reserve(encoded_len(bytes.len()) + 64);
    STANDARD.encode_append(bytes, out);
}

/// The number of raw bytes `text` decodes to, after checking its length and padding.
pub fn decoded_len(text: &[u8]) -> Result<usize> {
    STANDARD.decoded_length(text).map_err(|_| describe(text))
}

/// Decodes `text` into `dst`, which must be exactly [`decoded_len`] bytes long.
///
/// ```
/// let mut dst = [0u8; 3];
/// arraymodel::codec::base64::decode_into(b"AQAB", &mut dst).unwrap();
/// assert_eq!(dst, [1, 0, 1]);
/// assert!(arraymodel::codec::base64::decode_into(b"AQA", &mut dst).is_err());
/// assert!(arraymodel::codec::base64::decode_into(b"AQ-B", &mut dst).is_err());
/// ```
pub fn decode_into(text: &[u8], dst: &mut [u8]) -> Result<()> {
    let n = decoded_len(text)?;
    if n != dst.len() {
        return Err(Error::new(ErrorKind::Base64(format!(
            "decodes to {n} bytes, expected {}",
            dst.len()
        ))));
    }
    STANDARD
        .decode(text, Out::from_slice(dst))
        .map(|_| ())
        .map_err(|_| describe(text))
}

/// Decodes `text` into a new vector.
pub fn decode_to_vec(text: &[u8]) -> Result<Vec<u8>> {
    let mut v = vec![0; decoded_len(text)?];
    decode_into(text, &mut v)?;
    Ok(v)
}

/// Decodes base64 `text` straight into a new array of `dtype` and `shape`, checking
/// that it holds exactly the shape's bytes before allocating.
pub(crate) fn decode_array(
    text: &[u8],
    dtype: DType,
    shape: Vec<usize>,
    limits: &Limits,
) -> Result<Array> {
    let found = decoded_len(text)?;
    let expected = crate::shape::checked_nbytes(&shape, dtype, limits)?;
    if found != expected {
        // Text that is not base64 at all is reported as such, not as a size mismatch
        // (`"!!!not base64!!!"` has a valid length; checked only on this error path).
        STANDARD.check(text).map_err(|_| describe(text))?;
        return Err(Error::new(ErrorKind::SizeMismatch {
            expected,
            found,
            shape,
            dtype,
        }));
    }
    Array::try_fill(dtype, shape, limits, |dst| decode_into(text, dst))
}

/// Builds a precise message for invalid base64 (only on the error path).
pub(crate) fn describe(text: &[u8]) -> Error {
    let bad = text
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'='));
    let msg = match bad {
        Some(i) => format!(
            "character {:?} at offset {i} is not in the standard base64 alphabet",
            char::from(text[i])
        ),
        None if text.len() % 4 != 0 => {
            format!(
                "length {} is not a multiple of 4 (missing '=' padding?)",
                text.len()
            )
        }
        None => "misplaced '=' padding".to_owned(),
    };
    Error::new(ErrorKind::Base64(msg))
}

/// URL-safe base64 with padding, as pydantic writes `bytes` with `ser_json_bytes="base64"`.
pub mod url_safe {
    use base64_simd::URL_SAFE;

    use crate::error::{Error, ErrorKind, Result};

    /// Encodes to URL-safe base64 with padding.
    pub fn encode(bytes: &[u8]) -> String {
        URL_SAFE.encode_to_string(bytes)
    }

    /// Decodes URL-safe or standard base64 with padding (pydantic accepts both).
    pub fn decode(text: &str) -> Result<Vec<u8>> {
        let normalized: Vec<u8> = text
            .bytes()
            .map(|c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        URL_SAFE
            .decode_to_vec(&normalized)
            .map_err(|_| Error::new(ErrorKind::Base64("invalid base64 bytes value".into())))
    }
}
