//! Standard base64 (RFC 4648, `+/`, `=` padding, no whitespace), SIMD-accelerated.
//!
//! tesseract (`pybase64.b64decode(validate=True)`) and truss `data_b64` both use this
//! alphabet. Decoding is strict: wrong characters, missing padding, URL-safe
//! characters and embedded whitespace are errors, as in tesseract.

use base64_simd::STANDARD;

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
    // simdutf (default feature) encodes 1.6-2.2x faster than base64-simd here; both
    // write the same text (compared in the tests below).
    #[cfg(all(feature = "simdutf", not(miri)))]
    crate::ffi::simdutf_base64_append(bytes, out);
    #[cfg(any(not(feature = "simdutf"), miri))]
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
    if decode_exact(text, dst) {
        Ok(())
    } else {
        Err(describe(text))
    }
}

/// Decodes `text` (already checked to decode to `dst.len()` bytes by its length and
/// padding) into `dst`; true when every byte of `dst` was written from valid strict
/// base64. With the `simdutf` feature (default) simdutf decodes (see
/// [`crate::ffi::simdutf_base64_exact`]); without it, or under Miri, base64-simd, which
/// accepts exactly the same text (the tests below compare the two).
fn decode_exact(text: &[u8], dst: &mut [u8]) -> bool {
    #[cfg(all(feature = "simdutf", not(miri)))]
    return crate::ffi::simdutf_base64_exact(text, dst);
    #[cfg(any(not(feature = "simdutf"), miri))]
    return STANDARD
        .decode(text, base64_simd::Out::from_slice(dst))
        .is_ok();
}

/// Decodes `text` into a new vector.
#[cfg(any(test, feature = "internals"))] // the benchmarks, fuzz targets and unit tests
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
    // simdutf writes into storage that is not zero-filled first; base64-simd into a
    // zeroed buffer.
    #[cfg(all(feature = "simdutf", not(miri)))]
    let array = Array::try_fresh(dtype, shape, limits, Fresh(text))?;
    #[cfg(any(not(feature = "simdutf"), miri))]
    let array = Array::try_fill(dtype, shape, limits, |dst| decode_into(text, dst))?;
    Ok(array)
}

/// Base64 text (checked to decode to the array's size) decoded by simdutf into new
/// storage.
#[cfg(all(feature = "simdutf", not(miri)))]
struct Fresh<'t>(&'t [u8]);

#[cfg(all(feature = "simdutf", not(miri)))]
impl crate::array::FreshFill for Fresh<'_> {
    fn fresh<T: bytemuck::Pod>(self, n: usize) -> Result<Vec<T>> {
        crate::ffi::simdutf_base64_new(self.0, n).ok_or_else(|| describe(self.0))
    }
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
        None if !text.len().is_multiple_of(4) => {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// The reference: base64-simd's strict decoder (what arraymodel used before
    /// simdutf, and what the fallback still uses).
    fn reference(text: &[u8]) -> Option<Vec<u8>> {
        base64_simd::STANDARD.decode_to_vec(text).ok()
    }

    fn ours(text: &[u8]) -> Option<Vec<u8>> {
        super::decode_to_vec(text).ok()
    }

    #[test]
    fn accepts_and_refuses_what_the_reference_does() {
        for t in [
            "",
            "AQ==",
            "AR==",
            "AQI=",
            "AQJ=",
            "AQAB",
            "AQ B",
            "AQ==AQ==",
            "AQ=A",
            "A===",
            "AQ-B",
            "AQ_B",
            "AQ\nAB==",
            " AQAB",
            "AQAB ",
            "AQAB    ",
            "    AQAB",
            "AQ",
            "AQI",
            "====",
            "AQ\tA",
            "AQAB\r\n",
            "AQ=\u{0}",
            "\u{80}AAA",
        ] {
            assert_eq!(ours(t.as_bytes()), reference(t.as_bytes()), "{t:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Valid base64 of random bytes, then one to three random edits drawn from the
        /// characters decoders disagree on (whitespace, padding, URL-safe, NUL).
        #[test]
        fn same_verdict_as_the_reference_on_edited_text(
            raw in proptest::collection::vec(any::<u8>(), 0..200),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
                vec![b' ', b'\n', b'\t', b'\r', b'=', b'-', b'_', b'+', b'/', b'A', 0u8, 0x0c]), 0..3usize), 0..4),
        ) {
            let mut text = base64_simd::STANDARD.encode_to_string(&raw).into_bytes();
            for (at, c, how) in edits {
                let i = if text.is_empty() { 0 } else { at.index(text.len() + 1) };
                match how {
                    0 => text.insert(i, c),
                    1 if i < text.len() => text[i] = c,
                    _ if i < text.len() => { text.remove(i); }
                    _ => text.push(c),
                }
            }
            prop_assert_eq!(ours(&text), reference(&text));
        }

        /// The encoder writes base64-simd's text, appended after what `out` held.
        #[test]
        fn encodes_as_the_reference(
            raw in proptest::collection::vec(any::<u8>(), 0..5000),
            prefix in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut out = prefix.clone();
            super::encode_into(&raw, &mut out);
            let mut want = prefix;
            want.extend_from_slice(base64_simd::STANDARD.encode_to_string(&raw).as_bytes());
            prop_assert_eq!(out, want);
        }

        /// Long inputs take simdutf's vector paths; each must still decode exactly.
        #[test]
        fn long_text_round_trips(raw in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let text = base64_simd::STANDARD.encode_to_string(&raw);
            prop_assert_eq!(ours(text.as_bytes()), Some(raw));
        }
    }

    #[test]
    fn long_text_with_one_bad_byte_anywhere_is_refused() {
        let raw: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let good = base64_simd::STANDARD.encode_to_string(&raw).into_bytes();
        for i in (0..good.len()).step_by(37) {
            for c in [b' ', b'-', b'=', b'\n', 0xff] {
                let mut t = good.clone();
                t[i] = c;
                assert_eq!(ours(&t), None, "byte {c} at {i}");
                assert_eq!(reference(&t), None, "reference, byte {c} at {i}");
            }
        }
    }
}
