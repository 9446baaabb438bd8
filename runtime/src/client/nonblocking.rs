//! The async clients (feature `client-async`), on [`reqwest`]. They need a tokio
//! runtime. For HTTPS, pass a `reqwest::Client` built with the TLS features of your
//! choice to `with_client`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CallOptions, ClientConfig, ClientError, ClientResult, Health, InputsBody, JacobianBody,
    JvpBody, Request, Response, ShapeDType, TransportError, VjpBody,
};
use crate::array::Array;

/// A `reqwest::ClientBuilder` with the settings the clients rely on: the call's timeout,
/// no redirects (the clients handle them as [`ClientConfig::follow_redirects`] says), no
/// `Referer`, and no transparent decompression (gzip, deflate, brotli, zstd: off even if
/// feature unification enabled them, so no `Accept-Encoding` is sent and a compression
/// bomb is never expanded). Add TLS settings (a private CA, ...) and pass the built client
/// to `with_client`.
///
/// ```
/// use arraymodel::client::{nonblocking, ClientConfig};
/// let cfg = ClientConfig::new("http://127.0.0.1:8000");
/// let http = nonblocking::client_builder(&cfg).build().unwrap();
/// let client = nonblocking::TesseractClient::with_client(cfg, http);
/// # let _ = client;
/// ```
pub fn client_builder(cfg: &ClientConfig) -> reqwest::ClientBuilder {
    // Feature `binref-store` builds reqwest's rustls without a provider, which
    // feature unification turns on for this client too: the same ring provider then.
    #[cfg(feature = "binref-store")]
    crate::binref::store::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .no_gzip()
        .no_deflate()
        .no_brotli()
        .no_zstd()
}

/// The client `new` uses, or why it could not be built (reported by every call rather
/// than falling back to reqwest's defaults, which follow redirects).
fn client(cfg: &ClientConfig) -> Result<reqwest::Client, String> {
    client_builder(cfg)
        .build()
        .map_err(|e| super::TransportError::from_source(e).to_string())
}

fn map_err(cfg: &ClientConfig, method: &str, url: &str, e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        return ClientError::Timeout(cfg.timeout);
    }
    let t = TransportError::from_source(e).note(&super::operation::call_label(method, url));
    if super::is_https(url) {
        ClientError::Transport(t.note(
            "https:// needs a reqwest::Client with TLS (reqwest's TLS features), passed to \
             `with_client`; build it from `client_builder`",
        ))
    } else {
        ClientError::Transport(t)
    }
}

/// Responses whose bodies are at most this long, and are neither binref (arrays read from
/// files) nor LZ4 (arrays decompressed), are decoded on the calling task; larger ones on
/// tokio's blocking pool, so a large decode does not stall the executor thread.
pub const INLINE_DECODE_MAX: usize = 64 << 10;

/// Runs `decode` on `r`, on the blocking pool unless the response is small (see
/// [`INLINE_DECODE_MAX`]).
async fn decode<O: Send + 'static>(
    r: Response,
    decode: impl FnOnce(Response) -> ClientResult<O> + Send + 'static,
) -> ClientResult<O> {
    let ct = r.content_type.to_ascii_lowercase();
    if r.body.len() <= INLINE_DECODE_MAX && !ct.contains("binref") && !ct.contains("lz4") {
        return decode(r);
    }
    match tokio::task::spawn_blocking(move || decode(r)).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(ClientError::Transport(TransportError::from_source(e))),
    }
}

/// Sends `req` and reads the answer, following redirects only as
/// [`ClientConfig::follow_redirects`] allows.
async fn exchange(
    client: &Result<reqwest::Client, String>,
    cfg: &ClientConfig,
    req: &Request,
) -> ClientResult<Response> {
    let client = client.as_ref().map_err(|e| {
        ClientError::Transport(TransportError::new(format!(
            "building the HTTP client: {e}"
        )))
    })?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|_| {
        ClientError::Config(format!(
            "{:?} is not an HTTP method",
            super::clean(req.method)
        ))
    })?;
    let mut url = req.url(&cfg.base_url);
    let mut hops = 0;
    loop {
        let mut builder = client
            .request(method.clone(), &url)
            .header("Accept", req.accept.as_deref().unwrap_or("*/*"))
            .timeout(cfg.timeout);
        for (k, v) in cfg.headers.iter().chain(&req.headers) {
            builder = builder.header(k, v);
        }
        if let Some((content_type, body)) = &req.body {
            builder = builder
                .header("Content-Type", content_type)
                .body(body.clone());
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| map_err(cfg, req.method, &url, e))?;
        let status = resp.status().as_u16();
        if reqwest::Url::parse(&url).is_ok_and(|u| &u != resp.url()) {
            // Only a client passed to `with_client` follows redirects by itself.
            return Err(ClientError::Redirect {
                status,
                location: super::clean(resp.url().as_str()),
                reason: "the reqwest::Client passed to with_client followed it; build that client \
                         from nonblocking::client_builder",
            });
        }
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
        return read(cfg, req.method, &url, resp).await;
    }
}

/// Reads the body chunk by chunk, refusing it (before reading on) once it passes
/// [`ClientConfig::max_response_bytes`]: at most the cap and one chunk are held.
async fn read(
    cfg: &ClientConfig,
    method: &str,
    url: &str,
    mut resp: reqwest::Response,
) -> ClientResult<Response> {
    let status = resp.status().as_u16();
    let headers = resp.headers();
    super::check_content_encoding(headers.get("content-encoding").map(|v| v.as_bytes()))?;
    let declared =
        super::check_content_length(cfg, headers.get("content-length").map(|v| v.as_bytes()))?;
    let content_type = headers
        .get("content-type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let cap = cfg.max_response_bytes;
    let mut body = Vec::with_capacity(declared);
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| map_err(cfg, method, url, e))?
    {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > cap {
            return Err(ClientError::BodyTooLarge { limit: cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        content_type,
        body,
    })
}

/// An async client for one tesseract server (the same methods as
/// [`blocking::TesseractClient`](super::blocking::TesseractClient), `async`).
///
/// ```no_run
/// # async fn run() {
/// use arraymodel::client::{nonblocking::TesseractClient, CallOptions, ClientConfig, WireFormat};
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
///     .await
///     .unwrap();
/// println!("{:?}", out["result"]);
/// # }
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

    /// A client that sends through `client` (for TLS settings, proxies, pools). Build it
    /// from [`client_builder`], which turns off redirects and decompression: reqwest
    /// cannot turn them off per request. The body cap and the `Content-Encoding` check
    /// hold whatever the client, and a redirect it followed by itself is reported as
    /// [`ClientError::Redirect`] (after the fact).
    pub fn with_client(cfg: ClientConfig, client: reqwest::Client) -> TesseractClient {
        TesseractClient {
            http: Client::with_client(cfg, client),
        }
    }

    /// A tesseract client over an HTTP client (sharing its connections and settings).
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
    pub async fn health(&self) -> ClientResult<Health> {
        let r = self
            .http
            .send(Request::new("GET", "/health").accept("application/json"))
            .await?;
        if r.status != 200 {
            return Err(super::status_error(&r));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ClientError::Decode(crate::Error::invalid(e.to_string())))
    }

    /// POSTs `body` (already wrapped for the endpoint) and decodes the answer as `O`.
    /// The binref files of a `json+binref` request are removed when the call ends, as
    /// tesseract-core's own client does.
    pub async fn call<B: Serialize + ?Sized, O: DeserializeOwned + Send + 'static>(
        &self,
        endpoint: &str,
        body: &B,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        let req = super::tesseract_request(self.config(), endpoint, body, opts)?;
        let r = self.http.send(req).await?;
        let (cfg, opts) = (self.config().clone(), opts.clone());
        decode(r, move |r| super::tesseract_response(&cfg, &opts, r)).await
    }

    /// `POST /apply` with `{"inputs": inputs}`.
    pub async fn apply<I: Serialize + ?Sized, O: DeserializeOwned + Send + 'static>(
        &self,
        inputs: &I,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        self.call("apply", &InputsBody { inputs }, opts).await
    }

    /// `POST /jacobian`: `{out: {in: array}}`.
    pub async fn jacobian<I: Serialize + ?Sized>(
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
        self.call("jacobian", &body, opts).await
    }

    /// `POST /jacobian_vector_product`: `{out: array}`.
    pub async fn jacobian_vector_product<I: Serialize + ?Sized>(
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
        self.call("jacobian_vector_product", &body, opts).await
    }

    /// `POST /vector_jacobian_product`: `{in: array}`.
    pub async fn vector_jacobian_product<I: Serialize + ?Sized>(
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
        self.call("vector_jacobian_product", &body, opts).await
    }

    /// `POST /abstract_eval`: shapes and dtypes in, shapes and dtypes out.
    pub async fn abstract_eval(
        &self,
        inputs: &BTreeMap<String, ShapeDType>,
    ) -> ClientResult<BTreeMap<String, ShapeDType>> {
        let opts = CallOptions::default().response(super::WireFormat::JSON);
        // abstract_eval always answers application/json.
        self.call("abstract_eval", &InputsBody { inputs }, &opts)
            .await
    }
}

/// An async client for a truss chainlet-style endpoint.
///
/// ```no_run
/// # async fn run() {
/// use arraymodel::client::{nonblocking::TrussClient, ClientConfig};
/// use arraymodel::Array;
/// let client = TrussClient::new(ClientConfig::new("http://127.0.0.1:8080/predict"));
/// let out: Array = client.call_binary(&Array::from_vec(vec![1.0f32])).await.unwrap();
/// # let _ = out;
/// # }
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

    /// A client that sends through `client`.
    pub fn with_client(cfg: ClientConfig, client: reqwest::Client) -> TrussClient {
        TrussClient {
            http: Client::with_client(cfg, client),
        }
    }

    /// Sends `inputs` as JSON (`NumpyArrayField` form) and decodes the JSON answer.
    pub async fn call_json<I: Serialize + ?Sized, O: DeserializeOwned + Send + 'static>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let r = self
            .http
            .send(super::truss_request("", inputs, false)?)
            .await?;
        let cfg = self.http.config().clone();
        decode(r, move |r| super::truss_response(&cfg, r)).await
    }

    /// Sends `inputs` as msgpack (truss binary mode) and decodes the msgpack answer.
    pub async fn call_binary<I: Serialize + ?Sized, O: DeserializeOwned + Send + 'static>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let r = self
            .http
            .send(super::truss_request("", inputs, true)?)
            .await?;
        let cfg = self.http.config().clone();
        decode(r, move |r| super::truss_response(&cfg, r)).await
    }
}

/// An async HTTP client for one server: sends a [`Request`] built by a generated
/// operation method (or by hand) and returns the [`Response`], with the safety rules of
/// the [module docs](super) (body cap, no compression, redirects only as configured).
///
/// ```no_run
/// # async fn run() -> Result<(), arraymodel::client::ClientError> {
/// use arraymodel::client::{nonblocking::Client, ClientConfig, Request};
/// let client = Client::new(ClientConfig::new("http://127.0.0.1:8000"));
/// let r = client.send(Request::new("GET", "/items/{id}").path("id", &7)?).await?;
/// let item: serde_json::Value = client.json(r).await?;
/// # let _ = item;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    cfg: ClientConfig,
    client: Result<reqwest::Client, String>,
}

impl Client {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> Client {
        Client {
            client: client(&cfg),
            cfg,
        }
    }

    /// A client that sends through `client` (see [`TesseractClient::with_client`]).
    pub fn with_client(cfg: ClientConfig, client: reqwest::Client) -> Client {
        Client {
            client: Ok(client),
            cfg,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Sends `req` to the base URL joined with its path and query, and reads the answer
    /// (any status). The request's own binref files, if any, are removed afterwards.
    pub async fn send(&self, mut req: Request) -> ClientResult<Response> {
        req.check_path()?;
        let r = exchange(&self.client, &self.cfg, &req).await;
        req.remove_scratch();
        r
    }

    /// A buffer for a request body ([`Request::json_in`]). The async client keeps none
    /// between calls: this is a new one.
    pub fn buffer(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Decodes a JSON answer (see [`Response::json`]); a large one on tokio's blocking pool
    /// (see [`INLINE_DECODE_MAX`]).
    pub async fn json<O: DeserializeOwned + Send + 'static>(&self, r: Response) -> ClientResult<O> {
        let cfg = self.cfg.clone();
        decode(r, move |r| r.json(&cfg)).await
    }

    /// Decodes a msgpack answer (see [`Response::msgpack`]), a large one on the blocking pool.
    pub async fn msgpack<O: DeserializeOwned + Send + 'static>(
        &self,
        r: Response,
    ) -> ClientResult<O> {
        let cfg = self.cfg.clone();
        decode(r, move |r| r.msgpack(&cfg)).await
    }

    /// Decodes an answer by its media type (see [`Response::model`]), a large one on the
    /// blocking pool.
    pub async fn model<O: DeserializeOwned + Send + 'static>(
        &self,
        r: Response,
    ) -> ClientResult<O> {
        let cfg = self.cfg.clone();
        decode(r, move |r| r.model(&cfg)).await
    }
}
