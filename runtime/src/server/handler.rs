//! The routes and what each request goes through: body, `run_id`, decode (422), `Accept`
//! (406), the user's function on the blocking pool (500 on an error or a panic), the
//! output checked and encoded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::detail;
use super::gradient;
use super::negotiate::{self, Negotiated};
use super::openapi;
use super::schema_walk::{self, ArrayLeaf};
use super::{AbstractInputs, Arrays, Endpoint, ServerConfig, ServerError, Tesseract};
use crate::array::Array;
use crate::error::Error;
use crate::model::ArrayModel;
use crate::options::{Compression, DecodeOptions, EncodeOptions, Encoding};

/// A server's state: the tesseract, its configuration and what was derived from its
/// models once (the published document, the differentiable paths).
pub(crate) struct State<T> {
    tesseract: T,
    config: ServerConfig,
    openapi: Bytes,
    /// Differentiable input and output arrays.
    inputs: Vec<ArrayLeaf>,
    outputs: Vec<ArrayLeaf>,
    /// Every input array (abstract_eval checks them).
    input_schema: Value,
}

/// The published document and the differentiable leaves of `T`'s models.
pub(crate) fn describe<T: Tesseract>(
    config: &ServerConfig,
) -> Result<(Value, Value, Vec<ArrayLeaf>, Vec<ArrayLeaf>), ServerError> {
    if config.output_format == Encoding::Binref && !config.writes_binref() {
        return Err(ServerError::BinrefWithoutOutputPath);
    }
    let input = T::Input::json_schema_value();
    let output = T::Output::json_schema_value();
    let input_structure = schema_walk::walk(&input);
    let output_structure = schema_walk::walk(&output);
    let diff = |s: &schema_walk::Structure| -> Vec<ArrayLeaf> {
        s.arrays
            .iter()
            .filter(|l| l.differentiable)
            .cloned()
            .collect()
    };
    let (inputs, outputs) = (diff(&input_structure), diff(&output_structure));
    for e in T::ENDPOINTS {
        if *e == Endpoint::AbstractEval {
            continue;
        }
        if inputs.is_empty() {
            return Err(ServerError::NoDifferentiable {
                endpoint: e.name(),
                side: "input",
            });
        }
        if outputs.is_empty() {
            return Err(ServerError::NoDifferentiable {
                endpoint: e.name(),
                side: "output",
            });
        }
    }
    let doc = openapi::document(&openapi::Models {
        input: &input,
        output: &output,
        input_structure: &input_structure,
        output_structure: &output_structure,
        endpoints: T::ENDPOINTS,
        title: &config.name,
        version: &config.version,
        description: &config.description,
        binref: config.writes_binref(),
    });
    Ok((doc, input, inputs, outputs))
}

impl<T: Tesseract> State<T> {
    pub(crate) fn new(tesseract: T, config: ServerConfig) -> Result<State<T>, ServerError> {
        let (doc, input_schema, inputs, outputs) = describe::<T>(&config)?;
        Ok(State {
            tesseract,
            openapi: Bytes::from(serde_json::to_vec(&doc).expect("a Value serializes")),
            config,
            inputs,
            outputs,
            input_schema,
        })
    }
}

pub(crate) fn routes<T: Tesseract>(state: Arc<State<T>>) -> axum::Router {
    let mut r = axum::Router::new()
        .route("/apply", post(run::<T, Apply>))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json::<T>));
    for e in T::ENDPOINTS {
        r = match e {
            Endpoint::Jacobian => r.route("/jacobian", post(run::<T, Jac>)),
            Endpoint::JacobianVectorProduct => {
                r.route("/jacobian_vector_product", post(run::<T, Jvp>))
            }
            Endpoint::VectorJacobianProduct => {
                r.route("/vector_jacobian_product", post(run::<T, Vjp>))
            }
            Endpoint::AbstractEval => r.route("/abstract_eval", post(run::<T, Abstract>)),
        };
    }
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let bytes = serde_json::to_vec(&body).expect("a Value serializes");
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

enum BodyError {
    TooLarge,
    Read,
}

/// The request body in one buffer, sized from `Content-Length` (up to 256 MiB ahead of the
/// bytes) so a large body is not grown and copied chunk by chunk; at most `max` bytes.
async fn read_body(body: Body, declared: Option<u64>, max: usize) -> Result<Vec<u8>, BodyError> {
    use futures::StreamExt;
    let ahead = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(ahead.min(max).min(256 << 20));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if out.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn too_large(config: &ServerConfig) -> Response {
    json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"detail": format!("Request body exceeds {} bytes", config.max_body_bytes)}),
    )
}

async fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
}

async fn method_not_allowed() -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({"detail": "Method Not Allowed"}),
    )
}

async fn health() -> Response {
    json_response(StatusCode::OK, json!({"status": "ok"}))
}

async fn openapi_json<T: Tesseract>(Extract(state): Extract<Arc<State<T>>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.openapi.clone(),
    )
        .into_response()
}

fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "Internal Server Error",
    )
        .into_response()
}

/// What one request came to.
enum Outcome {
    Done(Vec<u8>, Encoding),
    Invalid(Value),
    NotAcceptable(Value),
    Failed(String),
}

/// The work of one endpoint, run on the blocking pool.
trait Op<T: Tesseract>: Send + 'static {
    /// Whether the endpoint takes `Accept` and `run_id` (abstract_eval answers JSON).
    const NEGOTIATES: bool = true;
    fn run(state: &State<T>, body: &[u8], ctx: &Call) -> Outcome;
}

/// A request's per-call facts.
struct Call {
    decode: DecodeOptions,
    accept: Result<Negotiated, Value>,
    run_id: String,
}

impl Call {
    /// The options writing the response, creating the run folder for binref.
    fn encode(
        &self,
        state: &State<impl Tesseract>,
        n: Negotiated,
    ) -> Result<EncodeOptions, String> {
        let mut opts = EncodeOptions::tesseract(n.encoding);
        if n.compression == Compression::Lz4 && n.encoding != Encoding::Json {
            opts = opts.lz4();
        }
        if n.encoding == Encoding::Binref {
            let run = format!("run_{}", self.run_id);
            #[cfg(feature = "binref-store")]
            if state.config.output_path.is_none()
                && let Some(base) = &state.config.output_store
            {
                let store = base.child(&run).map_err(|e| e.to_string())?;
                return Ok(opts.binref_store(store).binref_prefix(format!("{run}/")));
            }
            let base = state
                .config
                .output_path
                .as_ref()
                .ok_or("json+binref without an output path")?;
            let dir: PathBuf = base.join(&run);
            opts = opts.binref_dir(dir).binref_prefix(format!("{run}/"));
        }
        Ok(opts)
    }
}

/// A `run_id` that names one folder: letters, digits, `-`, `_`, `.`; not `.` or `..`.
fn run_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.split_once('/') {
        Some((_, sub)) => sub == "json" || sub.ends_with("+json"),
        None => false,
    }
}

async fn run<T: Tesseract, O: Op<T>>(
    Extract(state): Extract<Arc<State<T>>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config.max_body_bytes as u64) {
        return too_large(&state.config);
    }
    let body = match read_body(body, declared, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(&state.config),
        Err(BodyError::Read) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"detail": "The request body could not be read"}),
            );
        }
    };
    if !is_json_content_type(&headers) {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"detail": detail::not_an_object(&body)}),
        );
    }
    if body.is_empty() {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"detail": detail::missing_body()}),
        );
    }
    let mut run_id = None;
    if O::NEGOTIATES {
        for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
            if k == "run_id" {
                if !run_id_ok(&v) {
                    return json_response(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({"detail": [{"type": "value_error", "loc": ["query", "run_id"],
                            "msg": "Value error, run_id must be one plain name: letters, digits, '-', '_', '.' (not '.' or '..'), at most 128 bytes",
                            "input": v.chars().take(256).collect::<String>()}]}),
                    );
                }
                run_id = Some(v.into_owned());
            }
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let default = Negotiated {
        encoding: state.config.output_format,
        compression: state.config.compression,
    };
    let mut decode = DecodeOptions::default().limits(state.config.limits);
    if let Some(dir) = &state.config.input_path {
        decode = decode.binref_dir(dir);
    } else {
        #[cfg(feature = "binref-store")]
        if let Some(base) = &state.config.input_store {
            decode = decode.binref_store(base.clone());
        }
    }
    let call = Call {
        decode,
        accept: negotiate::negotiate(accept.as_deref(), default, state.config.writes_binref()),
        run_id: run_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let task = tokio::task::spawn_blocking(move || O::run(&state, &body, &call));
    match task.await {
        Ok(Outcome::Done(bytes, encoding)) => {
            let media = match encoding {
                Encoding::Json => "application/json",
                Encoding::Base64 => "application/json+base64",
                Encoding::Binref => "application/json+binref",
            };
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
                bytes,
            )
                .into_response()
        }
        Ok(Outcome::Invalid(detail)) => {
            json_response(StatusCode::UNPROCESSABLE_ENTITY, json!({"detail": detail}))
        }
        Ok(Outcome::NotAcceptable(detail)) => {
            json_response(StatusCode::NOT_ACCEPTABLE, json!({"detail": detail}))
        }
        Ok(Outcome::Failed(msg)) => {
            eprintln!("arraymodel server: {}", crate::text::escape(&msg));
            internal_error()
        }
        Err(e) => {
            eprintln!("arraymodel server: the endpoint panicked: {e}");
            internal_error()
        }
    }
}

/// Encodes an endpoint's result in the negotiated encoding.
fn respond<T: Tesseract, V: serde::Serialize + ?Sized>(
    state: &State<T>,
    ctx: &Call,
    value: &V,
) -> Outcome {
    let n = match &ctx.accept {
        Ok(n) => *n,
        Err(d) => return Outcome::NotAcceptable(d.clone()),
    };
    let opts = match ctx.encode(state, n) {
        Ok(o) => o,
        Err(e) => return Outcome::Failed(e),
    };
    match crate::to_json_vec(value, &opts) {
        Ok(bytes) => Outcome::Done(bytes, n.encoding),
        Err(e) => Outcome::Failed(format!("encoding the response: {e}")),
    }
}

fn invalid(err: &Error, body: &[u8]) -> Outcome {
    Outcome::Invalid(detail::validation_detail(err, body, &[]))
}

struct Apply;
impl<T: Tesseract> Op<T> for Apply {
    fn run(state: &State<T>, body: &[u8], ctx: &Call) -> Outcome {
        let inputs = match T::Input::from_tesseract_request(body, &ctx.decode) {
            Ok(i) => i,
            Err(e) => return invalid(&e, body),
        };
        if let Err(d) = &ctx.accept {
            return Outcome::NotAcceptable(d.clone());
        }
        let mut out = match state.tesseract.apply(inputs) {
            Ok(o) => o,
            Err(e) => return Outcome::Failed(format!("apply: {e}")),
        };
        if let Err(e) = out.conform() {
            return Outcome::Failed(format!("apply returned an invalid output: {e}"));
        }
        respond(state, ctx, &out)
    }
}

/// A gradient request, whichever endpoint: each endpoint checks that it got its own
/// keys and no other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GradientRequest<I> {
    inputs: Option<I>,
    jac_inputs: Option<Vec<String>>,
    jac_outputs: Option<Vec<String>>,
    jvp_inputs: Option<Vec<String>>,
    jvp_outputs: Option<Vec<String>>,
    vjp_inputs: Option<Vec<String>>,
    vjp_outputs: Option<Vec<String>>,
    tangent_vector: Option<BTreeMap<String, Array>>,
    cotangent_vector: Option<BTreeMap<String, Array>>,
}

/// The parts of a gradient request one endpoint takes.
struct Gradient<I> {
    inputs: I,
    wrt: BTreeSet<String>,
    of: BTreeSet<String>,
    vector: Arrays,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jac,
    Jvp,
    Vjp,
}

impl Kind {
    fn short(self) -> &'static str {
        match self {
            Kind::Jac => "jac",
            Kind::Jvp => "jvp",
            Kind::Vjp => "vjp",
        }
    }
}

fn missing(name: &str, body: &[u8]) -> Outcome {
    let parent = std::str::from_utf8(body)
        .ok()
        .filter(|b| b.len() <= super::MAX_QUOTED_INPUT)
        .and_then(|b| serde_json::from_str::<Value>(b).ok());
    Outcome::Invalid(json!([detail::entry(
        "missing",
        vec![name.into()],
        "Field required".into(),
        parent
    )]))
}

fn extra(name: &str) -> Outcome {
    Outcome::Invalid(json!([detail::entry(
        "extra_forbidden",
        vec![name.into()],
        "Extra inputs are not permitted".into(),
        None
    )]))
}

/// Decodes and checks a gradient request for `kind`.
fn gradient_request<T: Tesseract>(
    state: &State<T>,
    body: &[u8],
    ctx: &Call,
    kind: Kind,
) -> Result<Gradient<T::Input>, Outcome> {
    let req: GradientRequest<T::Input> =
        crate::from_json_slice(body, &ctx.decode).map_err(|e| invalid(&e, body))?;
    let (wrt, of, vector, others) = match kind {
        Kind::Jac => (
            req.jac_inputs,
            req.jac_outputs,
            None,
            [
                ("jvp_inputs", req.jvp_inputs.is_some()),
                ("jvp_outputs", req.jvp_outputs.is_some()),
                ("vjp_inputs", req.vjp_inputs.is_some()),
                ("vjp_outputs", req.vjp_outputs.is_some()),
                ("tangent_vector", req.tangent_vector.is_some()),
                ("cotangent_vector", req.cotangent_vector.is_some()),
            ],
        ),
        Kind::Jvp => (
            req.jvp_inputs,
            req.jvp_outputs,
            Some(("tangent_vector", req.tangent_vector)),
            [
                ("jac_inputs", req.jac_inputs.is_some()),
                ("jac_outputs", req.jac_outputs.is_some()),
                ("vjp_inputs", req.vjp_inputs.is_some()),
                ("vjp_outputs", req.vjp_outputs.is_some()),
                ("cotangent_vector", req.cotangent_vector.is_some()),
                ("", false),
            ],
        ),
        Kind::Vjp => (
            req.vjp_inputs,
            req.vjp_outputs,
            Some(("cotangent_vector", req.cotangent_vector)),
            [
                ("jac_inputs", req.jac_inputs.is_some()),
                ("jac_outputs", req.jac_outputs.is_some()),
                ("jvp_inputs", req.jvp_inputs.is_some()),
                ("jvp_outputs", req.jvp_outputs.is_some()),
                ("tangent_vector", req.tangent_vector.is_some()),
                ("", false),
            ],
        ),
    };
    if let Some((name, _)) = others.iter().find(|(_, present)| *present) {
        return Err(extra(name));
    }
    let short = kind.short();
    let inputs = req.inputs.ok_or_else(|| missing("inputs", body))?;
    let wrt_name = format!("{short}_inputs");
    let of_name = format!("{short}_outputs");
    let wrt = wrt.ok_or_else(|| missing(&wrt_name, body))?;
    let of = of.ok_or_else(|| missing(&of_name, body))?;
    let index = gradient::RawIndex::default();
    let inputs_raw = std::str::from_utf8(body)
        .ok()
        .and_then(|t| serde_json::from_str::<&serde_json::value::RawValue>(t).ok())
        .and_then(|root| index.at(root, "inputs"));
    let wrt = check_paths(&wrt_name, wrt, &state.inputs, Some((&index, inputs_raw)))?;
    let of = check_paths(&of_name, of, &state.outputs, None)?;
    let vector = match vector {
        None => Arrays::new(),
        Some((name, v)) => {
            let v = v.ok_or_else(|| missing(name, body))?;
            check_vector(state, kind, name, v, &wrt, &of, (&index, inputs_raw))?
        }
    };
    Ok(Gradient {
        inputs,
        wrt,
        of,
        vector,
    })
}

/// A set of differentiable paths: at least one, each naming a differentiable array of
/// the model, those through lists and maps present in the request's inputs.
fn check_paths(
    name: &str,
    paths: Vec<String>,
    leaves: &[ArrayLeaf],
    inputs_of: Option<Inputs<'_, '_>>,
) -> Result<BTreeSet<String>, Outcome> {
    if paths.len() > MAX_PATHS {
        return Err(Outcome::Invalid(json!([detail::entry(
            "too_long",
            vec![name.into()],
            format!("Set should have at most {MAX_PATHS} items"),
            None
        )])));
    }
    if paths.is_empty() {
        return Err(Outcome::Invalid(json!([detail::entry(
            "too_short",
            vec![name.into()],
            "Set should have at least 1 item after validation, not 0".into(),
            Some(json!([]))
        )])));
    }
    let mut seen = BTreeSet::new();
    for (i, p) in paths.iter().enumerate() {
        if !seen.insert(p.as_str()) {
            continue;
        }
        if gradient::find(leaves, p).is_none() {
            return Err(Outcome::Invalid(Value::Array(path_errors(
                name, i, p, leaves,
            ))));
        }
        if let Some((index, inputs)) = inputs_of
            && (p.contains('[') || p.contains('{'))
            && inputs.and_then(|raw| index.at(raw, p)).is_none()
        {
            return Err(Outcome::Invalid(json!([detail::entry(
                "value_error",
                vec![name.into(), i.into()],
                format!("Value error, Could not find {name} path {p} in inputs."),
                Some(Value::from(p.as_str()))
            )])));
        }
    }
    Ok(paths.into_iter().collect())
}

/// What pydantic says of a path that is none of the differentiable ones: one error per
/// alternative of the union (`literal['a']`, `constrained-str` for a pattern), the
/// alternative's tag ending the `loc` when there is more than one.
fn path_errors(name: &str, i: usize, p: &str, leaves: &[ArrayLeaf]) -> Vec<Value> {
    leaves
        .iter()
        .map(|l| {
            let (literal, pattern) = gradient::pattern(&l.path);
            let mut loc = vec![Value::from(name), Value::from(i)];
            let (kind, tag, msg) = if literal {
                let quoted = negotiate::python_repr(&pattern);
                (
                    "literal_error",
                    format!("literal[{quoted}]"),
                    format!("Input should be {quoted}"),
                )
            } else {
                (
                    "string_pattern_mismatch",
                    "constrained-str".to_string(),
                    format!(
                        "String should match pattern {}",
                        negotiate::python_repr(&pattern)
                    ),
                )
            };
            if leaves.len() > 1 {
                loc.push(tag.into());
            }
            detail::entry(kind, loc, msg, Some(Value::from(p)))
        })
        .collect()
}

/// The shape of an array as a request wrote it: an object's `shape`, the nesting of a
/// bare list, `[]` for a bare number.
fn raw_shape(raw: &serde_json::value::RawValue) -> Option<Vec<usize>> {
    #[derive(Deserialize)]
    struct Shape {
        shape: Vec<usize>,
    }
    let text = raw.get().trim_start();
    if text.starts_with('{') {
        return serde_json::from_str::<Shape>(raw.get())
            .ok()
            .map(|s| s.shape);
    }
    let mut shape = Vec::new();
    let mut cur: &serde_json::value::RawValue = raw;
    while cur.get().trim_start().starts_with('[') {
        let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(cur.get()).ok()?;
        shape.push(items.len());
        match items.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    Some(shape)
}

/// A request's raw `inputs` and the index that looks paths up in it.
type Inputs<'i, 'a> = (
    &'i gradient::RawIndex<'a>,
    Option<&'a serde_json::value::RawValue>,
);

/// Most paths one `jac_inputs`, `jvp_outputs`, ... may name.
const MAX_PATHS: usize = 65_536;

fn keys_text(keys: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let quoted: Vec<String> = keys
        .into_iter()
        .map(|k| negotiate::python_repr(k.as_ref()))
        .collect();
    format!("{{{}}}", quoted.join(", "))
}

/// A tangent (keys: the input paths, shapes: the inputs') or cotangent vector (keys: the
/// output paths, each held to the output's declared shape and dtype).
fn check_vector<T: Tesseract>(
    state: &State<T>,
    kind: Kind,
    name: &str,
    vector: Arrays,
    wrt: &BTreeSet<String>,
    of: &BTreeSet<String>,
    (index, inputs): Inputs<'_, '_>,
) -> Result<Arrays, Outcome> {
    let (expected, against) = if kind == Kind::Jvp {
        (wrt, "jvp_inputs")
    } else {
        (of, "vjp_outputs")
    };
    let fail = |msg: String| {
        Outcome::Invalid(json!([detail::entry(
            "value_error",
            vec![name.into()],
            format!("Value error, {msg}"),
            None
        )]))
    };
    let keys: BTreeSet<&String> = vector.keys().collect();
    if keys != expected.iter().collect() {
        let what = if kind == Kind::Jvp {
            "tangent vector"
        } else {
            "cotangent vector"
        };
        return Err(fail(format!(
            "Expected {what} with keys conforming to {against}: {}, got {}.",
            keys_text(expected),
            keys_text(keys)
        )));
    }
    let mut out = Arrays::new();
    for (path, array) in vector {
        let conformed = if kind == Kind::Jvp {
            let leaf = gradient::find(&state.inputs, &path);
            let shape = inputs
                .and_then(|raw| index.at(raw, &path))
                .and_then(raw_shape)
                .unwrap_or_default();
            let dims: Vec<Option<u64>> = shape.iter().map(|&d| Some(d as u64)).collect();
            gradient::conform(array, Some(&dims), leaf.and_then(|l| l.dtype))
        } else {
            let leaf = gradient::find(&state.outputs, &path);
            gradient::conform(
                array,
                leaf.and_then(|l| l.dims.as_deref()),
                leaf.and_then(|l| l.dtype),
            )
        };
        match conformed {
            Ok(a) => {
                out.insert(path, a);
            }
            Err(e) => {
                let what = if kind == Kind::Jvp {
                    "Tangent vector"
                } else {
                    "Cotangent vector"
                };
                return Err(fail(format!("{what} '{path}': {e}")));
            }
        }
    }
    Ok(out)
}

/// Checks a JVP / VJP result: keys `keys`, each array held to its leaf's declaration.
fn check_result(
    result: Arrays,
    keys: &BTreeSet<String>,
    leaves: &[ArrayLeaf],
) -> Result<Arrays, String> {
    let got: BTreeSet<&String> = result.keys().collect();
    if got != keys.iter().collect() {
        return Err(format!(
            "Expected keys {} in output; got {}",
            keys_text(keys),
            keys_text(got)
        ));
    }
    let mut out = Arrays::new();
    for (path, a) in result {
        let leaf = gradient::find(leaves, &path);
        let a = gradient::conform(
            a,
            leaf.and_then(|l| l.dims.as_deref()),
            leaf.and_then(|l| l.dtype),
        )
        .map_err(|e| format!("result [{path}]: {e}"))?;
        out.insert(path, a);
    }
    Ok(out)
}

struct Jac;
impl<T: Tesseract> Op<T> for Jac {
    fn run(state: &State<T>, body: &[u8], ctx: &Call) -> Outcome {
        let g = match gradient_request(state, body, ctx, Kind::Jac) {
            Ok(g) => g,
            Err(o) => return o,
        };
        if let Err(d) = &ctx.accept {
            return Outcome::NotAcceptable(d.clone());
        }
        let jac = match state.tesseract.jacobian(g.inputs, &g.wrt, &g.of) {
            Ok(j) => j,
            Err(e) => return Outcome::Failed(format!("jacobian: {e}")),
        };
        let got: BTreeSet<&String> = jac.keys().collect();
        if got != g.of.iter().collect() {
            return Outcome::Failed(format!(
                "Error when validating output of jacobian: Expected keys {} in output; got {}",
                keys_text(&g.of),
                keys_text(got)
            ));
        }
        for (o, row) in &jac {
            let inner: BTreeSet<&String> = row.keys().collect();
            if inner != g.wrt.iter().collect() {
                return Outcome::Failed(format!(
                    "Error when validating output of jacobian: got {} for output key {o}",
                    keys_text(inner)
                ));
            }
        }
        respond(state, ctx, &jac)
    }
}

struct Jvp;
impl<T: Tesseract> Op<T> for Jvp {
    fn run(state: &State<T>, body: &[u8], ctx: &Call) -> Outcome {
        let g = match gradient_request(state, body, ctx, Kind::Jvp) {
            Ok(g) => g,
            Err(o) => return o,
        };
        if let Err(d) = &ctx.accept {
            return Outcome::NotAcceptable(d.clone());
        }
        let r = match state
            .tesseract
            .jacobian_vector_product(g.inputs, &g.wrt, &g.of, g.vector)
        {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("jacobian_vector_product: {e}")),
        };
        match check_result(r, &g.of, &state.outputs) {
            Ok(r) => respond(state, ctx, &r),
            Err(e) => Outcome::Failed(format!("JVP {e}")),
        }
    }
}

struct Vjp;
impl<T: Tesseract> Op<T> for Vjp {
    fn run(state: &State<T>, body: &[u8], ctx: &Call) -> Outcome {
        let g = match gradient_request(state, body, ctx, Kind::Vjp) {
            Ok(g) => g,
            Err(o) => return o,
        };
        if let Err(d) = &ctx.accept {
            return Outcome::NotAcceptable(d.clone());
        }
        let r = match state
            .tesseract
            .vector_jacobian_product(g.inputs, &g.wrt, &g.of, g.vector)
        {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("vector_jacobian_product: {e}")),
        };
        match check_result(r, &g.wrt, &state.inputs) {
            Ok(r) => respond(state, ctx, &r),
            Err(e) => Outcome::Failed(format!("VJP {e}")),
        }
    }
}

/// The largest `abstract_eval` body (1 MiB): its arrays are shapes and dtypes.
const MAX_ABSTRACT_BODY: usize = 1 << 20;

struct Abstract;
impl<T: Tesseract> Op<T> for Abstract {
    const NEGOTIATES: bool = false;
    fn run(state: &State<T>, body: &[u8], _: &Call) -> Outcome {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Req {
            inputs: Option<Value>,
        }
        // The abstract inputs are built as a `Value` (shapes and dtypes, no array data):
        // a body past this is no abstract model, and a `Value` of it could take many
        // times its size.
        if body.len() > MAX_ABSTRACT_BODY {
            return Outcome::Invalid(json!([detail::entry(
                "value_error",
                vec![],
                format!(
                    "Value error, an abstract_eval request is at most {MAX_ABSTRACT_BODY} bytes"
                ),
                None
            )]));
        }
        let req: Req = match crate::from_json_slice(body, &DecodeOptions::default()) {
            Ok(r) => r,
            Err(e) => return invalid(&e, body),
        };
        let Some(mut inputs) = req.inputs else {
            return missing("inputs", body);
        };
        if let Err(d) = super::abstract_check::check(&state.input_schema, &mut inputs) {
            return Outcome::Invalid(json!([d]));
        }
        match state.tesseract.abstract_eval(AbstractInputs(inputs)) {
            Ok(v) => match serde_json::to_vec(&v) {
                Ok(b) => Outcome::Done(b, Encoding::Json),
                Err(e) => Outcome::Failed(format!("abstract_eval: {e}")),
            },
            Err(e) => Outcome::Failed(format!("abstract_eval: {e}")),
        }
    }
}
