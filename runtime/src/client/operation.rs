//! What one HTTP operation sends and receives, whatever the API: the request a generated
//! client method builds (path, query and header parameters, a JSON, msgpack or raw body)
//! and the answer it decodes by status code and media type. The tesseract and truss
//! clients build their calls from the same pieces; the transports (`blocking`,
//! `nonblocking`) only send a [`Request`] and return a [`Response`].

use std::convert::Infallible;
use std::path::PathBuf;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ClientConfig, ClientError, ClientResult, body_text, clean};
use crate::options::{DecodeOptions, EncodeOptions};

/// What is percent-encoded in a path segment and in a query name or value: everything
/// but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`), so `/`, `?`, `#`, `&`,
/// `=`, `+` and `%` inside a value never change the URL's structure.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A parameter value as text: strings as they are, numbers in their JSON spelling,
/// booleans as `true`/`false`, enums by their wire name. Lists, maps and `null` are not
/// one parameter value.
fn param_text<T: Serialize + ?Sized>(name: &str, value: &T) -> ClientResult<String> {
    let v = serde_json::to_value(value).map_err(|e| {
        ClientError::Encode(crate::Error::invalid(format!("parameter `{name}`: {e}")))
    })?;
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(ClientError::Encode(crate::Error::invalid(format!(
            "parameter `{name}`: {} is not a single value",
            match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Array(_) => "a list",
                _ => "an object",
            }
        )))),
    }
}

/// The elements' texts joined by commas (OpenAPI's `simple` style, and `form` without
/// `explode`).
fn joined<T: Serialize>(name: &str, values: &[T]) -> ClientResult<String> {
    let texts = values
        .iter()
        .map(|v| param_text(name, v))
        .collect::<ClientResult<Vec<_>>>()?;
    Ok(texts.join(","))
}

/// One HTTP request of an operation.
///
/// ```
/// use arraymodel::client::Request;
/// let r = Request::new("GET", "/items/{item_id}")
///     .path("item_id", &"a/b c")
///     .unwrap()
///     .query("q", &1.5)
///     .unwrap()
///     .query_each("tag", &["x", "y&z"])
///     .unwrap();
/// assert_eq!(r.target(), "/items/a%2Fb%20c?q=1.5&tag=x&tag=y%26z");
/// ```
#[derive(Debug)]
pub struct Request {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<(String, Vec<u8>)>,
    pub(crate) accept: Option<String>,
    /// A folder of binref files written for this request only, removed when the request
    /// is dropped (after the call, or when an async call is cancelled).
    pub(crate) scratch: Option<Scratch>,
}

/// A folder (or object store prefix) of a request's own, named by a fresh UUID, removed
/// on drop.
#[derive(Debug)]
pub(crate) enum Scratch {
    Dir(PathBuf),
    #[cfg(feature = "binref-store")]
    Store(crate::binref::store::StoreBase),
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            #[cfg(feature = "binref-store")]
            Scratch::Store(s) => s.remove_all(),
        }
    }
}

impl Request {
    /// A request for `method` (`GET`, `POST`, ...) on a path template such as
    /// `/items/{item_id}`, whose `{...}` are filled by [`path`](Request::path).
    pub fn new(method: &'static str, template: impl Into<String>) -> Request {
        Request {
            method,
            path: template.into(),
            query: String::new(),
            headers: Vec::new(),
            body: None,
            accept: None,
            scratch: None,
        }
    }

    /// Fills the path parameter `{name}` with `value`, percent-encoded as one segment
    /// (a `/` in the value is `%2F`).
    pub fn path<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> ClientResult<Request> {
        let text = param_text(name, value)?;
        // `.` and `..` are dot segments whatever their encoding (`%2e%2e` too), which a URL
        // parser folds away (`/users/../admin` is `/admin`); an empty one drops a level.
        if matches!(text.as_str(), "" | "." | "..") {
            return Err(ClientError::Encode(crate::Error::invalid(format!(
                "path parameter `{name}`: {text:?} is not a path segment"
            ))));
        }
        let encoded = utf8_percent_encode(&text, COMPONENT).to_string();
        let hole = format!("{{{name}}}");
        if !self.path.contains(&hole) {
            return Err(ClientError::Config(format!(
                "the path {} has no parameter {hole}",
                self.path
            )));
        }
        self.path = self.path.replace(&hole, &encoded);
        Ok(self)
    }

    /// Adds the query parameter `name=value`.
    pub fn query<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> ClientResult<Request> {
        let text = param_text(name, value)?;
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query
            .extend(utf8_percent_encode(name, COMPONENT).map(str::to_owned));
        self.query.push('=');
        self.query
            .extend(utf8_percent_encode(&text, COMPONENT).map(str::to_owned));
        Ok(self)
    }

    /// Adds `name=value` when `value` is `Some`.
    pub fn query_opt<T: Serialize + ?Sized>(
        self,
        name: &str,
        value: Option<&T>,
    ) -> ClientResult<Request> {
        match value {
            Some(v) => self.query(name, v),
            None => Ok(self),
        }
    }

    /// Adds `name=v` once per element (OpenAPI's `form` style with `explode`, the default
    /// for query parameters and what FastAPI reads for a `list[...]` query).
    pub fn query_each<T: Serialize>(mut self, name: &str, values: &[T]) -> ClientResult<Request> {
        for v in values {
            self = self.query(name, v)?;
        }
        Ok(self)
    }

    /// Adds a list-valued query parameter, when `values` is `Some`: `explode` (OpenAPI's
    /// default `form` style, FastAPI's `list[...]` query) writes `name=v` per element,
    /// otherwise one `name=v1,v2`.
    pub fn query_list<T: Serialize>(
        mut self,
        name: &str,
        values: Option<&[T]>,
        explode: bool,
    ) -> ClientResult<Request> {
        let Some(values) = values else {
            return Ok(self);
        };
        if explode {
            for v in values {
                self = self.query(name, v)?;
            }
            Ok(self)
        } else {
            let joined = joined(name, values)?;
            self.query(name, &joined)
        }
    }

    /// Fills a list-valued path parameter (`simple` style: `v1,v2`, each percent-encoded).
    pub fn path_list<T: Serialize>(self, name: &str, values: &[T]) -> ClientResult<Request> {
        let joined = joined(name, values)?;
        self.path(name, &joined)
    }

    /// Adds a list-valued header (`v1,v2`), when `values` is `Some`.
    pub fn header_list<T: Serialize>(
        self,
        name: &str,
        values: Option<&[T]>,
    ) -> ClientResult<Request> {
        match values {
            Some(v) => {
                let joined = joined(name, v)?;
                self.header(name, &joined)
            }
            None => Ok(self),
        }
    }

    /// Adds the cookie `name=value` (percent-encoded) when `value` is `Some`.
    pub fn cookie_opt<T: Serialize + ?Sized>(
        mut self,
        name: &str,
        value: Option<&T>,
    ) -> ClientResult<Request> {
        let Some(value) = value else {
            return Ok(self);
        };
        let text = param_text(name, value)?;
        let pair = format!(
            "{}={}",
            utf8_percent_encode(name, COMPONENT),
            utf8_percent_encode(&text, COMPONENT)
        );
        match self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        {
            Some((_, v)) => {
                v.push_str("; ");
                v.push_str(&pair);
            }
            None => self.headers.push(("Cookie".to_owned(), pair)),
        }
        Ok(self)
    }

    /// Adds a list-valued cookie (`v1,v2`), when `values` is `Some`.
    pub fn cookie_list<T: Serialize>(
        self,
        name: &str,
        values: Option<&[T]>,
    ) -> ClientResult<Request> {
        match values {
            Some(v) => {
                let joined = joined(name, v)?;
                self.cookie_opt(name, Some(&joined))
            }
            None => Ok(self),
        }
    }

    /// Adds the header `name: value`.
    pub fn header<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> ClientResult<Request> {
        let text = param_text(name, value)?;
        if text.chars().any(|c| c.is_control()) {
            return Err(ClientError::Encode(crate::Error::invalid(format!(
                "header `{name}`: control characters are not allowed in a header value"
            ))));
        }
        self.headers.push((name.to_owned(), text));
        Ok(self)
    }

    /// Adds the header when `value` is `Some`.
    pub fn header_opt<T: Serialize + ?Sized>(
        self,
        name: &str,
        value: Option<&T>,
    ) -> ClientResult<Request> {
        match value {
            Some(v) => self.header(name, v),
            None => Ok(self),
        }
    }

    /// A JSON body (`application/json`), arrays written as `opts` say (fields with a
    /// form of their own, `#[array(form = ..)]`, as theirs). A binref form writes its
    /// files into a folder of its own under the options' binref folder, removed when the
    /// call ends.
    pub fn json<T: Serialize + ?Sized>(
        self,
        body: &T,
        opts: &EncodeOptions,
    ) -> ClientResult<Request> {
        self.json_in(body, opts, Vec::new())
    }

    /// [`json`](Request::json), written into `buf` (emptied first): a client's
    /// [`buffer`](super::blocking::Client::buffer), which reuses memory across calls.
    pub fn json_in<T: Serialize + ?Sized>(
        mut self,
        body: &T,
        opts: &EncodeOptions,
        mut buf: Vec<u8>,
    ) -> ClientResult<Request> {
        let mut opts = opts.clone();
        if let Some(dir) = opts.binref_dir.clone() {
            let sub = format!("arraymodel-request-{}", uuid::Uuid::new_v4());
            let scratch = dir.join(&sub);
            let prefix = format!("{}{sub}/", opts.binref_prefix);
            opts = opts.binref_dir(&scratch).binref_prefix(prefix);
            self.scratch = Some(Scratch::Dir(scratch));
        }
        #[cfg(feature = "binref-store")]
        if let Some(store) = opts.binref_store.clone() {
            let sub = format!("arraymodel-request-{}", uuid::Uuid::new_v4());
            let prefix = format!("{}{sub}/", opts.binref_prefix);
            let scratch = store.child(&sub).map_err(ClientError::Encode)?;
            opts = opts.binref_store(scratch.clone()).binref_prefix(prefix);
            self.scratch = Some(Scratch::Store(scratch));
        }
        buf.clear();
        if let Err(e) = crate::to_json_into(body, &opts, &mut buf) {
            self.remove_scratch();
            return Err(ClientError::Encode(e));
        }
        self.body = Some(("application/json".to_owned(), buf));
        Ok(self)
    }

    /// A msgpack body (arrays as msgpack-numpy maps, as truss's binary mode writes them)
    /// with the given content type (`application/octet-stream`, `application/msgpack`,
    /// `application/x-msgpack`).
    pub fn msgpack<T: Serialize + ?Sized>(
        mut self,
        content_type: &str,
        body: &T,
    ) -> ClientResult<Request> {
        let bytes = crate::to_msgpack_vec(body).map_err(ClientError::Encode)?;
        self.body = Some((content_type.to_owned(), bytes));
        Ok(self)
    }

    /// A body of raw bytes (or text) with the given content type.
    pub fn bytes(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Request {
        self.body = Some((content_type.to_owned(), body.into()));
        self
    }

    /// The `Accept` header.
    pub fn accept(mut self, accept: impl Into<String>) -> Request {
        self.accept = Some(accept.into());
        self
    }

    /// The method.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The path and query, as sent after the base URL.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The body's content type and bytes.
    pub fn body(&self) -> Option<(&str, &[u8])> {
        self.body.as_ref().map(|(t, b)| (t.as_str(), b.as_slice()))
    }

    /// The full URL under `base_url`.
    pub(crate) fn url(&self, base_url: &str) -> String {
        format!("{}{}", base_url.trim_end_matches('/'), self.target())
    }

    /// Removes the request's binref folder (after the call, whatever its outcome).
    pub(crate) fn remove_scratch(&mut self) {
        self.scratch = None;
    }

    /// Refuses a path that could leave the base URL's host or query: it must be empty
    /// or start with `/`, and hold no `?` or `#`.
    pub(crate) fn check_path(&self) -> ClientResult<()> {
        if !self.path.is_empty() && !self.path.starts_with('/') || self.path.contains(['?', '#']) {
            return Err(ClientError::Config(format!(
                "the request path {:?} must be empty or start with `/`, and hold no `?` or `#`",
                clean(&self.path)
            )));
        }
        Ok(())
    }
}

/// One HTTP answer: its status, media type and whole body (read up to
/// [`ClientConfig::max_response_bytes`]).
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header as sent (empty when absent).
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The media type without parameters, lowercased: `application/json`.
    ///
    /// ```
    /// use arraymodel::client::Response;
    /// let r = Response { status: 200, content_type: "Application/JSON; charset=utf-8".into(), body: vec![] };
    /// assert_eq!(r.media_type(), "application/json");
    /// ```
    pub fn media_type(&self) -> String {
        self.content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }

    /// Whether the body is msgpack by its media type (`application/msgpack`,
    /// `application/x-msgpack`, or `application/octet-stream`, truss's binary mode).
    pub fn is_msgpack(&self) -> bool {
        matches!(
            self.media_type().as_str(),
            "application/msgpack" | "application/x-msgpack" | "application/octet-stream"
        )
    }

    /// Decodes a JSON body, every array form recognised, within the client's limits.
    pub fn json<T: DeserializeOwned>(&self, cfg: &ClientConfig) -> ClientResult<T> {
        let opts = DecodeOptions::default().limits(cfg.limits);
        crate::from_json_slice(&self.body, &opts).map_err(ClientError::Decode)
    }

    /// Decodes a msgpack body (msgpack-numpy arrays), within the client's limits.
    pub fn msgpack<T: DeserializeOwned>(&self, cfg: &ClientConfig) -> ClientResult<T> {
        let opts = DecodeOptions::default().limits(cfg.limits);
        crate::from_msgpack_slice(&self.body, &opts).map_err(ClientError::Decode)
    }

    /// Decodes the body by its media type: msgpack (see [`is_msgpack`](Response::is_msgpack))
    /// or JSON.
    pub fn model<T: DeserializeOwned>(&self, cfg: &ClientConfig) -> ClientResult<T> {
        if self.is_msgpack() {
            self.msgpack(cfg)
        } else {
            self.json(cfg)
        }
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> ClientResult<String> {
        String::from_utf8(self.body.clone()).map_err(|_| {
            ClientError::Decode(crate::Error::invalid("the response body is not UTF-8 text"))
        })
    }

    /// This answer as an [`UnexpectedResponse`] (a status the API does not declare).
    pub fn unexpected<E>(self) -> ApiError<E> {
        ApiError::Unexpected(UnexpectedResponse {
            status: self.status,
            content_type: self.content_type,
            body: self.body,
        })
    }
}

/// An answer with a status the operation does not declare. The body is kept whole; its
/// `Display` shows the start of it as text, escaped and capped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status} (not declared by the API): {}", body_text(body))]
pub struct UnexpectedResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header as sent.
    pub content_type: String,
    /// The whole body.
    pub body: Vec<u8>,
}

/// What went wrong in a call of a generated operation method: an error response the API
/// declares (`E`, a generated enum with one variant per declared status, or
/// [`Infallible`] when there are none), an undeclared status, or a failure of the call
/// itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError<E = Infallible> {
    /// A declared error response, decoded.
    #[error("HTTP {status}: the API's declared error response")]
    Declared {
        /// The status code.
        status: u16,
        /// The decoded body.
        body: E,
    },
    /// A status the operation does not declare.
    #[error(transparent)]
    Unexpected(UnexpectedResponse),
    /// The call failed: transport, timeout, body too large, encoding or decoding.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl<E> ApiError<E> {
    /// The status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Declared { status, .. } => Some(*status),
            ApiError::Unexpected(u) => Some(u.status),
            ApiError::Client(ClientError::Status { status, .. }) => Some(*status),
            ApiError::Client(_) => None,
        }
    }

    /// The declared error body, if that is what came.
    pub fn declared(&self) -> Option<&E> {
        match self {
            ApiError::Declared { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// The text shown for a transport failure: the method and URL, escaped.
pub(crate) fn call_label(method: &str, url: &str) -> String {
    format!("{method} {}", clean(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_encoded_as_one_component() {
        let r = Request::new("GET", "/a/{x}/b/{y}")
            .path("x", &"../%2e?#")
            .unwrap()
            .path("y", &-3i64)
            .unwrap()
            .query("k&=", &"v w+")
            .unwrap()
            .query_opt::<bool>("none", None)
            .unwrap()
            .query_opt("yes", Some(&true))
            .unwrap();
        assert_eq!(
            r.target(),
            "/a/..%2F%252e%3F%23/b/-3?k%26%3D=v%20w%2B&yes=true"
        );
        assert!(matches!(
            Request::new("GET", "/a").path("x", &1),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            Request::new("GET", "/a").query("x", &vec![1, 2]),
            Err(ClientError::Encode(_))
        ));
        assert!(matches!(
            Request::new("GET", "/a").header("x", &"a\r\nb: c"),
            Err(ClientError::Encode(_))
        ));
    }

    #[test]
    fn paths_that_would_leave_the_base_url_are_refused() {
        for v in ["", ".", ".."] {
            assert!(
                matches!(
                    Request::new("GET", "/a/{x}").path("x", &v),
                    Err(ClientError::Encode(_))
                ),
                "{v:?}"
            );
        }
        assert!(Request::new("GET", "/a/{x}").path("x", &"...").is_ok());
        for p in ["@evil.example/x", ".evil.example/x", "x", "/a?b", "/a#b"] {
            assert!(
                matches!(
                    Request::new("GET", p).check_path(),
                    Err(ClientError::Config(_))
                ),
                "{p}"
            );
        }
        assert!(Request::new("POST", "").check_path().is_ok());
        assert!(Request::new("GET", "/items/{id}").check_path().is_ok());
    }

    #[test]
    fn a_requests_binref_folder_goes_with_it() {
        let base = std::env::temp_dir().join(format!("arraymodel-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&base).unwrap();
        struct Gone(PathBuf);
        impl Drop for Gone {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        let dir = Gone(base);
        let opts = crate::EncodeOptions::tesseract(crate::Encoding::Binref).binref_dir(&dir.0);
        let a = crate::Array::from_vec(vec![1.0f64, 2.0]);
        let req = Request::new("POST", "/apply").json(&a, &opts).unwrap();
        let written: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
        assert_eq!(written.len(), 1, "the request's own folder");
        let (_, body) = req.body().unwrap();
        assert!(
            std::str::from_utf8(body)
                .unwrap()
                .contains("arraymodel-request-")
        );
        drop(req); // as when a call ends or an async call is cancelled
        assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    }

    #[test]
    fn unexpected_keeps_the_body_and_shows_it_escaped() {
        let r = Response {
            status: 418,
            content_type: "text/plain".into(),
            body: b"tea\x1b[31m".to_vec(),
        };
        let e: ApiError = r.unexpected();
        assert_eq!(e.status(), Some(418));
        let ApiError::Unexpected(u) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(u.body, b"tea\x1b[31m");
        assert!(!e.to_string().contains('\x1b'), "{e}");
        assert!(e.to_string().starts_with("HTTP 418"), "{e}");
    }
}
