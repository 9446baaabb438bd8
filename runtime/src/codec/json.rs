//! tesseract's `json` buffer encoding: the array as nested JSON lists (`arr.tolist()`).
//!
//! Writing matches tesseract (orjson) byte for byte:
//! - floats in the shortest round-trip form with orjson's notation (`2.0`, `1e-7`,
//!   `1e+16`), float16/float32 widened to float64 first (`0.10000000149011612`);
//! - NaN and ±Inf as `null` (orjson's behaviour; lossy, use base64 to keep them);
//! - integers exactly, the whole int64 and uint64 range;
//! - complex as strings in pydantic's form (`"1+2j"`, `"-0.5j"`);
//! - a 0-d array as a bare scalar, an empty dimension as `[]`.
//!
//! Reading takes the raw JSON text of the buffer and parses it in one pass straight
//! into the final typed allocation: exact float parsing (fast-float2), exact
//! integers with range checks, `null` as NaN in float arrays, complex strings or
//! numbers, and numpy's reshape rule (any regular nesting whose element count equals
//! the shape's, so a flat list for a 2-d shape is accepted as numpy accepts it).

use half::f16;
use num_complex::Complex;

use crate::array::{Array, ArrayData, Element};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::shape::{self, Limits};

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

/// Appends the nested-list JSON of `array` to `out`.
///
/// ```
/// use arraymodel::Array;
/// let a = Array::new(vec![2, 2], vec![1.0f64, f64::NAN, 1e-7, 0.5]).unwrap();
/// let mut out = Vec::new();
/// arraymodel::codec::json::write_buffer(&a, &mut out);
/// assert_eq!(out, b"[[1.0,null],[1e-7,0.5]]");
/// ```
pub fn write_buffer(array: &Array, out: &mut Vec<u8>) {
    // Reserve an upper bound so the output grows once (untouched capacity costs no RSS).
    out.reserve(array.len().saturating_mul(max_text_len(array.dtype()) + 1) + 2 * array.ndim());
    match array.data() {
        ArrayData::Bool(v) => write_nested(out, array.shape(), v),
        ArrayData::Int8(v) => write_nested(out, array.shape(), v),
        ArrayData::Int16(v) => write_nested(out, array.shape(), v),
        ArrayData::Int32(v) => write_nested(out, array.shape(), v),
        ArrayData::Int64(v) => write_nested(out, array.shape(), v),
        ArrayData::UInt8(v) => write_nested(out, array.shape(), v),
        ArrayData::UInt16(v) => write_nested(out, array.shape(), v),
        ArrayData::UInt32(v) => write_nested(out, array.shape(), v),
        ArrayData::UInt64(v) => write_nested(out, array.shape(), v),
        ArrayData::Float16(v) => write_nested(out, array.shape(), v),
        ArrayData::Float32(v) => write_nested(out, array.shape(), v),
        ArrayData::Float64(v) => write_nested(out, array.shape(), v),
        ArrayData::Complex64(v) => write_nested(out, array.shape(), v),
        ArrayData::Complex128(v) => write_nested(out, array.shape(), v),
    }
}

/// pydantic-numpy's `{"data_type":"<dtype>","data":<nested lists>,"shape":[..]}`.
pub fn write_pydantic_numpy(array: &Array, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"data_type\":\"");
    out.extend_from_slice(array.dtype().name().as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    // A 0-d array's one element as a list of one: `reshape([])` makes it 0-d again, and
    // `data` is a list whatever the rank.
    if array.ndim() == 0 {
        out.push(b'[');
        write_buffer(array, out);
        out.push(b']');
    } else {
        write_buffer(array, out);
    }
    out.extend_from_slice(b",\"shape\":[");
    for (i, d) in array.shape().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(itoa::Buffer::new().format(*d).as_bytes());
    }
    out.extend_from_slice(b"]}");
}

fn max_text_len(d: DType) -> usize {
    match d {
        DType::Bool => 5,
        DType::Int8 | DType::UInt8 => 4,
        DType::Int16 | DType::UInt16 => 6,
        DType::Int32 | DType::UInt32 => 11,
        DType::Int64 | DType::UInt64 => 20,
        DType::Float16 | DType::Float32 | DType::Float64 => 24,
        DType::Complex64 | DType::Complex128 => 60,
    }
}

/// An element that knows its JSON text.
pub(crate) trait JsonElement: Element {
    fn write_json(&self, out: &mut Vec<u8>);
}

impl JsonElement for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

macro_rules! json_int {
    ($($t:ty),*) => {$(
        impl JsonElement for $t {
            #[inline]
            fn write_json(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
            }
        }
    )*};
}
json_int!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Writes a float64 as orjson does: shortest round-trip digits, `null` if not finite.
#[inline]
pub(crate) fn write_f64(x: f64, out: &mut Vec<u8>) {
    if x.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

impl JsonElement for f64 {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_f64(*self, out);
    }
}

impl JsonElement for f32 {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_f64(f64::from(*self), out);
    }
}

impl JsonElement for f16 {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_f64(self.to_f64(), out);
    }
}

impl JsonElement for Complex<f32> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_complex(f64::from(self.re), f64::from(self.im), out);
    }
}

impl JsonElement for Complex<f64> {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_complex(self.re, self.im, out);
    }
}

/// Writes a complex number as pydantic does for Python `complex`: `"{im}j"` when the
/// real part is zero (either sign), else `"{re}{sign}{im}j"`, with Rust's `Display` digits
/// (`"1+2j"`, `"-0.5j"`, `"1-0j"`, `"NaN+0j"`, `"inf-infj"`).
pub(crate) fn write_complex(re: f64, im: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    out.push(b'"');
    // pydantic writes the sign of a negative imaginary part (including -0.0) through
    // the number itself and '+' otherwise, NaN included ("1+NaNj").
    let sign = if im.is_sign_negative() && !im.is_nan() {
        ""
    } else {
        "+"
    };
    let _ = if re == 0.0 {
        write!(out, "{im}j")
    } else {
        write!(out, "{re}{sign}{im}j")
    };
    out.push(b'"');
}

fn write_nested<T: JsonElement>(out: &mut Vec<u8>, shape: &[usize], data: &[T]) {
    match shape {
        [] => data[0].write_json(out),
        [n] => {
            out.push(b'[');
            for (i, x) in data[..*n].iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                x.write_json(out);
            }
            out.push(b']');
        }
        [n, rest @ ..] => {
            out.push(b'[');
            // `rest` may contain a 0, in which case every sub-list is empty.
            let step = shape::element_count(rest).unwrap_or(0);
            for i in 0..*n {
                if i > 0 {
                    out.push(b',');
                }
                write_nested(out, rest, &data[i * step..(i + 1) * step]);
            }
            out.push(b']');
        }
    }
}

// ---------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------

/// Parses the raw JSON text of a `json` buffer into an array of `dtype` and `shape`.
///
/// ```
/// use arraymodel::{codec::json, DType, Limits};
/// let a = json::parse_buffer(b"[[1, 2], [3, 18446744073709551615]]", DType::UInt64,
///     vec![2, 2], &Limits::default()).unwrap();
/// assert_eq!(a.as_slice::<u64>().unwrap()[3], u64::MAX);
/// let f = json::parse_buffer(b"[0.1, null]", DType::Float32, vec![2], &Limits::default())
///     .unwrap();
/// assert!(f.as_slice::<f32>().unwrap()[1].is_nan());
/// assert!(json::parse_buffer(b"[1, [2]]", DType::Int8, vec![2], &Limits::default()).is_err());
/// ```
pub fn parse_buffer(
    text: &[u8],
    dtype: DType,
    shape: Vec<usize>,
    limits: &Limits,
) -> Result<Array> {
    let nbytes = shape::checked_nbytes(&shape, dtype, limits)?;
    let n = nbytes / dtype.itemsize();
    // Every element takes at least one character plus a separator: refuse claims the
    // text cannot hold before allocating for them.
    if n > text.len() / 2 + 1 {
        return Err(Error::new(ErrorKind::Ragged {
            detail: format!("{n} elements cannot fit in {} bytes of JSON", text.len()),
            shape,
        }));
    }
    let data = match dtype {
        DType::Bool => ArrayData::Bool(parse_into(text, n, &shape)?),
        DType::Int8 => ArrayData::Int8(parse_into(text, n, &shape)?),
        DType::Int16 => ArrayData::Int16(parse_into(text, n, &shape)?),
        DType::Int32 => ArrayData::Int32(parse_into(text, n, &shape)?),
        DType::Int64 => ArrayData::Int64(parse_into(text, n, &shape)?),
        DType::UInt8 => ArrayData::UInt8(parse_into(text, n, &shape)?),
        DType::UInt16 => ArrayData::UInt16(parse_into(text, n, &shape)?),
        DType::UInt32 => ArrayData::UInt32(parse_into(text, n, &shape)?),
        DType::UInt64 => ArrayData::UInt64(parse_into(text, n, &shape)?),
        DType::Float16 => ArrayData::Float16(parse_into(text, n, &shape)?),
        DType::Float32 => ArrayData::Float32(parse_into(text, n, &shape)?),
        DType::Float64 => ArrayData::Float64(parse_into(text, n, &shape)?),
        DType::Complex64 => ArrayData::Complex64(parse_into(text, n, &shape)?),
        DType::Complex128 => ArrayData::Complex128(parse_into(text, n, &shape)?),
    };
    Array::from_data(shape, data)
}

/// An element that can be parsed from one JSON scalar token.
pub(crate) trait ParseElement: Element + Sized {
    /// Parses the token starting at `s[0]`; returns the value and the bytes consumed.
    fn parse(s: &[u8]) -> Result<(Self, usize)>;
}

fn value_err(msg: String) -> Error {
    Error::new(ErrorKind::Value(msg))
}

fn token_preview(s: &[u8]) -> String {
    let end = s
        .iter()
        .position(|&c| matches!(c, b',' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
        .unwrap_or(s.len())
        .min(40);
    String::from_utf8_lossy(&s[..end]).into_owned()
}

impl ParseElement for bool {
    fn parse(s: &[u8]) -> Result<(bool, usize)> {
        if s.starts_with(b"true") {
            Ok((true, 4))
        } else if s.starts_with(b"false") {
            Ok((false, 5))
        } else {
            Err(value_err(format!("{} is not a boolean", token_preview(s))))
        }
    }
}

/// Parses an exact integer token: optional `-`, digits, no fraction or exponent.
fn parse_integer(s: &[u8]) -> Result<(i128, usize)> {
    let (neg, mut i) = if s.first() == Some(&b'-') {
        (true, 1)
    } else {
        (false, 0)
    };
    let start = i;
    let mut v: i128 = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        // 39 digits overflow i128; anything past 20 digits is out of range anyway.
        if i - start >= 21 {
            return Err(value_err(format!(
                "{}... is out of range",
                token_preview(s)
            )));
        }
        v = v * 10 + i128::from(c - b'0');
        i += 1;
    }
    if i == start || matches!(s.get(i), Some(b'.' | b'e' | b'E')) {
        return Err(value_err(format!("{} is not an integer", token_preview(s))));
    }
    Ok((if neg { -v } else { v }, i))
}

macro_rules! parse_int {
    ($($t:ty),*) => {$(
        impl ParseElement for $t {
            #[inline]
            fn parse(s: &[u8]) -> Result<($t, usize)> {
                let (v, n) = parse_integer(s)?;
                let v = <$t>::try_from(v).map_err(|_| value_err(format!(
                    "{v} does not fit into {}", <$t as Element>::DTYPE)))?;
                Ok((v, n))
            }
        }
    )*};
}
parse_int!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Parses a float token; `null` (orjson's NaN/Inf) reads back as NaN.
#[inline]
fn parse_f64(s: &[u8]) -> Result<(f64, usize)> {
    match s.first() {
        Some(b'-' | b'0'..=b'9') => fast_float2::parse_partial::<f64, _>(s)
            .map_err(|_| value_err(format!("{} is not a number", token_preview(s)))),
        Some(b'n') if s.starts_with(b"null") => Ok((f64::NAN, 4)),
        _ => Err(value_err(format!("{} is not a number", token_preview(s)))),
    }
}

impl ParseElement for f64 {
    #[inline]
    fn parse(s: &[u8]) -> Result<(f64, usize)> {
        parse_f64(s)
    }
}

fn overflow(x: f64, d: DType) -> Error {
    value_err(format!("{x} overflows {d}"))
}

impl ParseElement for f32 {
    #[inline]
    fn parse(s: &[u8]) -> Result<(f32, usize)> {
        let (x, n) = parse_f64(s)?;
        let y = x as f32;
        if y.is_infinite() && x.is_finite() {
            return Err(overflow(x, DType::Float32));
        }
        Ok((y, n))
    }
}

impl ParseElement for f16 {
    fn parse(s: &[u8]) -> Result<(f16, usize)> {
        let (x, n) = parse_f64(s)?;
        let y = f16::from_f64(x);
        if y.is_infinite() && x.is_finite() {
            return Err(overflow(x, DType::Float16));
        }
        Ok((y, n))
    }
}

/// Parses a complex element: a string in Python/pydantic form, or a plain number.
fn parse_complex(s: &[u8]) -> Result<(f64, f64, usize)> {
    if s.first() != Some(&b'"') {
        let (x, n) = parse_f64(s)?;
        return Ok((x, 0.0, n));
    }
    let end = memchr::memchr(b'"', &s[1..])
        .ok_or_else(|| value_err("unterminated complex string".into()))?;
    let body = std::str::from_utf8(&s[1..1 + end])
        .map_err(|_| value_err("complex string is not UTF-8".into()))?;
    let (re, im) = parse_complex_str(body)?;
    Ok((re, im, end + 2))
}

/// Parses Python's `complex(str)` forms: `1+2j`, `(1+2j)`, `-0.5j`, `3`, `nan+infj`.
pub fn parse_complex_str(text: &str) -> Result<(f64, f64)> {
    let bad = || value_err(format!("{text:?} is not a complex number"));
    let mut t = text.trim();
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        t = inner.trim();
    }
    let num = |s: &str| -> Result<f64> {
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.is_empty() || s.starts_with(['+', '-']) && s.len() == 1 {
            return Err(bad());
        }
        s.parse::<f64>().map_err(|_| bad())
    };
    let Some(body) = t.strip_suffix(['j', 'J']) else {
        return Ok((num(t)?, 0.0));
    };
    // Split at the last sign that is not the first character and not an exponent sign.
    let bytes = body.as_bytes();
    let split = (1..bytes.len())
        .rev()
        .find(|&i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    match split {
        Some(i) => {
            let imag = &body[i..];
            let imag = if imag == "+" || imag == "-" {
                format!("{imag}1")
            } else {
                imag.to_owned()
            };
            Ok((num(&body[..i])?, num(&imag)?))
        }
        None => {
            let imag = match body {
                "" | "+" => "1",
                "-" => "-1",
                b => b,
            };
            Ok((0.0, num(imag)?))
        }
    }
}

impl ParseElement for Complex<f64> {
    fn parse(s: &[u8]) -> Result<(Complex<f64>, usize)> {
        let (re, im, n) = parse_complex(s)?;
        Ok((Complex::new(re, im), n))
    }
}

impl ParseElement for Complex<f32> {
    fn parse(s: &[u8]) -> Result<(Complex<f32>, usize)> {
        let (re, im, n) = parse_complex(s)?;
        let c = Complex::new(re as f32, im as f32);
        if (c.re.is_infinite() && re.is_finite()) || (c.im.is_infinite() && im.is_finite()) {
            return Err(overflow(re.abs().max(im.abs()), DType::Complex64));
        }
        Ok((c, n))
    }
}

#[inline]
fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = s.get(i) {
        i += 1;
    }
    i
}

/// Parses nested lists of scalars into exactly `n` elements, checking that the
/// nesting is regular (numpy would refuse a ragged list) and that the element count
/// matches. `shape` is only used in messages.
fn parse_into<T: ParseElement + bytemuck::Zeroable>(
    text: &[u8],
    n: usize,
    shape: &[usize],
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::with_capacity(n);
    let ragged = |detail: String| {
        Error::new(ErrorKind::Ragged {
            shape: shape.to_vec(),
            detail,
        })
    };
    // lens[d] = length of the lists at depth d (set by the first list that closes).
    let mut lens: Vec<Option<usize>> = Vec::new();
    // counts[d] = items seen so far in the open list at depth d.
    let mut counts: Vec<usize> = Vec::new();
    let mut leaf_depth: Option<usize> = None;
    let mut i = skip_ws(text, 0);
    loop {
        // Expect a value.
        match text.get(i) {
            Some(b'[') => {
                if counts.len() >= shape::MAX_NDIM {
                    return Err(ragged(format!(
                        "more than {} nested lists",
                        shape::MAX_NDIM
                    )));
                }
                counts.push(0);
                if lens.len() < counts.len() {
                    lens.push(None);
                }
                i = skip_ws(text, i + 1);
                if text.get(i) != Some(&b']') {
                    continue;
                }
                // An empty list: closed by the loop below with a count of 0.
            }
            Some(_) => {
                let depth = counts.len();
                if *leaf_depth.get_or_insert(depth) != depth {
                    return Err(ragged(format!(
                        "a scalar at nesting depth {depth}, others at depth {}",
                        leaf_depth.unwrap_or(0)
                    )));
                }
                if out.len() == n {
                    return Err(ragged(format!("more than the {n} elements of the shape")));
                }
                let (v, used) = T::parse(&text[i..]).map_err(|e| e.at_index(out.len()))?;
                out.push(v);
                i = skip_ws(text, i + used);
                if let Some(c) = counts.last_mut() {
                    *c += 1;
                }
            }
            None => return Err(ragged("the JSON text ends inside a list".into())),
        }
        // After a value: close lists, or a comma.
        loop {
            if counts.is_empty() {
                if i != text.len() {
                    return Err(ragged("trailing characters after the buffer".into()));
                }
                if out.len() != n {
                    return Err(ragged(format!(
                        "{} elements, the shape needs {n}",
                        out.len()
                    )));
                }
                return Ok(out);
            }
            match text.get(i) {
                Some(b']') => {
                    let d = counts.len() - 1;
                    let c = counts.pop().unwrap_or(0);
                    match lens[d] {
                        None => lens[d] = Some(c),
                        Some(l) if l != c => {
                            return Err(ragged(format!(
                                "lists of length {l} and {c} at nesting depth {d}"
                            )));
                        }
                        Some(_) => {}
                    }
                    if let Some(p) = counts.last_mut() {
                        *p += 1;
                    }
                    i = skip_ws(text, i + 1);
                }
                Some(b',') => {
                    i = skip_ws(text, i + 1);
                    break;
                }
                _ => return Err(ragged("expected ',' or ']'".into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(a: &Array) -> String {
        let mut out = Vec::new();
        write_buffer(a, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_like_orjson() {
        let a = Array::new(vec![3], vec![2.5f64, 2.75, 6.0]).unwrap();
        assert_eq!(text(&a), "[2.5,2.75,6.0]");
        assert_eq!(
            text(&Array::scalar(7.057797106746552f64)),
            "7.057797106746552"
        );
        let f32s = Array::from_vec(vec![0.1f32, -2.5, 3.4e38]);
        assert_eq!(
            text(&f32s),
            "[0.10000000149011612,-2.5,3.3999999521443642e+38]"
        );
        let f16s = Array::from_vec(vec![f16::from_f64(0.1), f16::from_f64(65504.0)]);
        assert_eq!(text(&f16s), "[0.0999755859375,65504.0]");
        let c = Array::from_vec(vec![Complex::new(1.0f64, 2.0), Complex::new(-0.0, -0.5)]);
        assert_eq!(text(&c), r#"["1+2j","-0.5j"]"#);
        let e = Array::zeros(DType::Int32, vec![2, 0, 4]).unwrap();
        assert_eq!(text(&e), "[[],[]]");
        assert_eq!(text(&Array::zeros(DType::Int32, vec![0, 3]).unwrap()), "[]");
        assert_eq!(
            text(&Array::from_vec(vec![u64::MAX, 0])),
            "[18446744073709551615,0]"
        );
        assert_eq!(text(&Array::scalar(true)), "true");
    }

    #[test]
    fn parses_and_checks() {
        let l = Limits::default();
        let a = parse_buffer(b" [ [1.5 , 2] ,[3,4e2] ] ", DType::Float64, vec![2, 2], &l).unwrap();
        assert_eq!(a.as_slice::<f64>().unwrap(), &[1.5, 2.0, 3.0, 400.0]);
        // numpy's reshape rule: a flat list fills a 2-d shape.
        assert!(parse_buffer(b"[1,2,3,4]", DType::Int8, vec![2, 2], &l).is_ok());
        assert!(parse_buffer(b"[[1,2],[3]]", DType::Int8, vec![3], &l).is_err());
        assert!(parse_buffer(b"[[1,2],3]", DType::Int8, vec![3], &l).is_err());
        assert!(parse_buffer(b"[300]", DType::Int8, vec![1], &l).is_err());
        assert!(parse_buffer(b"[1.5]", DType::Int64, vec![1], &l).is_err());
        assert!(parse_buffer(b"[1e300]", DType::Float32, vec![1], &l).is_err());
        assert!(parse_buffer(b"[1,2,3]", DType::Int8, vec![2], &l).is_err());
        assert!(parse_buffer(b"[1]", DType::Int8, vec![2], &l).is_err());
        assert!(parse_buffer(b"[1]x", DType::Int8, vec![1], &l).is_err());
        assert!(parse_buffer(b"[[[]],[[]]]", DType::Int8, vec![2, 1, 0], &l).is_ok());
        assert!(parse_buffer(b"[]", DType::Int8, vec![0], &l).is_ok());
        assert!(parse_buffer(b"-7", DType::Int32, vec![], &l).is_ok());
        let c = parse_buffer(
            br#"["1+2j","-0.5j", 3, "(1e-7-2e+3j)"]"#,
            DType::Complex128,
            vec![4],
            &l,
        )
        .unwrap();
        let v = c.as_slice::<Complex<f64>>().unwrap();
        assert_eq!(v[0], Complex::new(1.0, 2.0));
        assert_eq!(v[1], Complex::new(0.0, -0.5));
        assert_eq!(v[2], Complex::new(3.0, 0.0));
        assert_eq!(v[3], Complex::new(1e-7, -2e3));
        // A claim the text cannot hold is refused before allocating.
        assert!(parse_buffer(b"[1]", DType::Float64, vec![1 << 30], &l).is_err());
        let deep = "[".repeat(70) + &"]".repeat(70);
        assert!(parse_buffer(deep.as_bytes(), DType::Int8, vec![0], &l).is_err());
    }

    #[test]
    fn complex_strings() {
        for (s, re, im) in [
            ("1+2j", 1.0, 2.0),
            ("-0.5j", 0.0, -0.5),
            ("j", 0.0, 1.0),
            ("-j", 0.0, -1.0),
            ("2-j", 2.0, -1.0),
            (" (3) ", 3.0, 0.0),
            ("1e+3+1e-3j", 1e3, 1e-3),
        ] {
            assert_eq!(parse_complex_str(s).unwrap(), (re, im), "{s}");
        }
        let (re, im) = parse_complex_str("NaN+infj").unwrap();
        assert!(re.is_nan() && im == f64::INFINITY);
        assert!(parse_complex_str("1+").is_err());
        assert!(parse_complex_str("abc").is_err());
    }
}
