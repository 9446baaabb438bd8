//! The owned [`Array`], its typed storage [`ArrayData`] and the [`Element`] types.

use bytemuck::Zeroable;
use half::f16;
use num_complex::Complex;

use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, ErrorKind, Result};
use crate::shape::{self, Limits};

/// A Rust element type that maps to one [`DType`].
///
/// Implemented for `bool`, `i8`..`i64`, `u8`..`u64`, [`half::f16`], `f32`, `f64`,
/// `Complex<f32>` (numpy `complex64`) and `Complex<f64>` (numpy `complex128`).
/// The trait is sealed.
pub trait Element:
    Copy + Send + Sync + PartialEq + std::fmt::Debug + 'static + sealed::Sealed
{
    /// The dtype of this element type.
    const DTYPE: DType;
    /// Borrows the elements if `data` holds this type.
    fn slice(data: &ArrayData) -> Option<&[Self]>;
    /// Mutably borrows the elements if `data` holds this type.
    fn slice_mut(data: &mut ArrayData) -> Option<&mut [Self]>;
    /// Wraps a vector.
    fn into_data(v: Vec<Self>) -> ArrayData;
    /// Unwraps a vector, or gives the data back if it holds another type.
    fn from_data(d: ArrayData) -> std::result::Result<Vec<Self>, ArrayData>;
    /// Reinterprets host-order bytes without copying, if they are aligned for `Self`
    /// (and, for `bool`, all 0 or 1).
    fn cast_bytes(bytes: &[u8]) -> Option<&[Self]>;
}

mod sealed {
    pub trait Sealed {}
}

/// Typed storage of an [`Array`]: one `Vec` per dtype, in C order, host byte order.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum ArrayData {
    Bool(Vec<bool>),
    Int8(Vec<i8>),
    Int16(Vec<i16>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    UInt8(Vec<u8>),
    UInt16(Vec<u16>),
    UInt32(Vec<u32>),
    UInt64(Vec<u64>),
    Float16(Vec<f16>),
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Complex64(Vec<Complex<f32>>),
    Complex128(Vec<Complex<f64>>),
}

/// Runs `$body` with `$v` bound to the inner `Vec` of any variant (all but bool are `Pod`).
macro_rules! dispatch {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            ArrayData::Bool($v) => $body,
            ArrayData::Int8($v) => $body,
            ArrayData::Int16($v) => $body,
            ArrayData::Int32($v) => $body,
            ArrayData::Int64($v) => $body,
            ArrayData::UInt8($v) => $body,
            ArrayData::UInt16($v) => $body,
            ArrayData::UInt32($v) => $body,
            ArrayData::UInt64($v) => $body,
            ArrayData::Float16($v) => $body,
            ArrayData::Float32($v) => $body,
            ArrayData::Float64($v) => $body,
            ArrayData::Complex64($v) => $body,
            ArrayData::Complex128($v) => $body,
        }
    };
}

/// Like [`dispatch!`] but with `bool` handled separately (it is not `Pod`).
macro_rules! dispatch_pod {
    ($data:expr, $b:ident => $bool_body:expr, $v:ident => $body:expr) => {
        match $data {
            ArrayData::Bool($b) => $bool_body,
            ArrayData::Int8($v) => $body,
            ArrayData::Int16($v) => $body,
            ArrayData::Int32($v) => $body,
            ArrayData::Int64($v) => $body,
            ArrayData::UInt8($v) => $body,
            ArrayData::UInt16($v) => $body,
            ArrayData::UInt32($v) => $body,
            ArrayData::UInt64($v) => $body,
            ArrayData::Float16($v) => $body,
            ArrayData::Float32($v) => $body,
            ArrayData::Float64($v) => $body,
            ArrayData::Complex64($v) => $body,
            ArrayData::Complex128($v) => $body,
        }
    };
}

macro_rules! element {
    ($t:ty, $variant:ident) => {
        element!($t, $variant, bytemuck::try_cast_slice);
    };
    ($t:ty, $variant:ident, $cast:path) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            fn slice(data: &ArrayData) -> Option<&[Self]> {
                match data {
                    ArrayData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(data: &mut ArrayData) -> Option<&mut [Self]> {
                match data {
                    ArrayData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn into_data(v: Vec<Self>) -> ArrayData {
                ArrayData::$variant(v)
            }
            fn from_data(d: ArrayData) -> std::result::Result<Vec<Self>, ArrayData> {
                match d {
                    ArrayData::$variant(v) => Ok(v),
                    other => Err(other),
                }
            }
            fn cast_bytes(bytes: &[u8]) -> Option<&[Self]> {
                $cast(bytes).ok()
            }
        }
    };
}

element!(bool, Bool, bytemuck::checked::try_cast_slice);
element!(i8, Int8);
element!(i16, Int16);
element!(i32, Int32);
element!(i64, Int64);
element!(u8, UInt8);
element!(u16, UInt16);
element!(u32, UInt32);
element!(u64, UInt64);
element!(f16, Float16);
element!(f32, Float32);
element!(f64, Float64);
element!(Complex<f32>, Complex64);
element!(Complex<f64>, Complex128);

fn zeroed_vec<T: Zeroable + Clone>(n: usize) -> Vec<T> {
    vec![T::zeroed(); n]
}

impl ArrayData {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            ArrayData::Bool(_) => DType::Bool,
            ArrayData::Int8(_) => DType::Int8,
            ArrayData::Int16(_) => DType::Int16,
            ArrayData::Int32(_) => DType::Int32,
            ArrayData::Int64(_) => DType::Int64,
            ArrayData::UInt8(_) => DType::UInt8,
            ArrayData::UInt16(_) => DType::UInt16,
            ArrayData::UInt32(_) => DType::UInt32,
            ArrayData::UInt64(_) => DType::UInt64,
            ArrayData::Float16(_) => DType::Float16,
            ArrayData::Float32(_) => DType::Float32,
            ArrayData::Float64(_) => DType::Float64,
            ArrayData::Complex64(_) => DType::Complex64,
            ArrayData::Complex128(_) => DType::Complex128,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        dispatch!(self, v => v.len())
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as bytes in host order.
    pub fn as_bytes(&self) -> &[u8] {
        dispatch!(self, v => bytemuck::cast_slice(v.as_slice()))
    }

    /// `n` zero elements of `dtype`.
    pub fn zeros(dtype: DType, n: usize) -> ArrayData {
        match dtype {
            DType::Bool => ArrayData::Bool(vec![false; n]),
            DType::Int8 => ArrayData::Int8(vec![0; n]),
            DType::Int16 => ArrayData::Int16(vec![0; n]),
            DType::Int32 => ArrayData::Int32(vec![0; n]),
            DType::Int64 => ArrayData::Int64(vec![0; n]),
            DType::UInt8 => ArrayData::UInt8(vec![0; n]),
            DType::UInt16 => ArrayData::UInt16(vec![0; n]),
            DType::UInt32 => ArrayData::UInt32(vec![0; n]),
            DType::UInt64 => ArrayData::UInt64(vec![0; n]),
            // Allocate through a primitive so the allocator hands out zeroed pages lazily.
            DType::Float16 => ArrayData::Float16(bytemuck::allocation::cast_vec(vec![0u16; n])),
            DType::Float32 => ArrayData::Float32(vec![0.0; n]),
            DType::Float64 => ArrayData::Float64(vec![0.0; n]),
            DType::Complex64 => ArrayData::Complex64(zeroed_vec(n)),
            DType::Complex128 => ArrayData::Complex128(zeroed_vec(n)),
        }
    }

    /// Builds `n` elements of `dtype` by letting `fill` write their bytes (host order)
    /// into a zeroed buffer of exactly `n * itemsize` bytes. `bool` bytes must be 0 or 1.
    ///
    /// This is how decoders write straight into the final allocation.
    pub(crate) fn try_fill(
        dtype: DType,
        n: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<ArrayData> {
        let mut data = if dtype == DType::Bool {
            ArrayData::UInt8(vec![0; n])
        } else {
            ArrayData::zeros(dtype, n)
        };
        dispatch_pod!(&mut data, _b => unreachable!("bool is filled as uint8"), v => {
            let bytes = bytemuck::cast_slice_mut(v.as_mut_slice());
            crate::hugepages::advise(bytes);
            fill(bytes)?
        });
        if dtype == DType::Bool {
            let ArrayData::UInt8(bytes) = data else {
                unreachable!()
            };
            return bools_from_bytes(&bytes).map(ArrayData::Bool);
        }
        Ok(data)
    }

    /// Builds `n` elements of `dtype` from a writer that fills new, uninitialised
    /// storage itself ([`FreshFill`]), so the buffer is not zero-filled first. `bool`
    /// bytes must be 0 or 1.
    pub(crate) fn try_fresh(dtype: DType, n: usize, fill: impl FreshFill) -> Result<ArrayData> {
        Ok(match dtype {
            DType::Bool => ArrayData::Bool(bools_from_bytes(&fill.fresh::<u8>(n)?)?),
            DType::Int8 => ArrayData::Int8(fill.fresh(n)?),
            DType::Int16 => ArrayData::Int16(fill.fresh(n)?),
            DType::Int32 => ArrayData::Int32(fill.fresh(n)?),
            DType::Int64 => ArrayData::Int64(fill.fresh(n)?),
            DType::UInt8 => ArrayData::UInt8(fill.fresh(n)?),
            DType::UInt16 => ArrayData::UInt16(fill.fresh(n)?),
            DType::UInt32 => ArrayData::UInt32(fill.fresh(n)?),
            DType::UInt64 => ArrayData::UInt64(fill.fresh(n)?),
            DType::Float16 => ArrayData::Float16(fill.fresh(n)?),
            DType::Float32 => ArrayData::Float32(fill.fresh(n)?),
            DType::Float64 => ArrayData::Float64(fill.fresh(n)?),
            DType::Complex64 => ArrayData::Complex64(fill.fresh(n)?),
            DType::Complex128 => ArrayData::Complex128(fill.fresh(n)?),
        })
    }

    /// Copies `bytes` (in `order`) into typed storage of `dtype`, swapping to host order.
    /// The length must be a multiple of the item size; `bool` bytes must be 0 or 1.
    pub fn from_bytes(dtype: DType, bytes: &[u8], order: ByteOrder) -> Result<ArrayData> {
        let size = dtype.itemsize();
        if !bytes.len().is_multiple_of(size) {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "{} bytes is not a whole number of {dtype} elements",
                bytes.len()
            ))));
        }
        let mut data = ArrayData::try_fresh(dtype, bytes.len() / size, CopyFrom(bytes))?;
        if order != ByteOrder::NATIVE {
            data.swap_bytes();
        }
        Ok(data)
    }

    /// Reverses the byte order of every element (complex: of each part) in place.
    pub(crate) fn swap_bytes(&mut self) {
        let part = match self.dtype() {
            DType::Complex64 | DType::Complex128 => self.dtype().itemsize() / 2,
            d => d.itemsize(),
        };
        if part == 1 {
            return;
        }
        dispatch_pod!(self, _b => {}, v => {
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(v.as_mut_slice());
            for chunk in bytes.chunks_exact_mut(part) {
                chunk.reverse();
            }
        });
    }
}

/// Converts 0/1 bytes to `bool`s, refusing any other byte value.
/// A decoder that builds a whole new vector of plain elements itself, so it is not
/// zero-filled first: safe code extending an empty vector ([`CopyFrom`]), or trusted
/// foreign code writing its capacity (simdutf's base64 decoder; see `ffi`).
pub(crate) trait FreshFill {
    /// Exactly `n` elements.
    fn fresh<T: bytemuck::Pod>(self, n: usize) -> Result<Vec<T>>;
}

/// Elements copied from bytes in host order (exactly `n` elements' worth). Reading
/// them one by one into an empty vector compiles to a plain copy: 1M float64 at
/// 10.8 GB/s against 6.6-6.9 GB/s for zero-filling a vector and copying into it.
pub(crate) struct CopyFrom<'a>(pub(crate) &'a [u8]);

impl FreshFill for CopyFrom<'_> {
    fn fresh<T: bytemuck::Pod>(self, n: usize) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        if n.checked_mul(size) != Some(self.0.len()) {
            return Err(Error::invalid(format!(
                "{} bytes are not {n} elements of {size} bytes",
                self.0.len()
            )));
        }
        let mut v = Vec::with_capacity(n);
        crate::hugepages::advise(v.spare_capacity_mut());
        v.extend(
            self.0
                .chunks_exact(size)
                .map(bytemuck::pod_read_unaligned::<T>),
        );
        Ok(v)
    }
}

pub(crate) fn bools_from_bytes(bytes: &[u8]) -> Result<Vec<bool>> {
    if let Some(pos) = bytes.iter().position(|&b| b > 1) {
        return Err(Error::new(ErrorKind::Value(format!(
            "bool element {pos} has byte value {}; only 0 and 1 are booleans",
            bytes[pos]
        ))));
    }
    Ok(bytes.iter().map(|&b| b == 1).collect())
}

/// An owned n-dimensional array: a dtype, a shape and elements in C order.
///
/// The invariant is that the number of elements equals the product of the shape
/// (1 for the 0-d shape `[]`), and that the shape has at most
/// [`MAX_NDIM`](crate::shape::MAX_NDIM) dimensions.
///
/// ```
/// use arraymodel::{Array, DType};
/// let a = Array::new(vec![2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
/// assert_eq!(a.dtype(), DType::Float64);
/// assert_eq!(a.shape(), &[2, 3]);
/// assert_eq!(a.as_slice::<f64>().unwrap()[4], 5.0);
/// assert_eq!(a.nbytes(), 48);
/// assert!(a.as_slice::<f32>().is_none());
/// let s = Array::scalar(7i32);
/// assert_eq!(s.shape(), &[] as &[usize]);
/// assert!(Array::new(vec![4], vec![1u8, 2]).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    shape: Vec<usize>,
    data: ArrayData,
}

impl Array {
    /// An array of `shape` holding `data` in C order. Fails if the element count
    /// does not match or the shape has more than 64 dimensions.
    pub fn new<T: Element>(shape: impl Into<Vec<usize>>, data: Vec<T>) -> Result<Array> {
        Array::from_data(shape, T::into_data(data))
    }

    /// Like [`Array::new`] for already wrapped data.
    pub fn from_data(shape: impl Into<Vec<usize>>, data: ArrayData) -> Result<Array> {
        let shape = shape.into();
        if shape.len() > shape::MAX_NDIM {
            return Err(Error::new(ErrorKind::Shape(format!(
                "{} dimensions, at most {} allowed",
                shape.len(),
                shape::MAX_NDIM
            ))));
        }
        match shape::element_count(&shape) {
            Some(n) if n == data.len() => Ok(Array { shape, data }),
            Some(n) => Err(Error::new(ErrorKind::SizeMismatch {
                expected: n * data.dtype().itemsize(),
                found: data.len() * data.dtype().itemsize(),
                shape,
                dtype: data.dtype(),
            })),
            None => Err(Error::new(ErrorKind::Shape(format!(
                "element count of {shape:?} overflows"
            )))),
        }
    }

    /// A one-dimensional array.
    pub fn from_vec<T: Element>(data: Vec<T>) -> Array {
        Array {
            shape: vec![data.len()],
            data: T::into_data(data),
        }
    }

    /// A 0-d array (shape `[]`) holding one value.
    pub fn scalar<T: Element>(value: T) -> Array {
        Array {
            shape: Vec::new(),
            data: T::into_data(vec![value]),
        }
    }

    /// An array of zeros.
    pub fn zeros(dtype: DType, shape: impl Into<Vec<usize>>) -> Result<Array> {
        let shape = shape.into();
        let nbytes = shape::checked_nbytes(&shape, dtype, &Limits::default())?;
        Ok(Array {
            data: ArrayData::zeros(dtype, nbytes / dtype.itemsize()),
            shape,
        })
    }

    /// Copies raw bytes in C order and byte order `order` into an array, checking
    /// that `bytes` holds exactly the shape's size and that the shape is within `limits`.
    ///
    /// ```
    /// use arraymodel::{Array, ByteOrder, DType, Limits};
    /// let a = Array::from_bytes(DType::Int16, vec![2], &[0, 1, 0, 2], ByteOrder::Big,
    ///     &Limits::default()).unwrap();
    /// assert_eq!(a.as_slice::<i16>().unwrap(), &[1, 2]);
    /// ```
    pub fn from_bytes(
        dtype: DType,
        shape: impl Into<Vec<usize>>,
        bytes: &[u8],
        order: ByteOrder,
        limits: &Limits,
    ) -> Result<Array> {
        let shape = shape.into();
        let expected = shape::checked_nbytes(&shape, dtype, limits)?;
        if bytes.len() != expected {
            return Err(Error::new(ErrorKind::SizeMismatch {
                expected,
                found: bytes.len(),
                shape,
                dtype,
            }));
        }
        Ok(Array {
            data: ArrayData::from_bytes(dtype, bytes, order)?,
            shape,
        })
    }

    /// Builds an array of `shape` and `dtype` by letting `fill` write exactly
    /// `nbytes` bytes (host order) into the final allocation. The shape is checked
    /// against `limits` first.
    pub(crate) fn try_fill(
        dtype: DType,
        shape: Vec<usize>,
        limits: &Limits,
        fill: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<Array> {
        let nbytes = shape::checked_nbytes(&shape, dtype, limits)?;
        let data = ArrayData::try_fill(dtype, nbytes / dtype.itemsize(), fill)?;
        Ok(Array { shape, data })
    }

    /// [`Array::try_fill`] for a writer that fills new storage itself (see
    /// [`FreshFill`]).
    #[cfg_attr(any(not(feature = "simdutf"), miri), allow(dead_code))]
    pub(crate) fn try_fresh(
        dtype: DType,
        shape: Vec<usize>,
        limits: &Limits,
        fill: impl FreshFill,
    ) -> Result<Array> {
        let nbytes = shape::checked_nbytes(&shape, dtype, limits)?;
        let data = ArrayData::try_fresh(dtype, nbytes / dtype.itemsize(), fill)?;
        Ok(Array { shape, data })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// The shape (`[]` for a 0-d array).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the array has no elements (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Size of the element data in bytes.
    pub fn nbytes(&self) -> usize {
        self.data.len() * self.dtype().itemsize()
    }

    /// The element data as bytes in C order and host (little-endian) order.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_bytes()
    }

    /// The typed storage.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// Consumes the array, returning shape and storage.
    pub fn into_parts(self) -> (Vec<usize>, ArrayData) {
        (self.shape, self.data)
    }

    /// The elements if they are of type `T`.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::slice(&self.data)
    }

    /// The elements, mutably, if they are of type `T`.
    pub fn as_slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        T::slice_mut(&mut self.data)
    }

    /// A copy of the elements if they are of type `T`.
    pub fn to_vec<T: Element>(&self) -> Option<Vec<T>> {
        self.as_slice().map(<[T]>::to_vec)
    }

    /// The elements without a copy if they are of type `T`; otherwise the array back.
    pub fn into_vec<T: Element>(self) -> std::result::Result<Vec<T>, Array> {
        let shape = self.shape;
        T::from_data(self.data).map_err(|data| Array { shape, data })
    }

    /// Reverses the byte order of every element (used for big-endian input).
    pub(crate) fn swap_bytes(&mut self) {
        self.data.swap_bytes();
    }

    /// The same elements under another shape with the same element count.
    pub fn reshape(self, shape: impl Into<Vec<usize>>) -> Result<Array> {
        Array::from_data(shape, self.data)
    }
}

/// A borrowed array: dtype, byte order, shape and the element bytes in C order,
/// pointing into a decoded buffer (msgpack `bin` data, a binref file) without a copy.
///
/// ```
/// use arraymodel::{ArrayView, ByteOrder, DType};
/// let bytes = [1u8, 0, 2, 0];
/// let v = ArrayView::new(DType::UInt16, ByteOrder::Little, vec![2], &bytes).unwrap();
/// assert_eq!(v.to_array().unwrap().as_slice::<u16>().unwrap(), &[1, 2]);
/// assert!(ArrayView::new(DType::UInt16, ByteOrder::Little, vec![3], &bytes).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayView<'a> {
    dtype: DType,
    order: ByteOrder,
    shape: Vec<usize>,
    bytes: &'a [u8],
}

impl<'a> ArrayView<'a> {
    /// A view of `bytes`, which must hold exactly the shape's elements.
    pub fn new(
        dtype: DType,
        order: ByteOrder,
        shape: Vec<usize>,
        bytes: &'a [u8],
    ) -> Result<ArrayView<'a>> {
        // The bytes exist, so only the product and dimension count need checking.
        let limits = Limits {
            max_array_bytes: usize::MAX,
            ..Limits::default()
        };
        let expected = shape::checked_nbytes(&shape, dtype, &limits)?;
        if expected != bytes.len() {
            return Err(Error::new(ErrorKind::SizeMismatch {
                expected,
                found: bytes.len(),
                shape,
                dtype,
            }));
        }
        // A view promises what an owned decode would accept: bool bytes are 0 or 1.
        if dtype == DType::Bool
            && let Some(pos) = bytes.iter().position(|&b| b > 1)
        {
            return Err(Error::new(ErrorKind::Value(format!(
                "bool element {pos} has byte value {}; only 0 and 1 are booleans",
                bytes[pos]
            ))));
        }
        let order = if dtype.itemsize() == 1 {
            ByteOrder::NATIVE
        } else {
            order
        };
        Ok(ArrayView {
            dtype,
            order,
            shape,
            bytes,
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The byte order of the viewed bytes.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The viewed bytes (C order, [`ArrayView::byte_order`]).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The elements without a copy, if `T` matches, the bytes are in host order and
    /// suitably aligned (msgpack data often is not: then use [`ArrayView::to_array`]).
    pub fn as_slice<T: Element>(&self) -> Option<&'a [T]> {
        if T::DTYPE != self.dtype || self.order != ByteOrder::NATIVE {
            return None;
        }
        T::cast_bytes(self.bytes)
    }

    /// Copies into an owned [`Array`] in host order.
    pub fn to_array(&self) -> Result<Array> {
        Ok(Array {
            data: ArrayData::from_bytes(self.dtype, self.bytes, self.order)?,
            shape: self.shape.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_every_dtype() {
        for d in DType::ALL {
            let n = 5;
            let raw: Vec<u8> = (0..n * d.itemsize())
                .map(|i| {
                    if d == DType::Bool {
                        (i % 2) as u8
                    } else {
                        (i * 37 % 251) as u8
                    }
                })
                .collect();
            let a =
                Array::from_bytes(d, vec![n], &raw, ByteOrder::Little, &Limits::default()).unwrap();
            assert_eq!(a.as_bytes(), raw.as_slice(), "{d}");
            assert_eq!(a.dtype(), d);
            // Big-endian input is swapped per element (per part for complex).
            let part = if d.is_complex() {
                d.itemsize() / 2
            } else {
                d.itemsize()
            };
            let mut be = raw.clone();
            for c in be.chunks_exact_mut(part) {
                c.reverse();
            }
            let b = Array::from_bytes(d, vec![n], &be, ByteOrder::Big, &Limits::default()).unwrap();
            assert_eq!(b, a, "{d}");
        }
    }

    #[test]
    fn bad_bool_bytes_and_sizes() {
        let l = Limits::default();
        assert!(Array::from_bytes(DType::Bool, vec![2], &[0, 2], ByteOrder::Little, &l).is_err());
        assert!(Array::from_bytes(DType::Int32, vec![2], &[0; 7], ByteOrder::Little, &l).is_err());
        assert!(Array::from_bytes(DType::Int32, vec![2], &[0; 9], ByteOrder::Little, &l).is_err());
        assert!(Array::from_bytes(DType::Int32, vec![2, 0, 4], &[], ByteOrder::Little, &l).is_ok());
    }

    #[test]
    fn typed_access() {
        let a = Array::new(
            vec![2],
            vec![Complex::new(1.0f32, 2.0), Complex::new(3.0, 4.0)],
        )
        .unwrap();
        assert_eq!(a.dtype(), DType::Complex64);
        assert_eq!(a.as_bytes().len(), 16);
        let v = a.clone().into_vec::<Complex<f32>>().unwrap();
        assert_eq!(v[1].im, 4.0);
        assert!(a.into_vec::<f64>().is_err());
        let z = Array::zeros(DType::Float16, vec![3]).unwrap();
        assert_eq!(z.as_slice::<f16>().unwrap(), &[f16::ZERO; 3]);
    }
}
