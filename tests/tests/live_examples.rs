//! Two of tesseract-core's own examples (`tests/apis/meshstats`, `tests/apis/dataloader`,
//! copied unchanged; see `tests/apis/NOTICE.md`): their openapi.json, as
//! `tesseract-runtime openapi-schema` writes it now, must equal the committed copy in
//! `schemas/`; the module the engine generates from it must equal the committed
//! `tests/generated/<api>_api.rs`, which is compiled here under `#![deny(warnings)]` and
//! used against the API served live, in every response encoding. They hold the array
//! schemas the generator once got wrong: arrays in a dict whose dtype only `examples`
//! names (meshstats' `cell_data`, `dict[str, Array[(None, None), Float32]]`), and
//! arrays under `patternProperties` (dataloader's jacobian, keyed `data.[i]`).
//!
//! Bless after an intended change with
//! `ARRAYMODEL_BLESS=1 cargo test -p arraymodel-tests --test live_examples`.
//! Fails, never skips, when the peer is missing.
#![deny(warnings)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use arraymodel::client::{CallOptions, ClientConfig, WireFormat};
use arraymodel::{Array, ArrayModel, DType, DecodeOptions};
use arraymodel_codegen::Generator;
use arraymodel_tests::{TesseractServer, peer_bin, repo_root};

#[allow(dead_code)]
mod meshstats {
    include!("../generated/meshstats_api.rs");
}

#[allow(dead_code)]
mod dataloader {
    include!("../generated/dataloader_api.rs");
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("live_examples")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `tesseract-runtime openapi-schema` for `tests/apis/<api>`, now.
fn fresh_openapi(api: &str) -> serde_json::Value {
    let dir = scratch(&format!("openapi-{api}"));
    let out = Command::new(peer_bin("tesseract").join("tesseract-runtime"))
        .env(
            "TESSERACT_API_PATH",
            repo_root().join(format!("tests/apis/{api}/tesseract_api.py")),
        )
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
    serde_json::from_slice(&out.stdout).expect("openapi.json is JSON")
}

#[test]
fn schemas_and_generated_modules_are_current() {
    let bless = std::env::var_os("ARRAYMODEL_BLESS").is_some();
    for api in ["meshstats", "dataloader"] {
        let name = format!("schemas/tesseract_{api}.openapi.json");
        let schema_path = repo_root().join(&name);
        let module_path = repo_root().join(format!("tests/generated/{api}_api.rs"));
        let fresh = fresh_openapi(api);
        if bless {
            let mut pretty = serde_json::to_string_pretty(&fresh).unwrap();
            pretty.push('\n');
            std::fs::write(&schema_path, pretty).unwrap();
        }
        let committed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
        assert!(
            committed == fresh,
            "{name} differs from what tesseract-runtime writes now (bless with ARRAYMODEL_BLESS=1)"
        );
        let code = Generator::new()
            .schema_str(&name, std::fs::read_to_string(&schema_path).unwrap())
            .client(true)
            .generate()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if bless {
            std::fs::write(&module_path, code.source()).unwrap();
        }
        assert!(
            std::fs::read_to_string(&module_path).unwrap_or_default() == code.source(),
            "{} is stale (bless with ARRAYMODEL_BLESS=1)",
            module_path.display()
        );
    }
}

fn f32s(a: &Array) -> Vec<f32> {
    a.as_slice::<f32>().expect("float32").to_vec()
}

fn mesh() -> meshstats::ApplyVolumetricMeshData {
    meshstats::ApplyVolumetricMeshData {
        n_points: 4,
        n_cells: 2,
        points: Array::new(
            vec![4, 3],
            vec![
                0.0f32, 0.0, 0.0, 2.0, 0.0, 0.0, 2.0, 4.0, 0.0, 0.0, 4.0, 6.0,
            ],
        )
        .unwrap(),
        num_points_per_cell: Array::from_vec(vec![3.0f32, 3.0]),
        cell_connectivity: Array::from_vec(vec![0i32, 1, 2, 0, 2, 3]),
        // int32 values where the schema says float32: tesseract casts them, so do we.
        cell_data: BTreeMap::from([(
            "pressure".to_owned(),
            Array::new(vec![2, 1], vec![1i32, 2]).unwrap(),
        )]),
        point_data: BTreeMap::from([(
            "t".to_owned(),
            Array::new(vec![4, 1], vec![0.5f32, 1.5, 2.5, 3.5]).unwrap(),
        )]),
    }
}

/// The dtype tesseract gives `dict[str, Array[(None, None), Float32]]` values is the one
/// the generated model gives them: float32, cast from what arrived.
#[test]
fn meshstats_dict_arrays_have_their_dtype() {
    let inputs = meshstats::ApplyInputSchema2 { mesh: mesh() };
    let json = inputs.to_json(&Default::default()).unwrap();
    let back = meshstats::ApplyInputSchema2::from_json(&json, &DecodeOptions::default()).unwrap();
    let p = &back.mesh.cell_data["pressure"];
    assert_eq!(p.dtype(), DType::Float32);
    assert_eq!(f32s(p), [1.0, 2.0]);
    // A dtype that does not cast to float32 safely is refused with the map key in the path.
    let mut bad: serde_json::Value = serde_json::from_slice(&json).unwrap();
    bad["mesh"]["cell_data"]["pressure"] = serde_json::json!({
        "object_type": "array", "shape": [1, 1], "dtype": "complex64",
        "data": {"buffer": "AACAPwAAAAA=", "encoding": "base64"}
    });
    let bad = serde_json::to_vec(&bad).unwrap();
    let e = meshstats::ApplyInputSchema2::from_json(&bad, &DecodeOptions::default()).unwrap_err();
    assert!(
        e.path().to_string().starts_with("mesh.cell_data.pressure"),
        "{e}"
    );
}

#[test]
fn meshstats_live() {
    let dir = scratch("meshstats");
    let server = TesseractServer::start("meshstats", &dir);
    let client = meshstats::Client::new(
        ClientConfig::new(&server.url)
            .binref_input_dir(&server.input_dir)
            .binref_output_dir(&server.output_dir),
    );
    let inputs = meshstats::ApplyInputSchema2 { mesh: mesh() };
    for request in WireFormat::ALL {
        for response in WireFormat::ALL {
            let what = format!("{} -> {}", request.name(), response.name());
            let opts = CallOptions::default().request(request).response(response);
            let out = client
                .apply(&inputs, &opts)
                .unwrap_or_else(|e| panic!("apply {what}: {e}\n{}", server.log_text()));
            assert_eq!(
                f32s(&out.statistics.first_point_coordinates),
                [0.0, 0.0, 0.0],
                "{what}"
            );
            let bary = out.statistics.barycenter.expect("barycenter");
            assert_eq!(f32s(&bary), [1.0, 2.0, 1.5], "{what}");
        }
    }
    use meshstats::{
        JacobianInputSchemaJacInputsItem as In, JacobianInputSchemaJacOutputsItem as Out,
    };
    let m = mesh();
    let jac_inputs = meshstats::JacobianInputSchema2 {
        mesh: meshstats::JacobianVolumetricMeshData {
            n_points: m.n_points,
            n_cells: m.n_cells,
            points: m.points,
            num_points_per_cell: m.num_points_per_cell,
            cell_connectivity: m.cell_connectivity,
            cell_data: m.cell_data,
            point_data: m.point_data,
        },
    };
    for response in WireFormat::ALL {
        let opts = CallOptions::default().response(response);
        let jac = client
            .jacobian(
                &jac_inputs,
                &[In::MeshPoints],
                &[Out::StatisticsBarycenter],
                &opts,
            )
            .unwrap_or_else(|e| panic!("jacobian {}: {e}\n{}", response.name(), server.log_text()));
        let d = &jac["statistics.barycenter"]["mesh.points"];
        assert_eq!(d.shape(), [3, 4, 3], "{}", response.name());
        let v = d.as_slice::<f64>().expect("float64");
        for i in 0..3 {
            for p in 0..4 {
                for j in 0..3 {
                    let want = if i == j { 0.25 } else { 0.0 };
                    assert_eq!(v[(i * 4 + p) * 3 + j], want, "{}", response.name());
                }
            }
        }
    }
}

#[test]
fn dataloader_pattern_keyed_arrays_live() {
    let dir = scratch("dataloader");
    let server = TesseractServer::start("dataloader", &dir);
    let client = dataloader::Client::new(
        ClientConfig::new(&server.url)
            .binref_input_dir(&server.input_dir)
            .binref_output_dir(&server.output_dir),
    );
    let samples = vec![
        Array::new(vec![2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
        Array::new(vec![1, 3], vec![0.5f32, 0.5, 0.5]).unwrap(),
    ];
    let out = client
        .apply(
            &dataloader::ApplyInputSchema2 {
                data: dataloader::ApplyInputSchema2Data::List(samples.clone()),
            },
            &CallOptions::default(),
        )
        .unwrap_or_else(|e| panic!("apply: {e}\n{}", server.log_text()));
    assert_eq!(f32s(&out.data_sum), [5.5, 7.5, 9.5]);
    let inputs = dataloader::JacobianInputSchema2 {
        data: dataloader::JacobianInputSchema2Data::List(samples),
    };
    let keys = ["data.[0]".to_owned(), "data.[1]".to_owned()];
    for response in WireFormat::ALL {
        let opts = CallOptions::default().response(response);
        let jac = client
            .jacobian(
                &inputs,
                &keys,
                &[dataloader::JacobianInputSchemaJacOutputsItem::DataSum],
                &opts,
            )
            .unwrap_or_else(|e| panic!("jacobian {}: {e}\n{}", response.name(), server.log_text()));
        // Typed arrays whatever the encoding (before: binref strings or base64 text).
        let sums = &jac["data_sum"];
        assert_eq!(sums.len(), 2, "{}", response.name());
        for (key, rows) in [("data.[0]", 2usize), ("data.[1]", 1)] {
            let a = &sums[key];
            assert_eq!(a.shape(), [3, rows, 3], "{} {key}", response.name());
            let v = a.as_slice::<f64>().expect("float64");
            for i in 0..3 {
                for r in 0..rows {
                    for j in 0..3 {
                        let want = if i == j { 1.0 } else { 0.0 };
                        assert_eq!(v[(i * rows + r) * 3 + j], want);
                    }
                }
            }
        }
    }
}
