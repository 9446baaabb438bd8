//! Replays every file under `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`
//! through the same harnesses the cargo-fuzz targets run (`fuzz/src/harness.rs`), on
//! stable: no input may panic (decoders, the binref confinement checks and the
//! decode → encode → decode fixed-point checks all run), and each main decode gives
//! `Ok` or a typed [`arraymodel::Error`].
//!
//! `scripts/fuzz.sh` copies every crasher libFuzzer finds into `fuzz/regressions/`, so
//! a crash stays a failing test here until it is fixed.
//!
//! The generator's `schema_reader` target is not replayed here (the runtime's tests
//! cannot depend on the code generator); `scripts/fuzz.sh` replays its corpus and
//! regressions on nightly before fuzzing.
//!
//! `ARRAYMODEL_WRITE_SEEDS=1 cargo test -p arraymodel --test fuzz_regressions -- --ignored`
//! regenerates the seed corpus from the peers' captures in `tests/data/peers` and from
//! this crate's own encoders.

#[allow(dead_code)]
#[path = "../../fuzz/src/harness.rs"]
mod harness;

#[path = "common/wire.rs"]
mod wire;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use arraymodel::{
    Array, ArrayModel, Complex, DType, EncodeOptions, Encoding, NdArray, f16, to_json_vec,
    to_msgpack_vec,
};
use harness::FuzzModel;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Targets whose harness lives outside `harness.rs` (replayed by `scripts/fuzz.sh`).
const NOT_HERE: &[&str] = &["schema_reader"];

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => return Vec::new(),
    };
    v.sort();
    v
}

#[test]
fn replay_corpus_and_regressions() {
    let mut failures = Vec::new();
    // Junk every harness must survive, whatever the corpus holds.
    for (name, harness) in harness::TARGETS {
        for data in [
            &b""[..],
            b"\0",
            b"{",
            b"\xc1",
            b"[]",
            b"{}",
            b"null",
            b"\xff\xff",
        ] {
            if catch_unwind(AssertUnwindSafe(|| harness(data))).is_err() {
                failures.push(format!("{name}: panicked on {data:?}"));
            }
        }
    }
    let mut summary = BTreeMap::<String, (usize, usize)>::new();
    for kind in ["corpus", "regressions"] {
        for dir in sorted_entries(&fuzz_dir().join(kind)) {
            if !dir.is_dir() {
                continue;
            }
            let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
            if NOT_HERE.contains(&name.as_str()) {
                continue;
            }
            let (_, harness) = harness::TARGETS
                .iter()
                .find(|(t, _)| *t == name)
                .unwrap_or_else(|| panic!("{}: no harness named {name:?}", dir.display()));
            for file in sorted_entries(&dir) {
                let fname = file.file_name().unwrap().to_string_lossy().into_owned();
                if !file.is_file() || fname.starts_with('.') || fname == "README.md" {
                    continue;
                }
                let data = std::fs::read(&file).unwrap();
                let counts = summary.entry(format!("{kind}/{name}")).or_default();
                match catch_unwind(AssertUnwindSafe(|| harness(&data))) {
                    Ok(Ok(())) => counts.0 += 1,
                    Ok(Err(e)) => {
                        // A typed error that says something.
                        assert!(!e.to_string().is_empty(), "{}: empty error", file.display());
                        counts.1 += 1;
                    }
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures.push(format!("{}: panicked: {msg}", file.display()));
                    }
                }
            }
        }
    }
    harness::remove_fixture();
    for (k, (ok, err)) in &summary {
        eprintln!("{k}: {ok} decoded, {err} typed errors");
    }
    let corpus_files: usize = summary
        .iter()
        .filter(|(k, _)| k.starts_with("corpus/"))
        .map(|(_, (a, b))| a + b)
        .sum();
    assert!(
        corpus_files > 0,
        "no seed corpus under {}",
        fuzz_dir().display()
    );
    assert!(
        failures.is_empty(),
        "{} inputs panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------
// Seed corpus (regenerated on request)
// ---------------------------------------------------------------------------------

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/peers")
}

struct Seeds {
    root: PathBuf,
    written: usize,
    bytes: usize,
}

impl Seeds {
    fn put(&mut self, target: &str, name: &str, data: &[u8]) {
        // json_value (any JSON document, compared with serde_json) starts from the
        // documents of the model and truss targets.
        match target {
            "model_json" => self.put("json_value", name, data),
            "truss_json" => self.put("json_value", &format!("truss-{name}"), data),
            _ => {}
        }
        // differential (byte 0: even JSON, odd msgpack) starts from every `{"x": ..}`
        // document; its hand-made attack seeds (`mp-*`, `js-*`, issue #14 §1-2) are
        // kept in its folder, which is not removed here.
        if matches!(target, "tesseract_json" | "truss_json" | "msgpack") {
            let mode = u8::from(target == "msgpack");
            let mut d = vec![mode];
            d.extend_from_slice(data);
            self.put("differential", &format!("{target}-{name}"), &d);
        }
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        std::fs::write(dir.join(clean), data).unwrap();
        self.written += 1;
        self.bytes += data.len();
    }
}

/// Every array object (tesseract or truss) inside a JSON value.
fn array_objects(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.contains_key("data_b64") || (m.contains_key("shape") && m.contains_key("data")) {
                out.push(v.clone());
            } else {
                m.values().for_each(|x| array_objects(x, out));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| array_objects(x, out)),
        _ => {}
    }
}

fn files_with(dir: &Path, suffixes: &[&str], max_len: u64) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            suffixes.iter().any(|s| n.ends_with(s))
                && std::fs::metadata(p)
                    .map(|m| m.len() <= max_len)
                    .unwrap_or(false)
        })
        .collect()
}

fn stem(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn sample_arrays() -> Vec<Array> {
    let mut v = vec![
        Array::from_vec(vec![true, false, true]),
        Array::from_vec(vec![-128i8, 0, 127]),
        Array::from_vec(vec![-32768i16, 1, 32767]),
        Array::from_vec(vec![i32::MIN, 2, i32::MAX]),
        Array::from_vec(vec![i64::MIN, 3, i64::MAX]),
        Array::from_vec(vec![0u8, 1, 255]),
        Array::from_vec(vec![0u16, 1, 65535]),
        Array::from_vec(vec![0u32, 1, u32::MAX]),
        Array::from_vec(vec![0u64, 1, u64::MAX]),
        Array::from_vec(vec![f16::from_f64(0.1), f16::NAN, f16::MAX]),
        Array::from_vec(vec![0.1f32, f32::INFINITY, -0.0]),
        Array::from_vec(vec![0.1f64, f64::NAN, 1e-300]),
        Array::from_vec(vec![Complex::new(1.0f32, 2.0), Complex::new(0.5, -0.5)]),
        Array::from_vec(vec![
            Complex::new(1.0f64, 2.0),
            Complex::new(-0.0, f64::NAN),
        ]),
        Array::scalar(7.25f64),
        Array::scalar(-7i32),
        Array::new(vec![2, 3], (0..6).map(f64::from).collect::<Vec<_>>()).unwrap(),
        Array::zeros(DType::Int32, vec![2, 0, 4]).unwrap(),
        Array::zeros(DType::Float32, vec![0]).unwrap(),
    ];
    v.push(Array::new(vec![1; 64], vec![1u8]).unwrap());
    v
}

fn sample_model() -> FuzzModel {
    FuzzModel {
        a: Array::from_vec(vec![1.0f64, 2.0, 3.0]),
        b: NdArray::new(vec![3], vec![0.5f64, -1.25, 1e-300]).unwrap(),
        s: Array::scalar(2.0f64),
        m: Some(Array::new(vec![2, 2], vec![1i32, 2, 3, 4]).unwrap()),
        z: Some(Array::from_vec(vec![Complex::new(1.0f32, -1.0)])),
        any3: Some(Array::from_vec(vec![1u16, 2, 3])),
        items: vec![Array::from_vec(vec![1u8, 2]), Array::from_vec(vec![3u8])],
        named: BTreeMap::from([("k".to_owned(), Array::scalar(true))]),
        raw: b"bytes".to_vec(),
        label: Some("h\u{e9}llo".into()),
    }
}

fn lz4(bytes: &[u8]) -> Vec<u8> {
    wire::lz4_frame(bytes)
}

/// Writes `fuzz/corpus/` afresh (the golden captures must be present).
#[test]
#[ignore = "regenerates fuzz/corpus; run with ARRAYMODEL_WRITE_SEEDS=1 and --ignored"]
fn write_seed_corpus() {
    if std::env::var_os("ARRAYMODEL_WRITE_SEEDS").is_none() {
        return;
    }
    let root = fuzz_dir().join("corpus");
    for t in harness::TARGETS
        .iter()
        .map(|t| t.0)
        .chain(NOT_HERE.iter().copied())
        .filter(|t| *t != "differential")
    {
        let _ = std::fs::remove_dir_all(root.join(t));
    }
    let mut s = Seeds {
        root,
        written: 0,
        bytes: 0,
    };
    let tess = peers().join("tesseract");
    let truss = peers().join("truss");
    let max = 16 * 1024;

    // tesseract_json: every array object of the golden requests and responses as {"x": ..}.
    let mut seen = std::collections::HashSet::new();
    for sub in ["vectoradd", "dtypes", "dtypes/edge", "errors"] {
        for p in files_with(&tess.join(sub), &[".request.json", ".response.body"], max) {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&p).unwrap())
            else {
                continue;
            };
            let mut found = Vec::new();
            array_objects(&v, &mut found);
            for (i, a) in found.into_iter().enumerate() {
                let body = serde_json::to_vec(&serde_json::json!({ "x": a })).unwrap();
                if seen.insert(body.clone()) {
                    s.put(
                        "tesseract_json",
                        &format!("{}-{}-{i}", sub.replace('/', "-"), stem(&p)),
                        &body,
                    );
                }
            }
        }
    }
    let fixture = harness::fixture_files();
    let lz4_a = lz4(&1.0f64
        .to_le_bytes()
        .iter()
        .chain(&2.0f64.to_le_bytes())
        .chain(&3.0f64.to_le_bytes())
        .copied()
        .collect::<Vec<_>>())
    .len();
    let lz4_total = fixture.iter().find(|f| f.0 == "lz4.bin").unwrap().1.len();
    let lz4_b = lz4_total - lz4_a;
    let refs: Vec<(&str, String, &str, bool)> = vec![
        ("[3]", "ab.bin:0".into(), "float64", false),
        ("[3]", "ab.bin:24".into(), "float64", false),
        ("[1]", "sub/s.bin".into(), "float64", false),
        ("[16]", "all.bin:3".into(), "uint8", false),
        ("[2,2]", "all.bin:100".into(), "int16", false),
        ("[3]", "inside.bin:0".into(), "float64", false),
        ("[0]", "empty.bin".into(), "float64", false),
        ("[3]", format!("lz4.bin:0:{lz4_a}"), "float64", true),
        ("[64]", format!("lz4.bin:{lz4_a}:{lz4_b}"), "uint8", true),
        ("[3]", "escape.bin:0".into(), "float64", false),
        ("[3]", "fifo.bin:0".into(), "float64", false),
        ("[3]", "escapedir/secret.bin:0".into(), "float64", false),
        ("[3]", "../outside/secret.bin:0".into(), "float64", false),
        ("[3]", "/etc/passwd:0".into(), "uint8", false),
        ("[3]", "file:///etc/passwd".into(), "uint8", false),
        ("[3]", "s3://bucket/a.bin:0".into(), "float64", false),
        ("[3]", "ab.bin:-8".into(), "float64", false),
        ("[3]", "ab.bin:40".into(), "float64", false),
        ("[3]", "ab.bin:0".into(), "float64", true),
    ];
    for (i, (shape, r, dtype, lz)) in refs.iter().enumerate() {
        let comp = if *lz { r#","compression":"lz4""# } else { "" };
        let body = format!(
            r#"{{"x":{{"object_type":"array","shape":{shape},"dtype":"{dtype}","data":{{"buffer":{},"encoding":"binref"{comp}}}}}}}"#,
            serde_json::to_string(r).unwrap()
        );
        s.put("tesseract_json", &format!("binref-{i}"), body.as_bytes());
    }
    let encodings = [
        ("json", EncodeOptions::tesseract(Encoding::Json)),
        ("base64", EncodeOptions::tesseract(Encoding::Base64)),
        ("lz4", EncodeOptions::tesseract(Encoding::Base64).lz4()),
        ("truss", EncodeOptions::truss()),
    ];
    #[derive(serde::Serialize)]
    struct X<'a> {
        x: &'a Array,
    }
    for (i, a) in sample_arrays().iter().enumerate() {
        for (name, opts) in &encodings {
            let body = to_json_vec(&X { x: a }, opts).unwrap();
            let target = if *name == "truss" {
                "truss_json"
            } else {
                "tesseract_json"
            };
            s.put(target, &format!("own-{name}-{i}-{}", a.dtype()), &body);
        }
        s.put(
            "msgpack",
            &format!("own-{i}-{}", a.dtype()),
            &to_msgpack_vec(&X { x: a }).unwrap(),
        );
        s.put(
            "msgpack",
            &format!("own-bare-{i}-{}", a.dtype()),
            &to_msgpack_vec(a).unwrap(),
        );
    }

    // tesseract_structured: [mode, dtype, rank, dims.., payload].
    let f64s = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut structured: Vec<(String, Vec<u8>)> = Vec::new();
    let three = f64s(&[1.0, 2.0, 3.0]);
    let f64_idx = 11u8;
    let push = |v: &mut Vec<(String, Vec<u8>)>, name: &str, head: &[u8], payload: &[u8]| {
        let mut d = head.to_vec();
        d.extend_from_slice(payload);
        v.push((name.to_owned(), d));
    };
    push(
        &mut structured,
        "json",
        &[0, f64_idx, 1, 3],
        b"[1.0,2.0,3.0]",
    );
    push(
        &mut structured,
        "json-2d",
        &[0, 3, 2, 2, 2],
        b"[[1,2],[3,4]]",
    );
    push(&mut structured, "json-scalar", &[0, 13, 0], br#""1+2j""#);
    push(&mut structured, "base64", &[1, f64_idx, 1, 3], &three);
    push(
        &mut structured,
        "base64-big-endian",
        &[1, f64_idx + 28, 1, 3],
        &three,
    );
    push(
        &mut structured,
        "base64-verbatim",
        &[1 | 8, f64_idx, 1, 1],
        b"AAAAAAAA8D8=",
    );
    push(
        &mut structured,
        "base64-lz4",
        &[1 | 4, f64_idx, 1, 3],
        &lz4(&three),
    );
    push(
        &mut structured,
        "base64-lz4-u8",
        &[1 | 4, 5, 2, 4, 16],
        &lz4(&[7u8; 64]),
    );
    push(
        &mut structured,
        "base64-huge",
        &[1, f64_idx, 2, 255, 0],
        b"",
    );
    push(&mut structured, "binref", &[2, f64_idx, 1, 3], b"ab.bin:24");
    push(
        &mut structured,
        "binref-lz4",
        &[2 | 4, f64_idx, 1, 3],
        format!("lz4.bin:0:{lz4_a}").as_bytes(),
    );
    push(
        &mut structured,
        "binref-escape",
        &[2, 5, 1, 8],
        b"escape.bin",
    );
    push(
        &mut structured,
        "list",
        &[3, f64_idx, 1, 3],
        b"[1.0,2.0,3.0]",
    );
    for (name, d) in structured {
        s.put("tesseract_structured", &name, &d);
    }

    // binref_reference: [flags (dtype | 0x80 lz4), count, reference].
    let brefs: Vec<(u8, u8, String)> = vec![
        (11, 3, "ab.bin:0".into()),
        (11, 3, "ab.bin:24".into()),
        (11, 1, "sub/s.bin".into()),
        (11, 1, "./sub/./s.bin:0".into()),
        (5, 200, "all.bin:7".into()),
        (11, 3, "inside.bin".into()),
        (11, 0, "empty.bin:0".into()),
        (0x80 | 11, 3, format!("lz4.bin:0:{lz4_a}")),
        (0x80 | 5, 64, format!("lz4.bin:{lz4_a}:{lz4_b}")),
        (5, 8, "escape.bin".into()),
        (5, 8, "fifo.bin".into()),
        (5, 8, "escapedir/secret.bin:0".into()),
        (5, 8, "../outside/secret.bin".into()),
        (5, 8, "sub/../../outside/secret.bin".into()),
        (5, 8, "/etc/passwd:0".into()),
        (5, 8, "file:///etc/passwd".into()),
        (5, 8, "http://example.invalid/a.bin:0".into()),
        (11, 3, "ab.bin:-8".into()),
        (11, 255, "ab.bin:0".into()),
        (11, 3, "ab.bin:18446744073709551615".into()),
        (0x80 | 11, 3, "ab.bin:0:18446744073709551615".into()),
        (11, 3, "ab.bin\\x".into()),
        (11, 3, "sub".into()),
    ];
    for (i, (flags, count, r)) in brefs.iter().enumerate() {
        let mut d = vec![*flags, *count];
        d.extend_from_slice(r.as_bytes());
        s.put("binref_reference", &format!("ref-{i}"), &d);
    }

    // truss_json and msgpack: the truss golden files.
    for sub in ["arrays", "edge", "scalars", "models"] {
        for p in files_with(&truss.join(sub), &[".model.json"], max) {
            s.put(
                "truss_json",
                &format!("{sub}-{}", stem(&p)),
                &std::fs::read(&p).unwrap(),
            );
        }
        for p in files_with(&truss.join(sub), &[".msgpack"], max) {
            s.put(
                "msgpack",
                &format!("{sub}-{}", stem(&p)),
                &std::fs::read(&p).unwrap(),
            );
        }
    }

    // model_json: vectoradd requests and the error cases, and the sample model in each form.
    for sub in ["vectoradd", "errors"] {
        for p in files_with(&tess.join(sub), &[".request.json"], max) {
            s.put(
                "model_json",
                &format!("{sub}-{}", stem(&p)),
                &std::fs::read(&p).unwrap(),
            );
        }
    }
    let m = sample_model();
    for (name, opts) in &encodings {
        s.put(
            "model_json",
            &format!("own-{name}"),
            &m.to_json(opts).unwrap(),
        );
        s.put(
            "model_json",
            &format!("own-request-{name}"),
            &m.to_tesseract_request(opts).unwrap(),
        );
    }
    s.put("model_msgpack", "own", &m.to_msgpack().unwrap());
    let minimal = FuzzModel {
        m: None,
        z: None,
        any3: None,
        items: Vec::new(),
        named: BTreeMap::new(),
        raw: vec![0xff, 0],
        label: None,
        ..m
    };
    s.put(
        "model_msgpack",
        "own-minimal",
        &minimal.to_msgpack().unwrap(),
    );
    for p in files_with(&truss.join("models"), &[".msgpack"], max) {
        s.put(
            "model_msgpack",
            &format!("truss-{}", stem(&p)),
            &std::fs::read(&p).unwrap(),
        );
    }

    // schema_reader: the repository's schemas and the peers' published ones.
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    for p in files_with(&schemas, &[".json"], 64 * 1024) {
        s.put("schema_reader", &stem(&p), &std::fs::read(&p).unwrap());
    }
    // The schemas the truss peer publishes (copies of them are in `schemas/`).
    for name in [
        "numpydantic_2.0.0.schema.json",
        "pydantic_numpy_9.1.0.schema.json",
        "truss_NumpyArrayField_str_bytes.schema.json",
        "truss_composite.schema.json",
    ] {
        let p = schemas.join(name);
        s.put(
            "schema_reader",
            &format!("truss-{}", stem(&p)),
            &std::fs::read(&p).unwrap(),
        );
    }
    eprintln!("wrote {} seeds, {} bytes", s.written, s.bytes);
    assert!(s.bytes < 2 << 20, "seed corpus over 2 MiB");
}
