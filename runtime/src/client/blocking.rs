//! The blocking clients (feature `client`), on [`ureq`]: few dependencies, no async
//! runtime. HTTPS needs ureq's TLS, which the feature `client-tls` enables.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CallOptions, ClientConfig, ClientError, ClientResult, Health, InputsBody, JacobianBody,
    JvpBody, Prepared, Received, ShapeDType, VjpBody,
};
use crate::array::Array;

fn agent(cfg: &ClientConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn map_err(cfg: &ClientConfig, e: ureq::Error) -> ClientError {
    match e {
        ureq::Error::Timeout(_) => ClientError::Timeout(cfg.timeout),
        other => ClientError::Transport(other.to_string()),
    }
}

fn send(agent: &ureq::Agent, cfg: &ClientConfig, p: Prepared) -> ClientResult<Received> {
    let mut req = agent
        .post(&p.url)
        .header("Content-Type", p.content_type)
        .header("Accept", &p.accept);
    for (k, v) in &cfg.headers {
        req = req.header(k, v);
    }
    let mut resp = req.send(&p.body[..]).map_err(|e| map_err(cfg, e))?;
    read(cfg, &mut resp)
}

fn read(cfg: &ClientConfig, resp: &mut ureq::http::Response<ureq::Body>) -> ClientResult<Received> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let limit = u64::try_from(cfg.limits.max_array_bytes)
        .unwrap_or(u64::MAX)
        .saturating_mul(2);
    let body = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| map_err(cfg, e))?;
    Ok(Received {
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
    cfg: ClientConfig,
    agent: ureq::Agent,
}

impl TesseractClient {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> TesseractClient {
        TesseractClient {
            agent: agent(&cfg),
            cfg,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// `GET /health`.
    pub fn health(&self) -> ClientResult<Health> {
        let mut req = self.agent.get(format!("{}/health", self.cfg.base_url));
        for (k, v) in &self.cfg.headers {
            req = req.header(k, v);
        }
        let mut resp = req.call().map_err(|e| map_err(&self.cfg, e))?;
        let r = read(&self.cfg, &mut resp)?;
        if r.status != 200 {
            return Err(super::status_error(&r));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ClientError::Decode(crate::Error::invalid(e.to_string())))
    }

    /// POSTs `body` (already wrapped for the endpoint) and decodes the answer as `O`.
    pub fn call<B: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        let p = super::tesseract_request(&self.cfg, endpoint, body, opts)?;
        let r = send(&self.agent, &self.cfg, p)?;
        super::tesseract_response(&self.cfg, opts, r)
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
    cfg: ClientConfig,
    agent: ureq::Agent,
}

impl TrussClient {
    /// A client for the endpoint URL in `cfg.base_url`.
    pub fn new(cfg: ClientConfig) -> TrussClient {
        TrussClient {
            agent: agent(&cfg),
            cfg,
        }
    }

    /// Sends `inputs` as JSON (`NumpyArrayField` form) and decodes the JSON answer.
    pub fn call_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let p = super::truss_request(&self.cfg.base_url, inputs, false)?;
        let r = send(&self.agent, &self.cfg, p)?;
        super::truss_response(&self.cfg, r)
    }

    /// Sends `inputs` as msgpack (truss binary mode) and decodes the msgpack answer.
    pub fn call_binary<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        let p = super::truss_request(&self.cfg.base_url, inputs, true)?;
        let r = send(&self.agent, &self.cfg, p)?;
        super::truss_response(&self.cfg, r)
    }
}
