//! Arrays written as plain nested lists of scalars, read through any serde
//! deserializer: a JSON list where an array is expected (`{"x": [[1, 2], [3, 4]]}`),
//! tesseract's legacy `"data": [...]`, a msgpack array, or a `json` buffer from a
//! deserializer that cannot hand over raw text.
//!
//! The elements go straight into typed storage as they arrive, never into a tree of
//! values: shape and dtype are inferred the way `np.asarray` does (bool, int64, uint64
//! for values above int64, float64 if any float or null, complex128 if any string),
//! and the storage is promoted in place when a wider value turns up. Memory is the
//! array itself (8 bytes an element, 16 for complex, with `Vec`'s growth slack), so a
//! hostile list costs at most a small multiple of its own size; ragged lists, more
//! than [`MAX_NDIM`] levels and objects inside lists are refused as soon as they are
//! seen.
//!
//! ```
//! use arraymodel::{Array, DType, from_json_slice, DecodeOptions};
//! let a: Array = serde_json::from_str("[[1, 2], [3, 18446744073709551615]]").unwrap();
//! assert_eq!((a.dtype(), a.shape()), (DType::UInt64, &[2, 2][..]));
//! let b: Array = serde_json::from_str("[0.5, null]").unwrap();
//! assert_eq!(b.dtype(), DType::Float64);
//! let c: Array = serde_json::from_str(r#"[1, "2+1j"]"#).unwrap();
//! assert_eq!(c.dtype(), DType::Complex128);
//! assert!(serde_json::from_str::<Array>("[[1, 2], [3]]").is_err());
//! ```

use std::fmt;

use num_complex::Complex;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::array::{Array, ArrayData};
use crate::cast::{self, Casting};
use crate::context;
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::shape::{self, Limits, MAX_NDIM};

/// The elements read so far, in the narrowest storage that holds them all.
#[derive(Debug)]
enum Elements {
    Empty,
    Bool(Vec<bool>),
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Float(Vec<f64>),
    Complex(Vec<Complex<f64>>),
}

/// One scalar as a deserializer reports it.
#[derive(Clone, Copy)]
enum Scalar<'s> {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'s str),
}

/// A nested list read from a deserializer: its inferred shape and typed elements.
///
/// Built by [`read`] (a whole value) or by the `visit_seq` of a visitor that has
/// already seen the opening of a list ([`read_seq`]).
#[derive(Debug)]
pub struct NestedList {
    /// Lengths of the lists at each depth; `None` until a list at that depth closes.
    dims: Vec<Option<usize>>,
    /// The depth at which scalars were found (all must share it).
    leaf_depth: Option<usize>,
    elements: Elements,
    count: usize,
    any_negative: bool,
    limits: Limits,
}

impl NestedList {
    fn new(limits: Limits) -> NestedList {
        NestedList {
            dims: Vec::new(),
            leaf_depth: None,
            elements: Elements::Empty,
            count: 0,
            any_negative: false,
            limits,
        }
    }

    fn known_shape(&self) -> Vec<usize> {
        self.dims.iter().map(|d| d.unwrap_or(0)).collect()
    }

    fn ragged(&self, detail: String) -> Error {
        Error::new(ErrorKind::Ragged {
            shape: self.known_shape(),
            detail,
        })
    }

    fn enter(&self, depth: usize) -> Result<()> {
        let max = self.limits.max_ndim.min(MAX_NDIM);
        if depth >= max {
            return Err(Error::new(ErrorKind::Shape(format!(
                "more than {max} nested lists"
            ))));
        }
        if self.leaf_depth.is_some_and(|d| d <= depth) {
            return Err(self.ragged(format!("a list at depth {depth}, where scalars were")));
        }
        Ok(())
    }

    /// Records that a list at `depth` closed after `len` elements.
    fn close(&mut self, depth: usize, len: usize) -> Result<()> {
        if self.dims.len() <= depth {
            self.dims.resize(depth + 1, None);
        }
        match self.dims[depth] {
            None => self.dims[depth] = Some(len),
            Some(l) if l == len => {}
            Some(l) => {
                return Err(self.ragged(format!("lists of length {l} and {len} at depth {depth}")));
            }
        }
        Ok(())
    }

    fn push(&mut self, depth: usize, v: Scalar<'_>) -> Result<()> {
        if *self.leaf_depth.get_or_insert(depth) != depth
            || self.dims.get(depth).is_some_and(Option::is_some)
        {
            return Err(self.ragged("scalars at different nesting depths".into()));
        }
        self.count += 1;
        let bytes = self
            .count
            .saturating_mul(if let Elements::Complex(_) = self.elements {
                16
            } else {
                8
            });
        if bytes > self.limits.max_array_bytes {
            return Err(Error::new(ErrorKind::TooLarge {
                bytes: bytes as u128,
                limit: self.limits.max_array_bytes,
            }));
        }
        let mixed = || {
            Error::new(ErrorKind::Value(
                "a list mixing booleans and numbers".into(),
            ))
        };
        let e = &mut self.elements;
        match (v, &mut *e) {
            (Scalar::Bool(b), Elements::Empty) => *e = Elements::Bool(vec![b]),
            (Scalar::Bool(b), Elements::Bool(v)) => v.push(b),
            (Scalar::Bool(_), _) | (_, Elements::Bool(_)) => return Err(mixed()),
            (Scalar::Str(s), _) => {
                let (re, im) = super::json::parse_complex_str(s)?;
                promote_complex(e).push(Complex::new(re, im));
            }
            (x, Elements::Complex(v)) => v.push(Complex::new(as_f64(x), 0.0)),
            (x @ Scalar::Float(_), _) => promote_float(e).push(as_f64(x)),
            (x, Elements::Float(v)) => v.push(as_f64(x)),
            (Scalar::Int(i), Elements::Empty) => *e = Elements::Int(vec![i]),
            (Scalar::UInt(u), Elements::Empty) => *e = Elements::UInt(vec![u]),
            (Scalar::Int(i), Elements::Int(v)) => v.push(i),
            (Scalar::UInt(u), Elements::UInt(v)) => v.push(u),
            (Scalar::Int(i), Elements::UInt(v)) => match u64::try_from(i) {
                Ok(u) => v.push(u),
                // numpy: negative and above-int64 values together make float64.
                Err(_) => promote_float(e).push(i as f64),
            },
            (Scalar::UInt(u), Elements::Int(v)) => {
                if self.any_negative {
                    promote_float(e).push(u as f64);
                } else {
                    let mut w: Vec<u64> = std::mem::take(v).into_iter().map(|i| i as u64).collect();
                    w.push(u);
                    *e = Elements::UInt(w);
                }
            }
        }
        if let Scalar::Int(i) = v {
            self.any_negative |= i < 0;
        }
        Ok(())
    }

    /// The shape read, once the outermost list has closed.
    fn shape(&self) -> Result<Vec<usize>> {
        if let Some(d) = self.leaf_depth
            && d != self.dims.len()
        {
            return Err(self.ragged("scalars at different nesting depths".into()));
        }
        self.dims
            .iter()
            .map(|d| d.ok_or_else(|| self.ragged("an unclosed list".into())))
            .collect()
    }

    /// The array with the inferred dtype (float64 for a list without scalars, as
    /// numpy gives).
    pub fn into_array(self) -> Result<Array> {
        let shape = self.shape()?;
        let data = match self.elements {
            Elements::Empty => ArrayData::Float64(Vec::new()),
            Elements::Bool(v) => ArrayData::Bool(v),
            Elements::Int(v) => ArrayData::Int64(v),
            Elements::UInt(v) => ArrayData::UInt64(v),
            Elements::Float(v) => ArrayData::Float64(v),
            Elements::Complex(v) => ArrayData::Complex128(v),
        };
        shape::checked_nbytes(&shape, data.dtype(), &self.limits)?;
        Array::from_data(shape, shrink(data))
    }

    /// The array as `dtype` with the expected `shape` (tesseract's legacy data list
    /// and non-JSON `json` buffers): values are converted with range checks, and a
    /// list of another shape is refused.
    pub fn into_array_as(self, dtype: DType, expected: &[usize]) -> Result<Array> {
        let limits = self.limits;
        let empty = matches!(self.elements, Elements::Empty);
        let array = self.into_array()?;
        if array.shape() != expected {
            return Err(Error::new(ErrorKind::Ragged {
                shape: expected.to_vec(),
                detail: format!("the list has shape {:?}", array.shape()),
            }));
        }
        if empty {
            return Array::zeros(dtype, expected.to_vec());
        }
        shape::checked_nbytes(expected, dtype, &limits)?;
        if array.dtype() == dtype {
            return Ok(array);
        }
        if array.dtype() == DType::Bool || dtype == DType::Bool {
            return Err(Error::new(ErrorKind::Value(format!(
                "a list of {} where {dtype} is expected",
                array.dtype()
            ))));
        }
        cast::cast(&array, dtype, Casting::Tesseract)
    }
}

/// pydantic-numpy's `{"data_type", "data", "shape"}`: `np.array(data, dtype=data_type)`,
/// reshaped to `shape` when given (pydantic-numpy writes every number as a float, and
/// flat data with a shape is reshaped). Unlike pydantic-numpy, which truncates `1.7` to
/// `1` for an integer dtype and writes int64 through float64, values are converted
/// exactly or refused.
pub(crate) fn pydantic_numpy(
    list: NestedList,
    data_type: &str,
    shape: Option<Vec<usize>>,
) -> Result<Array> {
    let (dtype, _) = DType::parse(data_type).map_err(|e| Error::from(e).at_field("data_type"))?;
    let limits = list.limits;
    let mut array = list.into_array().map_err(|e| e.at_field("data"))?;
    if let Some(shape) = shape {
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if count != Some(array.len()) && !shape.contains(&0) {
            return Err(Error::new(ErrorKind::Ragged {
                shape,
                detail: format!("the data has {} elements", array.len()),
            })
            .at_field("data"));
        }
        shape::checked_nbytes(&shape, dtype, &limits)?;
        if array.is_empty() {
            return Array::zeros(dtype, shape);
        }
        array = array.reshape(shape).map_err(|e| e.at_field("shape"))?;
    }
    if array.dtype() == dtype {
        return Ok(array);
    }
    if array.is_empty() {
        return Array::zeros(dtype, array.shape().to_vec());
    }
    // pydantic-numpy writes integers and booleans as floats (`astype(float)`): take back
    // whole numbers only, exactly.
    if let (ArrayData::Float64(v), true) =
        (array.data(), dtype.is_integer() || dtype == DType::Bool)
    {
        let shape = array.shape().to_vec();
        let not_whole = |f: f64| {
            Error::new(ErrorKind::Value(format!(
                "{f} is not a whole number, and {dtype} holds whole numbers (pydantic-numpy \
                 would truncate it; it is refused)"
            )))
            .at_field("data")
        };
        let whole = |f: f64| -> Result<i128> {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 2f64.powi(64) {
                Ok(f as i128)
            } else {
                Err(not_whole(f))
            }
        };
        array = if dtype == DType::Bool {
            let bits = v
                .iter()
                .map(|&f| match whole(f)? {
                    0 => Ok(false),
                    1 => Ok(true),
                    _ => Err(
                        Error::new(ErrorKind::Value(format!("{f} is not a bool (0 or 1)")))
                            .at_field("data"),
                    ),
                })
                .collect::<Result<Vec<bool>>>()?;
            Array::new(shape, bits)?
        } else if dtype == DType::UInt64 {
            let n = v
                .iter()
                .map(|&f| {
                    u64::try_from(whole(f)?).map_err(|_| {
                        Error::new(ErrorKind::Value(format!("{f} is out of range for uint64")))
                            .at_field("data")
                    })
                })
                .collect::<Result<Vec<u64>>>()?;
            Array::new(shape, n)?
        } else {
            let n = v
                .iter()
                .map(|&f| {
                    i64::try_from(whole(f)?).map_err(|_| {
                        Error::new(ErrorKind::Value(format!("{f} is out of range for {dtype}")))
                            .at_field("data")
                    })
                })
                .collect::<Result<Vec<i64>>>()?;
            Array::new(shape, n)?
        };
        if array.dtype() == dtype {
            return Ok(array);
        }
    }
    if dtype == DType::Bool && array.dtype() != DType::Bool {
        return Err(Error::new(ErrorKind::Value(format!(
            "a list of {} where bool is expected",
            array.dtype()
        )))
        .at_field("data"));
    }
    cast::cast(&array, dtype, Casting::Tesseract).map_err(|e| e.at_field("data"))
}

fn as_f64(x: Scalar<'_>) -> f64 {
    match x {
        Scalar::Int(i) => i as f64,
        Scalar::UInt(u) => u as f64,
        Scalar::Float(f) => f,
        Scalar::Bool(b) => f64::from(u8::from(b)),
        Scalar::Str(_) => f64::NAN,
    }
}

/// Converts the elements to float64 storage (in place for 8-byte integers) and
/// returns it.
fn promote_float(e: &mut Elements) -> &mut Vec<f64> {
    *e = match std::mem::replace(e, Elements::Empty) {
        Elements::Int(v) => Elements::Float(v.into_iter().map(|i| i as f64).collect()),
        Elements::UInt(v) => Elements::Float(v.into_iter().map(|u| u as f64).collect()),
        Elements::Float(v) => Elements::Float(v),
        _ => Elements::Float(Vec::new()),
    };
    match e {
        Elements::Float(v) => v,
        _ => unreachable!("just set to Float"),
    }
}

/// Converts the elements to complex128 storage and returns it.
fn promote_complex(e: &mut Elements) -> &mut Vec<Complex<f64>> {
    let re = |x: f64| Complex::new(x, 0.0);
    *e = match std::mem::replace(e, Elements::Empty) {
        Elements::Int(v) => Elements::Complex(v.into_iter().map(|i| re(i as f64)).collect()),
        Elements::UInt(v) => Elements::Complex(v.into_iter().map(|u| re(u as f64)).collect()),
        Elements::Float(v) => Elements::Complex(v.into_iter().map(re).collect()),
        Elements::Complex(v) => Elements::Complex(v),
        _ => Elements::Complex(Vec::new()),
    };
    match e {
        Elements::Complex(v) => v,
        _ => unreachable!("just set to Complex"),
    }
}

/// Gives back `Vec` growth slack, so the array holds exactly its bytes.
fn shrink(mut data: ArrayData) -> ArrayData {
    match &mut data {
        ArrayData::Bool(v) => v.shrink_to_fit(),
        ArrayData::Int64(v) => v.shrink_to_fit(),
        ArrayData::UInt64(v) => v.shrink_to_fit(),
        ArrayData::Float64(v) => v.shrink_to_fit(),
        ArrayData::Complex128(v) => v.shrink_to_fit(),
        _ => {}
    }
    data
}

fn to_de<E: de::Error>(e: Error) -> E {
    context::to_serde(e, E::custom)
}

/// Reads one value (a nested list or a single scalar) from `d`.
pub fn read<'de, D: Deserializer<'de>>(
    d: D,
    limits: Limits,
) -> std::result::Result<NestedList, D::Error> {
    let mut list = NestedList::new(limits);
    Element {
        list: &mut list,
        depth: 0,
    }
    .deserialize(d)?;
    Ok(list)
}

/// Reads a list whose opening a visitor has already seen (from its `visit_seq`).
pub fn read_seq<'de, A: SeqAccess<'de>>(
    seq: A,
    limits: Limits,
) -> std::result::Result<NestedList, A::Error> {
    let mut list = NestedList::new(limits);
    Element {
        list: &mut list,
        depth: 0,
    }
    .visit_seq(seq)?;
    Ok(list)
}

/// One element at `depth`: a scalar, or a list whose elements are at `depth + 1`.
struct Element<'l> {
    list: &'l mut NestedList,
    depth: usize,
}

impl Element<'_> {
    fn scalar<E: de::Error>(self, v: Scalar<'_>) -> std::result::Result<(), E> {
        self.list.push(self.depth, v).map_err(to_de)
    }
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list or a number")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
        self.scalar(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.scalar(Scalar::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.scalar(match i64::try_from(v) {
            Ok(i) => Scalar::Int(i),
            Err(_) => Scalar::UInt(v),
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.scalar(Scalar::Float(v))
    }

    /// `null`: orjson's NaN and Inf.
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        self.scalar(Scalar::Float(f64::NAN))
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        self.visit_unit()
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.scalar(Scalar::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        self.list.enter(self.depth).map_err(to_de)?;
        let mut len = 0usize;
        while seq
            .next_element_seed(Element {
                list: &mut *self.list,
                depth: self.depth + 1,
            })?
            .is_some()
        {
            len += 1;
        }
        self.list.close(self.depth, len).map_err(to_de)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(to_de(Error::invalid("an object inside a plain array list")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Array> {
        let mut de = serde_json::Deserializer::from_str(text);
        read(&mut de, Limits::default())
            .map_err(|e| Error::invalid(e.to_string()))?
            .into_array()
    }

    #[test]
    fn infers_like_numpy() {
        let cases: [(&str, DType, &[usize]); 11] = [
            ("[]", DType::Float64, &[0]),
            ("[[], []]", DType::Float64, &[2, 0]),
            ("[true, false]", DType::Bool, &[2]),
            ("[1, -2]", DType::Int64, &[2]),
            ("[1, 18446744073709551615]", DType::UInt64, &[2]),
            ("[18446744073709551615, 1]", DType::UInt64, &[2]),
            ("[-1, 18446744073709551615]", DType::Float64, &[2]),
            ("[18446744073709551615, -1]", DType::Float64, &[2]),
            ("[[1, 2.5], [null, 4]]", DType::Float64, &[2, 2]),
            ("[1, \"1+2j\", 2.5]", DType::Complex128, &[3]),
            ("7", DType::Int64, &[]),
        ];
        for (text, dtype, shape) in cases {
            let a = parse(text).unwrap();
            assert_eq!((a.dtype(), a.shape()), (dtype, shape), "{text}");
        }
        let a = parse("[-1, 18446744073709551615]").unwrap();
        assert_eq!(
            a.as_slice::<f64>().unwrap(),
            &[-1.0, 18446744073709551615.0]
        );
        let c = parse("[1, \"1+2j\"]").unwrap();
        assert_eq!(
            c.as_slice::<Complex<f64>>().unwrap(),
            &[Complex::new(1.0, 0.0), Complex::new(1.0, 2.0)]
        );
    }

    #[test]
    fn refuses_ragged_and_mixed_lists() {
        for text in [
            "[[1, 2], [3]]",
            "[[1, 2], 3]",
            "[3, [1, 2]]",
            "[[], 3]",
            "[3, []]",
            "[[[]], 2]",
            "[[1], [[2]]]",
            "[true, 1]",
            "[1, true]",
            "[1, {}]",
            "[1, \"x\"]",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(
            parse(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested lists")
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(parse(&ok).unwrap().ndim(), 64);
    }

    #[test]
    fn converts_to_a_declared_dtype() {
        let list = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            read(&mut de, Limits::default()).unwrap()
        };
        let a = list("[1, 2]").into_array_as(DType::Int8, &[2]).unwrap();
        assert_eq!(a.as_slice::<i8>().unwrap(), &[1, 2]);
        let f = list("[0.1, null]")
            .into_array_as(DType::Float32, &[2])
            .unwrap();
        assert_eq!(f.as_slice::<f32>().unwrap()[0], 0.1f32);
        assert!(list("[300]").into_array_as(DType::Int8, &[1]).is_err());
        assert!(list("[1.5]").into_array_as(DType::Int64, &[1]).is_err());
        assert!(list("[1, 2]").into_array_as(DType::Int8, &[3]).is_err());
        assert!(list("[1]").into_array_as(DType::Bool, &[1]).is_err());
        let e = list("[[], []]")
            .into_array_as(DType::Int8, &[2, 0])
            .unwrap();
        assert_eq!((e.dtype(), e.shape()), (DType::Int8, &[2, 0][..]));
    }

    #[test]
    fn limits_apply_while_reading() {
        let limits = Limits {
            max_array_bytes: 16,
            ..Limits::default()
        };
        let mut de = serde_json::Deserializer::from_str("[1, 2, 3]");
        assert!(read(&mut de, limits).is_err());
    }
}
