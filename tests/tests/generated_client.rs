//! The GENERATED typed clients (`arraymodel generate --client --async`,
//! `import_schema!(..., client = true)`) against a live `tesseract-runtime serve`: the
//! vectoradd client calls every endpoint in every request × response encoding (with and
//! without lz4) and gets what tesseract-core's own Python client gets; the all-dtypes
//! client round-trips every dtype through `apply` in every encoding. The client golden
//! files compile under `#![deny(warnings)]` and are what the macro expands to.
//! Fails, never skips, when a peer is missing.
#![deny(warnings)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use arraymodel::client::{CallOptions, ClientConfig, ClientError, WireFormat};
use arraymodel::{
    Array, Complex, DType, DecodeOptions, EncodeOptions, f16, from_json_slice, to_json_vec,
};
use arraymodel_tests::{TesseractServer, peer_bin, repo_root};
use serde_json::json;

/// The vectoradd models and both clients, generated at compile time.
#[allow(dead_code)]
mod vectoradd {
    arraymodel::import_schema!(
        "../schemas/tesseract_vectoradd.openapi.json",
        client = true,
        async_client = true
    );
}

macro_rules! golden_module {
    ($name:ident, $file:literal) => {
        #[allow(dead_code)]
        mod $name {
            include!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../codegen/tests/golden/",
                $file
            ));
        }
    };
}

// Every client golden file compiles (and is used below where a server exists).
golden_module!(vectoradd_golden, "tesseract_vectoradd_openapi.client.rs");
golden_module!(dtypes, "tesseract_dtypes_openapi.client.rs");
golden_module!(features_golden, "tesseract_features_openapi.client.rs");
golden_module!(petstore, "petstore_nullable_openapi.client.rs");

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("generated_client")
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

/// The same `a`, `b`, `s` as each endpoint's generated inputs type.
macro_rules! vectoradd_inputs {
    ($m:ident :: $t:ident) => {
        $m::$t {
            a: Array::from_vec(vec![1.0f64, -2.5, 3.25, 0.5]),
            b: Array::from_vec(vec![0.5f64, 1.25, -7.0, 2.0]),
            s: Array::scalar(2.0f64),
        }
    };
}

/// What tesseract's own client gets for the vectoradd inputs, per endpoint.
struct Expected {
    apply: BTreeMap<String, Array>,
    jacobian: BTreeMap<String, Array>,
    jvp: BTreeMap<String, Array>,
    vjp: BTreeMap<String, Array>,
    tangent: BTreeMap<String, Array>,
    cotangent: BTreeMap<String, Array>,
}

fn expected(server: &TesseractServer, dir: &Path) -> Expected {
    let x = truss_json(&vectoradd_inputs!(vectoradd::ApplyInputs));
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
    let apply = sdk_arrays(&sdk_call(
        server,
        dir,
        "apply",
        json!({"endpoint": "apply", "inputs": x}),
    ));
    let jacobian = sdk_arrays(&sdk_call(
        server,
        dir,
        "jac",
        json!({"endpoint": "jacobian", "inputs": x,
               "jac_inputs": ["a", "b", "s"], "jac_outputs": ["result"]}),
    ));
    let jvp = sdk_arrays(&sdk_call(
        server,
        dir,
        "jvp",
        json!({"endpoint": "jacobian_vector_product", "inputs": x,
               "jvp_inputs": ["a", "s"], "jvp_outputs": ["result"],
               "tangent_vector": truss_json(&tangent)}),
    ));
    let vjp = sdk_arrays(&sdk_call(
        server,
        dir,
        "vjp",
        json!({"endpoint": "vector_jacobian_product", "inputs": x,
               "vjp_inputs": ["a", "b", "s"], "vjp_outputs": ["result"],
               "cotangent_vector": truss_json(&cotangent)}),
    ));
    assert_eq!(apply.len(), 2);
    assert_eq!(jacobian.len(), 3);
    assert_eq!(jvp.len(), 1);
    assert_eq!(vjp.len(), 3);
    Expected {
        apply,
        jacobian,
        jvp,
        vjp,
        tangent,
        cotangent,
    }
}

fn apply_map(out: vectoradd::ApplyOutputs) -> BTreeMap<String, Array> {
    BTreeMap::from([
        ("result".to_owned(), out.result),
        ("norm".to_owned(), out.norm),
    ])
}

fn abstract_inputs() -> vectoradd::AbstractEvalInputs {
    use vectoradd::{ShapeDType, ShapeDTypeDtype};
    let vector = ShapeDType {
        shape: vec![4],
        dtype: ShapeDTypeDtype::Float64,
    };
    vectoradd::AbstractEvalInputs {
        a: vector.clone(),
        b: vector,
        s: Some(ShapeDType {
            shape: vec![],
            dtype: ShapeDTypeDtype::Float64,
        }),
    }
}

#[test]
fn generated_vectoradd_client_every_endpoint_and_encoding() {
    use vectoradd::{
        JacobianInputSchemaJacInputsItem as JacIn, JacobianInputSchemaJacOutputsItem as JacOut,
        JvpInputSchemaJvpInputsItem as JvpIn, JvpInputSchemaJvpOutputsItem as JvpOut,
        VjpInputSchemaVjpInputsItem as VjpIn, VjpInputSchemaVjpOutputsItem as VjpOut,
    };
    let dir = scratch("vectoradd");
    let server = TesseractServer::start("vectoradd", &dir);
    let want = expected(&server, &dir);
    let client = vectoradd::Client::new(config(&server));
    let apply_in = vectoradd_inputs!(vectoradd::ApplyInputs);
    let jac_in = vectoradd_inputs!(vectoradd::JacobianInputs);
    let jvp_in = vectoradd_inputs!(vectoradd::JacobianVectorProductInputs);
    let vjp_in = vectoradd_inputs!(vectoradd::VectorJacobianProductInputs);

    let mut calls = 0;
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let opts = CallOptions::default().request(request).response(response);
            let what = format!("{} -> {}", request.name(), response.name());
            let out = client
                .apply(&apply_in, &opts)
                .unwrap_or_else(|e| panic!("apply {what}: {e}"));
            assert_eq!(apply_map(out), want.apply, "apply {what}");
            let jac = client
                .jacobian(
                    &jac_in,
                    &[JacIn::A, JacIn::B, JacIn::S],
                    &[JacOut::Result],
                    &opts,
                )
                .unwrap_or_else(|e| panic!("jacobian {what}: {e}"));
            assert_eq!(flatten(jac), want.jacobian, "jacobian {what}");
            let jvp = client
                .jacobian_vector_product(
                    &jvp_in,
                    &[JvpIn::A, JvpIn::S],
                    &[JvpOut::Result],
                    &want.tangent,
                    &opts,
                )
                .unwrap_or_else(|e| panic!("jvp {what}: {e}"));
            assert_eq!(jvp, want.jvp, "jvp {what}");
            let vjp = client
                .vector_jacobian_product(
                    &vjp_in,
                    &[VjpIn::A, VjpIn::B, VjpIn::S],
                    &[VjpOut::Result],
                    &want.cotangent,
                    &opts,
                )
                .unwrap_or_else(|e| panic!("vjp {what}: {e}"));
            assert_eq!(vjp, want.vjp, "vjp {what}");
            calls += 4;
        }
    }
    assert_eq!(calls, 100);
    // 40 of those calls sent json+binref requests: each removed its files afterwards, as
    // tesseract-core's own client does (they used to stay, one `.bin` per call).
    let left: Vec<_> = std::fs::read_dir(&server.input_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the binref input folder: {left:?}");

    // abstract_eval: the generated ShapeDType models, compared with the SDK's answer.
    let got = client.abstract_eval(&abstract_inputs()).unwrap();
    let sdk = sdk_call(
        &server,
        &dir,
        "abstract",
        json!({"endpoint": "abstract_eval",
               "abstract_inputs": {"a": {"shape": [4], "dtype": "float64"},
                                   "b": {"shape": [4], "dtype": "float64"},
                                   "s": {"shape": [], "dtype": "float64"}}}),
    );
    let want_abstract: vectoradd::AbstractEvalOutputs =
        from_json_slice(&sdk, &DecodeOptions::default()).unwrap();
    assert_eq!(got, want_abstract);
    assert_eq!(got.result.shape, vec![4]);
    assert_eq!(got.norm.shape, Vec::<i64>::new());
    assert_eq!(client.health().unwrap().status, "ok");

    // Typed errors come through unchanged: a wrong shape is tesseract's 422.
    let bad = vectoradd::ApplyInputs {
        a: Array::new(vec![1, 1], vec![1.0f64]).unwrap(),
        ..apply_in.clone()
    };
    match client.apply(&bad, &CallOptions::default()) {
        Err(ClientError::Validation(issues)) => {
            assert_eq!(issues[0].loc, [json!("body"), json!("inputs"), json!("a")])
        }
        other => panic!("expected a 422, got {other:?}"),
    }
    // The untyped client stays reachable.
    assert_eq!(client.inner().health().unwrap().status, "ok");
    assert_eq!(client.config().base_url, server.url);
}

#[test]
fn generated_async_client_every_endpoint_and_encoding() {
    use vectoradd::{
        JacobianInputSchemaJacInputsItem as JacIn, JacobianInputSchemaJacOutputsItem as JacOut,
        JvpInputSchemaJvpInputsItem as JvpIn, JvpInputSchemaJvpOutputsItem as JvpOut,
        VjpInputSchemaVjpInputsItem as VjpIn, VjpInputSchemaVjpOutputsItem as VjpOut,
    };
    let dir = scratch("vectoradd-async");
    let server = TesseractServer::start("vectoradd", &dir);
    let want = expected(&server, &dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = vectoradd::AsyncClient::new(config(&server));
    let blocking = vectoradd::Client::new(config(&server));
    let apply_in = vectoradd_inputs!(vectoradd::ApplyInputs);
    let jac_in = vectoradd_inputs!(vectoradd::JacobianInputs);
    let jvp_in = vectoradd_inputs!(vectoradd::JacobianVectorProductInputs);
    let vjp_in = vectoradd_inputs!(vectoradd::VectorJacobianProductInputs);
    rt.block_on(async {
        assert_eq!(client.health().await.unwrap().status, "ok");
        for request in WireFormat::ALL {
            for response in WireFormat::ALL {
                let opts = CallOptions::default().request(request).response(response);
                let what = format!("{} -> {}", request.name(), response.name());
                let out = client.apply(&apply_in, &opts).await.unwrap();
                assert_eq!(apply_map(out), want.apply, "apply {what}");
                let jac = client
                    .jacobian(
                        &jac_in,
                        &[JacIn::A, JacIn::B, JacIn::S],
                        &[JacOut::Result],
                        &opts,
                    )
                    .await
                    .unwrap();
                assert_eq!(flatten(jac), want.jacobian, "jacobian {what}");
                let jvp = client
                    .jacobian_vector_product(
                        &jvp_in,
                        &[JvpIn::A, JvpIn::S],
                        &[JvpOut::Result],
                        &want.tangent,
                        &opts,
                    )
                    .await
                    .unwrap();
                assert_eq!(jvp, want.jvp, "jvp {what}");
                let vjp = client
                    .vector_jacobian_product(
                        &vjp_in,
                        &[VjpIn::A, VjpIn::B, VjpIn::S],
                        &[VjpOut::Result],
                        &want.cotangent,
                        &opts,
                    )
                    .await
                    .unwrap();
                assert_eq!(vjp, want.vjp, "vjp {what}");
            }
        }
        let got = client.abstract_eval(&abstract_inputs()).await.unwrap();
        assert_eq!(got, blocking.abstract_eval(&abstract_inputs()).unwrap());
    });
}

/// The golden client file has the signatures the issue asks for (the golden test in
/// codegen-cli checks it is byte for byte what the engine, and so the macro, generates).
#[test]
fn golden_client_signatures() {
    use vectoradd_golden as g;
    type R<T> = Result<T, ClientError>;
    let _: fn(&g::Client, &g::ApplyInputs, &CallOptions) -> R<g::ApplyOutputs> = g::Client::apply;
    type JacIn = [g::JacobianInputSchemaJacInputsItem];
    type JacOut = [g::JacobianInputSchemaJacOutputsItem];
    type Jacobian =
        fn(&g::Client, &g::JacobianInputs, &JacIn, &JacOut, &CallOptions) -> R<g::JacobianOutputs>;
    let _: Jacobian = g::Client::jacobian;
    // The schema's nested maps of arrays are the runtime's generic jacobian type.
    let _: fn(g::JacobianOutputs) -> BTreeMap<String, BTreeMap<String, Array>> = |j| j;
    let _: fn(&g::Client, &g::AbstractEvalInputs) -> R<g::AbstractEvalOutputSchema> =
        g::Client::abstract_eval;
    let _: fn(&g::Client) -> R<arraymodel::client::Health> = g::Client::health;
    let _: fn(arraymodel::client::nonblocking::TesseractClient) -> g::AsyncClient =
        g::AsyncClient::from_inner;
    let _: fn(ClientConfig) -> features_golden::Client = features_golden::Client::new;
    let _: fn(ClientConfig) -> petstore::Client = petstore::Client::new;
    let code = std::fs::read_to_string(
        repo_root().join("codegen/tests/golden/tesseract_vectoradd_openapi.client.rs"),
    )
    .unwrap();
    for method in [
        "pub fn apply(",
        "pub fn jacobian(",
        "pub fn jacobian_vector_product(",
        "pub fn vector_jacobian_product(",
        "pub fn abstract_eval(",
        "pub fn health(",
        "pub async fn apply(",
        "pub async fn health(",
    ] {
        assert!(code.contains(method), "{method}");
    }
}

fn dtypes_inputs() -> dtypes::ApplyInputs {
    dtypes::ApplyInputs {
        i8: Array::from_vec(vec![-128i8, 0, 127]),
        i16: Array::from_vec(vec![-32768i16, 1]),
        i32: Array::from_vec(vec![i32::MIN, 7]),
        i64: Array::from_vec(vec![i64::MIN, 0, i64::MAX]),
        u8: Array::from_vec(vec![0u8, 255]),
        u16: Array::from_vec(vec![65535u16]),
        u32: Array::from_vec(vec![u32::MAX, 1]),
        // Not u64::MAX: tesseract's own json path turns values above 2^53 into 0.
        u64: Array::from_vec(vec![1u64 << 53, 2]),
        f16: Array::from_vec(vec![f16::from_f64(1.5), f16::from_f64(-0.25)]),
        f32: Array::from_vec(vec![1.0e-30f32, 3.5]),
        f64: Array::from_vec(vec![1.0e300f64, -0.0, 0.1]),
        b: Array::from_vec(vec![true, false, true]),
        c64: Array::from_vec(vec![Complex::new(1.0f32, -2.0)]),
        c128: Array::from_vec(vec![Complex::new(0.5f64, 0.25), Complex::new(-1.0, 0.0)]),
        mat: Array::new(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap(),
        cube: Array::new(vec![1, 2, 2], vec![1i32, 2, 3, 4]).unwrap(),
        anyrank: Array::new(vec![2, 1, 1], vec![5.0f64, 6.0]).unwrap(),
        anydtype: Array::from_vec(vec![9u16, 8]),
        fixed3: Array::from_vec(vec![1.0f64, 2.0, 3.0]),
        scalar_i32: Array::scalar(-5i32),
        scalar_bool: Array::scalar(true),
        diff: Array::from_vec(vec![0.5f32]),
        label: "gen client".into(),
        count: 11,
        ratio: 0.75,
        flag: false,
        raw: b"bytes\x01".to_vec(),
        items: Some(vec![
            Array::from_vec(vec![1.0f64]),
            Array::zeros(DType::Float64, vec![0]).unwrap(),
        ]),
        named: Some(BTreeMap::from([(
            "k".to_owned(),
            Array::from_vec(vec![2.0f64, 3.0]),
        )])),
        nested: Some(dtypes::ApplyNested {
            m: Array::new(vec![2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
            tag: "deep".into(),
        }),
        maybe: None,
    }
}

#[test]
fn generated_dtypes_client_apply_every_encoding() {
    let dir = scratch("dtypes");
    let server = TesseractServer::start("dtypes", &dir);
    let client = dtypes::Client::new(config(&server));
    let x = dtypes_inputs();
    let mut first: Option<dtypes::ApplyOutputs> = None;
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let what = format!("{} -> {}", request.name(), response.name());
            let opts = CallOptions::default().request(request).response(response);
            let out = client
                .apply(&x, &opts)
                .unwrap_or_else(|e| panic!("apply {what}: {e}"));
            // The dtypes API echoes every input field.
            macro_rules! echoed {
                ($($f:ident),*) => { $(assert_eq!(out.$f, x.$f, "{what}: {}", stringify!($f));)* };
            }
            echoed!(
                i8,
                i16,
                i32,
                i64,
                u8,
                u16,
                u32,
                u64,
                f16,
                f32,
                f64,
                b,
                c64,
                c128,
                mat,
                cube,
                anyrank,
                anydtype,
                fixed3,
                scalar_i32,
                scalar_bool,
                diff,
                label,
                count,
                ratio,
                flag,
                raw,
                nested,
                maybe
            );
            // Optional in the request, required in the echo.
            assert_eq!(Some(&out.items), x.items.as_ref(), "{what}: items");
            assert_eq!(Some(&out.named), x.named.as_ref(), "{what}: named");
            assert_eq!(out.empty.shape(), [0]);
            assert_eq!(out.dtypes_seen["u64"], "ndarray:uint64:[2]", "{what}");
            assert_eq!(out.dtypes_seen["scalar_i32"], "int32:int32:[]", "{what}");
            match &first {
                None => first = Some(out),
                Some(f) => assert_eq!(&out, f, "{what}: differs from json -> json"),
            }
        }
    }
    assert_eq!(client.health().unwrap().status, "ok");
}
