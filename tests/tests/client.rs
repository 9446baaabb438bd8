//! The HTTP clients against live peers: a real `tesseract-runtime serve` (every endpoint,
//! every request × response encoding with and without lz4, compared with what
//! tesseract-core's own Python client gets for the same inputs; typed errors) and a
//! truss-style endpoint built on truss's own serialization (JSON and binary mode).
//! Fails, never skips, when a peer is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arraymodel::client::{
    CallOptions, ClientConfig, ClientError, ShapeDType, WireFormat, blocking, nonblocking,
};
use arraymodel::{
    Array, ArrayModel, Complex, DecodeOptions, EncodeOptions, NdArray, from_json_slice, to_json_vec,
};
use arraymodel_tests::models::VecAddIn;
use arraymodel_tests::{TesseractServer, peer_bin, repo_root};
use serde_json::json;

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("client")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(server: &TesseractServer) -> ClientConfig {
    ClientConfig::new(&server.url)
        .binref_input_dir(&server.input_dir)
        .binref_output_dir(&server.output_dir)
        .header("Authorization", "Bearer test-token")
}

fn inputs() -> VecAddIn {
    VecAddIn {
        a: Array::from_vec(vec![1.0f64, -2.5, 3.25, 0.5]),
        b: NdArray::new(vec![4], vec![0.5f64, 1.25, -7.0, 2.0]).unwrap(),
        s: Array::scalar(2.0f64),
    }
}

fn truss_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::from_slice(&to_json_vec(v, &EncodeOptions::truss()).unwrap()).unwrap()
}

/// Runs tesseract-core's own client (`tests/interop/tesseract_sdk_call.py`) and returns
/// its result file's bytes.
fn sdk_call(server: &TesseractServer, dir: &Path, name: &str, spec: serde_json::Value) -> Vec<u8> {
    let spec_path = dir.join(format!("{name}.spec.json"));
    let out_path = dir.join(format!("{name}.out.json"));
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let out = Command::new(peer_bin("tesseract").join("python"))
        .arg(repo_root().join("tests/interop/tesseract_sdk_call.py"))
        .arg(&server.url)
        .arg(&spec_path)
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "SDK call {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(out_path).unwrap()
}

fn sdk_arrays(bytes: &[u8]) -> BTreeMap<String, Array> {
    from_json_slice(bytes, &DecodeOptions::default()).unwrap()
}

fn flatten(m: BTreeMap<String, BTreeMap<String, Array>>) -> BTreeMap<String, Array> {
    m.into_iter()
        .flat_map(|(o, inner)| inner.into_iter().map(move |(i, a)| (format!("{o}/{i}"), a)))
        .collect()
}

#[test]
fn every_endpoint_and_encoding_matches_tesseracts_own_client() {
    let dir = scratch("endpoints");
    let server = TesseractServer::start("vectoradd", &dir);
    let client = blocking::TesseractClient::new(config(&server));
    let x = inputs();
    let tangent = BTreeMap::from([
        (
            "a".to_owned(),
            Array::from_vec(vec![1.0f64, 0.0, -1.0, 0.25]),
        ),
        ("s".to_owned(), Array::scalar(0.5f64)),
    ]);
    let cotangent = BTreeMap::from([(
        "result".to_owned(),
        Array::from_vec(vec![0.5f64, 1.0, 2.0, -1.0]),
    )]);

    let want_apply = sdk_arrays(&sdk_call(
        &server,
        &dir,
        "apply",
        json!({"endpoint": "apply", "inputs": truss_json(&x)}),
    ));
    let want_jac = sdk_arrays(&sdk_call(
        &server,
        &dir,
        "jac",
        json!({
        "endpoint": "jacobian", "inputs": truss_json(&x),
        "jac_inputs": ["a", "b", "s"], "jac_outputs": ["result"]}),
    ));
    let want_jvp = sdk_arrays(&sdk_call(
        &server,
        &dir,
        "jvp",
        json!({
        "endpoint": "jacobian_vector_product", "inputs": truss_json(&x),
        "jvp_inputs": ["a", "s"], "jvp_outputs": ["result"], "tangent_vector": truss_json(&tangent)}),
    ));
    let want_vjp = sdk_arrays(&sdk_call(
        &server,
        &dir,
        "vjp",
        json!({
        "endpoint": "vector_jacobian_product", "inputs": truss_json(&x),
        "vjp_inputs": ["a", "b", "s"], "vjp_outputs": ["result"], "cotangent_vector": truss_json(&cotangent)}),
    ));
    assert_eq!(want_apply.len(), 2);
    assert_eq!(want_jac.len(), 3);

    let mut calls = 0;
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let opts = CallOptions::default().request(request).response(response);
            let what = format!("{} -> {}", request.name(), response.name());
            let got: BTreeMap<String, Array> = client
                .apply(&x, &opts)
                .unwrap_or_else(|e| panic!("apply {what}: {e}"));
            assert_eq!(got, want_apply, "apply {what}");
            let jac = client
                .jacobian(&x, &["a", "b", "s"], &["result"], &opts)
                .unwrap_or_else(|e| panic!("jacobian {what}: {e}"));
            assert_eq!(flatten(jac), want_jac, "jacobian {what}");
            let jvp = client
                .jacobian_vector_product(&x, &["a", "s"], &["result"], &tangent, &opts)
                .unwrap_or_else(|e| panic!("jvp {what}: {e}"));
            assert_eq!(jvp, want_jvp, "jvp {what}");
            let vjp = client
                .vector_jacobian_product(&x, &["a", "b", "s"], &["result"], &cotangent, &opts)
                .unwrap_or_else(|e| panic!("vjp {what}: {e}"));
            assert_eq!(vjp, want_vjp, "vjp {what}");
            calls += 4;
        }
    }
    assert_eq!(calls, 100);

    let abstract_inputs = BTreeMap::from([
        ("a".to_owned(), ShapeDType::of(&x.a)),
        ("b".to_owned(), ShapeDType::of(x.b.as_array())),
        ("s".to_owned(), ShapeDType::of(&x.s)),
    ]);
    let want_abstract: BTreeMap<String, ShapeDType> = serde_json::from_slice(&sdk_call(
        &server,
        &dir,
        "abstract",
        json!({"endpoint": "abstract_eval", "abstract_inputs": abstract_inputs}),
    ))
    .unwrap();
    assert_eq!(
        client.abstract_eval(&abstract_inputs).unwrap(),
        want_abstract
    );
    assert_eq!(want_abstract["result"].shape, vec![4]);
    assert_eq!(client.health().unwrap().status, "ok");

    // A run_id names the output folder of binref responses.
    let opts = CallOptions::default()
        .response(WireFormat::BINREF)
        .run_id("rust-client");
    let _: BTreeMap<String, Array> = client.apply(&x, &opts).unwrap();
    assert!(server.output_dir.join("run_rust-client").is_dir());
}

#[test]
fn live_errors_are_typed() {
    let dir = scratch("errors");
    let server = TesseractServer::start("vectoradd", &dir);
    let client = blocking::TesseractClient::new(config(&server));
    let opts = CallOptions::default();
    let loc_of = |e: &ClientError| match e {
        ClientError::Validation(issues) => issues[0]
            .loc
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("."),
        other => panic!("expected a 422, got {other}"),
    };

    // Wrong dtype: complex for a float64 field.
    let complex = BTreeMap::from([
        (
            "a".to_owned(),
            Array::from_vec(vec![Complex::new(1.0f64, 1.0)]),
        ),
        ("b".to_owned(), Array::from_vec(vec![1.0f64])),
    ]);
    let e = client
        .apply::<_, BTreeMap<String, Array>>(&complex, &opts)
        .unwrap_err();
    assert_eq!(loc_of(&e), r#""body"."inputs"."a""#, "{e}");

    // Wrong shape: a matrix for a vector.
    let matrix = BTreeMap::from([
        (
            "a".to_owned(),
            Array::new(vec![1, 1], vec![1.0f64]).unwrap(),
        ),
        ("b".to_owned(), Array::from_vec(vec![1.0f64])),
    ]);
    let e = client
        .apply::<_, BTreeMap<String, Array>>(&matrix, &opts)
        .unwrap_err();
    assert_eq!(loc_of(&e), r#""body"."inputs"."a""#, "{e}");

    // Bad base64 and a missing binref file, sent verbatim.
    let b = json!({"shape": [1], "dtype": "float64", "data": {"buffer": "AAAAAAAA8D8=", "encoding": "base64"}});
    for (name, a) in [
        (
            "bad base64",
            json!({"shape": [1], "dtype": "float64", "data": {"buffer": "AA-A", "encoding": "base64"}}),
        ),
        (
            "missing binref",
            json!({"shape": [1], "dtype": "float64", "data": {"buffer": "nope.bin:0", "encoding": "binref"}}),
        ),
    ] {
        let body = json!({"inputs": {"a": a, "b": b}});
        let e = client
            .call::<_, BTreeMap<String, Array>>("apply", &body, &opts)
            .unwrap_err();
        match &e {
            ClientError::Validation(issues) => {
                assert_eq!(issues[0].kind, "array_decode_error", "{name}: {e}")
            }
            other => panic!("{name}: expected 422, got {other}"),
        }
    }

    // 406 for an encoding tesseract cannot produce.
    let e = client
        .apply::<_, BTreeMap<String, Array>>(
            &inputs(),
            &CallOptions::default().accept("application/msgpack"),
        )
        .unwrap_err();
    match e {
        ClientError::NotAcceptable {
            formats,
            compressions,
            ..
        } => {
            assert_eq!(formats, ["json", "json+base64", "json+binref"]);
            assert_eq!(compressions, ["none", "lz4"]);
        }
        other => panic!("expected 406, got {other}"),
    }

    // 500 when the tesseract's own code fails (vectoradd asserts equal lengths).
    let mismatched = BTreeMap::from([
        ("a".to_owned(), Array::from_vec(vec![1.0f64, 2.0])),
        ("b".to_owned(), Array::from_vec(vec![1.0f64])),
    ]);
    match client
        .apply::<_, BTreeMap<String, Array>>(&mismatched, &opts)
        .unwrap_err()
    {
        ClientError::Status { status: 500, .. } => {}
        other => panic!("expected 500, got {other}"),
    }

    // Binref without a shared folder is a configuration error, before any request.
    let bare = blocking::TesseractClient::new(ClientConfig::new(&server.url));
    let e = bare.apply::<_, BTreeMap<String, Array>>(
        &inputs(),
        &CallOptions::default().request(WireFormat::BINREF),
    );
    assert!(matches!(e, Err(ClientError::Config(_))));

    // Transport errors and timeouts.
    let closed = blocking::TesseractClient::new(
        ClientConfig::new("http://127.0.0.1:9").timeout(Duration::from_secs(2)),
    );
    assert!(matches!(closed.health(), Err(ClientError::Transport(_))));
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", hung.local_addr().unwrap());
    let slow =
        blocking::TesseractClient::new(ClientConfig::new(url).timeout(Duration::from_millis(300)));
    assert!(matches!(slow.health(), Err(ClientError::Timeout(_))));
}

#[test]
fn async_client_every_encoding() {
    let dir = scratch("async");
    let server = TesseractServer::start("vectoradd", &dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = nonblocking::TesseractClient::new(config(&server));
    let blocking_client = blocking::TesseractClient::new(config(&server));
    let x = inputs();
    rt.block_on(async {
        assert_eq!(client.health().await.unwrap().status, "ok");
        for request in WireFormat::ALL {
            for response in WireFormat::ALL {
                let opts = CallOptions::default().request(request).response(response);
                let got: BTreeMap<String, Array> = client.apply(&x, &opts).await.unwrap();
                let want: BTreeMap<String, Array> = blocking_client.apply(&x, &opts).unwrap();
                assert_eq!(got, want);
            }
        }
        let e = client
            .apply::<_, BTreeMap<String, Array>>(&x, &CallOptions::default().accept("text/plain"))
            .await
            .unwrap_err();
        assert!(matches!(e, ClientError::NotAcceptable { .. }), "{e}");
    });
}

/// The inputs of `tests/interop/truss_server.py`.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
struct TrussIn {
    x: Array,
    scale: f64,
    tag: String,
    #[bytes]
    blob: Vec<u8>,
}

/// Its outputs.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
struct TrussOut {
    y: Array,
    tag: String,
    nbytes: i64,
}

struct TrussServer {
    child: Child,
    url: String,
}

impl TrussServer {
    fn start(dir: &Path) -> TrussServer {
        let port_file = dir.join("port");
        let child = Command::new(peer_bin("truss").join("python"))
            .arg(repo_root().join("tests/interop/truss_server.py"))
            .arg(&port_file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        // From here on Drop kills the child, whatever happens.
        let mut server = TrussServer {
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(port) = std::fs::read_to_string(&port_file)
                && !port.is_empty()
            {
                server.url = format!("http://127.0.0.1:{port}/predict");
                return server;
            }
            assert!(Instant::now() < deadline, "truss server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TrussServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn truss_client_json_and_binary_modes() {
    let dir = scratch("truss");
    let server = TrussServer::start(&dir);
    let client = blocking::TrussClient::new(ClientConfig::new(&server.url));
    let cases = [
        (
            Array::from_vec(vec![1.5f64, -2.0, 1e300]),
            Array::from_vec(vec![3.0f64, -4.0, 2e300]),
        ),
        (
            Array::new(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap(),
            Array::new(vec![2, 2], vec![2.0f32, 4.0, 6.0, 8.0]).unwrap(),
        ),
        (
            Array::from_vec(vec![1i32, -3, 7]),
            Array::from_vec(vec![2i32, -6, 14]),
        ),
        (
            Array::from_vec(vec![Complex::new(1.0f64, -1.0)]),
            Array::from_vec(vec![Complex::new(2.0f64, -2.0)]),
        ),
        (
            Array::zeros(arraymodel::DType::UInt8, vec![2, 0, 4]).unwrap(),
            Array::zeros(arraymodel::DType::UInt8, vec![2, 0, 4]).unwrap(),
        ),
    ];
    for (x, y) in cases {
        let input = TrussIn {
            x,
            scale: 2.0,
            tag: "h\u{e9}llo".into(),
            blob: b"raw\0bytes".to_vec(),
        };
        let want = TrussOut {
            y,
            tag: input.tag.clone(),
            nbytes: 9,
        };
        let json: TrussOut = client.call_json(&input).unwrap();
        assert_eq!(json, want, "json mode");
        let binary: TrussOut = client.call_binary(&input).unwrap();
        assert_eq!(binary, want, "binary mode");
    }
    // Non-UTF-8 bytes cannot go as JSON (pydantic would fail too), but go in binary mode.
    let input = TrussIn {
        x: Array::scalar(1.0f64),
        scale: 1.0,
        tag: String::new(),
        blob: vec![0xff, 0xfe],
    };
    assert!(matches!(
        client.call_json::<_, TrussOut>(&input),
        Err(ClientError::Encode(_))
    ));
    assert_eq!(client.call_binary::<_, TrussOut>(&input).unwrap().nbytes, 2);
}
