//! A tesseract served from Rust (feature `server`): tesseract-runtime's HTTP protocol on
//! [axum](https://docs.rs/axum), for a type implementing [`Tesseract`].
//!
//! tesseract-core's own Python client (`Tesseract.from_url(...)`) calls it as it calls
//! `tesseract-runtime serve` (tesseract-core 1.15): the same endpoints, request bodies,
//! `Accept` negotiation, binref folders, status codes and error bodies.
//!
//! | endpoint | served when |
//! |---|---|
//! | `POST /apply` | always: [`Tesseract::apply`] |
//! | `POST /jacobian`, `/jacobian_vector_product`, `/vector_jacobian_product`, `/abstract_eval` | listed in [`Tesseract::ENDPOINTS`] |
//! | `GET /health` | always: `{"status":"ok"}` |
//! | `GET /openapi.json` | always: tesseract's document for these models and endpoints |
//!
//! **Requests** take arrays in any encoding (`json`, `base64`, `binref`, LZ4), decoded with
//! the models' constraints; binref references are read from [`ServerConfig::input_path`]
//! and confined to it (tesseract-runtime opens any path or URL a request names).
//!
//! **Responses** are written in the encoding the `Accept` header asks for, as
//! tesseract-runtime resolves it: `application/json`, `application/json+base64`,
//! `application/json+binref`, each with `; compression=lz4`, by `q`; `*/*` or no header
//! means [`ServerConfig::output_format`]. Anything else is 406 with the offered formats.
//! binref outputs go to `<output_path>/run_<id>/<uuid>.bin` (`?run_id=` names the run; an
//! id that is not one plain name is refused, where tesseract-runtime writes wherever
//! `run_/../..` leads).
//!
//! **Errors** have tesseract's bodies: a request the models refuse is 422 with FastAPI's
//! `{"detail": [{"type", "loc", "msg", "input", "ctx"}]}` (the same `type` and `loc` as
//! tesseract-runtime for the same bad request; see [`ServerConfig`] for what differs), an
//! unknown path 404, a wrong method 405, an error or a panic in user code 500
//! (`Internal Server Error`, the connection kept).
//!
//! ```no_run
//! use arraymodel::server::{BoxError, ServerConfig, Tesseract};
//! use arraymodel::{ArrayModel, NdArray};
//!
//! #[derive(ArrayModel)]
//! struct Inputs {
//!     #[array(shape = [None], dtype = "float64")]
//!     a: NdArray<f64>,
//! }
//!
//! #[derive(ArrayModel)]
//! struct Outputs {
//!     #[array(shape = [None], dtype = "float64")]
//!     doubled: NdArray<f64>,
//! }
//!
//! struct Double;
//!
//! impl Tesseract for Double {
//!     type Input = Inputs;
//!     type Output = Outputs;
//!     fn apply(&self, inputs: Inputs) -> Result<Outputs, BoxError> {
//!         let a = inputs.a.as_slice().iter().map(|x| 2.0 * x).collect();
//!         Ok(Outputs { doubled: NdArray::new(inputs.a.shape(), a)? })
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let app = arraymodel::server::router(Double, ServerConfig::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::array::Array;
use crate::dtype::DType;
use crate::model::ArrayModel;
use crate::options::{Compression, Encoding};
use crate::shape::Limits;

mod abstract_check;
mod detail;
mod gradient;
mod handler;
pub(crate) mod negotiate;
mod openapi;
mod schema_walk;

/// What user code returns as an error: any error type (`?` converts it). The server
/// answers 500 `Internal Server Error` and prints the error to stderr.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Differentiable paths named by a gradient request (`jac_inputs`, `vjp_outputs`, ...):
/// `a`, `nested.x`, `weights.{name}`, `items.[0]`, as tesseract spells them.
pub type Paths = BTreeSet<String>;

/// Arrays by differentiable path: tangent and cotangent vectors, and JVP / VJP results.
pub type Arrays = BTreeMap<String, Array>;

/// A Jacobian: `{output path: {input path: array}}`, each array of shape
/// `(*output.shape, *input.shape)`.
pub type Jacobian = BTreeMap<String, BTreeMap<String, Array>>;

/// The optional endpoints a [`Tesseract`] implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /jacobian` ([`Tesseract::jacobian`]).
    Jacobian,
    /// `POST /jacobian_vector_product` ([`Tesseract::jacobian_vector_product`]).
    JacobianVectorProduct,
    /// `POST /vector_jacobian_product` ([`Tesseract::vector_jacobian_product`]).
    VectorJacobianProduct,
    /// `POST /abstract_eval` ([`Tesseract::abstract_eval`]).
    AbstractEval,
}

impl Endpoint {
    /// The path name: `jacobian`, `jacobian_vector_product`, ...
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Jacobian => "jacobian",
            Endpoint::JacobianVectorProduct => "jacobian_vector_product",
            Endpoint::VectorJacobianProduct => "vector_jacobian_product",
            Endpoint::AbstractEval => "abstract_eval",
        }
    }
}

/// An array's shape and dtype, as `abstract_eval` takes and returns them
/// (tesseract's `ShapeDType`).
///
/// ```
/// use arraymodel::server::ShapeDType;
/// use arraymodel::DType;
/// let s = ShapeDType { shape: vec![3], dtype: DType::Float64 };
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"shape":[3],"dtype":"float64"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeDType {
    /// The dimensions.
    pub shape: Vec<usize>,
    /// The element type.
    #[serde(with = "dtype_name")]
    pub dtype: DType,
}

mod dtype_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::dtype::DType;

    pub fn serialize<S: Serializer>(d: &DType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(d.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DType, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::dtype::DType::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown dtype {name:?}")))
    }
}

/// The inputs of `abstract_eval`: the input model's structure with every array replaced
/// by its [`ShapeDType`], checked against the model's fields (ranks, fixed dimensions,
/// dtypes, required fields, no unknown keys) before [`Tesseract::abstract_eval`] sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct AbstractInputs(Value);

impl AbstractInputs {
    /// The whole value, as the request sent it.
    pub fn value(&self) -> &Value {
        &self.0
    }

    /// The shape and dtype of the array at `path` (`a`, `nested.x`, `weights.{k}`,
    /// `items.[0]`), if there is one.
    pub fn shape_dtype(&self, path: &str) -> Option<ShapeDType> {
        let v = gradient::value_at(&self.0, path)?;
        serde_json::from_value(v.clone()).ok()
    }
}

/// A Rust tesseract: an `apply` from an input model to an output model (both
/// `#[derive(ArrayModel)]`), and optionally its derivatives and abstract evaluation.
///
/// The optional methods are served when [`ENDPOINTS`](Tesseract::ENDPOINTS) lists them
/// (tesseract-core's client offers `jacobian` & co. only when the server publishes
/// them); their default bodies are errors. The gradient endpoints need at least one
/// `#[array(differentiable)]` field among the inputs and one among the outputs.
///
/// Methods run on tokio's blocking pool, one call per request; a panic is caught and
/// answered with a 500.
pub trait Tesseract: Send + Sync + 'static {
    /// The input model (`{"inputs": ...}` of every request).
    type Input: ArrayModel + Send + 'static;
    /// The output model of `apply`.
    type Output: ArrayModel + Send + 'static;

    /// The optional endpoints this type implements.
    const ENDPOINTS: &'static [Endpoint] = &[];

    /// The tesseract's function. The output is checked against its model's constraints
    /// before it is sent (a violation is a 500, as tesseract-runtime validates it).
    fn apply(&self, inputs: Self::Input) -> Result<Self::Output, BoxError>;

    /// The Jacobian of `jac_outputs` with respect to `jac_inputs` at `inputs`: an entry
    /// for every pair, each of shape `(*output.shape, *input.shape)`.
    fn jacobian(
        &self,
        inputs: Self::Input,
        jac_inputs: &Paths,
        jac_outputs: &Paths,
    ) -> Result<Jacobian, BoxError> {
        let _ = (inputs, jac_inputs, jac_outputs);
        Err(not_implemented(Endpoint::Jacobian))
    }

    /// The Jacobian of `jvp_outputs` with respect to `jvp_inputs` times `tangent_vector`
    /// (an array per input path, of that input's shape): an array per output path.
    fn jacobian_vector_product(
        &self,
        inputs: Self::Input,
        jvp_inputs: &Paths,
        jvp_outputs: &Paths,
        tangent_vector: Arrays,
    ) -> Result<Arrays, BoxError> {
        let _ = (inputs, jvp_inputs, jvp_outputs, tangent_vector);
        Err(not_implemented(Endpoint::JacobianVectorProduct))
    }

    /// `cotangent_vector` (an array per output path) times the Jacobian of `vjp_outputs`
    /// with respect to `vjp_inputs`: an array per input path.
    fn vector_jacobian_product(
        &self,
        inputs: Self::Input,
        vjp_inputs: &Paths,
        vjp_outputs: &Paths,
        cotangent_vector: Arrays,
    ) -> Result<Arrays, BoxError> {
        let _ = (inputs, vjp_inputs, vjp_outputs, cotangent_vector);
        Err(not_implemented(Endpoint::VectorJacobianProduct))
    }

    /// The output's structure with every array as a [`ShapeDType`], from the inputs'
    /// shapes and dtypes (build it with `serde_json::json!`).
    fn abstract_eval(&self, inputs: AbstractInputs) -> Result<Value, BoxError> {
        let _ = inputs;
        Err(not_implemented(Endpoint::AbstractEval))
    }
}

fn not_implemented(e: Endpoint) -> BoxError {
    format!("{} is not implemented", e.name()).into()
}

/// How a server runs: folders, formats, limits and the published title.
///
/// ```
/// use arraymodel::server::ServerConfig;
/// use arraymodel::Encoding;
/// let config = ServerConfig::default()
///     .input_path("/srv/in")
///     .output_path("/srv/out")
///     .output_format(Encoding::Base64)
///     .name("vectoradd");
/// # let _ = config;
/// ```
///
/// Where it differs from tesseract-runtime, on purpose:
/// - binref inputs are read only under `input_path`, and only when it is set (the
///   runtime's default is its working folder, and it follows `..`, absolute paths and
///   URLs); without `output_path`, `json+binref` is not offered;
/// - a 422 lists the first problem found, not every one (decoding stops at it), and
///   quotes the offending `input` only when its JSON is at most
///   [`MAX_QUOTED_INPUT`] bytes;
/// - `run_id` must be one plain name (letters, digits, `-`, `_`, `.`, not `.` or `..`, at
///   most 128 bytes);
/// - a request body is read up to [`max_body_bytes`](ServerConfig::max_body_bytes)
///   (413 past it), and decoded under [`Limits`];
/// - `cuda_ipc` buffers are not accepted (the published GPU transports are `["none"]`).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub(crate) input_path: Option<PathBuf>,
    pub(crate) output_path: Option<PathBuf>,
    #[cfg(feature = "binref-store")]
    pub(crate) input_store: Option<crate::binref::store::StoreBase>,
    #[cfg(feature = "binref-store")]
    pub(crate) output_store: Option<crate::binref::store::StoreBase>,
    pub(crate) output_format: Encoding,
    pub(crate) compression: Compression,
    pub(crate) limits: Limits,
    pub(crate) max_body_bytes: usize,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) description: String,
}

/// How much of an offending value a 422 quotes as its `input` (bytes of JSON).
pub const MAX_QUOTED_INPUT: usize = 64 * 1024;

/// The default request body cap: 1 GiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 30;

impl Default for ServerConfig {
    /// No binref folders, `json` responses without compression (tesseract-runtime's
    /// defaults), the default [`Limits`], a 1 GiB body cap, named `Tesseract`.
    fn default() -> Self {
        ServerConfig {
            input_path: None,
            output_path: None,
            #[cfg(feature = "binref-store")]
            input_store: None,
            #[cfg(feature = "binref-store")]
            output_store: None,
            output_format: Encoding::Json,
            compression: Compression::None,
            limits: Limits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            name: "Tesseract".into(),
            version: "unknown".into(),
            description: String::new(),
        }
    }
}

impl ServerConfig {
    /// The folder binref inputs are read from (and confined to): tesseract's
    /// `--input-path`.
    pub fn input_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.input_path = Some(dir.into());
        self
    }

    /// The folder binref outputs are written to, in `run_<id>/` folders: tesseract's
    /// `--output-path`. Offers `json+binref`.
    pub fn output_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.output_path = Some(dir.into());
        self
    }

    /// The object store prefix binref inputs are read from (and confined to) when no
    /// input path is set (feature `binref-store`).
    #[cfg(feature = "binref-store")]
    pub fn input_store(mut self, base: crate::binref::store::StoreBase) -> Self {
        self.input_store = Some(base);
        self
    }

    /// The object store prefix binref outputs are written to, under `run_<id>/`, when no
    /// output path is set (feature `binref-store`). Offers `json+binref`.
    #[cfg(feature = "binref-store")]
    pub fn output_store(mut self, base: crate::binref::store::StoreBase) -> Self {
        self.output_store = Some(base);
        self
    }

    /// Whether binref outputs have somewhere to go.
    pub(crate) fn writes_binref(&self) -> bool {
        #[cfg(feature = "binref-store")]
        if self.output_store.is_some() {
            return true;
        }
        self.output_path.is_some()
    }

    /// The response encoding when `Accept` leaves it open (tesseract's
    /// `--output-format`; default `json`). `Binref` needs an output path.
    pub fn output_format(mut self, encoding: Encoding) -> Self {
        self.output_format = encoding;
        self
    }

    /// The compression when `Accept` does not name one (default none).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Decode limits for request arrays.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The largest request body read (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The title published in `openapi.json` (default `Tesseract`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The version published in `openapi.json` (default `unknown`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The description published in `openapi.json`.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

/// Why a server cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Gradient endpoints without differentiable inputs or outputs (tesseract-runtime
    /// refuses to start too).
    #[error(
        "{endpoint} needs a differentiable {side}: mark an array field #[array(differentiable)]"
    )]
    NoDifferentiable {
        /// The endpoint.
        endpoint: &'static str,
        /// `input` or `output`.
        side: &'static str,
    },
    /// `output_format(Binref)` without an output path.
    #[error("the default output format json+binref needs an output path")]
    BinrefWithoutOutputPath,
}

/// The router serving `tesseract` under `config`: mount it with `axum::serve`, or
/// nest it in a larger app.
pub fn router<T: Tesseract>(
    tesseract: T,
    config: ServerConfig,
) -> Result<axum::Router, ServerError> {
    let state = handler::State::new(tesseract, config)?;
    Ok(handler::routes(Arc::new(state)))
}

/// Serves `tesseract` on `listener` until the process ends (a convenience over
/// [`router`] and `axum::serve`).
pub async fn serve<T: Tesseract>(
    tesseract: T,
    config: ServerConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let app = router(tesseract, config).map_err(std::io::Error::other)?;
    axum::serve(listener, app).await
}

/// The `openapi.json` a server for `T` publishes (what `GET /openapi.json` returns).
pub fn openapi_document<T: Tesseract>(config: &ServerConfig) -> Result<Value, ServerError> {
    handler::describe::<T>(config).map(|(doc, ..)| doc)
}
