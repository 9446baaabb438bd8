//! Conversions between [`Array`] and `ndarray` arrays (feature `ndarray`).
//!
//! ```
//! use arraymodel::Array;
//! let nd = ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]);
//! let a = Array::from(nd.t().to_owned()); // any layout; stored in C order
//! assert_eq!(a.shape(), &[2, 2]);
//! assert_eq!(a.as_slice::<f64>().unwrap(), &[1.0, 3.0, 2.0, 4.0]);
//! let back = a.into_ndarray::<f64>().unwrap();
//! assert_eq!(back[[0, 1]], 3.0);
//! ```

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use crate::array::{Array, Element};

impl Array {
    /// A copy as an `ndarray` array, if the elements are of type `T`.
    pub fn to_ndarray<T: Element>(&self) -> Option<ArrayD<T>> {
        let data = self.as_slice::<T>()?.to_vec();
        ArrayD::from_shape_vec(IxDyn(self.shape()), data).ok()
    }

    /// The elements as an `ndarray` array without a copy, if they are of type `T`;
    /// otherwise the array back.
    pub fn into_ndarray<T: Element>(self) -> Result<ArrayD<T>, Array> {
        let shape = self.shape().to_vec();
        let v = self.into_vec::<T>()?;
        // The element count always matches the shape (an invariant of Array).
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), v).expect("shape matches element count"))
    }
}

impl<T: Element, D: Dimension> From<ndarray::Array<T, D>> for Array {
    /// Takes the buffer without a copy when the array is in standard (C) layout;
    /// otherwise copies the elements in logical (C) order.
    fn from(a: ndarray::Array<T, D>) -> Array {
        let shape = a.shape().to_vec();
        let len = a.len();
        let data = if a.is_standard_layout() {
            let (v, offset) = a.into_raw_vec_and_offset();
            match offset {
                Some(0) | None if v.len() == len => v,
                Some(o) => v[o..o + len].to_vec(),
                None => v[..len].to_vec(),
            }
        } else {
            a.iter().copied().collect()
        };
        Array::new(shape, data).expect("ndarray shapes have at most 32 dims and matching counts")
    }
}

impl<T: Element, S: Data<Elem = T>, D: Dimension> From<&ArrayBase<S, D>> for Array {
    /// Copies any view or array in logical (C) order.
    fn from(a: &ArrayBase<S, D>) -> Array {
        let data: Vec<T> = a.iter().copied().collect();
        Array::new(a.shape().to_vec(), data).expect("ndarray shapes have matching counts")
    }
}
