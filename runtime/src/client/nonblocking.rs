//! The async clients (feature `client-async`), on [`reqwest`]. They need a tokio
//! runtime. For HTTPS, pass a `reqwest::Client` built with the TLS features of your
//! choice to `with_client`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CallOptions, ClientConfig, ClientError, ClientResult, Health, InputsBody, JacobianBody,
    JvpBody, Prepared, Received, ShapeDType, VjpBody,
};
use crate::array::Array;

fn client(cfg: &ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .build()
        .unwrap_or_default()
}

fn map_err(cfg: &ClientConfig, e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout(cfg.timeout)
    } else {
        ClientError::Transport(e.to_string())
    }
}

async fn send(client: &reqwest::Client, cfg: &ClientConfig, p: Prepared) -> ClientResult<Received> {
    let mut req = client
        .post(&p.url)
        .header("Content-Type", p.content_type)
        .header("Accept", &p.accept)
        .body(p.body);
    for (k, v) in &cfg.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| map_err(cfg, e))?;
    read(cfg, resp).await
}

async fn read(cfg: &ClientConfig, resp: reqwest::Response) -> ClientResult<Received> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.bytes().await.map_err(|e| map_err(cfg, e))?.to_vec();
    Ok(Received {
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
    cfg: ClientConfig,
    client: reqwest::Client,
}

impl TesseractClient {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> TesseractClient {
        TesseractClient {
            client: client(&cfg),
            cfg,
        }
    }

    /// A client that sends through `client` (for TLS settings, proxies, pools).
    pub fn with_client(cfg: ClientConfig, client: reqwest::Client) -> TesseractClient {
        TesseractClient { client, cfg }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// `GET /health`.
    pub async fn health(&self) -> ClientResult<Health> {
        let mut req = self.client.get(format!("{}/health", self.cfg.base_url));
        for (k, v) in &self.cfg.headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| map_err(&self.cfg, e))?;
        let r = read(&self.cfg, resp).await?;
        if r.status != 200 {
            return Err(super::status_error(&r));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ClientError::Decode(crate::Error::invalid(e.to_string())))
    }

    /// POSTs `body` (already wrapped for the endpoint) and decodes the answer as `O`.
    pub async fn call<B: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        let p = super::tesseract_request(&self.cfg, endpoint, body, opts)?;
        let r = send(&self.client, &self.cfg, p).await?;
        super::tesseract_response(&self.cfg, opts, r)
    }

    /// `POST /apply` with `{"inputs": inputs}`.
    pub async fn apply<I: Serialize + ?Sized, O: DeserializeOwned>(
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
    cfg: ClientConfig,
    client: reqwest::Client,
}

impl TrussClient {
    /// A client for the endpoint URL in `cfg.base_url`.
    pub fn new(cfg: ClientConfig) -> TrussClient {
        TrussClient {
            client: client(&cfg),
            cfg,
        }
    }

    /// A client that sends through `client`.
    pub fn with_client(cfg: ClientConfig, client: reqwest::Client) -> TrussClient {
        TrussClient { client, cfg }
    }

    /// Sends `inputs` as JSON (`NumpyArrayField` form) and decodes the JSON answer.
    pub async fn call_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let p = super::truss_request(&self.cfg.base_url, inputs, false)?;
        let r = send(&self.client, &self.cfg, p).await?;
        super::truss_response(&self.cfg, r)
    }

    /// Sends `inputs` as msgpack (truss binary mode) and decodes the msgpack answer.
    pub async fn call_binary<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let p = super::truss_request(&self.cfg.base_url, inputs, true)?;
        let r = send(&self.client, &self.cfg, p).await?;
        super::truss_response(&self.cfg, r)
    }
}
