//! A schema produced by the Python peer at test time: `tesseract-runtime openapi-schema`
//! writes the openapi.json of `tests/apis/features/tesseract_api.py` (nested models,
//! optional arrays, lists and dicts of arrays, `Literal` enums, bytes, defaults); the
//! engine generates Rust (models and client) from it, which must equal the committed
//! `tests/generated/features_api.rs`; that file is compiled here under
//! `#![deny(warnings)]` and used against the same API served live, in every request ×
//! response encoding. The fresh openapi.json must also equal the committed
//! `schemas/tesseract_features.openapi.json` (covered by codegen-cli's golden test).
//!
//! Bless both files after an intended change with
//! `ARRAYMODEL_BLESS=1 cargo test -p arraymodel-tests --test fresh_schema`.
//! Fails, never skips, when the peer is missing.
#![deny(warnings)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use arraymodel::Array;
use arraymodel::client::{CallOptions, ClientConfig, WireFormat};
use arraymodel_codegen::Generator;
use arraymodel_tests::{TesseractServer, peer_bin, repo_root};

/// What the engine generated from the committed schema, compiled and used below.
#[allow(dead_code)]
mod features {
    include!("../generated/features_api.rs");
}

/// The name the schema goes by in the generated code (where the committed copy lives).
const SCHEMA_NAME: &str = "schemas/tesseract_features.openapi.json";

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fresh_schema")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `tesseract-runtime openapi-schema` for the features API, now.
fn fresh_openapi() -> String {
    let dir = scratch("openapi");
    let api = repo_root().join("tests/apis/features/tesseract_api.py");
    let out = Command::new(peer_bin("tesseract").join("tesseract-runtime"))
        .env("TESSERACT_API_PATH", &api)
        .arg("--output-path")
        .arg(dir.join("out"))
        .arg("openapi-schema")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .expect("running tesseract-runtime openapi-schema");
    assert!(
        out.status.success(),
        "tesseract-runtime openapi-schema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("openapi.json is UTF-8")
}

#[test]
fn fresh_openapi_generates_the_committed_module() {
    let bless = std::env::var_os("ARRAYMODEL_BLESS").is_some();
    let fresh = fresh_openapi();
    let value: serde_json::Value = serde_json::from_str(&fresh).expect("openapi.json is JSON");
    assert_eq!(value["paths"].as_object().map(|p| p.len()), Some(3));

    let generated = Generator::new()
        .schema_str(SCHEMA_NAME, fresh.as_str())
        .client(true)
        .generate()
        .unwrap_or_else(|e| panic!("generating from the fresh schema: {e}"));
    let code = generated.source();
    syn_free_checks(code);

    let schema_path = repo_root().join(SCHEMA_NAME);
    let module_path = repo_root().join("tests/generated/features_api.rs");
    if bless {
        let mut pretty = serde_json::to_string_pretty(&value).unwrap();
        pretty.push('\n');
        std::fs::write(&schema_path, pretty).unwrap();
        std::fs::write(&module_path, code).unwrap();
        return;
    }
    let committed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    assert!(
        committed == value,
        "{} differs from what tesseract-runtime writes now (bless with ARRAYMODEL_BLESS=1)",
        schema_path.display()
    );
    let committed_code = std::fs::read_to_string(&module_path).unwrap_or_default();
    if committed_code != code {
        let line = committed_code
            .lines()
            .zip(code.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "length".to_owned(), |i| format!("line {}", i + 1));
        panic!(
            "{} is stale at {line} (bless with ARRAYMODEL_BLESS=1)",
            module_path.display()
        );
    }
    // The same engine from the committed file gives the same module.
    let from_file = Generator::new()
        .schema_str(SCHEMA_NAME, std::fs::read_to_string(&schema_path).unwrap())
        .client(true)
        .generate()
        .unwrap();
    assert_eq!(from_file.source(), code);
}

/// What the generated module must contain for this API.
fn syn_free_checks(code: &str) {
    for needle in [
        "pub struct ApplyMesh {",
        "pub struct ApplyPoint {",
        "pub mask: Option<::arraymodel::Array>,",
        "pub stack: Option<Vec<::arraymodel::Array>>,",
        "pub named: Option<::std::collections::BTreeMap<String, ::arraymodel::Array>>,",
        "#[bytes]",
        "pub enum ApplyInputSchema2Mode {",
        "pub struct Client {",
        "pub fn apply(",
        "pub fn jacobian(",
        "pub fn health(",
    ] {
        assert!(code.contains(needle), "generated code lacks {needle:?}");
    }
}

fn inputs() -> features::ApplyInputs {
    use features::{ApplyInputSchema2Kind, ApplyInputSchema2Mode, ApplyMesh, ApplyPoint};
    features::ApplyInputs {
        x: Array::from_vec(vec![1.0f64, -2.0, 4.0, 0.5]),
        scale: Array::scalar(3.0f64),
        mode: ApplyInputSchema2Mode::Mean,
        kind: ApplyInputSchema2Kind::Beta,
        mesh: ApplyMesh {
            vertices: Array::new(vec![2, 3], vec![0.0f32, 0.0, 0.0, 2.0, 4.0, 6.0]).unwrap(),
            faces: Some(Array::new(vec![1, 3], vec![0i64, 1, 1]).unwrap()),
            points: Some(vec![
                ApplyPoint {
                    xy: Array::from_vec(vec![1.0f64, 2.0]),
                    label: "a".into(),
                },
                ApplyPoint {
                    xy: Array::from_vec(vec![3.0f64, 4.0]),
                    label: features::defaults::apply_point_label(),
                },
            ]),
        },
        mask: Some(Array::from_vec(vec![true, false, true, false])),
        weights: None,
        stack: Some(vec![
            Array::from_vec(vec![1.0f64, 2.0]),
            Array::from_vec(vec![3.0f64]),
        ]),
        named: Some(BTreeMap::from([(
            "m".to_owned(),
            Array::new(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap(),
        )])),
        blob: b"hello\x00bytes".to_vec(),
        tags: Some(vec!["z".into(), "a".into()]),
        count: features::defaults::apply_input_schema2_count(),
    }
}

fn expected() -> features::ApplyOutputs {
    use features::{ApplyOutputSchema2Kind, ApplyOutputSchema2Mode, ApplySummary};
    features::ApplyOutputs {
        y: Array::from_vec(vec![3.0f64, -6.0, 12.0, 1.5]),
        reduced: Array::scalar(0.875f64),
        mode: ApplyOutputSchema2Mode::Mean,
        kind: ApplyOutputSchema2Kind::Beta,
        summary: ApplySummary {
            n_points: 2,
            point_labels: vec!["a".into(), "p".into()],
            centroid: Array::from_vec(vec![1.0f32, 2.0, 3.0]),
            n_faces: Some(1),
        },
        masked: Some(Array::from_vec(vec![1.0f64, 4.0])),
        weighted: None,
        stack_sums: vec![Array::scalar(3.0f64), Array::scalar(3.0f64)],
        named_sizes: BTreeMap::from([("m".to_owned(), 4)]),
        named_doubled: BTreeMap::from([(
            "m".to_owned(),
            Array::new(vec![2, 2], vec![2.0f64, 4.0, 6.0, 8.0]).unwrap(),
        )]),
        blob: b"setyb\x00olleh".to_vec(),
        blob_len: 11,
        tags: vec!["a".into(), "z".into()],
        count: 4,
    }
}

#[test]
fn generated_models_and_client_against_the_live_api() {
    let dir = scratch("live");
    let server = TesseractServer::start("features", &dir);
    let client = features::Client::new(
        ClientConfig::new(&server.url)
            .binref_input_dir(&server.input_dir)
            .binref_output_dir(&server.output_dir),
    );
    let x = inputs();
    let want = expected();
    let mut calls = 0;
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let what = format!("{} -> {}", request.name(), response.name());
            let opts = CallOptions::default().request(request).response(response);
            let got = client
                .apply(&x, &opts)
                .unwrap_or_else(|e| panic!("apply {what}: {e}\n{}", server.log_text()));
            assert_eq!(got, want, "apply {what}");
            calls += 1;
        }
    }
    assert_eq!(calls, 25);

    // Defaults left out on the wire come back as the schema says.
    let minimal = features::ApplyInputs {
        mask: None,
        stack: None,
        named: None,
        blob: features::defaults::apply_input_schema2_blob(),
        tags: None,
        ..x.clone()
    };
    let got = client.apply(&minimal, &CallOptions::default()).unwrap();
    assert_eq!(got.masked, None);
    assert_eq!(got.blob_len, 0);
    assert!(got.stack_sums.is_empty() && got.named_doubled.is_empty());

    // jacobian with the generated enums for jac_inputs / jac_outputs.
    use features::{
        JacobianInputSchema2Kind as Kind, JacobianInputSchema2Mode as Mode,
        JacobianInputSchemaJacInputsItem as JacIn, JacobianInputSchemaJacOutputsItem as JacOut,
        JacobianMesh,
    };
    let jac_in = features::JacobianInputs {
        x: x.x.clone(),
        scale: x.scale.clone(),
        mode: Mode::Sum,
        kind: Kind::Alpha,
        mesh: JacobianMesh {
            vertices: x.mesh.vertices.clone(),
            faces: None,
            points: None,
        },
        mask: None,
        weights: None,
        stack: None,
        named: None,
        blob: Vec::new(),
        tags: None,
        count: 0,
    };
    for response in WireFormat::ALL {
        let opts = CallOptions::default().response(response);
        let jac = client
            .jacobian(&jac_in, &[JacIn::X, JacIn::Scale], &[JacOut::Y], &opts)
            .unwrap();
        let eye3 = Array::new(
            vec![4, 4],
            (0..16)
                .map(|i| if i % 5 == 0 { 3.0f64 } else { 0.0 })
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(jac["y"]["x"], eye3, "{}", response.name());
        assert_eq!(jac["y"]["scale"], x.x, "{}", response.name());
    }
    assert_eq!(client.health().unwrap().status, "ok");
}
