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
    JvpBody, Prepared, Received, ShapeDType, TransportError, VjpBody,
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

fn map_err(cfg: &ClientConfig, url: &str, e: ureq::Error) -> ClientError {
    match e {
        ureq::Error::Timeout(_) => ClientError::Timeout(cfg.timeout),
        ureq::Error::BodyExceedsLimit(_) => ClientError::BodyTooLarge {
            limit: cfg.max_response_bytes,
        },
        other => {
            let t = TransportError::from_source(other);
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

/// Sends a request (`body`: `None` for a `GET`) and reads the answer, following
/// redirects only as [`ClientConfig::follow_redirects`] allows.
fn exchange(
    agent: &ureq::Agent,
    cfg: &ClientConfig,
    url: &str,
    content_type: &str,
    accept: &str,
    body: Option<&[u8]>,
) -> ClientResult<Received> {
    let mut url = url.to_owned();
    let mut hops = 0;
    loop {
        let mut resp = match body {
            Some(b) => safe(
                cfg,
                agent
                    .post(&url)
                    .header("Content-Type", content_type)
                    .header("Accept", accept),
            )
            .send(b),
            None => safe(cfg, agent.get(&url).header("Accept", accept)).call(),
        }
        .map_err(|e| map_err(cfg, &url, e))?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let location = resp
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            url = super::redirect_target(
                cfg,
                &url,
                body.is_some(),
                status,
                location.as_deref(),
                hops,
            )?;
            hops += 1;
            continue;
        }
        return read(cfg, &url, &mut resp);
    }
}

/// A request with the caller's headers and the settings every request gets whatever
/// the agent's own (a caller's agent through `with_agent` included): the timeout, no
/// redirects (followed here, as the config allows), no `Accept-Encoding`, statuses as
/// answers rather than errors.
fn safe<B>(cfg: &ClientConfig, mut req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
    for (k, v) in &cfg.headers {
        req = req.header(k, v);
    }
    req.config()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .accept_encoding("")
        .build()
}

fn send(agent: &ureq::Agent, cfg: &ClientConfig, p: Prepared) -> ClientResult<Received> {
    exchange(agent, cfg, &p.url, p.content_type, &p.accept, Some(&p.body))
}

/// Reads the body: refused if compressed or declared longer than the cap, and read
/// through a cap of its own (counting the bytes as delivered), so at most the cap and
/// one read buffer are held.
fn read(
    cfg: &ClientConfig,
    url: &str,
    resp: &mut ureq::http::Response<ureq::Body>,
) -> ClientResult<Received> {
    let status = resp.status().as_u16();
    let headers = resp.headers();
    super::check_content_encoding(headers.get("content-encoding").map(|v| v.as_bytes()))?;
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
    let mut body = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| map_err(cfg, url, ureq::Error::from(e)))?;
    if body.len() as u64 > cap {
        return Err(ClientError::BodyTooLarge { limit: cap });
    }
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
    own_agent: bool,
}

impl TesseractClient {
    /// A client with these settings.
    pub fn new(cfg: ClientConfig) -> TesseractClient {
        TesseractClient {
            agent: agent(&cfg),
            cfg,
            own_agent: true,
        }
    }

    /// A client that sends through `agent` (for TLS with a private CA, proxies, pools).
    /// Each request still sets the call's timeout, no redirects (they are handled as
    /// [`ClientConfig::follow_redirects`] says), statuses as answers and no
    /// `Accept-Encoding`; compressed answers are refused whatever ureq's features.
    pub fn with_agent(cfg: ClientConfig, agent: ureq::Agent) -> TesseractClient {
        TesseractClient {
            agent,
            cfg,
            own_agent: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// `GET /health`.
    pub fn health(&self) -> ClientResult<Health> {
        self.check()?;
        let url = format!("{}/health", self.cfg.base_url);
        let r = exchange(&self.agent, &self.cfg, &url, "", "application/json", None)?;
        if r.status != 200 {
            return Err(super::status_error(&r));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| ClientError::Decode(crate::Error::invalid(e.to_string())))
    }

    fn check(&self) -> ClientResult<()> {
        check_tls(&self.cfg, self.own_agent)
    }

    /// POSTs `body` (already wrapped for the endpoint) and decodes the answer as `O`.
    pub fn call<B: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
        opts: &CallOptions,
    ) -> ClientResult<O> {
        self.check()?;
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
    own_agent: bool,
}

impl TrussClient {
    /// A client for the endpoint URL in `cfg.base_url`.
    pub fn new(cfg: ClientConfig) -> TrussClient {
        TrussClient {
            agent: agent(&cfg),
            cfg,
            own_agent: true,
        }
    }

    /// A client that sends through `agent` (see [`TesseractClient::with_agent`]).
    pub fn with_agent(cfg: ClientConfig, agent: ureq::Agent) -> TrussClient {
        TrussClient {
            agent,
            cfg,
            own_agent: false,
        }
    }

    /// Sends `inputs` as JSON (`NumpyArrayField` form) and decodes the JSON answer.
    pub fn call_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        check_tls(&self.cfg, self.own_agent)?;
        let p = super::truss_request(&self.cfg.base_url, inputs, false)?;
        let r = send(&self.agent, &self.cfg, p)?;
        super::truss_response(&self.cfg, r)
    }

    /// Sends `inputs` as msgpack (truss binary mode) and decodes the msgpack answer.
    pub fn call_binary<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        inputs: &I,
    ) -> ClientResult<O> {
        check_tls(&self.cfg, self.own_agent)?;
        let p = super::truss_request(&self.cfg.base_url, inputs, true)?;
        let r = send(&self.agent, &self.cfg, p)?;
        super::truss_response(&self.cfg, r)
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
