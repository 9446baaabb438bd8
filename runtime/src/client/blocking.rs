//! The blocking clients (feature `client`), on [`ureq`]: few dependencies, no async
//! runtime. HTTPS needs ureq's TLS, which the feature `client-tls` enables (without it,
//! an `https://` URL is a [`ClientError::Config`] naming the feature); for a private CA or
//! a proxy, pass an agent of your own to `with_agent`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use std::io::Read;

use super::{
    CallOptions, ClientConfig, ClientError, ClientResult, Health, InputsBody, JacobianBody,
    JvpBody, Request, Response, ShapeDType, TransportError, VjpBody,
};
use crate::array::Array;

/// The agent `new` builds: the call's timeout, no redirects (handled by this module, see
/// [`ClientConfig::follow_redirects`]), statuses as answers, no `Accept-Encoding`. Each
/// request sets these again, so an agent passed to `with_agent` gets them too.
fn agent(cfg: &ClientConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .accept_encoding("")
        .build()
        .into()
}

fn map_err(cfg: &ClientConfig, method: &str, url: &str, e: ureq::Error) -> ClientError {
    match e {
        ureq::Error::Timeout(_) => ClientError::Timeout(cfg.timeout),
        ureq::Error::BodyExceedsLimit(_) => ClientError::BodyTooLarge {
            limit: cfg.max_response_bytes,
        },
        other => {
            let t =
                TransportError::from_source(other).note(&super::operation::call_label(method, url));
            if super::is_https(url) && !cfg!(feature = "client-tls") {
                ClientError::Transport(t.note(
                    "https:// needs the feature `client-tls`, or an agent with TLS passed to `with_agent`",
                ))
            } else {
                ClientError::Transport(t)
            }
        }
    }
}

/// Refuses `https://` up front when this build has no TLS and the agent is the one `new`
/// built (ureq's own error would not say which feature is missing).
fn check_tls(cfg: &ClientConfig, own_agent: bool) -> ClientResult<()> {
    if own_agent && !cfg!(feature = "client-tls") && super::is_https(&cfg.base_url) {
        return Err(ClientError::Config(
            "https:// URLs need the arraymodel feature `client-tls` (or an agent with TLS, \
             passed to `with_agent`)"
                .into(),
        ));
    }
    Ok(())
}

/// Sends `req` and reads the answer, following redirects only as
/// [`ClientConfig::follow_redirects`] allows.
fn exchange(
    agent: &ureq::Agent,
    cfg: &ClientConfig,
    req: &Request,
    spare: &Spare,
) -> ClientResult<Response> {
    let mut url = req.url(&cfg.base_url);
    let mut hops = 0;
    loop {
        let mut builder = ureq::http::Request::builder()
            .method(req.method)
            .uri(&url)
            .header("Accept", req.accept.as_deref().unwrap_or("*/*"));
        for (k, v) in cfg.headers.iter().chain(&req.headers) {
            builder = builder.header(k, v);
        }
        let sent = match &req.body {
            Some((content_type, body)) => builder
                .header("Content-Type", content_type)
                .body(body.as_slice())
                .map_err(|e| bad_request(req, &url, e))
                .and_then(|r| {
                    agent
                        .run(safe(agent, cfg, r))
                        .map_err(|e| map_err(cfg, req.method, &url, e))
                }),
            None => builder
                .body(())
                .map_err(|e| bad_request(req, &url, e))
                .and_then(|r| {
                    agent
                        .run(safe(agent, cfg, r))
                        .map_err(|e| map_err(cfg, req.method, &url, e))
                }),
        };
        let mut resp = sent?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let location = resp
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            url = super::redirect_target(
                cfg,
                &url,
                !matches!(req.method, "GET" | "HEAD"),
                status,
                location.as_deref(),
                hops,
            )?;
            hops += 1;
            continue;
        }
        return read(cfg, req.method, &url, &mut resp, spare);
    }
}

fn bad_request(req: &Request, url: &str, e: ureq::http::Error) -> ClientError {
    ClientError::Transport(
        TransportError::from_source(e).note(&super::operation::call_label(req.method, url)),
    )
}

/// The request with the settings every request gets whatever the agent's own (a caller's
/// agent through `with_agent` included): the timeout, no redirects (followed here, as the
/// config allows), no `Accept-Encoding`, statuses as answers rather than errors.
fn safe<B: ureq::AsSendBody>(
    agent: &ureq::Agent,
    cfg: &ClientConfig,
    req: ureq::http::Request<B>,
) -> ureq::http::Request<B> {
    agent
        .configure_request(req)
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .accept_encoding("")
        .build()
}

/// Reads the body: refused if compressed or declared longer than the cap, and read
/// through a cap of its own (counting the bytes as delivered), so at most the cap and
/// one read buffer are held.
fn read(
    cfg: &ClientConfig,
    method: &str,
    url: &str,
    resp: &mut ureq::http::Response<ureq::Body>,
    spare: &Spare,
) -> ClientResult<Response> {
    let status = resp.status().as_u16();
    let headers = resp.headers();
    super::check_content_encoding(headers.get("content-encoding").map(|v| v.as_bytes()))?;
    // Sized from the declared length: one allocation instead of doubling from empty.
    let declared =
        super::check_content_length(cfg, headers.get("content-length").map(|v| v.as_bytes()))?;
    let content_type = headers
        .get("content-type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let cap = cfg.max_response_bytes;
    let reader = resp
        .body_mut()
        .with_config()
        .limit(cap.saturating_add(1))
        .reader();
    let mut body = spare.take_for(declared);
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| map_err(cfg, method, url, ureq::Error::from(e)))?;
    if body.len() as u64 > cap {
        return Err(ClientError::BodyTooLarge { limit: cap });
    }
    Ok(Response {
        status,
        content_type,
        body,
    })
}

/// A blocking client for one tesseract server.
///
/// ```no_run
/// use arraymodel::client::{blocking::TesseractClient, CallOptions, ClientConfig, WireFormat};
/// use arraymodel::Array;
/// use std::collections::BTreeMap;
///
/// let client = TesseractClient::new(ClientConfig::new("http://127.0.0.1:8000"));
/// let inputs = BTreeMap::from([
///     ("a".to_owned(), Array::from_vec(vec![1.0f64, 2.0])),
///     ("b".to_owned(), Array::from_vec(vec![3.0f64, 4.0])),
/// ]);
/// let out: BTreeMap<String, Array> = client
///     .apply(&inputs, &CallOptions::default().response(WireFormat::BASE64_LZ4))
///     .unwrap();
/// println!("{:?}", out["result"]);
/// ```
#[derive(Clone, Debug)]
pub struct TesseractClient {
    http: Client,
}

impl TesseractClient {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> TesseractClient {
        TesseractClient {
            http: Client::new(cfg),
        }
    }

    /// A client that sends through `agent` (for TLS with a private CA, proxies, pools).
    /// Each request still sets the call's timeout, no redirects (they are handled as
    /// [`ClientConfig::follow_redirects`] says), statuses as answers and no
    /// `Accept-Encoding`; compressed answers are refused whatever ureq's features.
    pub fn with_agent(cfg: ClientConfig, agent: ureq::Agent) -> TesseractClient {
        TesseractClient {
            http: Client::with_agent(cfg, agent),
        }
    }

    /// A tesseract client over an HTTP client (sharing its agent and settings).
    pub fn from_http(http: Client) -> TesseractClient {
        TesseractClient { http }
    }

    /// The HTTP client underneath, for the server's other operations.
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        self.http.config()
    }

    /// `GET /health`.
    pub fn health(&self) -> ClientResult<Health> {
        let r = self
            .http
            .send(Request::new("GET", "/health").accept("application/json"))?;
        if r.status != 200 {
            return Err(super::status_error(&r));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ClientError::Decode(crate::Error::invalid(e.to_string())))
    }

    /// POSTs `body` (already wrapped for the endpoint) and decodes the answer as `O`.
    /// The binref files of a `json+binref` request are removed when the call ends, as
    /// tesseract-core's own client does.
    pub fn call<B: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        let req = super::tesseract_request(self.config(), endpoint, body, opts)?;
        let r = self.http.send(req)?;
        super::tesseract_response(self.config(), opts, r)
    }

    /// `POST /apply` with `{"inputs": inputs}`.
    pub fn apply<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        self.call("apply", &InputsBody { inputs }, opts)
    }

    /// `POST /jacobian`: `{out: {in: array}}`.
    pub fn jacobian<I: Serialize + ?Sized>(
        &self,
        inputs: &I,
        jac_inputs: &[&str],
        jac_outputs: &[&str],
        opts: &CallOptions,
    ) -> ClientResult<BTreeMap<String, BTreeMap<String, Array>>> {
        let body = JacobianBody {
            inputs,
            jac_inputs,
            jac_outputs,
        };
        self.call("jacobian", &body, opts)
    }

    /// `POST /jacobian_vector_product`: `{out: array}`.
    pub fn jacobian_vector_product<I: Serialize + ?Sized>(
        &self,
        inputs: &I,
        jvp_inputs: &[&str],
        jvp_outputs: &[&str],
        tangent_vector: &BTreeMap<String, Array>,
        opts: &CallOptions,
    ) -> ClientResult<BTreeMap<String, Array>> {
        let body = JvpBody {
            inputs,
            jvp_inputs,
            jvp_outputs,
            tangent_vector,
        };
        self.call("jacobian_vector_product", &body, opts)
    }

    /// `POST /vector_jacobian_product`: `{in: array}`.
    pub fn vector_jacobian_product<I: Serialize + ?Sized>(
        &self,
        inputs: &I,
        vjp_inputs: &[&str],
        vjp_outputs: &[&str],
        cotangent_vector: &BTreeMap<String, Array>,
        opts: &CallOptions,
    ) -> ClientResult<BTreeMap<String, Array>> {
        let body = VjpBody {
            inputs,
            vjp_inputs,
            vjp_outputs,
            cotangent_vector,
        };
        self.call("vector_jacobian_product", &body, opts)
    }

    /// `POST /abstract_eval`: shapes and dtypes in, shapes and dtypes out.
    pub fn abstract_eval(
        &self,
        inputs: &BTreeMap<String, ShapeDType>,
    ) -> ClientResult<BTreeMap<String, ShapeDType>> {
        let opts = CallOptions::default().response(super::WireFormat::JSON);
        // abstract_eval always answers application/json.
        self.call("abstract_eval", &InputsBody { inputs }, &opts)
    }
}

/// A blocking client for a truss chainlet-style endpoint.
///
/// ```no_run
/// use arraymodel::client::{blocking::TrussClient, ClientConfig};
/// use arraymodel::Array;
/// let client = TrussClient::new(ClientConfig::new("http://127.0.0.1:8080/predict"));
/// let out: Array = client.call_binary(&Array::from_vec(vec![1.0f32])).unwrap();
/// # let _ = out;
/// ```
#[derive(Clone, Debug)]
pub struct TrussClient {
    http: Client,
}

impl TrussClient {
    /// A client for the endpoint URL in `cfg.base_url`.
    pub fn new(cfg: ClientConfig) -> TrussClient {
        TrussClient {
            http: Client::new(cfg),
        }
    }

    /// A client that sends through `agent` (see [`TesseractClient::with_agent`]).
    pub fn with_agent(cfg: ClientConfig, agent: ureq::Agent) -> TrussClient {
        TrussClient {
            http: Client::with_agent(cfg, agent),
        }
    }

    /// Sends `inputs` as JSON (`NumpyArrayField` form) and decodes the JSON answer.
    pub fn call_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let r = self.http.send(super::truss_request("", inputs, false)?)?;
        super::truss_response(self.http.config(), r)
    }

    /// Sends `inputs` as msgpack (truss binary mode) and decodes the msgpack answer.
    pub fn call_binary<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let r = self.http.send(super::truss_request("", inputs, true)?)?;
        super::truss_response(self.http.config(), r)
    }
}

/// A blocking HTTP client for one server: sends a [`Request`] built by a generated
/// operation method (or by hand) and returns the [`Response`], with the safety rules of
/// the [module docs](super) (body cap, no compression, redirects only as configured).
///
/// ```no_run
/// use arraymodel::client::{blocking::Client, ClientConfig, Request};
/// let client = Client::new(ClientConfig::new("http://127.0.0.1:8000"));
/// let r = client.send(Request::new("GET", "/items/{id}").path("id", &7)?.accept("application/json"))?;
/// assert_eq!(r.status, 200);
/// # Ok::<(), arraymodel::client::ClientError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    cfg: ClientConfig,
    agent: ureq::Agent,
    own_agent: bool,
    spare: Spare,
}

/// Two buffers kept between calls (shared by the clones of a client): a sent request's
/// body and a decoded answer's become the next call's request and answer buffers, so
/// large bodies do not make the allocator map, and the kernel fault in, fresh pages on
/// every call. Each is at most [`SPARE_MAX`] bytes.
#[derive(Clone, Debug, Default)]
struct Spare(std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

/// The largest buffer a client keeps between calls (64 MiB).
const SPARE_MAX: usize = 64 << 20;

impl Spare {
    /// The largest kept buffer, empty (or a new one).
    fn take(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(mut v) => v.pop().unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// A buffer for an answer of `len` bytes: a kept one when its capacity is at most
    /// twice that (so a small answer handed to the caller does not carry a large
    /// buffer), else a new one of that capacity.
    fn take_for(&self, len: usize) -> Vec<u8> {
        if let Ok(mut v) = self.0.lock()
            && let Some(i) = v
                .iter()
                .position(|b| b.capacity() >= len && b.capacity() <= len.saturating_mul(2))
        {
            return v.remove(i);
        }
        Vec::with_capacity(len)
    }

    /// Keeps `buf` (emptied) if fewer than two are kept or it is larger than the smaller.
    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() > SPARE_MAX || buf.capacity() == 0 {
            return;
        }
        if let Ok(mut v) = self.0.lock() {
            buf.clear();
            if v.len() < 2 {
                v.push(buf);
            } else if buf.capacity() > v[0].capacity() {
                v[0] = buf;
            }
            // Smallest first, so `take` pops the largest.
            v.sort_by_key(Vec::capacity);
        }
    }
}

impl Client {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> Client {
        Client {
            agent: agent(&cfg),
            cfg,
            own_agent: true,
            spare: Spare::default(),
        }
    }

    /// A client that sends through `agent` (see [`TesseractClient::with_agent`]).
    pub fn with_agent(cfg: ClientConfig, agent: ureq::Agent) -> Client {
        Client {
            agent,
            cfg,
            own_agent: false,
            spare: Spare::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    fn check(&self) -> ClientResult<()> {
        check_tls(&self.cfg, self.own_agent)
    }

    /// Sends `req` to the base URL joined with its path and query, and reads the answer
    /// (any status). The request's own binref files, if any, are removed afterwards.
    pub fn send(&self, mut req: Request) -> ClientResult<Response> {
        let r = self
            .check()
            .and_then(|()| req.check_path())
            .and_then(|()| exchange(&self.agent, &self.cfg, &req, &self.spare));
        req.remove_scratch();
        if let Some((_, body)) = req.body.take() {
            self.spare.give(body);
        }
        r
    }

    /// A buffer for a request body ([`Request::json_in`]): one the client kept from an
    /// earlier call, so a large body reuses memory instead of fresh pages.
    pub fn buffer(&self) -> Vec<u8> {
        self.spare.take()
    }

    /// Decodes a JSON answer (see [`Response::json`]); its buffer is kept for the next.
    pub fn json<O: DeserializeOwned>(&self, r: Response) -> ClientResult<O> {
        let out = r.json(&self.cfg);
        self.spare.give(r.body);
        out
    }

    /// Decodes a msgpack answer (see [`Response::msgpack`]); its buffer is kept for the next.
    pub fn msgpack<O: DeserializeOwned>(&self, r: Response) -> ClientResult<O> {
        let out = r.msgpack(&self.cfg);
        self.spare.give(r.body);
        out
    }

    /// Decodes an answer by its media type (see [`Response::model`]); its buffer is kept
    /// for the next.
    pub fn model<O: DeserializeOwned>(&self, r: Response) -> ClientResult<O> {
        let out = r.model(&self.cfg);
        self.spare.give(r.body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `https://` without TLS names the feature that brings it.
    #[test]
    fn https_without_tls_names_the_feature() {
        let client = TesseractClient::new(
            ClientConfig::new("https://127.0.0.1:9").timeout(std::time::Duration::from_secs(2)),
        );
        match client.health() {
            Err(ClientError::Config(m)) if !cfg!(feature = "client-tls") => {
                assert!(m.contains("`client-tls`"), "{m}")
            }
            Err(ClientError::Transport(_)) if cfg!(feature = "client-tls") => {}
            other => panic!("{other:?}"),
        }
    }
}
