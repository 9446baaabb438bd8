//! Rust tesseracts (`arraymodel::server`) against tesseract-runtime 1.15 on 127.0.0.1:
//!
//! - every capture of `tests/data/peers/tesseract/vectoradd/` replayed against the Rust
//!   vectoradd gives the same status and the same bytes (binref file names aside, which
//!   are new uuids on every run);
//! - every bad request of `errors/` gives the same status and the same `type` and `loc`
//!   in the 422 `detail`, except the documented places where the peer is unsafe or
//!   lenient ([`DIFFERS`]);
//! - the published `openapi.json`s have the structure of the peer's, live, for vectoradd
//!   and the nested model;
//! - tesseract-core's own Python client calls every endpoint of both, in every request ×
//!   response encoding, and gets bit-identical answers from the Rust and the Python
//!   servers (`tests/interop/serve_compare.py`);
//! - the client `arraymodel generate --client` writes from the Rust server's document
//!   works against it;
//! - hostile requests get 4xx answers, a panic in user code a 500, and the server keeps
//!   serving.
//!
//! Fails, never skips, when a peer is missing.

use std::path::{Path, PathBuf};

use arraymodel::server::{ServerConfig, openapi_document};
use arraymodel_tests::served::{RustServer, nested::Nested, vectoradd::VectorAdd};
use arraymodel_tests::{TesseractServer, peer_bin, repo_root};
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("serve-tesseract")
        .join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn captures() -> PathBuf {
    repo_root().join("tests/data/peers/tesseract")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// One HTTP exchange: status, content type, body.
fn send(
    method: &str,
    url: &str,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(a) = accept {
                r = r.header("Accept", a);
            }
            r.call()
        }
        (_, body) => {
            let mut r = agent.post(url);
            if let Some(a) = accept {
                r = r.header("Accept", a);
            }
            if let Some(c) = content_type {
                r = r.header("Content-Type", c);
            }
            r.send(body.unwrap_or_default())
        }
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    (status, ctype, body)
}

/// A capture: `NAME.meta` (method, path, Accept, status), its request and response.
struct Capture {
    name: String,
    method: String,
    path: String,
    accept: Option<String>,
    status: Option<u16>,
    request: Option<Vec<u8>>,
    response: Vec<u8>,
}

fn read_captures(dir: &Path) -> Vec<Capture> {
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "meta"))
        .collect();
    names.sort();
    for meta in names {
        let name = meta.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&meta).unwrap();
        let mut lines = text.lines();
        let first: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
        if first.first() != Some(&"METHOD") {
            continue; // a hand-written note (wrong_content_type, run_id_traversal)
        }
        let mut c = Capture {
            name: name.clone(),
            method: first[1].to_string(),
            path: first[2].to_string(),
            accept: None,
            status: None,
            request: std::fs::read(dir.join(format!("{name}.request.json"))).ok(),
            response: std::fs::read(dir.join(format!("{name}.response.body"))).unwrap_or_default(),
        };
        for l in lines {
            if let Some(a) = l.strip_prefix("Accept: ") {
                c.accept = Some(a.to_string());
            }
            if let Some(s) = l.strip_prefix("STATUS ") {
                c.status = Some(s.trim().parse().unwrap());
            }
        }
        out.push(c);
    }
    out
}

/// Replaces binref file names (`run_x/<uuid>.bin`) with a marker.
fn mask_uuids(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).into_owned();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(".bin:") {
        let head = &rest[..i];
        let cut = head.len().saturating_sub(36);
        if head.is_char_boundary(cut) && head[cut..].chars().filter(|c| *c == '-').count() == 4 {
            out.push_str(&head[..cut]);
            out.push_str("<uuid>");
        } else {
            out.push_str(head);
        }
        out.push_str(".bin:");
        rest = &rest[i + 5..];
    }
    out.push_str(rest);
    out
}

fn rust_vectoradd(name: &str) -> RustServer {
    let dir = scratch(name);
    let server = RustServer::start(VectorAdd, "vectoradd", &dir);
    copy_dir(
        &captures().join("vectoradd/binref_input_dir"),
        &server.input_dir,
    );
    server
}

/// Every vectoradd capture: the same status and bytes (`/docs`, FastAPI's ReDoc page,
/// is not served; `openapi.json` is compared in structure below).
fn replay_vectoradd_captures(server: &RustServer) {
    let mut checked = 0;
    for c in read_captures(&captures().join("vectoradd")) {
        let url = format!("{}{}", server.url, c.path);
        let (status, _, body) = send(
            &c.method,
            &url,
            c.accept.as_deref(),
            Some("application/json"),
            c.request.as_deref(),
        );
        match c.name.as_str() {
            "docs" => assert_eq!(status, 404, "{}", c.name),
            "openapi" => assert_eq!(status, 200),
            _ => {
                assert_eq!(Some(status), c.status, "{}", c.name);
                assert_eq!(
                    mask_uuids(&body),
                    mask_uuids(&c.response),
                    "{}: the body differs",
                    c.name
                );
                checked += 1;
            }
        }
        // A binref answer's files exist where it says, with the peer's bytes.
        if status == 200 && c.path.starts_with("/apply") && body.windows(6).any(|w| w == b"binref")
        {
            let v: Value = serde_json::from_slice(&body).unwrap();
            let a: arraymodel::Array = arraymodel::from_json_slice(
                serde_json::to_vec(&v["result"]).unwrap().as_slice(),
                &arraymodel::DecodeOptions::default().binref_dir(&server.output_dir),
            )
            .unwrap();
            assert_eq!(a.shape(), &[3], "{}", c.name);
        }
    }
    assert!(checked >= 30, "only {checked} captures replayed");
}

#[test]
fn vectoradd_captures_replay_byte_for_byte() {
    replay_vectoradd_captures(&rust_vectoradd("captures"));
}

/// `arraymodel generate --server` on the peer's own `openapi.json` (tests/build.rs).
#[allow(dead_code)]
mod ported {
    include!(concat!(env!("OUT_DIR"), "/vectoradd_server.rs"));
}

/// vectoradd ported from Python: the generated trait implemented over the generated
/// models (by converting to the example's models and calling it).
struct Ported;

impl Ported {
    fn inputs(
        i: ported::ApplyInputs,
    ) -> Result<arraymodel_tests::served::vectoradd::InputSchema, arraymodel::server::BoxError>
    {
        use arraymodel::NdArray;
        Ok(arraymodel_tests::served::vectoradd::InputSchema {
            a: NdArray::try_from_array(i.a)?,
            b: NdArray::try_from_array(i.b)?,
            s: NdArray::try_from_array(i.s)?,
        })
    }
}

impl ported::Tesseract for Ported {
    fn apply(
        &self,
        i: ported::ApplyInputs,
    ) -> Result<ported::ApplyOutputs, arraymodel::server::BoxError> {
        use arraymodel::server::Tesseract;
        let o = VectorAdd.apply(Self::inputs(i)?)?;
        Ok(ported::ApplyOutputs {
            result: o.result.into_array(),
            norm: o.norm.into_array(),
        })
    }
    fn jacobian(
        &self,
        i: ported::ApplyInputs,
        wrt: &arraymodel::server::Paths,
        of: &arraymodel::server::Paths,
    ) -> Result<arraymodel::server::Jacobian, arraymodel::server::BoxError> {
        arraymodel::server::Tesseract::jacobian(&VectorAdd, Self::inputs(i)?, wrt, of)
    }
    fn jacobian_vector_product(
        &self,
        i: ported::ApplyInputs,
        wrt: &arraymodel::server::Paths,
        of: &arraymodel::server::Paths,
        t: arraymodel::server::Arrays,
    ) -> Result<arraymodel::server::Arrays, arraymodel::server::BoxError> {
        arraymodel::server::Tesseract::jacobian_vector_product(
            &VectorAdd,
            Self::inputs(i)?,
            wrt,
            of,
            t,
        )
    }
    fn vector_jacobian_product(
        &self,
        i: ported::ApplyInputs,
        wrt: &arraymodel::server::Paths,
        of: &arraymodel::server::Paths,
        c: arraymodel::server::Arrays,
    ) -> Result<arraymodel::server::Arrays, arraymodel::server::BoxError> {
        arraymodel::server::Tesseract::vector_jacobian_product(
            &VectorAdd,
            Self::inputs(i)?,
            wrt,
            of,
            c,
        )
    }
    fn abstract_eval(
        &self,
        i: arraymodel::server::AbstractInputs,
    ) -> Result<Value, arraymodel::server::BoxError> {
        arraymodel::server::Tesseract::abstract_eval(&VectorAdd, i)
    }
}

/// The server generated from the Python vectoradd's `openapi.json` publishes that
/// document's structure and answers every capture as the peer did.
#[test]
fn generated_server_from_the_peers_document() {
    let dir = scratch("ported");
    let ours = openapi_document::<ported::Server<Ported>>(&served_config("vectoradd")).unwrap();
    let theirs: Value = serde_json::from_slice(
        &std::fs::read(captures().join("vectoradd/openapi.response.body")).unwrap(),
    )
    .unwrap();
    let mut diffs = Vec::new();
    differences(&structure(&ours), &structure(&theirs), "", &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let server = RustServer::start(ported::Server(Ported), "vectoradd", &dir);
    copy_dir(
        &captures().join("vectoradd/binref_input_dir"),
        &server.input_dir,
    );
    replay_vectoradd_captures(&server);
}

/// Where the Rust server answers a capture of `errors/` differently, on purpose:
/// `(capture, our status, why)`.
const DIFFERS: &[(&str, u16, &str)] = &[
    (
        "binref_absolute",
        422,
        "tesseract-runtime reads any absolute path; binref reads are confined to the input folder",
    ),
    (
        "binref_dotdot",
        422,
        "tesseract-runtime follows `..` out of its input folder",
    ),
    (
        "binref_file_url",
        422,
        "tesseract-runtime opens any URL a request names (fsspec)",
    ),
    (
        "nan_tokens",
        422,
        "`NaN` is not JSON (Python's json module reads it)",
    ),
    (
        "bigendian_dtype_string",
        200,
        "a byte-order dtype (`>f8`) is read as numpy reads it",
    ),
    (
        "docs_style_data_list",
        200,
        "`data` as a bare list (the form of tesseract's own docs) is read",
    ),
];

#[test]
fn peer_error_captures_give_the_same_statuses_and_details() {
    let server = rust_vectoradd("errors");
    let mut compared = 0;
    for c in read_captures(&captures().join("errors")) {
        if c.method == "POST" && c.request.is_none() {
            continue; // its request is below
        }
        let url = format!("{}{}", server.url, c.path);
        let (status, _, body) = send(
            &c.method,
            &url,
            c.accept.as_deref(),
            Some("application/json"),
            c.request.as_deref(),
        );
        if let Some((_, ours, why)) = DIFFERS.iter().find(|(n, ..)| *n == c.name) {
            assert_eq!(status, *ours, "{} ({why})", c.name);
            continue;
        }
        assert_eq!(
            Some(status),
            c.status,
            "{}: {}",
            c.name,
            String::from_utf8_lossy(&body)
        );
        compared += 1;
        if status != 422 {
            if status != 500 {
                assert_eq!(body, c.response, "{}", c.name);
            }
            continue;
        }
        let ours: Value = serde_json::from_slice(&body).unwrap();
        let peer: Value = serde_json::from_slice(&c.response).unwrap();
        let (ours, peer) = (&ours["detail"][0], &peer["detail"][0]);
        assert_eq!(ours["type"], peer["type"], "{}: {ours}", c.name);
        assert_eq!(ours["loc"], peer["loc"], "{}: {ours}", c.name);
        assert!(ours["msg"].is_string(), "{}", c.name);
        if peer["type"] == "array_decode_error" {
            assert_eq!(
                ours["ctx"]["encoding"], peer["ctx"]["encoding"],
                "{}",
                c.name
            );
            assert_eq!(ours["input"], peer["input"], "{}", c.name);
        }
    }
    assert!(compared >= 25, "only {compared} error captures compared");

    // The three captures without a request file.
    let apply = format!("{}/apply", server.url);
    let good =
        std::fs::read(captures().join("vectoradd/apply_in-json_out-json.request.json")).unwrap();
    let (status, _, body) = send("POST", &apply, None, Some("text/plain"), Some(&good));
    assert_eq!(status, 422);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["detail"][0]["type"], "model_attributes_type");
    assert_eq!(v["detail"][0]["loc"], json!(["body"]));
    assert_eq!(
        v["detail"][0]["input"],
        String::from_utf8(good.clone()).unwrap()
    );
    // user_code_exception_500: vectors of different lengths make apply fail.
    let mismatched = br#"{"inputs":{"a":[1.0,2.0],"b":[1.0,2.0,3.0]}}"#;
    let (status, _, body) = send(
        "POST",
        &apply,
        Some("application/json"),
        Some("application/json"),
        Some(mismatched),
    );
    assert_eq!(
        (status, body.as_slice()),
        (500, &b"Internal Server Error"[..])
    );
    // run_id_traversal: tesseract-runtime writes outside its output folder; here the
    // id is refused before anything is written.
    let (status, _, body) = send(
        "POST",
        &format!("{apply}?run_id=/../../escaped_run2"),
        Some("application/json+binref"),
        Some("application/json"),
        Some(&good),
    );
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["detail"][0]["loc"], json!(["query", "run_id"]));
    assert!(
        !server
            .output_dir
            .parent()
            .unwrap()
            .join("escaped_run2")
            .exists()
    );
}

/// The structure two `openapi.json`s must share: texts (descriptions, titles but those
/// naming an array's shape and dtype, examples, defaults) left out, numbers compared as
/// numbers, integer widths (`format: int64`, which schemars writes for a Rust `i64`)
/// left out, and the peer's `cuda_ipc` buffers (a GPU transport this server does not
/// offer) and its `JsonValue` indirection taken out.
fn structure(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, child) in o {
                match k.as_str() {
                    "description" | "examples" | "default" | "summary" | "info" => continue,
                    "title"
                        if !child
                            .as_str()
                            .is_some_and(|t| t.starts_with("EncodedArrayModel")) =>
                    {
                        continue;
                    }
                    "CudaIpcArrayData" | "JsonValue" | "cuda_ipc" => continue,
                    // schemars names a Rust integer's width (`int64`); pydantic's `int` has none.
                    "format"
                        if child
                            .as_str()
                            .is_some_and(|f| f.starts_with("int") || f.starts_with("uint")) =>
                    {
                        continue;
                    }
                    "$ref" if child.as_str().is_some_and(|r| r.ends_with("/JsonValue")) => continue,
                    _ => {}
                }
                out.insert(k.clone(), structure(child));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .filter(|x| {
                    x.get("$ref").and_then(Value::as_str)
                        != Some("#/components/schemas/CudaIpcArrayData")
                })
                .map(structure)
                .collect(),
        ),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => json!(f as i64),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// Paths where two structures differ.
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differences(p, q, &format!("{path}/{k}"), out),
                    (Some(_), None) => out.push(format!("{path}/{k}: only in ours")),
                    (None, Some(_)) => out.push(format!("{path}/{k}: only in the peer's")),
                    _ => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

fn served_config(name: &str) -> ServerConfig {
    ServerConfig::default()
        .name(name)
        .input_path("in")
        .output_path("out")
}

#[test]
fn openapi_documents_have_the_peers_structure() {
    let dir = scratch("openapi");
    for api in ["vectoradd", "nested"] {
        let peer = TesseractServer::start(api, &dir);
        let (status, _, body) = send(
            "GET",
            &format!("{}/openapi.json", peer.url),
            None,
            None,
            None,
        );
        assert_eq!(status, 200);
        let theirs: Value = serde_json::from_slice(&body).unwrap();
        let ours = match api {
            "vectoradd" => openapi_document::<VectorAdd>(&served_config(api)).unwrap(),
            _ => openapi_document::<Nested>(&served_config(api)).unwrap(),
        };
        let mut diffs = Vec::new();
        differences(&structure(&ours), &structure(&theirs), "", &mut diffs);
        assert!(
            diffs.is_empty(),
            "{api}: {} differences:\n{}",
            diffs.len(),
            diffs.join("\n")
        );
        // And the live Rust server publishes that document.
        let rust = match api {
            "vectoradd" => RustServer::start(VectorAdd, api, &dir),
            _ => RustServer::start(Nested, api, &dir),
        };
        let (_, _, body) = send(
            "GET",
            &format!("{}/openapi.json", rust.url),
            None,
            None,
            None,
        );
        let live: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(structure(&live), structure(&ours), "{api}");
        assert_eq!(
            live["x-supported-output-formats"],
            theirs["x-supported-output-formats"]
        );
        assert_eq!(
            live["x-supported-compressions"],
            theirs["x-supported-compressions"]
        );
    }
}

/// The Rust servers' documents are committed (`schemas/rust_*.openapi.json`, the input
/// of the codegen golden clients); `ARRAYMODEL_BLESS=1` rewrites them.
#[test]
fn committed_documents_are_what_the_servers_publish() {
    for (api, doc) in [
        (
            "vectoradd",
            openapi_document::<VectorAdd>(&served_config("vectoradd")).unwrap(),
        ),
        (
            "nested",
            openapi_document::<Nested>(&served_config("nested")).unwrap(),
        ),
    ] {
        let path = repo_root().join(format!("schemas/rust_{api}.openapi.json"));
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        if std::env::var_os("ARRAYMODEL_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/rust_{api}.openapi.json is stale: ARRAYMODEL_BLESS=1 rewrites it (then bless the codegen goldens)"
        );
    }
}

/// The client generated from the Rust server's committed document (the codegen golden
/// file), compiled with every warning an error.
#[deny(warnings)]
#[allow(dead_code)]
mod generated {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codegen/tests/golden/rust_vectoradd_openapi.client.rs"
    ));
}

/// The generated client calls every endpoint of the Rust server in every request ×
/// response encoding, and the Python server answers the same calls with equal values.
#[test]
fn generated_client_works_against_the_rust_server() {
    use arraymodel::Array;
    use arraymodel::client::{CallOptions, ClientConfig, WireFormat};
    use generated::{
        JacobianInputSchemaJacInputsItem as JacIn, JacobianInputSchemaJacOutputsItem as JacOut,
        JvpInputSchemaJvpInputsItem as JvpIn, JvpInputSchemaJvpOutputsItem as JvpOut,
        VjpInputSchemaVjpInputsItem as VjpIn, VjpInputSchemaVjpOutputsItem as VjpOut,
    };
    let dir = scratch("generated");
    let rust = RustServer::start(VectorAdd, "vectoradd", &dir);
    let python = TesseractServer::start("vectoradd", &dir);
    let client = |url: &str, input: &Path, output: &Path| {
        generated::Client::new(
            ClientConfig::new(url)
                .binref_input_dir(input)
                .binref_output_dir(output),
        )
    };
    let ours = client(&rust.url, &rust.input_dir, &rust.output_dir);
    let theirs = client(&python.url, &python.input_dir, &python.output_dir);
    macro_rules! inputs {
        ($t:ident) => {
            generated::$t {
                a: Array::from_vec(vec![1.0f64, -2.5, 3.25, 0.5]),
                b: Array::from_vec(vec![0.5f64, 1.25, -7.0, 1e-300]),
                s: Some(Array::scalar(2.0f64)),
            }
        };
    }
    let tangent = std::collections::BTreeMap::from([
        (
            "a".to_string(),
            Array::from_vec(vec![1.0f64, 0.5, -1.0, 2.0]),
        ),
        ("s".to_string(), Array::scalar(0.25f64)),
    ]);
    let cotangent = std::collections::BTreeMap::from([(
        "result".to_string(),
        Array::from_vec(vec![0.5f64, -1.0, 2.0, 4.0]),
    )]);
    let mut calls = 0;
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let opts = CallOptions::default().request(request).response(response);
            let what = format!("{} -> {}", request.name(), response.name());
            let both = |f: &dyn Fn(&generated::Client) -> String| (f(&ours), f(&theirs));
            let (a, b) = both(&|c| {
                format!(
                    "{:?}",
                    c.apply(&inputs!(ApplyInputs), &opts)
                        .unwrap_or_else(|e| panic!("apply {what}: {e}"))
                )
            });
            assert_eq!(a, b, "apply {what}");
            let s = 2.0f64;
            let want = [
                s * 1.0 + 0.5,
                s * -2.5 + 1.25,
                s * 3.25 - 7.0,
                s * 0.5 + 1e-300,
            ];
            let out = ours.apply(&inputs!(ApplyInputs), &opts).unwrap();
            assert_eq!(out.result.as_slice::<f64>().unwrap(), &want, "{what}");
            let (a, b) = both(&|c| {
                format!(
                    "{:?}",
                    c.jacobian(
                        &inputs!(JacobianInputs),
                        &[JacIn::A, JacIn::B, JacIn::S],
                        &[JacOut::Result],
                        &opts
                    )
                    .unwrap_or_else(|e| panic!("jacobian {what}: {e}"))
                )
            });
            assert_eq!(a, b, "jacobian {what}");
            let (a, b) = both(&|c| {
                format!(
                    "{:?}",
                    c.jacobian_vector_product(
                        &inputs!(JacobianVectorProductInputs),
                        &[JvpIn::A, JvpIn::S],
                        &[JvpOut::Result],
                        &tangent,
                        &opts
                    )
                    .unwrap_or_else(|e| panic!("jvp {what}: {e}"))
                )
            });
            assert_eq!(a, b, "jvp {what}");
            let (a, b) = both(&|c| {
                format!(
                    "{:?}",
                    c.vector_jacobian_product(
                        &inputs!(VectorJacobianProductInputs),
                        &[VjpIn::A, VjpIn::B, VjpIn::S],
                        &[VjpOut::Result],
                        &cotangent,
                        &opts
                    )
                    .unwrap_or_else(|e| panic!("vjp {what}: {e}"))
                )
            });
            assert_eq!(a, b, "vjp {what}");
            calls += 4;
        }
    }
    assert_eq!(ours.health().unwrap().status, "ok");
    let abstract_in: generated::AbstractEvalInputs = serde_json::from_value(json!({
        "a": {"shape": [4], "dtype": "float64"}, "b": {"shape": [4], "dtype": "float64"}
    }))
    .unwrap();
    assert_eq!(
        format!("{:?}", ours.abstract_eval(&abstract_in).unwrap()),
        format!("{:?}", theirs.abstract_eval(&abstract_in).unwrap())
    );
    assert_eq!(calls, 4 * WireFormat::ALL.len() * WireFormat::ALL.len());
}

/// A tesseract whose `apply` panics, or returns an output that breaks its own model.
struct Faulty;

#[derive(arraymodel::ArrayModel, Debug)]
struct FaultyIn {
    #[array(shape = [None], dtype = "float64")]
    x: arraymodel::NdArray<f64>,
}

#[derive(arraymodel::ArrayModel, Debug)]
struct FaultyOut {
    #[array(shape = [2], dtype = "float64")]
    y: arraymodel::NdArray<f64>,
}

impl arraymodel::server::Tesseract for Faulty {
    type Input = FaultyIn;
    type Output = FaultyOut;
    fn apply(&self, i: FaultyIn) -> Result<FaultyOut, arraymodel::server::BoxError> {
        if i.x.as_slice().first() == Some(&0.0) {
            panic!("user code panicked");
        }
        // Shape [len], declared [2]: wrong unless len is 2 (or 1, broadcast).
        Ok(FaultyOut { y: i.x })
    }
}

/// Hostile requests: each gets a 4xx with a JSON body naming the problem, quickly, and
/// the server goes on serving; a panic or a broken output in user code is a 500.
#[test]
fn hostile_requests_get_typed_answers() {
    let dir = scratch("hostile");
    let small = ServerConfig::default().max_body_bytes(64 * 1024);
    let server = RustServer::start_with(VectorAdd, "vectoradd", &dir, small);
    copy_dir(
        &captures().join("vectoradd/binref_input_dir"),
        &server.input_dir,
    );
    std::fs::write(dir.join("secret.bin"), [0u8; 64]).unwrap();
    let apply = format!("{}/apply", server.url);
    let array = |data: &str| {
        format!(r#"{{"object_type":"array","shape":[3],"dtype":"float64","data":{data}}}"#)
    };
    let with_a = |a: String| format!(r#"{{"inputs":{{"a":{a},"b":[1.0,2.0,3.0]}}}}"#);
    let binref = |r: &str| with_a(array(&format!(r#"{{"buffer":"{r}","encoding":"binref"}}"#)));
    let mut cases: Vec<(String, Vec<u8>, u16)> = vec![
        ("deep nesting".into(), format!(r#"{{"inputs":{{"a":{}}}}}"#, "[".repeat(60_000)).into_bytes(), 422),
        ("shape overflow".into(), with_a(r#"{"shape":[4294967296,4294967296,4294967296],"dtype":"float64","data":{"buffer":"","encoding":"base64"}}"#.into()).into_bytes(), 422),
        ("huge json shape".into(), with_a(r#"{"shape":[1000000000000],"dtype":"float64","data":{"buffer":[1],"encoding":"json"}}"#.into()).into_bytes(), 422),
        ("lz4 without frame".into(), with_a(array(r#"{"buffer":"AAAA","encoding":"base64","compression":"lz4"}"#)).into_bytes(), 422),
        ("not utf-8".into(), b"{\"inputs\":{\"a\":\"\xff\xfe\"}}".to_vec(), 422),
        ("empty object".into(), b"{}".to_vec(), 422),
        ("a list".into(), b"[1,2,3]".to_vec(), 422),
        ("too large".into(), vec![b' '; 65 * 1024], 413),
    ];
    for r in [
        "../secret.bin:0",
        "/etc/passwd:0",
        "file:///etc/passwd:0",
        "s3://bucket/key:0",
        "sub/../../secret.bin:0",
        "ab.bin:18446744073709551615",
    ] {
        cases.push((format!("binref {r}"), binref(r).into_bytes(), 422));
    }
    cases.push((
        "binref lz4 frame past the file".into(),
        with_a(array(
            r#"{"buffer":"ab.bin:0:99999999999","encoding":"binref","compression":"lz4"}"#,
        ))
        .into_bytes(),
        422,
    ));
    let started = std::time::Instant::now();
    for (what, body, status) in &cases {
        let (got, ctype, answer) = send(
            "POST",
            &apply,
            Some("application/json"),
            Some("application/json"),
            Some(body),
        );
        assert_eq!(got, *status, "{what}: {}", String::from_utf8_lossy(&answer));
        assert_eq!(ctype, "application/json", "{what}");
        let v: Value = serde_json::from_slice(&answer).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            v["detail"].is_array() || v["detail"].is_string(),
            "{what}: {v}"
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "hostile requests took {:?}",
        started.elapsed()
    );
    // The binref escapes named their reference and read nothing outside.
    let (_, _, answer) = send(
        "POST",
        &apply,
        None,
        None,
        Some(binref("../secret.bin:0").as_bytes()),
    );
    let v: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(v["detail"][0]["type"], "array_decode_error");
    assert!(
        v["detail"][0]["msg"].as_str().unwrap().contains(".."),
        "{v}"
    );

    // Gradient requests: unknown paths, empty sets, stray keys, tangents that do not fit.
    let inputs = r#"{"a":[1.0,2.0,3.0],"b":[1.0,2.0,3.0]}"#;
    let grad = [
        ("jacobian", format!(r#"{{"inputs":{inputs},"jac_inputs":["nope"],"jac_outputs":["result"]}}"#), "literal_error", json!(["body", "jac_inputs", 0, "literal['a']"])),
        ("jacobian", format!(r#"{{"inputs":{inputs},"jac_inputs":[],"jac_outputs":["result"]}}"#), "too_short", json!(["body", "jac_inputs"])),
        ("jacobian", format!(r#"{{"inputs":{inputs},"jac_inputs":["a"],"jac_outputs":["norm"]}}"#), "literal_error", json!(["body", "jac_outputs", 0])),
        ("jacobian", format!(r#"{{"inputs":{inputs},"jac_inputs":["a"],"jac_outputs":["result"],"tangent_vector":{{}}}}"#), "extra_forbidden", json!(["body", "tangent_vector"])),
        ("jacobian", r#"{"jac_inputs":["a"],"jac_outputs":["result"]}"#.to_string(), "missing", json!(["body", "inputs"])),
        ("jacobian_vector_product", format!(r#"{{"inputs":{inputs},"jvp_inputs":["a"],"jvp_outputs":["result"],"tangent_vector":{{"b":[1.0,1.0,1.0]}}}}"#), "value_error", json!(["body", "tangent_vector"])),
        ("jacobian_vector_product", format!(r#"{{"inputs":{inputs},"jvp_inputs":["a"],"jvp_outputs":["result"],"tangent_vector":{{"a":[1.0,1.0]}}}}"#), "value_error", json!(["body", "tangent_vector"])),
        ("vector_jacobian_product", format!(r#"{{"inputs":{inputs},"vjp_inputs":["a"],"vjp_outputs":["result"],"cotangent_vector":{{"result":[[1.0]]}}}}"#), "value_error", json!(["body", "cotangent_vector"])),
        ("abstract_eval", r#"{"inputs":{"a":{"shape":[3,1],"dtype":"float64"},"b":{"shape":[3],"dtype":"float64"}}}"#.to_string(), "value_error", json!(["body", "inputs", "a"])),
        ("abstract_eval", r#"{"inputs":{"a":{"shape":[3],"dtype":"complex128"},"b":{"shape":[3],"dtype":"float64"}}}"#.to_string(), "value_error", json!(["body", "inputs", "a"])),
        ("abstract_eval", r#"{"inputs":{"b":{"shape":[3],"dtype":"float64"}}}"#.to_string(), "missing", json!(["body", "inputs", "a"])),
        ("abstract_eval", format!(r#"{{"inputs":{{"a":{}}}}}"#, " ".repeat(2 << 20)), "value_error", json!(["body"])),
    ];
    // (The 2 MiB abstract_eval goes to a server with the default body cap.)
    let roomy = RustServer::start(VectorAdd, "vectoradd-roomy", &dir);
    for (endpoint, body, kind, loc) in grad {
        let base = if body.len() > 64 * 1024 {
            &roomy.url
        } else {
            &server.url
        };
        let (status, _, answer) = send(
            "POST",
            &format!("{base}/{endpoint}"),
            None,
            None,
            Some(body.as_bytes()),
        );
        assert_eq!(
            status,
            422,
            "{endpoint} {body}: {}",
            String::from_utf8_lossy(&answer)
        );
        let v: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(v["detail"][0]["type"], kind, "{endpoint} {body}: {v}");
        assert_eq!(v["detail"][0]["loc"], loc, "{endpoint} {body}: {v}");
    }
    for id in [
        "..",
        ".",
        "a/b",
        "a\\b",
        &"x".repeat(129),
        "%2e%2e",
        "a%00b",
    ] {
        let (status, _, _) = send(
            "POST",
            &format!("{apply}?run_id={id}"),
            None,
            None,
            Some(with_a("[1.0,2.0,3.0]".into()).as_bytes()),
        );
        assert_eq!(status, 422, "run_id {id}");
    }
    // Still serving.
    let (status, _, _) = send("GET", &format!("{}/health", server.url), None, None, None);
    assert_eq!(status, 200);

    // User code: a panic and a broken output are 500s; the server goes on.
    let faulty = RustServer::start(Faulty, "faulty", &dir);
    let url = format!("{}/apply", faulty.url);
    for (body, status) in [
        (r#"{"inputs":{"x":[0.0,1.0]}}"#, 500),
        (r#"{"inputs":{"x":[1.0,2.0,3.0]}}"#, 500),
        (r#"{"inputs":{"x":[1.0,2.0]}}"#, 200),
        (r#"{"inputs":{"x":[0.0]}}"#, 500),
        (r#"{"inputs":{"x":[5.0]}}"#, 200),
    ] {
        let (got, _, answer) = send("POST", &url, None, None, Some(body.as_bytes()));
        assert_eq!(got, status, "{body}: {}", String::from_utf8_lossy(&answer));
        if status == 500 {
            assert_eq!(answer, b"Internal Server Error");
        }
    }
}

/// tesseract-core's own client (`tests/interop/serve_compare.py`) calls the Rust and the
/// Python server of each API in every request × response encoding, and their answers
/// are bit-identical.
#[test]
fn tesseract_core_client_cannot_tell_the_servers_apart() {
    let dir = scratch("client");
    let python = peer_bin("tesseract").join("python");
    for api in ["vectoradd", "nested"] {
        let peer = TesseractServer::start(api, &dir);
        let rust = match api {
            "vectoradd" => RustServer::start(VectorAdd, api, &dir),
            _ => RustServer::start(Nested, api, &dir),
        };
        let report = dir.join(format!("{api}.report.json"));
        let out = std::process::Command::new(&python)
            .arg(repo_root().join("tests/interop/serve_compare.py"))
            .args(["--api", api, "--rust", &rust.url, "--python", &peer.url])
            .arg("--rust-input")
            .arg(&rust.input_dir)
            .arg("--rust-output")
            .arg(&rust.output_dir)
            .arg("--python-input")
            .arg(&peer.input_dir)
            .arg("--python-output")
            .arg(&peer.output_dir)
            .arg("--report")
            .arg(&report)
            .output()
            .expect("running serve_compare.py");
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mismatches = v["mismatches"].as_array().map_or(0, Vec::len);
        assert!(
            out.status.success() && mismatches == 0,
            "{api}: {mismatches} mismatches\n{}\n{}\nfirst: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            v["mismatches"]
                .get(0)
                .map(|m| m.to_string().chars().take(3000).collect::<String>())
                .unwrap_or_default(),
        );
        let cases = v["cases"].as_u64().unwrap();
        assert!(cases >= 250, "{api}: only {cases} cases ran");
        assert_eq!(v["cases"], v["expected_cases"], "{api}");
    }
}

/// A tesseract differentiable through a map of arrays (`w.{key}` paths).
struct Weighted;

#[derive(arraymodel::ArrayModel, Debug)]
struct WeightedIn {
    #[array(shape = [None], dtype = "float64", differentiable)]
    w: std::collections::BTreeMap<String, arraymodel::NdArray<f64>>,
}

#[derive(arraymodel::ArrayModel, Debug)]
struct WeightedOut {
    #[array(shape = [], dtype = "float64", differentiable)]
    y: arraymodel::NdArray<f64>,
}

impl arraymodel::server::Tesseract for Weighted {
    type Input = WeightedIn;
    type Output = WeightedOut;
    const ENDPOINTS: &'static [arraymodel::server::Endpoint] =
        &[arraymodel::server::Endpoint::Jacobian];
    fn apply(&self, _: WeightedIn) -> Result<WeightedOut, arraymodel::server::BoxError> {
        Ok(WeightedOut {
            y: arraymodel::NdArray::new(Vec::<usize>::new(), vec![0.0])?,
        })
    }
    fn jacobian(
        &self,
        _: WeightedIn,
        wrt: &arraymodel::server::Paths,
        of: &arraymodel::server::Paths,
    ) -> Result<arraymodel::server::Jacobian, arraymodel::server::BoxError> {
        Ok(of
            .iter()
            .map(|o| {
                let row = wrt
                    .iter()
                    .map(|i| (i.clone(), arraymodel::Array::from_vec(vec![1.0f64])))
                    .collect();
                (o.clone(), row)
            })
            .collect())
    }
}

/// What the attack pass found (review of #18): gradient paths through a map are checked
/// in linear time, 422 bodies stay small whatever the payload quotes, and an optional
/// field of an abstract model takes only null or its own form.
#[test]
fn review_findings_stay_fixed() {
    let dir = scratch("review");
    let server = RustServer::start(Weighted, "weighted", &dir);
    let n = 20_000;
    let w: Vec<String> = (0..n).map(|i| format!(r#""k{i}":[1.0]"#)).collect();
    let paths: Vec<String> = (0..n).map(|i| format!(r#""w.{{k{i}}}""#)).collect();
    let body = format!(
        r#"{{"inputs":{{"w":{{{}}}}},"jac_inputs":[{}],"jac_outputs":["y"]}}"#,
        w.join(","),
        paths.join(",")
    );
    let started = std::time::Instant::now();
    let (status, _, answer) = send(
        "POST",
        &format!("{}/jacobian", server.url),
        Some("application/json"),
        None,
        Some(body.as_bytes()),
    );
    assert_eq!(
        status,
        200,
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(500)])
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?} for {n} paths",
        started.elapsed()
    );
    let v: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(v["y"].as_object().unwrap().len(), n);

    // A 1 MB unknown key and a 1 MB dtype: the 422 quotes neither whole.
    let vectoradd = rust_vectoradd("review-422");
    let key = "k".repeat(1 << 20);
    for body in [
        format!(r#"{{"inputs":{{"a":[1.0],"b":[1.0],"{key}":1}}}}"#),
        format!(
            r#"{{"inputs":{{"a":{{"shape":[1],"dtype":"{key}","data":{{"buffer":[1],"encoding":"json"}}}},"b":[1.0]}}}}"#
        ),
    ] {
        let (status, _, answer) = send(
            "POST",
            &format!("{}/apply", vectoradd.url),
            None,
            None,
            Some(body.as_bytes()),
        );
        assert_eq!(status, 422);
        assert!(answer.len() < 80 * 1024, "a 422 of {} bytes", answer.len());
    }

    // abstract_eval: `offset` is Optional[array]; a string there is refused.
    let nested = RustServer::start(Nested, "nested-review", &dir);
    let body = r#"{"inputs":{"x":{"shape":[2,3],"dtype":"float64"},"settings":{"scale":{"shape":[],"dtype":"float64"}},"weights":{},"offset":"garbage"}}"#;
    let (status, _, answer) = send(
        "POST",
        &format!("{}/abstract_eval", nested.url),
        None,
        None,
        Some(body.as_bytes()),
    );
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&answer));
    let v: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(
        v["detail"][0]["loc"],
        json!(["body", "inputs", "offset"]),
        "{v}"
    );
}
