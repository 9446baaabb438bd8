//! # arraymodel
//!
//! N-dimensional arrays and raw bytes on the wire, byte-compatible with
//! [tesseract-core](https://github.com/pasteurlabs/tesseract-core) and
//! [truss](https://github.com/basetenlabs/truss) chains.
//!
//! - [`Array`]: an owned array of one of 14 [`DType`]s, in C order; [`ArrayView`] borrows.
//! - [`codec`]: one module per wire form (tesseract json / base64 / binref / lz4, truss
//!   JSON, msgpack-numpy).
//! - [`Array`] implements serde's traits, so it works inside any serde struct;
//!   [`to_json_vec`], [`from_json_slice`], [`to_msgpack_vec`], [`from_msgpack_slice`]
//!   choose the form per call ([`EncodeOptions`], [`DecodeOptions`]).
//! - Every decoder returns an [`Error`] naming the payload path and never allocates for
//!   sizes the input cannot back ([`Limits`]).
//!
//! ```
//! use arraymodel::{from_json_slice, to_json_vec, to_msgpack_vec, Array, DecodeOptions, EncodeOptions, Encoding};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Inputs { a: Array, s: Array }
//!
//! // A request as tesseract's own client sends it (no object_type, base64 buffers).
//! let body = br#"{"a":{"shape":[3],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA","encoding":"base64"}},"s":2.0}"#;
//! let inputs: Inputs = from_json_slice(body, &DecodeOptions::default()).unwrap();
//! assert_eq!(inputs.a.as_slice::<f64>().unwrap(), &[1.0, 2.0, 3.0]);
//! assert_eq!(inputs.s.as_slice::<f64>().unwrap(), &[2.0]);
//!
//! let json = to_json_vec(&inputs, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
//! assert!(json.starts_with(br#"{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[1.0,2.0,3.0]"#));
//! let packed = to_msgpack_vec(&inputs).unwrap();
//! assert_eq!(&packed[..3], b"\x82\xa1a");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Lets `#[derive(ArrayModel)]` name `::arraymodel` inside this crate too.
extern crate self as arraymodel;

mod array;
pub mod bytes;
pub mod cast;
pub mod codec;
pub mod context;
pub mod document;
mod dtype;
mod error;
mod format;
pub mod model;
#[cfg(feature = "ndarray")]
mod ndarray_impl;
mod options;
mod serde_impl;
pub mod shape;

pub use array::{Array, ArrayData, ArrayView, Element};
pub use dtype::{ByteOrder, DType, DTypeError};
pub use error::{Error, ErrorKind, Path, Result, Segment};
pub use format::{from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec};
pub use options::{BytesStyle, Compression, DecodeOptions, EncodeOptions, Encoding, JsonStyle};
pub use shape::Limits;

pub use model::{ArrayModel, NdArray};

/// `#[derive(ArrayModel)]`: see [`ArrayModel`].
pub use arraymodel_macros::ArrayModel;

pub use half::f16;
pub use num_complex::Complex;

/// Items the derive and generated code use. Not a public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::cast::Casting;
    pub use crate::dtype::DType;
    pub use crate::error::{Error, Result};
    pub use crate::model::{
        ArrayField, ArrayModel, ArraySpec, Dim, FieldInfo, ShapeSpec, de_error,
    };
    pub use schemars;
    pub use serde;
    pub use serde_json;
    pub use std;
}
