//! One module per wire form. Each offers the same small interface: a writer that
//! appends one encoded array to a `Vec<u8>` (or serializes it), and a decoder from the
//! parts a parser found to an [`Array`](crate::Array) built in its final allocation.
//!
//! | module | wire form |
//! |---|---|
//! | [`tesseract`] | the `{"object_type","shape","dtype","data"}` object around a buffer |
//! | [`json`] | tesseract `json` buffers: nested lists |
//! | [`list`] | plain nested lists through any serde deserializer (JSON lists, msgpack arrays) |
//! | [`base64`] | tesseract `base64` buffers and truss `data_b64` |
//! | [`binref`] | tesseract `binref` buffers: side files, confined reads |
//! | [`lz4`] | LZ4 frames for base64 and binref |
//! | [`truss`] | truss `NumpyArrayField` JSON |
//! | [`msgpack`] | msgpack-numpy's array map (truss binary mode) |
//!
//! Most code does not call these directly: [`Array`](crate::Array) implements serde's
//! traits on top of them and [`to_json_vec`](crate::to_json_vec) and friends pick the
//! form per call.

pub mod base64;
pub mod binref;
pub mod json;
pub mod list;
pub mod lz4;
pub mod msgpack;
pub mod tesseract;
pub mod truss;
