//! HTTP clients for tesseract-core servers and truss-style chainlet endpoints
//! (features `client` for the blocking client, `client-async` for the async one).
//!
//! Both clients share this module's request building and response handling; they differ
//! only in the transport ([`ureq`] for [`blocking`], [`reqwest`] for [`nonblocking`]).
//!
//! **tesseract.** Requests are `POST /<endpoint>` with `Content-Type: application/json`
//! and a body wrapped as the endpoint expects (`{"inputs": ...}`, plus `jac_inputs`,
//! `tangent_vector`, ...). The caller picks the request encoding (arrays written as
//! `json`, `base64` or `binref`, the last two optionally LZ4) and the response encoding,
//! sent as `Accept: application/json+base64; compression=lz4` and checked against the
//! response's `content-type`. binref requests are written into a folder the server
//! reads as its `--input-path`; binref responses are read from the server's
//! `--output-path`, confined to it.
//!
//! **truss.** A model is sent as JSON (`application/json`) or as msgpack
//! (`application/octet-stream`, truss's binary mode) and the answer decoded the same way.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::array::Array;
use crate::options::{DecodeOptions, EncodeOptions, Encoding};

#[cfg(feature = "client")]
pub mod blocking;
#[cfg(feature = "client-async")]
pub mod nonblocking;

/// One array encoding on the wire: the tesseract buffer encoding and whether it is
/// LZ4-compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WireFormat {
    /// `json`, `base64` or `binref`.
    pub encoding: Encoding,
    /// LZ4 (base64 and binref only).
    pub lz4: bool,
}

impl WireFormat {
    /// `json`.
    pub const JSON: WireFormat = WireFormat {
        encoding: Encoding::Json,
        lz4: false,
    };
    /// `json+base64`.
    pub const BASE64: WireFormat = WireFormat {
        encoding: Encoding::Base64,
        lz4: false,
    };
    /// `json+base64` with LZ4.
    pub const BASE64_LZ4: WireFormat = WireFormat {
        encoding: Encoding::Base64,
        lz4: true,
    };
    /// `json+binref`.
    pub const BINREF: WireFormat = WireFormat {
        encoding: Encoding::Binref,
        lz4: false,
    };
    /// `json+binref` with LZ4.
    pub const BINREF_LZ4: WireFormat = WireFormat {
        encoding: Encoding::Binref,
        lz4: true,
    };
    /// All five.
    pub const ALL: [WireFormat; 5] = [
        WireFormat::JSON,
        WireFormat::BASE64,
        WireFormat::BASE64_LZ4,
        WireFormat::BINREF,
        WireFormat::BINREF_LZ4,
    ];

    /// The `Accept` header value that asks tesseract for this format.
    ///
    /// ```
    /// use arraymodel::client::WireFormat;
    /// assert_eq!(WireFormat::BASE64_LZ4.accept(), "application/json+base64; compression=lz4");
    /// ```
    pub fn accept(self) -> String {
        let mut s = self.encoding.media_type().to_owned();
        if self.lz4 {
            s.push_str("; compression=lz4");
        }
        s
    }

    /// `json`, `json+base64+lz4`, ...
    pub fn name(self) -> String {
        let mut s = match self.encoding {
            Encoding::Json => "json",
            Encoding::Base64 => "json+base64",
            Encoding::Binref => "json+binref",
        }
        .to_owned();
        if self.lz4 {
            s.push_str("+lz4");
        }
        s
    }
}

/// Per-call choices.
///
/// ```
/// use arraymodel::client::{CallOptions, WireFormat};
/// let opts = CallOptions::default().request(WireFormat::BASE64).response(WireFormat::BINREF_LZ4);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOptions {
    /// How arrays in the request body are written. Default: `json+base64`.
    pub request: WireFormat,
    /// Which encoding to ask the server for. Default: `json+base64`.
    pub response: WireFormat,
    /// tesseract's `run_id` query parameter (names the output folder `run_<id>`).
    pub run_id: Option<String>,
    /// Replaces the `Accept` header (to probe servers; the response is then decoded
    /// by its `content-type`).
    pub accept: Option<String>,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            request: WireFormat::BASE64,
            response: WireFormat::BASE64,
            run_id: None,
            accept: None,
        }
    }
}

impl CallOptions {
    /// Sets the request encoding.
    pub fn request(mut self, f: WireFormat) -> CallOptions {
        self.request = f;
        self
    }
    /// Sets the response encoding.
    pub fn response(mut self, f: WireFormat) -> CallOptions {
        self.response = f;
        self
    }
    /// Sets tesseract's `run_id`.
    pub fn run_id(mut self, id: impl Into<String>) -> CallOptions {
        self.run_id = Some(id.into());
        self
    }
    /// Overrides the `Accept` header.
    pub fn accept(mut self, accept: impl Into<String>) -> CallOptions {
        self.accept = Some(accept.into());
        self
    }
}

/// Connection settings shared by every call of a client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `http://host:port` (no trailing slash needed).
    pub base_url: String,
    /// Timeout for a whole call. Default: 60 s.
    pub timeout: Duration,
    /// Extra headers, e.g. `Authorization`.
    pub headers: Vec<(String, String)>,
    /// Folder the server reads binref inputs from (its `--input-path`), where the
    /// client writes binref request files.
    pub binref_input_dir: Option<PathBuf>,
    /// Folder the server writes binref outputs to (its `--output-path`), where the
    /// client reads binref responses from (confined to it).
    pub binref_output_dir: Option<PathBuf>,
    /// Limits for decoding responses.
    pub limits: crate::Limits,
}

impl ClientConfig {
    /// Settings for `base_url` with defaults.
    pub fn new(base_url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(60),
            headers: Vec::new(),
            binref_input_dir: None,
            binref_output_dir: None,
            limits: crate::Limits::default(),
        }
    }
    /// Sets the timeout.
    pub fn timeout(mut self, t: Duration) -> ClientConfig {
        self.timeout = t;
        self
    }
    /// Adds a header sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> ClientConfig {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Sets the folder shared with the server's `--input-path`.
    pub fn binref_input_dir(mut self, dir: impl Into<PathBuf>) -> ClientConfig {
        self.binref_input_dir = Some(dir.into());
        self
    }
    /// Sets the folder shared with the server's `--output-path`.
    pub fn binref_output_dir(mut self, dir: impl Into<PathBuf>) -> ClientConfig {
        self.binref_output_dir = Some(dir.into());
        self
    }
}

/// One entry of tesseract's (FastAPI's) 422 `detail` list.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ValidationIssue {
    /// Where: `["body", "inputs", "a"]`.
    #[serde(default)]
    pub loc: Vec<serde_json::Value>,
    /// The message.
    #[serde(default)]
    pub msg: String,
    /// The error type, e.g. `array_decode_error`, `missing`.
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// What went wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// 422: the server refused the inputs.
    #[error("422 Unprocessable Entity: {}", .0.iter().map(|i| format!("{}: {}", i.loc.iter().map(|l| l.to_string().trim_matches('"').to_owned()).collect::<Vec<_>>().join("."), i.msg)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<ValidationIssue>),
    /// 406: the server cannot produce the requested encoding.
    #[error("406 Not Acceptable: {message} (formats: {formats:?}, compressions: {compressions:?})")]
    NotAcceptable {
        /// The server's message.
        message: String,
        /// `available_formats`.
        formats: Vec<String>,
        /// `available_compressions`.
        compressions: Vec<String>,
    },
    /// Any other non-2xx status (500 from a failing tesseract, 404, ...).
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The body as text (truncated to 4 KiB).
        body: String,
    },
    /// The response's `content-type` is not the one asked for.
    #[error("expected content-type {expected}, got {got:?}")]
    ContentType {
        /// What was asked for.
        expected: String,
        /// What came.
        got: String,
    },
    /// The call timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connection or protocol failure.
    #[error("transport: {0}")]
    Transport(String),
    /// The request could not be encoded.
    #[error("encoding the request: {0}")]
    Encode(crate::Error),
    /// The response could not be decoded.
    #[error("decoding the response: {0}")]
    Decode(crate::Error),
    /// A client setting is missing (e.g. a binref folder).
    #[error("{0}")]
    Config(String),
}

/// The result of a call.
pub type ClientResult<T> = std::result::Result<T, ClientError>;

/// A prepared HTTP request.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub url: String,
    pub content_type: &'static str,
    pub accept: String,
    pub body: Vec<u8>,
}

/// A received HTTP response.
#[derive(Debug)]
pub(crate) struct Received {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The JSON encoding options for a request format.
fn encode_options(cfg: &ClientConfig, f: WireFormat) -> ClientResult<EncodeOptions> {
    let mut opts = EncodeOptions::tesseract(f.encoding);
    if f.lz4 {
        if f.encoding == Encoding::Json {
            return Err(ClientError::Config(
                "tesseract allows no compression for the json encoding".into(),
            ));
        }
        opts = opts.lz4();
    }
    if f.encoding == Encoding::Binref {
        let dir = cfg.binref_input_dir.clone().ok_or_else(|| {
            ClientError::Config(
                "binref requests need ClientConfig::binref_input_dir (the server's --input-path)"
                    .into(),
            )
        })?;
        opts = opts.binref_dir(dir);
    }
    Ok(opts)
}

/// Builds a tesseract request for `endpoint` with body `body`.
pub(crate) fn tesseract_request<B: Serialize + ?Sized>(
    cfg: &ClientConfig,
    endpoint: &str,
    body: &B,
    call: &CallOptions,
) -> ClientResult<Prepared> {
    let opts = encode_options(cfg, call.request)?;
    let body = crate::to_json_vec(body, &opts).map_err(ClientError::Encode)?;
    let mut url = format!("{}/{}", cfg.base_url, endpoint.trim_start_matches('/'));
    if let Some(id) = &call.run_id {
        url.push_str("?run_id=");
        url.push_str(&percent_encode(id));
    }
    Ok(Prepared {
        url,
        content_type: "application/json",
        accept: call
            .accept
            .clone()
            .unwrap_or_else(|| call.response.accept()),
        body,
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    text.into_owned()
}

/// Maps an error status to a typed error.
fn status_error(r: &Received) -> ClientError {
    match r.status {
        422 => {
            #[derive(Deserialize)]
            struct Detail {
                detail: Vec<ValidationIssue>,
            }
            match serde_json::from_slice::<Detail>(&r.body) {
                Ok(d) => ClientError::Validation(d.detail),
                Err(_) => ClientError::Status {
                    status: 422,
                    body: body_text(&r.body),
                },
            }
        }
        406 => {
            #[derive(Deserialize)]
            struct Inner {
                #[serde(default)]
                message: String,
                #[serde(default)]
                available_formats: Vec<String>,
                #[serde(default)]
                available_compressions: Vec<String>,
            }
            #[derive(Deserialize)]
            struct Detail {
                detail: Inner,
            }
            match serde_json::from_slice::<Detail>(&r.body) {
                Ok(d) => ClientError::NotAcceptable {
                    message: d.detail.message,
                    formats: d.detail.available_formats,
                    compressions: d.detail.available_compressions,
                },
                Err(_) => ClientError::Status {
                    status: 406,
                    body: body_text(&r.body),
                },
            }
        }
        status => ClientError::Status {
            status,
            body: body_text(&r.body),
        },
    }
}

/// Checks the status and content-type of a tesseract response and decodes it.
pub(crate) fn tesseract_response<O: DeserializeOwned>(
    cfg: &ClientConfig,
    call: &CallOptions,
    r: Received,
) -> ClientResult<O> {
    if !(200..300).contains(&r.status) {
        return Err(status_error(&r));
    }
    let media = r
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if call.accept.is_none() {
        let expected = call.response.encoding.media_type();
        if media != expected {
            return Err(ClientError::ContentType {
                expected: expected.to_owned(),
                got: r.content_type.clone(),
            });
        }
    }
    let mut opts = DecodeOptions::default().limits(cfg.limits);
    if media.ends_with("+binref") {
        let dir = cfg.binref_output_dir.clone().ok_or_else(|| {
            ClientError::Config(
                "binref responses need ClientConfig::binref_output_dir (the server's --output-path)".into(),
            )
        })?;
        opts = opts.binref_dir(dir);
    }
    crate::from_json_slice(&r.body, &opts).map_err(ClientError::Decode)
}

/// Builds a truss request: JSON (`application/json`) or msgpack (`application/octet-stream`).
pub(crate) fn truss_request<I: Serialize + ?Sized>(
    url: &str,
    inputs: &I,
    binary: bool,
) -> ClientResult<Prepared> {
    let (content_type, body) = if binary {
        (
            "application/octet-stream",
            crate::to_msgpack_vec(inputs).map_err(ClientError::Encode)?,
        )
    } else {
        (
            "application/json",
            crate::to_json_vec(inputs, &EncodeOptions::truss()).map_err(ClientError::Encode)?,
        )
    };
    Ok(Prepared {
        url: url.to_owned(),
        content_type,
        accept: content_type.to_owned(),
        body,
    })
}

/// Decodes a truss response by its content-type, as truss's server answers in the
/// request's mode.
pub(crate) fn truss_response<O: DeserializeOwned>(
    cfg: &ClientConfig,
    r: Received,
) -> ClientResult<O> {
    if !(200..300).contains(&r.status) {
        return Err(status_error(&r));
    }
    let media = r
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let opts = DecodeOptions::default().limits(cfg.limits);
    if media == "application/octet-stream" {
        crate::from_msgpack_slice(&r.body, &opts).map_err(ClientError::Decode)
    } else {
        crate::from_json_slice(&r.body, &opts).map_err(ClientError::Decode)
    }
}

/// Body of `/jacobian`.
#[derive(Serialize)]
pub(crate) struct JacobianBody<'a, I: ?Sized> {
    pub inputs: &'a I,
    pub jac_inputs: &'a [&'a str],
    pub jac_outputs: &'a [&'a str],
}

/// Body of `/jacobian_vector_product`.
#[derive(Serialize)]
pub(crate) struct JvpBody<'a, I: ?Sized> {
    pub inputs: &'a I,
    pub jvp_inputs: &'a [&'a str],
    pub jvp_outputs: &'a [&'a str],
    pub tangent_vector: &'a BTreeMap<String, Array>,
}

/// Body of `/vector_jacobian_product`.
#[derive(Serialize)]
pub(crate) struct VjpBody<'a, I: ?Sized> {
    pub inputs: &'a I,
    pub vjp_inputs: &'a [&'a str],
    pub vjp_outputs: &'a [&'a str],
    pub cotangent_vector: &'a BTreeMap<String, Array>,
}

/// Body of `/apply` and `/abstract_eval`.
#[derive(Serialize)]
pub(crate) struct InputsBody<'a, I: ?Sized> {
    pub inputs: &'a I,
}

/// A shape and dtype, as `abstract_eval` takes and returns them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeDType {
    /// The shape.
    pub shape: Vec<usize>,
    /// The numpy dtype name.
    pub dtype: String,
}

impl ShapeDType {
    /// The shape and dtype of an array.
    pub fn of(a: &Array) -> ShapeDType {
        ShapeDType {
            shape: a.shape().to_vec(),
            dtype: a.dtype().name().to_owned(),
        }
    }
}

/// `/health`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Health {
    /// `"ok"`.
    pub status: String,
}
