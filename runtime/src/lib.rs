//! # arraymodel
//!
//! N-dimensional arrays and raw bytes on the wire, byte-compatible with
//! [tesseract-core](https://github.com/pasteurlabs/tesseract-core) and
//! [truss](https://github.com/basetenlabs/truss) chains.
//!
//! Where to start:
//!
//! - **Models**: [`#[derive(ArrayModel)]`](derive@ArrayModel) on your structs: shapes and
//!   dtypes checked on decode (and the dtype against `NdArray<T>` at compile time), every
//!   wire form, tesseract's published schemas.
//! - **Any serde type**: [`Array`] (owned, one of 14 [`DType`]s, C order) and [`ArrayView`]
//!   (borrowed) implement serde's traits; [`to_json_vec`], [`from_json_slice`],
//!   [`to_msgpack_vec`], [`from_msgpack_slice`] choose the wire form per call
//!   ([`EncodeOptions`], [`DecodeOptions`]).
//! - **Payloads without a schema**: [`document::Document`] reads any JSON or msgpack payload
//!   and finds its arrays.
//! - **Models from a schema**: `import_schema!("openapi.json")` at compile time (feature
//!   `import`), or the same generator from `build.rs` with
//!   [`arraymodel-codegen`](https://docs.rs/arraymodel-codegen) (a library without CLI
//!   dependencies), or the `arraymodel generate` command
//!   ([`arraymodel-codegen-cli`](https://docs.rs/arraymodel-codegen-cli), which also
//!   `convert`s and `inspect`s payloads).
//! - **HTTP clients** for tesseract and truss services (features `client`, `client-async`).
//!
//! Every decoder returns an [`Error`] naming the payload path, and never allocates for
//! sizes the input cannot back ([`Limits`]).
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
//!
//! ## Features
#![cfg_attr(feature = "document-features", doc = document_features::document_features!())]
#![cfg_attr(
    not(feature = "document-features"),
    doc = "See the `[features]` table of the crate's Cargo.toml (rendered here on docs.rs)."
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The only `unsafe` is in one audited module, `ffi` (two foreign calls).
#![deny(unsafe_code)]
#![warn(missing_docs)]

// Lets `#[derive(ArrayModel)]` name `::arraymodel` inside this crate too.
extern crate self as arraymodel;

// Public modules, and why each is: `bytes` is named in `#[serde(with = ...)]`; `cast`
// offers tesseract's casting and broadcasting outside a model; `binref` is for servers
// and tools that manage side-file folders themselves; `client` (features) holds the
// HTTP clients; `document` reads payloads without a schema (the CLI is built on it);
// `model` is what the derive implements and generated code names; `text` escapes
// payload text for terminals. Everything else is reached through the root re-exports.
mod array;
pub mod binref;
pub mod bytes;
pub mod cast;
mod check;
#[cfg(any(feature = "client", feature = "client-async"))]
pub mod client;
// The codecs behind the serde impls: crate-private, because their functions take
// parts a parser found and trust them. Feature `internals` (not for applications; no
// stability promise) exposes them to this repository's per-function benchmarks and
// fuzz targets.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod codec;
#[cfg(not(feature = "internals"))]
mod codec;
mod context;
pub mod document;
mod dtype;
mod error;
mod ffi;
mod form;
mod format;
mod hugepages;
mod long_strings;
mod maps_only;
pub mod model;
#[cfg(feature = "ndarray")]
mod ndarray_impl;
#[cfg(feature = "ndarray")]
pub use ndarray_impl::ndarray_serde;
mod options;
mod serde_impl;
#[cfg(feature = "server")]
pub mod server;
mod shape;
pub mod text;
mod wire;

pub use array::{Array, ArrayData, ArrayView, Element};
pub use context::WithOptions;
pub use dtype::{ByteOrder, DType, DTypeError};
pub use error::{Error, ErrorKind, Path, Result, Segment};
pub use format::{
    from_json_slice, from_msgpack_slice, to_json_into, to_json_vec, to_json_writer,
    to_msgpack_into, to_msgpack_vec, to_msgpack_writer,
};
pub use options::{BytesStyle, Compression, DecodeOptions, EncodeOptions, Encoding, JsonStyle};
pub use shape::{Limits, MAX_NDIM};

pub use model::{ArrayModel, NdArray};

/// Derives [`ArrayModel`](trait@ArrayModel) — and with it serde's `Serialize` and
/// `Deserialize`, and with feature `schema` schemars' `JsonSchema` — for a struct with
/// named fields.
///
/// Do not also derive serde's traits: the derive writes them (through a serde
/// `remote` mirror of the struct), honouring every `#[serde(...)]` attribute
/// (`rename`, `rename_all`, `default`, `skip_serializing_if`, `deny_unknown_fields`,
/// `flatten`, ...), and checks the array constraints on decode.
///
/// # Field attributes
///
/// | attribute | meaning |
/// |---|---|
/// | `#[array(shape = [None, 3])]` | rank 2, any first size, second size 3 (a given 1 is broadcast to 3, as tesseract does) |
/// | `#[array(shape = [])]` | a 0-d scalar array |
/// | `#[array(shape = ..)]` | any rank (tesseract's `...`); also the default |
/// | `#[array(dtype = "float64")]` | the stored dtype; other dtypes are converted with tesseract's safe casts and range checks (ints into floats, narrower ints; `300` into `int8` is an error) |
/// | `#[array(dtype = "float64", exact)]` | only that dtype |
/// | `#[array(differentiable)]` | tesseract's `Differentiable[...]` (schema `array_flags`) |
/// | `#[array(form = "truss")]`, `"list"`, `"pydantic-numpy"`, `"tesseract"` | the JSON form of the field's arrays, whatever the call's [`EncodeOptions`] say: truss's `{"data_b64","shape","dtype"}`, plain nested lists ([`JsonStyle::List`]: numpydantic's `NDArray`), pydantic-numpy's `{"data_type","data","shape"}` ([`JsonStyle::PydanticNumpy`]), or tesseract's object (in the call's tesseract encoding, else `json+base64`); combines with the other keys (see below) |
/// | `#[bytes]` | a `Vec<u8>` / `Option<Vec<u8>>` field: msgpack `bin`, UTF-8 text in JSON like pydantic |
/// | `#[check(minimum = 1, max_length = 8, pattern = "^[a-z]+$", ...)]` | JSON Schema's validation keywords, snake case: `minimum`, `maximum`, `exclusive_minimum`, `exclusive_maximum`, `multiple_of`, `min_length`, `max_length` (code points), `pattern` (unanchored, linear-time `regex-lite`), `min_items`, `max_items`, `unique_items`, `min_properties`, `max_properties`, `required_keys = ["a"]` (maps), `json_enum = "[1, 2]"` (the allowed JSON values), and `items(...)`, `values(...)`, `keys(...)` for each list element, map value and map key |
///
/// `#[check(...)]` is checked on decode and by [`ArrayModel::conform`](trait@ArrayModel)
/// on a value you built, against the field as serde writes it (so as the JSON instance
/// the keywords speak of): `None` satisfies every keyword, a string enum is checked by
/// its wire name, a nested model by its own fields. Errors name the field and the
/// position inside it:
///
/// ```
/// use arraymodel::{ArrayModel, DecodeOptions};
///
/// #[derive(ArrayModel, Debug)]
/// struct Disk {
///     #[check(min_length = 1, max_length = 63, pattern = "^[a-z][a-z0-9-]*$")]
///     name: String,
///     #[check(minimum = 512, multiple_of = 512)]
///     size: u64,
///     #[check(max_items = 4, unique_items, items(min_length = 1))]
///     #[serde(default)]
///     tags: Vec<String>,
/// }
///
/// let opts = DecodeOptions::default();
/// assert!(Disk::from_json(br#"{"name": "boot", "size": 4096, "tags": ["a", "b"]}"#, &opts).is_ok());
/// let err = Disk::from_json(br#"{"name": "boot", "size": 4096, "tags": ["a", "a"]}"#, &opts).unwrap_err();
/// assert_eq!(err.to_string(), "tags[1]: \"a\" appears more than once (uniqueItems)");
/// let mut built = Disk { name: "Boot".into(), size: 4096, tags: vec![] };
/// assert!(built.conform().unwrap_err().to_string().starts_with("name: \"Boot\" does not match"));
/// ```
///
/// `form` applies in every JSON entry point ([`to_json_vec`] and the other `to_json_*`,
/// the model methods, [`EncodeOptions::serialize`] and [`EncodeOptions::with`]), and
/// through any other JSON serializer too (`serde_json::to_vec(&model)`, where the other
/// arrays get the default, tesseract `json+base64`); msgpack is unchanged. The call's
/// other options (binref folder, bytes style) still apply. Alone (`#[array(form =
/// "list")]`) it also goes on a field that holds arrays further down — a nested model, a
/// list of them, a `#[serde(flatten)]` map or struct — whose arrays then all take the
/// form, except those of a form field of their own. Reading accepts every form, as
/// always. It cannot be combined with `#[bytes]`, an ndarray field or
/// `#[serde(with/serialize_with/deserialize_with)]` (compile errors); serde's `rename`,
/// `default`, `skip_serializing_if` and `flatten` apply as usual. A `truss` or
/// `tesseract` form also chooses the field's published JSON Schema (feature `schema`).
/// A FastAPI service that mixes array families in one model:
///
/// ```
/// use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions};
///
/// #[derive(ArrayModel, Debug, PartialEq)]
/// struct Prediction {
///     /// truss's `NumpyArrayField`
///     #[array(form = "truss")]
///     image: Array,
///     /// numpydantic's `NDArray[Shape["*, 2"], np.float32]`
///     #[array(form = "list", shape = [None, 2], dtype = "float32")]
///     points: Array,
///     /// tesseract's `Array[(), Float64]`
///     #[array(form = "tesseract")]
///     score: Array,
///     /// in the form of the call
///     raw: Array,
/// }
///
/// let p = Prediction {
///     image: Array::from_vec(vec![1u8, 2]),
///     points: Array::new(vec![1, 2], vec![0.5f32, 0.1]).unwrap(),
///     score: Array::scalar(1.5f64),
///     raw: Array::from_vec(vec![3.0f64]),
/// };
/// let json = p.to_json(&EncodeOptions::list()).unwrap();
/// assert_eq!(std::str::from_utf8(&json).unwrap(), concat!(
///     r#"{"image":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"},"#,
///     r#""points":[[0.5,0.10000000149011612]],"#,
///     r#""score":{"object_type":"array","shape":[],"dtype":"float64","data":{"buffer":"AAAAAAAA+D8=","encoding":"base64"}},"#,
///     r#""raw":[3.0]}"#,
/// ));
/// assert_eq!(Prediction::from_json(&json, &DecodeOptions::default()).unwrap(), p);
/// // Only `raw` follows the call.
/// let truss = p.to_json(&EncodeOptions::truss()).unwrap();
/// assert!(truss.ends_with(br#""raw":{"data_b64":"AAAAAAAACEA=","shape":[1],"dtype":"float64"}}"#));
/// ```
///
/// `#[array(...)]` applies to [`Array`], [`NdArray<T>`], `ndarray` arrays (feature
/// `ndarray`; they need no attribute) and `Option`, `Vec`, `Box`, `BTreeMap` and
/// `HashMap` of them. Container attributes: `#[arraymodel(schema = "truss")]` makes the
/// array fields publish truss's `NumpyArrayField` schema (with the `data_b64` key the
/// wire uses) instead of tesseract's `EncodedArrayModel`; `#[arraymodel(crate = "path")]`
/// if the crate is not `::arraymodel` (a renamed Cargo dependency, a re-export), as
/// serde's `#[serde(crate = "...")]`. Every other field type must implement serde's traits, and with
/// feature `schema` also `schemars::JsonSchema`. Mistakes — unknown keys, unknown
/// dtypes, malformed shapes, a dtype that contradicts `NdArray<T>`, `#[bytes]` on a
/// `String` — are compile errors pointing at the attribute, all reported at once,
/// and nothing else: the uses of a model whose derive failed report no further
/// errors. A dtype that contradicts the field's type however it is spelled (an alias
/// of `NdArray<f64>`, `Option` of one, `ndarray::Array1<f64>`) is a compile error at
/// the type, checked through [`ArrayField::DTYPE`](model::ArrayField::DTYPE) by
/// [`model::field_dtype_conflict`] (documented: the expansion calls it).
///
/// # JSON Schema (feature `schema`)
///
/// The derive cannot see the runtime's features, so it always writes the `JsonSchema`
/// impl, wrapped in the hidden `arraymodel::__private::schema_items! { ... }` gate: with
/// feature `schema` the gate passes the impl through, without it the impl (and schemars)
/// is not compiled at all. A generic model's `ArrayModel` impl bounds its type
/// parameters by [`model::MaybeJsonSchema`] (`JsonSchema` with the feature, nothing
/// without). Features unify across a build: once any crate enables `schema`, every
/// derived model derives `JsonSchema` and its field types need it.
///
/// # Example
///
/// ```
/// use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, NdArray};
///
/// fn one() -> Array { Array::scalar(1.0f64) }
///
/// /// Inputs of tesseract's vectoradd example.
/// #[derive(ArrayModel, Debug)]
/// #[serde(deny_unknown_fields)]
/// struct ApplyInput {
///     /// First vector
///     #[array(shape = [None], dtype = "float64", differentiable)]
///     a: Array,
///     /// Second vector
///     #[array(shape = [None], dtype = "float64", differentiable)]
///     b: NdArray<f64>,
///     /// Scalar multiplier for a
///     #[array(shape = [], dtype = "float64", differentiable)]
///     #[serde(default = "one")]
///     s: Array,
///     #[bytes]
///     #[serde(default)]
///     image: Vec<u8>,
///     label: Option<String>,
/// }
///
/// // tesseract's request body, int32 data for a float64 field, `s` and `image` omitted:
/// let body = br#"{"inputs":{"a":{"shape":[3],"dtype":"int32","data":{"buffer":"AQAAAAIAAAADAAAA","encoding":"base64"}},"b":[0.5,1.5,2.5],"label":null}}"#;
/// let m = ApplyInput::from_tesseract_request(body, &DecodeOptions::default()).unwrap();
/// assert_eq!(m.a.as_slice::<f64>().unwrap(), &[1.0, 2.0, 3.0]);
/// assert_eq!(m.s.as_slice::<f64>().unwrap(), &[1.0]);
///
/// // Every wire form: tesseract json/base64/binref (+lz4), truss JSON, msgpack.
/// let json = m.to_json(&EncodeOptions::tesseract(Encoding::Json)).unwrap();
/// assert!(json.starts_with(br#"{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[1.0,2.0,3.0],"encoding":"json"}}"#));
/// let truss = m.to_json(&EncodeOptions::truss()).unwrap();
/// let packed = m.to_msgpack().unwrap();
/// assert_eq!(ApplyInput::from_msgpack(&packed, &DecodeOptions::default()).unwrap().b.as_slice(), &[0.5, 1.5, 2.5]);
/// # let _ = truss;
///
/// // Constraints are checked on decode; the error names the field.
/// let bad = br#"{"inputs":{"a":[[1.0, 2.0]],"b":[1.0]}}"#;
/// let err = ApplyInput::from_tesseract_request(bad, &DecodeOptions::default()).unwrap_err();
/// assert_eq!(err.path().to_string(), "inputs.a");
///
/// // With feature `schema`: the schema tesseract publishes for the same model, in structure.
/// #[cfg(feature = "schema")]
/// {
///     let schema = ApplyInput::json_schema_value();
///     assert_eq!(schema["properties"]["a"]["title"], "EncodedArrayModel__any__float64__DIFFERENTIABLE");
///     assert_eq!(schema["properties"]["a"]["description"], "First vector");
/// }
/// ```
pub use arraymodel_macros::ArrayModel;

/// `import_schema!("schemas/x.json")`: generates the models of a JSON Schema / OpenAPI
/// file at compile time, with the same engine as `arraymodel generate` (path relative to
/// the crate's `Cargo.toml`; options `map_type = "..."`, `crate_path = "..."`,
/// `client = true`, `async_client = true`). Feature `import`.
#[cfg(feature = "import")]
pub use arraymodel_import_macro::import_schema;

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use half::f16;
pub use num_complex::Complex;
/// The schemars crate, for `#[derive(JsonSchema)]` on types used in model fields
/// (feature `schema`).
#[cfg(feature = "schema")]
pub use schemars;
/// The serde crate the derive and the codecs use.
pub use serde;
/// The serde_json crate: generated code (`arraymodel generate`, `import_schema!`) names
/// `arraymodel::serde_json::Value` for schema-less values (no serde_json dependency needed).
pub use serde_json;

/// Items only the expansion of `#[derive(ArrayModel)]` uses (generated code names the
/// documented items above). Not a public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::__arraymodel_schema_items as schema_items;
    pub use crate::cast::Casting;
    pub use crate::check::{Constraints, JsonEnum, Num, Pattern, check};
    pub use crate::dtype::DType;
    pub use crate::error::{Error, Result};
    pub use crate::form::fields as form;
    pub use crate::format::from_json_slice_uncut;
    pub use crate::maps_only::MapsOnly;
    pub use crate::model::{
        ArrayField, ArrayModel, ArraySpec, Dim, FieldInfo, MaybeJsonSchema, SchemaStyle, ShapeSpec,
        de_error,
    };
    #[cfg(feature = "schema")]
    pub use schemars;
    pub use serde;
    pub use serde_json;
    pub use std;
}
