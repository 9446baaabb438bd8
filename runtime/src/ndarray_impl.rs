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

impl<T: Element, D: ndarray::Dimension> crate::model::ArrayField for ndarray::Array<T, D> {
    const DTYPE: Option<crate::DType> = Some(T::DTYPE);

    fn conform(&mut self, spec: &crate::model::ArraySpec) -> crate::Result<()> {
        let conformed = spec.conform(Array::from(&*self))?;
        *self = into_dim::<T, D>(conformed)?;
        Ok(())
    }
    #[cfg(feature = "schema")]
    fn array_schema(
        generator: &mut schemars::SchemaGenerator,
        spec: &crate::model::ArraySpec,
    ) -> schemars::Schema {
        crate::model::ArraySpec {
            dtype: spec.dtype.or(Some(T::DTYPE)),
            ..*spec
        }
        .json_schema(generator)
    }
}

fn into_dim<T: Element, D: ndarray::Dimension>(a: Array) -> crate::Result<ndarray::Array<T, D>> {
    let ndim = a.ndim();
    let typed = crate::model::NdArray::<T>::try_from_array(a)?;
    let dynamic = typed.into_array().into_ndarray::<T>().map_err(|a| {
        crate::Error::new(crate::ErrorKind::Constraint(format!(
            "dtype {} is not {}",
            a.dtype(),
            T::DTYPE
        )))
    })?;
    dynamic.into_dimensionality::<D>().map_err(|_| {
        crate::Error::new(crate::ErrorKind::Constraint(format!(
            "expected {} dimension(s), got {ndim}",
            D::NDIM.map_or_else(|| "any number of".to_owned(), |n| n.to_string())
        )))
    })
}

/// serde `with` module for `ndarray::Array<T, D>` fields: the same wire forms as
/// [`Array`] (tesseract, truss, msgpack-numpy), dtypes converted to `T` with tesseract's
/// rules, the rank checked against `D`. `#[derive(ArrayModel)]` applies it to ndarray
/// fields automatically.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct M {
///     #[serde(with = "arraymodel::ndarray_serde")]
///     x: ndarray::Array2<f32>,
/// }
/// let m: M = arraymodel::from_json_slice(br#"{"x":[[1,2],[3,4]]}"#, &Default::default()).unwrap();
/// assert_eq!(m.x[[1, 0]], 3.0);
/// assert!(arraymodel::from_json_slice::<M>(br#"{"x":[1,2]}"#, &Default::default()).is_err());
/// ```
pub mod ndarray_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::array::{Array, Element};

    /// Serializes through [`Array`] (one copy into C order).
    pub fn serialize<T: Element, D: ndarray::Dimension, S: Serializer>(
        a: &ndarray::Array<T, D>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        Array::from(a).serialize(s)
    }

    /// Deserializes any array form into `ndarray::Array<T, D>`.
    pub fn deserialize<'de, T: Element, D: ndarray::Dimension, De: Deserializer<'de>>(
        d: De,
    ) -> Result<ndarray::Array<T, D>, De::Error> {
        let a = Array::deserialize(d)?;
        super::into_dim::<T, D>(a).map_err(crate::model::de_error)
    }
}
