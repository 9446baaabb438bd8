//! dtype conversion with tesseract's rules, and broadcasting of size-1 dimensions.

use half::f16;
use num_complex::Complex;

use crate::array::{Array, ArrayData};
use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, ErrorKind, Result};
use crate::shape;

/// Which input dtypes a field with an expected dtype accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Casting {
    /// tesseract's rule: the schema admits every dtype `d` with
    /// `np.can_cast(d, expected, "same_kind")` plus any integer into any integer;
    /// values are then converted with range checks (an int8 field refuses 300, a
    /// float32 field refuses 1e300).
    #[default]
    Tesseract,
    /// Only the expected dtype itself.
    Exact,
}

impl Casting {
    /// Whether `from` may be converted to `to` under this rule.
    ///
    /// ```
    /// use arraymodel::{DType, cast::Casting};
    /// assert!(Casting::Tesseract.allows(DType::Int32, DType::Float64));
    /// assert!(Casting::Tesseract.allows(DType::Int64, DType::Int8));
    /// assert!(!Casting::Tesseract.allows(DType::Float64, DType::Int64));
    /// assert!(!Casting::Tesseract.allows(DType::Complex64, DType::Float64));
    /// assert!(!Casting::Tesseract.allows(DType::Int8, DType::Bool));
    /// assert!(!Casting::Exact.allows(DType::Float32, DType::Float64));
    /// ```
    pub fn allows(self, from: DType, to: DType) -> bool {
        if from == to {
            return true;
        }
        match self {
            Casting::Exact => false,
            Casting::Tesseract => match to.kind() {
                'b' => false,
                'i' | 'u' => matches!(from.kind(), 'b' | 'i' | 'u'),
                'f' => matches!(from.kind(), 'b' | 'i' | 'u' | 'f'),
                _ => true,
            },
        }
    }

    /// The input dtypes accepted for `to`, in tesseract's listing order
    /// (`float16 float32 float64 int8 .. int64 bool uint8 .. uint64 complex64 complex128`).
    pub fn accepted(self, to: DType) -> Vec<DType> {
        TESSERACT_ORDER
            .into_iter()
            .filter(|&d| self.allows(d, to))
            .collect()
    }
}

/// tesseract's `AllowedDtypes` order, used in its schemas' `dtype` enums.
pub const TESSERACT_ORDER: [DType; 14] = [
    DType::Float16,
    DType::Float32,
    DType::Float64,
    DType::Int8,
    DType::Int16,
    DType::Int32,
    DType::Int64,
    DType::Bool,
    DType::UInt8,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
    DType::Complex64,
    DType::Complex128,
];

/// One element, widened.
#[derive(Clone, Copy)]
enum Scalar {
    Int(i128),
    Float(f64),
    Complex(f64, f64),
}

fn get(data: &ArrayData, i: usize) -> Scalar {
    match data {
        ArrayData::Bool(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::Int8(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::Int16(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::Int32(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::Int64(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::UInt8(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::UInt16(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::UInt32(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::UInt64(v) => Scalar::Int(i128::from(v[i])),
        ArrayData::Float16(v) => Scalar::Float(v[i].to_f64()),
        ArrayData::Float32(v) => Scalar::Float(f64::from(v[i])),
        ArrayData::Float64(v) => Scalar::Float(v[i]),
        ArrayData::Complex64(v) => Scalar::Complex(f64::from(v[i].re), f64::from(v[i].im)),
        ArrayData::Complex128(v) => Scalar::Complex(v[i].re, v[i].im),
    }
}

/// A float in a short form for messages (`1e300`, not 301 digits).
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-5) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn out_of_range(to: DType, shown: String) -> Error {
    Error::new(ErrorKind::Constraint(format!(
        "array values do not fit into dtype '{to}' (e.g. {shown})"
    )))
}

/// Converts `array` to `to` under `rule`, refusing values that do not fit.
///
/// ```
/// use arraymodel::{Array, DType, cast::{cast, Casting}};
/// let a = Array::from_vec(vec![1i64, 300]);
/// assert!(cast(&a, DType::Int8, Casting::Tesseract).is_err());
/// let f = cast(&a, DType::Float32, Casting::Tesseract).unwrap();
/// assert_eq!(f.as_slice::<f32>().unwrap(), &[1.0, 300.0]);
/// ```
pub fn cast(array: &Array, to: DType, rule: Casting) -> Result<Array> {
    let from = array.dtype();
    if from == to {
        return Ok(array.clone());
    }
    if !rule.allows(from, to) {
        return Err(Error::new(ErrorKind::Constraint(format!(
            "dtype {from} is not accepted where {to} is expected"
        ))));
    }
    let n = array.len();
    let src = array.data();
    macro_rules! ints {
        ($t:ty) => {{
            let mut out: Vec<$t> = Vec::with_capacity(n);
            for i in 0..n {
                let Scalar::Int(v) = get(src, i) else {
                    return Err(out_of_range(to, "a non-integer".into()));
                };
                out.push(<$t>::try_from(v).map_err(|_| out_of_range(to, v.to_string()))?);
            }
            ArrayData::from(out)
        }};
    }
    let real = |i: usize| -> f64 {
        match get(src, i) {
            Scalar::Int(v) => v as f64,
            Scalar::Float(x) => x,
            Scalar::Complex(re, _) => re,
        }
    };
    let data = match to {
        DType::Bool => unreachable!("only bool casts to bool"),
        DType::Int8 => ints!(i8),
        DType::Int16 => ints!(i16),
        DType::Int32 => ints!(i32),
        DType::Int64 => ints!(i64),
        DType::UInt8 => ints!(u8),
        DType::UInt16 => ints!(u16),
        DType::UInt32 => ints!(u32),
        DType::UInt64 => ints!(u64),
        DType::Float64 => ArrayData::Float64((0..n).map(real).collect()),
        DType::Float32 => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let x = real(i);
                let y = x as f32;
                if y.is_infinite() && x.is_finite() {
                    return Err(out_of_range(to, short(x)));
                }
                out.push(y);
            }
            ArrayData::Float32(out)
        }
        DType::Float16 => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let x = real(i);
                let y = f16::from_f64(x);
                if y.is_infinite() && x.is_finite() {
                    return Err(out_of_range(to, short(x)));
                }
                out.push(y);
            }
            ArrayData::Float16(out)
        }
        DType::Complex128 => ArrayData::Complex128(
            (0..n)
                .map(|i| match get(src, i) {
                    Scalar::Complex(re, im) => Complex::new(re, im),
                    _ => Complex::new(real(i), 0.0),
                })
                .collect(),
        ),
        DType::Complex64 => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let (re, im) = match get(src, i) {
                    Scalar::Complex(re, im) => (re, im),
                    _ => (real(i), 0.0),
                };
                let c = Complex::new(re as f32, im as f32);
                if (c.re.is_infinite() && re.is_finite()) || (c.im.is_infinite() && im.is_finite())
                {
                    return Err(out_of_range(to, format!("{}+{}j", short(re), short(im))));
                }
                out.push(c);
            }
            ArrayData::Complex64(out)
        }
    };
    Array::from_data(array.shape().to_vec(), data)
}

impl<T: crate::Element> From<Vec<T>> for ArrayData {
    fn from(v: Vec<T>) -> ArrayData {
        T::into_data(v)
    }
}

/// Repeats size-1 dimensions of `array` to reach `shape` (same rank), as tesseract
/// broadcasts a given 1 to a fixed N.
///
/// ```
/// use arraymodel::{Array, cast::broadcast};
/// let a = Array::new(vec![1, 2], vec![1u8, 2]).unwrap();
/// let b = broadcast(&a, &[3, 2]).unwrap();
/// assert_eq!(b.as_slice::<u8>().unwrap(), &[1, 2, 1, 2, 1, 2]);
/// ```
pub fn broadcast(array: &Array, shape: &[usize]) -> Result<Array> {
    let from = array.shape();
    if from.len() != shape.len() || from.iter().zip(shape).any(|(&f, &t)| f != t && f != 1) {
        return Err(Error::new(ErrorKind::Constraint(format!(
            "cannot broadcast shape {from:?} to {shape:?}"
        ))));
    }
    let dtype = array.dtype();
    let size = dtype.itemsize();
    let nbytes = shape::checked_nbytes(shape, dtype, &crate::Limits::default())?;
    let n = nbytes / size;
    let src = array.as_bytes();
    // Strides of the source in elements, 0 along broadcast axes.
    let mut strides = vec![0usize; from.len()];
    let mut acc = 1;
    for d in (0..from.len()).rev() {
        strides[d] = if from[d] == 1 { 0 } else { acc };
        acc *= from[d];
    }
    let mut out = Vec::with_capacity(nbytes);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        let s: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.extend_from_slice(&src[s * size..(s + 1) * size]);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Array::from_data(
        shape.to_vec(),
        ArrayData::from_bytes(dtype, &out, ByteOrder::NATIVE)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tesseract_cast_rules() {
        let i = Array::from_vec(vec![-1i32, 2]);
        assert!(cast(&i, DType::UInt8, Casting::Tesseract).is_err());
        assert_eq!(
            cast(&i, DType::Int64, Casting::Tesseract)
                .unwrap()
                .as_slice::<i64>()
                .unwrap(),
            &[-1, 2]
        );
        let big = Array::from_vec(vec![70000.0f64]);
        assert!(cast(&big, DType::Float16, Casting::Tesseract).is_err());
        assert!(
            cast(
                &Array::from_vec(vec![1e300f64]),
                DType::Float32,
                Casting::Tesseract
            )
            .is_err()
        );
        let nan = cast(
            &Array::from_vec(vec![f64::NAN]),
            DType::Float32,
            Casting::Tesseract,
        )
        .unwrap();
        assert!(nan.as_slice::<f32>().unwrap()[0].is_nan());
        let b = Array::from_vec(vec![true, false]);
        assert_eq!(
            cast(&b, DType::Float64, Casting::Tesseract)
                .unwrap()
                .as_slice::<f64>()
                .unwrap(),
            &[1.0, 0.0]
        );
        assert!(cast(&i, DType::Bool, Casting::Tesseract).is_err());
        let c = cast(
            &Array::from_vec(vec![1.5f32]),
            DType::Complex128,
            Casting::Tesseract,
        )
        .unwrap();
        assert_eq!(
            c.as_slice::<Complex<f64>>().unwrap()[0],
            Complex::new(1.5, 0.0)
        );
        assert_eq!(Casting::Tesseract.accepted(DType::Float64).len(), 12);
        assert_eq!(Casting::Tesseract.accepted(DType::Bool), vec![DType::Bool]);
        assert_eq!(Casting::Tesseract.accepted(DType::Complex64).len(), 14);
    }

    #[test]
    fn broadcasting() {
        let s = Array::new(vec![1], vec![7.0f64]).unwrap();
        assert_eq!(
            broadcast(&s, &[3]).unwrap().as_slice::<f64>().unwrap(),
            &[7.0; 3]
        );
        let col = Array::new(vec![2, 1], vec![1i16, 2]).unwrap();
        assert_eq!(
            broadcast(&col, &[2, 3]).unwrap().as_slice::<i16>().unwrap(),
            &[1, 1, 1, 2, 2, 2]
        );
        assert!(broadcast(&col, &[3, 3]).is_err());
        assert!(broadcast(&col, &[2]).is_err());
    }
}
