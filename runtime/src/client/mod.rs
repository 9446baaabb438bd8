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
//!
//! **A server is not trusted.** Both clients treat the answer as hostile input:
//!
//! - a response body is read up to [`ClientConfig::max_response_bytes`] (default 1 GiB,
//!   [`DEFAULT_MAX_RESPONSE_BYTES`]) and refused past it with [`ClientError::BodyTooLarge`];
//!   the async client reads it chunk by chunk, so it never holds more than the cap and one
//!   chunk;
//! - redirects are not followed unless [`ClientConfig::follow_redirects`] is set, and then
//!   only to the same origin (scheme, host and port), at most
//!   [`MAX_REDIRECTS`] times, and a `POST` only through 307/308 (method and body kept; a
//!   301/302/303 would turn it into a `GET` whose answer is not the call's). Any other 3xx is
//!   [`ClientError::Redirect`], naming the status and the `Location`;
//! - no `Accept-Encoding` is sent and transparent decompression is turned off in both
//!   transports, even when feature unification enables `ureq/gzip` or `reqwest/gzip`; a
//!   response with a `Content-Encoding` other than `identity` is refused
//!   ([`ClientError::ContentEncoding`]), so a small gzip or deflate bomb is never expanded;
//! - every text taken from the server into an error (status bodies, 422 and 406 messages,
//!   `Location`, content types, decode errors naming fields or binref paths) has its control
//!   characters escaped (`\u{1b}`) and is cut at [`MAX_ERROR_TEXT`] bytes, lists at
//!   [`MAX_ERROR_ITEMS`] entries, with a note of what was left out.

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
mod operation;

pub use operation::{ApiError, Request, Response, UnexpectedResponse};

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
    /// Largest response body accepted, in bytes (after any transfer decoding; compressed
    /// bodies are refused). A longer body is [`ClientError::BodyTooLarge`], found while
    /// reading, before it is all in memory. Default: [`DEFAULT_MAX_RESPONSE_BYTES`] (1 GiB).
    /// binref responses keep their arrays in files, which this does not count (the decode
    /// limits in [`limits`](ClientConfig::limits) do).
    pub max_response_bytes: u64,
    /// Follow redirects: same origin only, at most [`MAX_REDIRECTS`], and for a `POST` only
    /// 307/308 (method, body and headers kept). Default: `false`, a 3xx is
    /// [`ClientError::Redirect`].
    pub follow_redirects: bool,
    /// The object store prefix the server reads binref inputs from (feature
    /// `binref-store`), used when no [`binref_input_dir`](ClientConfig::binref_input_dir)
    /// is set. Each call's objects go under a prefix of their own, deleted when the call
    /// ends.
    #[cfg(feature = "binref-store")]
    pub binref_input_store: Option<crate::binref::store::StoreBase>,
    /// The object store prefix binref responses are read from (feature `binref-store`),
    /// used when no [`binref_output_dir`](ClientConfig::binref_output_dir) is set.
    #[cfg(feature = "binref-store")]
    pub binref_output_store: Option<crate::binref::store::StoreBase>,
}

/// [`ClientConfig::max_response_bytes`]'s default: 1 GiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1 << 30;

/// Most redirects followed in one call when [`ClientConfig::follow_redirects`] is set.
pub const MAX_REDIRECTS: usize = 5;

/// Longest server-provided text kept in a [`ClientError`], in bytes (after escaping).
pub const MAX_ERROR_TEXT: usize = 1024;

/// Most entries of a server-provided list kept in a [`ClientError`] (422 issues, 406
/// formats, `loc` parts); the rest is counted in a note.
pub const MAX_ERROR_ITEMS: usize = 16;

/// Longest [`ClientError`] message made of several server-provided texts (a 422 with many
/// issues, a decode error), in bytes.
pub const MAX_ERROR_MESSAGE: usize = 8 * 1024;

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
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            follow_redirects: false,
            #[cfg(feature = "binref-store")]
            binref_input_store: None,
            #[cfg(feature = "binref-store")]
            binref_output_store: None,
        }
    }
    /// Sets the largest response body accepted, in bytes.
    pub fn max_response_bytes(mut self, max: u64) -> ClientConfig {
        self.max_response_bytes = max;
        self
    }
    /// Follows same-origin redirects (see [`ClientConfig::follow_redirects`]).
    pub fn follow_redirects(mut self, follow: bool) -> ClientConfig {
        self.follow_redirects = follow;
        self
    }
    /// Sets the limits for decoding responses.
    pub fn limits(mut self, limits: crate::Limits) -> ClientConfig {
        self.limits = limits;
        self
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
    /// Sets the object store prefix the server reads binref inputs from (feature
    /// `binref-store`).
    #[cfg(feature = "binref-store")]
    pub fn binref_input_store(mut self, base: crate::binref::store::StoreBase) -> ClientConfig {
        self.binref_input_store = Some(base);
        self
    }
    /// Sets the object store prefix binref responses are read from (feature
    /// `binref-store`).
    #[cfg(feature = "binref-store")]
    pub fn binref_output_store(mut self, base: crate::binref::store::StoreBase) -> ClientConfig {
        self.binref_output_store = Some(base);
        self
    }
}

/// One entry of tesseract's (FastAPI's) 422 `detail` list.
///
/// In a [`ClientError::Validation`], the strings are the server's with control
/// characters escaped and cut at [`MAX_ERROR_TEXT`] bytes, and `loc` keeps at most
/// [`MAX_ERROR_ITEMS`] parts (parts that are neither strings nor numbers become their
/// JSON text, escaped and cut the same way).
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

/// The `kind` of the note [`ClientError::Validation`] ends with when the server sent more
/// than [`MAX_ERROR_ITEMS`] issues (its `msg` says how many were left out).
pub const TRUNCATED_ISSUES: &str = "arraymodel_truncated";

/// What went wrong in a call.
///
/// Every text in it that came from the server is escaped and capped (see the
/// [module docs](self)), so printing an error cannot flood a log or a terminal with the
/// server's text or control sequences.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// 422: the server refused the inputs. At most [`MAX_ERROR_ITEMS`] issues, then one
    /// with kind [`TRUNCATED_ISSUES`] counting the rest.
    #[error("422 Unprocessable Entity: {}", validation_message(.0))]
    Validation(Vec<ValidationIssue>),
    /// 406: the server cannot produce the requested encoding.
    #[error(
        "406 Not Acceptable: {}",
        not_acceptable_message(message, formats, compressions)
    )]
    NotAcceptable {
        /// The server's message (escaped, capped).
        message: String,
        /// `available_formats` (each escaped and capped, at most [`MAX_ERROR_ITEMS`] and a
        /// `… (N more)` note).
        formats: Vec<String>,
        /// `available_compressions` (likewise).
        compressions: Vec<String>,
    },
    /// Any other non-2xx, non-redirect status (500 from a failing tesseract, 404, ...).
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body as text (escaped, capped at [`MAX_ERROR_TEXT`] bytes with a
        /// note of how many bytes were left out).
        body: String,
    },
    /// A 3xx that was not followed: [`ClientConfig::follow_redirects`] is off, or the
    /// target is on another origin, or it would turn a `POST` into a `GET`, or there were
    /// too many.
    #[error("HTTP {status} redirect to {location} not followed: {reason}")]
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header (escaped, capped), or `(none)`.
        location: String,
        /// Why it was not followed.
        reason: &'static str,
    },
    /// The body is longer than [`ClientConfig::max_response_bytes`].
    #[error(
        "the response body is larger than {limit} bytes (ClientConfig::max_response_bytes); reading stopped there"
    )]
    BodyTooLarge {
        /// The limit.
        limit: u64,
    },
    /// The server sent a compressed body (`Content-Encoding`), which was not asked for and
    /// is refused rather than expanded.
    #[error(
        "the server sent Content-Encoding {0:?}, which was not asked for; compressed responses are refused"
    )]
    ContentEncoding(String),
    /// The response's `content-type` is not the one asked for.
    #[error("expected content-type {expected}, got {got:?}")]
    ContentType {
        /// What was asked for.
        expected: String,
        /// What came (escaped, capped).
        got: String,
    },
    /// The call timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connection or protocol failure (its causes are its [`source`](std::error::Error::source)
    /// chain, and part of its message).
    #[error("transport: {0}")]
    Transport(#[source] TransportError),
    /// The request could not be encoded.
    #[error("encoding the request: {0}")]
    Encode(crate::Error),
    /// The response could not be decoded (the message, which may name the server's field
    /// names or binref paths, is escaped and capped when displayed).
    #[error("decoding the response: {}", clean_message(&.0.to_string()))]
    Decode(crate::Error),
    /// A client setting is missing (e.g. a binref folder), or the URL needs a feature that
    /// is off (`https://` without `client-tls`).
    #[error("{0}")]
    Config(String),
}

/// A transport failure: what failed, with the underlying error as its
/// [`source`](std::error::Error::source). Its `Display` includes the whole cause chain
/// (escaped, capped), as the transports' own messages often say little ("error sending
/// request").
#[derive(Debug)]
pub struct TransportError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// A failure with a message and no cause.
    pub fn new(message: impl Into<String>) -> TransportError {
        TransportError {
            message: message.into(),
            source: None,
        }
    }

    /// A failure caused by `source`, described by its `Display` and its causes'.
    pub fn from_source(source: impl std::error::Error + Send + Sync + 'static) -> TransportError {
        let message = chain_text(&source);
        TransportError {
            message,
            source: Some(Box::new(source)),
        }
    }

    /// Adds a note to the message.
    pub(crate) fn note(mut self, note: &str) -> TransportError {
        self.message.push_str(" (");
        self.message.push_str(note);
        self.message.push(')');
        self
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `e: cause: cause's cause...`, skipping a cause whose text its parent already shows,
/// escaped and capped.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !parts.last().is_some_and(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = c.source();
        if parts.len() > MAX_ERROR_ITEMS {
            break;
        }
    }
    clean_message(&parts.join(": "))
}

/// `s` with the characters [`crate::text::is_unsafe`] names escaped (`\n`, `\u{1b}`), cut to at most `max` bytes, plus `… (N more bytes)` when cut;
/// `total` is the byte length of the text `s` was taken from (≥ `s.len()`).
fn escape_capped(s: &str, total: usize, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 24);
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let before = out.len();
        let _ = crate::text::write_char(&mut out, c);
        if out.len() > max {
            out.truncate(before);
            used = i;
            break;
        }
        used = i + c.len_utf8();
    }
    let left = total.saturating_sub(used);
    if left > 0 {
        use std::fmt::Write;
        let _ = write!(out, "… ({left} more bytes)");
    }
    out
}

/// One server-provided string for an error: escaped, at most [`MAX_ERROR_TEXT`] bytes.
pub(crate) fn clean(s: &str) -> String {
    escape_capped(s, s.len(), MAX_ERROR_TEXT)
}

/// A whole error message holding server text: escaped, at most [`MAX_ERROR_MESSAGE`] bytes.
pub(crate) fn clean_message(s: &str) -> String {
    escape_capped(s, s.len(), MAX_ERROR_MESSAGE)
}

/// The start of a body as text, escaped, at most [`MAX_ERROR_TEXT`] bytes.
pub(crate) fn body_text(body: &[u8]) -> String {
    // Escaping at most quadruples a byte (`\u{1b}`), so this prefix is enough to fill the cap.
    let head = &body[..body.len().min(4 * MAX_ERROR_TEXT)];
    let text = String::from_utf8_lossy(head);
    if text.len() == head.len() {
        escape_capped(&text, body.len(), MAX_ERROR_TEXT)
    } else {
        // Replacement characters changed the length; count what is left in body bytes.
        let shown = escape_capped(&text, text.len(), MAX_ERROR_TEXT);
        let rest = body.len() - head.len();
        if rest > 0 && !shown.ends_with("bytes)") {
            format!("{shown}… ({rest} more bytes)")
        } else {
            shown
        }
    }
}

/// A server-provided list for an error: at most [`MAX_ERROR_ITEMS`] entries, each cleaned,
/// then a `… (N more)` entry.
fn clean_list(items: Vec<String>) -> Vec<String> {
    let n = items.len();
    let mut out: Vec<String> = items
        .into_iter()
        .take(MAX_ERROR_ITEMS)
        .map(|s| clean(&s))
        .collect();
    if n > MAX_ERROR_ITEMS {
        out.push(format!("… ({} more)", n - MAX_ERROR_ITEMS));
    }
    out
}

/// A `loc` part: strings cleaned, numbers kept, anything else as its cleaned JSON text.
fn clean_loc_part(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => serde_json::Value::String(clean(&s)),
        n @ serde_json::Value::Number(_) => n,
        other => serde_json::Value::String(clean(&other.to_string())),
    }
}

/// The 422 issues as kept in [`ClientError::Validation`].
fn clean_issues(issues: Vec<ValidationIssue>) -> Vec<ValidationIssue> {
    let n = issues.len();
    let mut out: Vec<ValidationIssue> = issues
        .into_iter()
        .take(MAX_ERROR_ITEMS)
        .map(|i| {
            let parts = i.loc.len();
            let mut loc: Vec<serde_json::Value> = i
                .loc
                .into_iter()
                .take(MAX_ERROR_ITEMS)
                .map(clean_loc_part)
                .collect();
            if parts > MAX_ERROR_ITEMS {
                loc.push(serde_json::Value::String(format!(
                    "… ({} more)",
                    parts - MAX_ERROR_ITEMS
                )));
            }
            ValidationIssue {
                loc,
                msg: clean(&i.msg),
                kind: clean(&i.kind),
            }
        })
        .collect();
    if n > MAX_ERROR_ITEMS {
        out.push(ValidationIssue {
            loc: Vec::new(),
            msg: format!("… ({} more issues)", n - MAX_ERROR_ITEMS),
            kind: TRUNCATED_ISSUES.to_owned(),
        });
    }
    out
}

/// `message (formats: a, b; compressions: c)`, capped at [`MAX_ERROR_MESSAGE`] bytes.
fn not_acceptable_message(message: &str, formats: &[String], compressions: &[String]) -> String {
    clean_message(&format!(
        "{message} (formats: {}; compressions: {})",
        formats.join(", "),
        compressions.join(", ")
    ))
}

/// `body.inputs.a: msg; ...`, escaped and capped at [`MAX_ERROR_MESSAGE`] bytes.
fn validation_message(issues: &[ValidationIssue]) -> String {
    let text = issues
        .iter()
        .map(|i| {
            let loc = i
                .loc
                .iter()
                .map(|l| match l {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".");
            if loc.is_empty() {
                i.msg.clone()
            } else {
                format!("{loc}: {}", i.msg)
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    clean_message(&text)
}

/// The result of a call.
pub type ClientResult<T> = std::result::Result<T, ClientError>;

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
        #[cfg(feature = "binref-store")]
        if cfg.binref_input_dir.is_none()
            && let Some(store) = &cfg.binref_input_store
        {
            return Ok(opts.binref_store(store.clone()));
        }
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
) -> ClientResult<Request> {
    let opts = encode_options(cfg, call.request)?;
    let path = format!("/{}", endpoint.trim_start_matches('/'));
    let mut req = Request::new("POST", path);
    if let Some(id) = &call.run_id {
        req = req.query("run_id", id)?;
    }
    Ok(req.json(body, &opts)?.accept(
        call.accept
            .clone()
            .unwrap_or_else(|| call.response.accept()),
    ))
}

/// The scheme and authority of an absolute `http(s)://` URL, lowercased.
fn origin(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some((scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

/// `location` resolved against `base` (an absolute URL), or `None` if it is not a URL
/// this client would send to.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    if location.is_empty() || location.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    let (scheme, _) = origin(base)?;
    let has_scheme = location.split_once(':').is_some_and(|(sch, _)| {
        !sch.is_empty()
            && sch.starts_with(|c: char| c.is_ascii_alphabetic())
            && sch
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if has_scheme {
        return Some(location.to_owned());
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    let (_, after) = base.split_once("://")?;
    let path_start = after.find(['/', '?', '#']).unwrap_or(after.len());
    let root = &base[..base.len() - after.len() + path_start];
    if location.starts_with('/') {
        return Some(format!("{root}{location}"));
    }
    let path = &after[path_start..];
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    Some(format!("{root}{dir}{location}"))
}

/// What to do with a 3xx answer to a request for `url`: the URL to send the same
/// request to, or the error. `hops` counts the redirects already followed.
pub(crate) fn redirect_target(
    cfg: &ClientConfig,
    url: &str,
    post: bool,
    status: u16,
    location: Option<&str>,
    hops: usize,
) -> ClientResult<String> {
    let shown = location.map_or_else(|| "(none)".to_owned(), clean);
    let refuse = |reason: &'static str| ClientError::Redirect {
        status,
        location: shown.clone(),
        reason,
    };
    if !cfg.follow_redirects {
        return Err(refuse(
            "redirects are not followed (ClientConfig::follow_redirects is off)",
        ));
    }
    if post && !matches!(status, 307 | 308) {
        return Err(refuse(
            "it would turn the POST into a GET (only 307 and 308 are followed for a POST)",
        ));
    }
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Err(refuse("not a redirect status this client follows"));
    }
    if hops >= MAX_REDIRECTS {
        return Err(refuse("too many redirects"));
    }
    let target = location
        .and_then(|l| resolve_location(url, l))
        .ok_or_else(|| refuse("the Location is missing or not a URL"))?;
    if origin(&target).is_none() || origin(&target) != origin(url) {
        return Err(refuse(
            "it leads to another origin (scheme, host or port); only same-origin redirects are followed",
        ));
    }
    Ok(target)
}

/// Refuses a `Content-Encoding` other than `identity`: the clients never ask for one, and
/// expanding it would bypass the body cap (a few MB of gzip expand to GBs).
pub(crate) fn check_content_encoding(value: Option<&[u8]>) -> ClientResult<()> {
    match value {
        None => Ok(()),
        Some(v) => {
            let text = String::from_utf8_lossy(v);
            let t = text.trim();
            if t.is_empty() || t.eq_ignore_ascii_case("identity") {
                Ok(())
            } else {
                Err(ClientError::ContentEncoding(clean(t)))
            }
        }
    }
}

/// Refuses a declared `Content-Length` above the cap before reading anything; returns
/// how many bytes to reserve for the body: the declared length (0 when absent), at most
/// 64 MiB up front.
pub(crate) fn check_content_length(
    cfg: &ClientConfig,
    value: Option<&[u8]>,
) -> ClientResult<usize> {
    let len = value
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match len {
        Some(n) if n > cfg.max_response_bytes => Err(ClientError::BodyTooLarge {
            limit: cfg.max_response_bytes,
        }),
        n => Ok(usize::try_from(n.unwrap_or(0).min(64 << 20)).unwrap_or(0)),
    }
}

/// Whether `url` is `https://`.
pub(crate) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// Maps an error status to a typed error.
pub(crate) fn status_error(r: &Response) -> ClientError {
    match r.status {
        422 => {
            #[derive(Deserialize)]
            struct Detail {
                detail: Vec<ValidationIssue>,
            }
            match serde_json::from_slice::<Detail>(&r.body) {
                Ok(d) => ClientError::Validation(clean_issues(d.detail)),
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
                    message: clean(&d.detail.message),
                    formats: clean_list(d.detail.available_formats),
                    compressions: clean_list(d.detail.available_compressions),
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
    r: Response,
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
                got: clean(&r.content_type),
            });
        }
    }
    let mut opts = DecodeOptions::default().limits(cfg.limits);
    #[cfg(feature = "binref-store")]
    if media.ends_with("+binref")
        && cfg.binref_output_dir.is_none()
        && let Some(store) = &cfg.binref_output_store
    {
        let opts = opts.binref_store(store.clone());
        return crate::from_json_slice(&r.body, &opts).map_err(ClientError::Decode);
    }
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

/// Builds a truss request for `path` (`/predict`): JSON (`application/json`) or msgpack
/// (`application/octet-stream`).
pub(crate) fn truss_request<I: Serialize + ?Sized>(
    path: &str,
    inputs: &I,
    binary: bool,
) -> ClientResult<Request> {
    let req = Request::new("POST", path);
    Ok(if binary {
        req.msgpack("application/octet-stream", inputs)?
            .accept("application/octet-stream")
    } else {
        req.json(inputs, &EncodeOptions::truss())?
            .accept("application/json")
    })
}

/// Decodes a truss response by its content-type, as truss's server answers in the
/// request's mode.
pub(crate) fn truss_response<O: DeserializeOwned>(
    cfg: &ClientConfig,
    r: Response,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_caps() {
        assert_eq!(clean("plain é"), "plain é");
        assert_eq!(
            clean("a\u{1b}[2J\n\u{9b}\u{7f}\u{202e}"),
            "a\\u{1b}[2J\\n\\u{9b}\\u{7f}\\u{202e}"
        );
        let long = "\u{1b}".repeat(10_000);
        let c = clean(&long);
        assert!(c.len() <= MAX_ERROR_TEXT + 32, "{}", c.len());
        assert!(
            c.ends_with(&format!("… ({} more bytes)", 10_000 - MAX_ERROR_TEXT / 6)),
            "{c}"
        );
        let b = body_text(&vec![b'x'; 100_000]);
        assert!(
            b.ends_with(&format!("… ({} more bytes)", 100_000 - MAX_ERROR_TEXT)),
            "{b}"
        );
        assert_eq!(
            clean_list(vec!["a".into(); 20]).last().unwrap(),
            "… (4 more)"
        );
    }

    #[test]
    fn redirect_policy() {
        let base = "http://h:1/api/apply?x=1";
        assert_eq!(resolve_location(base, "/v2").unwrap(), "http://h:1/v2");
        assert_eq!(resolve_location(base, "v2").unwrap(), "http://h:1/api/v2");
        assert_eq!(resolve_location(base, "//o:2/a").unwrap(), "http://o:2/a");
        assert_eq!(
            resolve_location(base, "HTTPS://h:1/a").unwrap(),
            "HTTPS://h:1/a"
        );
        assert!(resolve_location(base, "/a b").is_none());
        let off = ClientConfig::new("http://h:1");
        let on = off.clone().follow_redirects(true);
        let e = |r: ClientResult<String>| match r {
            Err(ClientError::Redirect { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(e(redirect_target(&off, base, true, 307, Some("/x"), 0)).contains("off"));
        assert!(e(redirect_target(&on, base, true, 303, Some("/x"), 0)).contains("GET"));
        assert!(
            e(redirect_target(
                &on,
                base,
                true,
                307,
                Some("http://h:2/x"),
                0
            ))
            .contains("origin")
        );
        assert!(
            e(redirect_target(
                &on,
                base,
                true,
                307,
                Some("https://h:1/x"),
                0
            ))
            .contains("origin")
        );
        assert!(
            e(redirect_target(
                &on,
                base,
                true,
                307,
                Some("/x"),
                MAX_REDIRECTS
            ))
            .contains("many")
        );
        assert_eq!(
            redirect_target(&on, base, true, 308, Some("/x"), 0).unwrap(),
            "http://h:1/x"
        );
        assert_eq!(
            redirect_target(&on, base, false, 302, Some("/x"), 0).unwrap(),
            "http://h:1/x"
        );
    }

    #[test]
    fn compressed_and_oversized_bodies_are_refused_up_front() {
        assert!(check_content_encoding(None).is_ok());
        assert!(check_content_encoding(Some(b"identity")).is_ok());
        assert!(matches!(
            check_content_encoding(Some(b"gzip")),
            Err(ClientError::ContentEncoding(e)) if e == "gzip"
        ));
        let cfg = ClientConfig::new("http://h").max_response_bytes(10);
        assert!(matches!(check_content_length(&cfg, Some(b"10")), Ok(10)));
        assert!(matches!(
            check_content_length(&cfg, Some(b"11")),
            Err(ClientError::BodyTooLarge { limit: 10 })
        ));
    }
}
