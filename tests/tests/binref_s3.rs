//! binref side files in a real S3-compatible server (`scripts/s3-server.py`: moto's
//! server mode behind a byte counter, on 127.0.0.1), through `arraymodel::binref::store`:
//!
//! - round trips of the 14 dtypes and edge shapes, with and without LZ4;
//! - a document referencing the middle of a large object reads exactly that range
//!   (counted by the server);
//! - tesseract-core, through fsspec/s3fs (`tests/interop/s3_peer.py`), reads what
//!   arraymodel writes, and arraymodel reads what tesseract-core writes, bit for bit;
//! - hostile references are refused before any request reaches the server.
//!
//! Fails, never skips, when the server or a peer is missing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use arraymodel::{
    Array, ByteOrder, DType, DecodeOptions, EncodeOptions, Encoding, ErrorKind, Limits,
};
use arraymodel_tests::{S3Server, peer_bin, repo_root};
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("binref-s3")
        .join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn seeded(dtype: DType, shape: Vec<usize>, seed: u64) -> Array {
    let n: usize = shape.iter().product::<usize>() * dtype.itemsize();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let bytes: Vec<u8> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if dtype == DType::Bool {
                (x & 1) as u8
            } else {
                x as u8
            }
        })
        .collect();
    Array::from_bytes(dtype, shape, &bytes, ByteOrder::Little, &Limits::default()).unwrap()
}

const DTYPES: [&str; 14] = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
];

type Arrays = BTreeMap<String, Array>;

#[test]
fn every_dtype_and_edge_shape_round_trips_through_s3() {
    let s3 = S3Server::start();
    let base = s3.base("roundtrip");
    let mut arrays = Arrays::new();
    for (i, d) in DTYPES.iter().enumerate() {
        let dtype = DType::from_name(d).unwrap();
        for (j, shape) in [
            vec![],
            vec![0],
            vec![2, 0, 3],
            vec![5],
            vec![3, 4],
            vec![1; 17],
        ]
        .into_iter()
        .enumerate()
        {
            arrays.insert(
                format!("{d}_{j}"),
                seeded(dtype, shape, (i * 16 + j) as u64),
            );
        }
    }
    for lz4 in [false, true] {
        let mut opts = EncodeOptions::tesseract(Encoding::Binref).binref_store(base.clone());
        if lz4 {
            opts = opts.lz4();
        }
        let json = arraymodel::to_json_vec(&arrays, &opts).unwrap();
        let back: Arrays = arraymodel::from_json_slice(
            &json,
            &DecodeOptions::default().binref_store(base.clone()),
        )
        .unwrap();
        for (k, a) in &arrays {
            assert_eq!(
                (back[k].dtype(), back[k].shape()),
                (a.dtype(), a.shape()),
                "{k}"
            );
            assert!(back[k].as_bytes() == a.as_bytes(), "{k} (lz4 {lz4})");
        }
    }
}

/// Three arrays appended to one object; a document naming only the middle one makes
/// the server send exactly its bytes, and the whole document each array's once.
#[test]
fn a_reference_into_a_large_object_reads_only_its_range() {
    let s3 = S3Server::start();
    let base = s3.base("ranged");
    let (head, middle, tail) = (
        seeded(DType::Float64, vec![1 << 20], 1),   // 8 MiB
        seeded(DType::Float64, vec![128 << 10], 2), // 1 MiB
        seeded(DType::Float64, vec![1 << 20], 3),   // 8 MiB
    );
    let doc = Arrays::from([
        ("a_head".to_string(), head.clone()),
        ("b_middle".to_string(), middle.clone()),
        ("c_tail".to_string(), tail.clone()),
    ]);
    let json = arraymodel::to_json_vec(
        &doc,
        &EncodeOptions::tesseract(Encoding::Binref).binref_store(base.clone()),
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&json).unwrap();
    let reference = v["b_middle"]["data"]["buffer"]
        .as_str()
        .unwrap()
        .to_string();
    let (object, offset) = reference.rsplit_once(':').unwrap();
    assert_eq!(
        offset,
        (8 << 20).to_string(),
        "the middle array follows the 8 MiB head"
    );
    let key = format!("key=arraymodel/ranged/{object}");
    assert_eq!(
        v["a_head"]["data"]["buffer"]
            .as_str()
            .unwrap()
            .rsplit_once(':')
            .unwrap()
            .0,
        object
    );

    s3.reset();
    let only_middle = json!({"m": v["b_middle"]}).to_string();
    let got: Arrays = arraymodel::from_json_slice(
        only_middle.as_bytes(),
        &DecodeOptions::default().binref_store(base.clone()),
    )
    .unwrap();
    assert!(got["m"].as_bytes() == middle.as_bytes());
    let c = s3.counter(&key);
    assert_eq!(c["get_body_bytes"], json!(1 << 20), "{c}");
    assert_eq!(
        c["get_ranges"],
        json!([format!("bytes={}-{}", 8 << 20, (9 << 20) - 1)]),
        "{c}"
    );

    // The whole document: each array's bytes once, one ranged GET per array, fetched
    // concurrently.
    s3.reset();
    let all: Arrays =
        arraymodel::from_json_slice(&json, &DecodeOptions::default().binref_store(base.clone()))
            .unwrap();
    for (k, a) in &doc {
        assert!(all[k].as_bytes() == a.as_bytes(), "{k}");
    }
    let c = s3.counter(&key);
    assert_eq!(c["get_body_bytes"], json!(17 << 20), "{c}");
    assert_eq!(c["get_requests"], json!(3), "{c}");
}

#[test]
fn hostile_references_reach_no_server() {
    let s3 = S3Server::start();
    let base = s3.base("hostile");
    s3.reset();
    for r in [
        "../escape.bin:0",
        "a/../../escape.bin:0",
        "/abs.bin:0",
        "s3://other-bucket/x.bin:0",
        "s3://arraymodel/hostile/x.bin:0",
        "http://169.254.169.254/latest/meta-data:0",
        "https://example.invalid/x.bin:0",
        "x.bin:18446744073709551616",
    ] {
        let doc = json!({"a": {"object_type": "array", "shape": [1], "dtype": "uint8",
            "data": {"buffer": r, "encoding": "binref"}}});
        let e = arraymodel::from_json_slice::<Arrays>(
            doc.to_string().as_bytes(),
            &DecodeOptions::default().binref_store(base.clone()),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{r}: {e}");
    }
    // Sizes no array may have are refused from the shape.
    let doc = json!({"a": {"object_type": "array", "shape": [1u64 << 40, 1u64 << 40], "dtype": "float64",
        "data": {"buffer": "x.bin:0", "encoding": "binref"}}});
    assert!(
        arraymodel::from_json_slice::<Arrays>(
            doc.to_string().as_bytes(),
            &DecodeOptions::default().binref_store(base)
        )
        .is_err()
    );
    assert_eq!(
        s3.counter("")["requests"],
        json!(0),
        "a hostile reference reached the server"
    );
}

#[test]
fn missing_and_short_objects_and_a_dead_endpoint_are_typed_errors() {
    use arraymodel::binref::store::{StoreBase, StoreProblem};
    let s3 = S3Server::start();
    let base = s3.base("errors");
    let one = Arrays::from([("x".to_string(), seeded(DType::UInt8, vec![16], 9))]);
    let json = arraymodel::to_json_vec(
        &one,
        &EncodeOptions::tesseract(Encoding::Binref).binref_store(base.clone()),
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&json).unwrap();
    let object = v["x"]["data"]["buffer"]
        .as_str()
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .0
        .to_string();
    let problem = |doc: Value, base: &StoreBase| -> StoreProblem {
        let e = arraymodel::from_json_slice::<Arrays>(
            doc.to_string().as_bytes(),
            &DecodeOptions::default().binref_store(base.clone()),
        )
        .unwrap_err();
        match e.kind() {
            ErrorKind::Store { problem, .. } => problem.clone(),
            other => panic!("{other:?}"),
        }
    };
    let arr = |buffer: String, shape: u64| json!({"x": {"shape": [shape], "dtype": "uint8", "data": {"buffer": buffer, "encoding": "binref"}}});
    assert_eq!(
        problem(arr("nope.bin:0".into(), 1), &base),
        StoreProblem::Missing
    );
    assert_eq!(
        problem(arr(format!("{object}:8"), 16), &base),
        StoreProblem::TooShort
    );
    let dead = StoreBase::from_url_with(
        "s3://arraymodel/errors",
        [
            ("aws_endpoint", "http://127.0.0.1:9"),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", "testing"),
            ("aws_secret_access_key", "testing"),
            ("aws_region", "us-east-1"),
        ],
    )
    .unwrap();
    assert!(matches!(
        problem(arr(format!("{object}:0"), 16), &dead),
        StoreProblem::Unreachable(_)
    ));
}

fn tesseract_peer(s3: &S3Server, args: &[&str]) -> std::process::Output {
    let python = peer_bin("tesseract").join("python");
    Command::new(python)
        .arg(repo_root().join("tests/interop/s3_peer.py"))
        .args(args)
        .envs(s3.env())
        .output()
        .expect("running s3_peer.py")
}

/// tesseract-core writes binref arrays into the bucket with its own encoder (through
/// fsspec/s3fs) and arraymodel reads them; arraymodel writes them and tesseract-core
/// reads them; both bit for bit, with and without LZ4.
#[test]
fn tesseract_core_and_arraymodel_read_each_others_objects() {
    let s3 = S3Server::start();
    let dir = scratch("interop");
    let written = dir.join("tesseract.json");
    let out = tesseract_peer(
        &s3,
        &[
            "write",
            "s3://arraymodel/from-tesseract/",
            written.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
    let cases: BTreeMap<String, &Value> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c))
        .collect();
    let base = s3.base("from-tesseract");
    let (mut read, mut refused) = (0, 0);
    for d in doc["documents"].as_array().unwrap() {
        let body = serde_json::to_vec(&d["body"]).unwrap();
        let decoded = arraymodel::from_json_slice::<Arrays>(
            &body,
            &DecodeOptions::default().binref_store(base.clone()),
        );
        if d["buffer_paths"] == "absolute" {
            // `s3://bucket/...` inside a reference names a store: refused, never followed.
            let e = decoded.unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{e}");
            refused += 1;
            continue;
        }
        let arrays = decoded.unwrap_or_else(|e| panic!("{}: {e}", d["name"]));
        for (field, a) in &arrays {
            let name = d["cases"]
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or(field);
            let case = cases[name];
            assert_eq!(a.dtype().name(), case["dtype"].as_str().unwrap(), "{name}");
            let shape: Vec<usize> = serde_json::from_value(case["shape"].clone()).unwrap();
            assert_eq!(a.shape(), shape.as_slice(), "{name}");
            let hex: String = a.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, case["raw_hex"].as_str().unwrap(), "{name}");
            read += 1;
        }
    }
    assert!(
        read >= 2 * 125 && refused >= 1,
        "read {read}, refused {refused}"
    );

    // The same cases written by arraymodel, read by tesseract-core.
    let ours = s3.base("from-arraymodel");
    let mut documents = Vec::new();
    for lz4 in [false, true] {
        let mut arrays = Arrays::new();
        for (name, c) in &cases {
            let dtype = DType::from_name(c["dtype"].as_str().unwrap()).unwrap();
            let shape: Vec<usize> = serde_json::from_value(c["shape"].clone()).unwrap();
            let hex = c["raw_hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            arrays.insert(
                name.clone(),
                Array::from_bytes(dtype, shape, &bytes, ByteOrder::Little, &Limits::default())
                    .unwrap(),
            );
        }
        let mut opts = EncodeOptions::tesseract(Encoding::Binref).binref_store(ours.clone());
        if lz4 {
            opts = opts.lz4();
        }
        let body: Value =
            serde_json::from_slice(&arraymodel::to_json_vec(&arrays, &opts).unwrap()).unwrap();
        documents.push(json!({"name": format!("arraymodel-lz4-{lz4}"), "body": body}));
    }
    let docs = dir.join("arraymodel.json");
    std::fs::write(
        &docs,
        serde_json::to_vec(&json!({"cases": doc["cases"], "documents": documents})).unwrap(),
    )
    .unwrap();
    let report = dir.join("read.json");
    let out = tesseract_peer(
        &s3,
        &[
            "read",
            docs.to_str().unwrap(),
            "s3://arraymodel/from-arraymodel/",
            report.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed: usize = stdout
        .lines()
        .find_map(|l| {
            l.split_once(" passed, ")
                .map(|(n, rest)| (n.trim().rsplit(' ').next().unwrap().parse().unwrap(), rest))
        })
        .map(|(n, rest): (usize, &str)| {
            assert!(rest.starts_with("0 failed"), "{stdout}");
            n
        })
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert_eq!(passed, 2 * cases.len(), "{stdout}");
}

/// The whole path through the store: arraymodel's client writes a binref request into
/// one prefix, the Rust vectoradd server reads it from there and answers with binref
/// objects under `run_<id>/` of another, which the client reads; the request's own
/// objects are deleted when the call ends.
#[test]
fn client_and_server_exchange_arrays_through_s3() {
    use arraymodel::NdArray;
    use arraymodel::client::blocking::TesseractClient;
    use arraymodel::client::{CallOptions, ClientConfig, WireFormat};
    use arraymodel::server::ServerConfig;
    use arraymodel_tests::served::vectoradd;
    let s3 = S3Server::start();
    let config = ServerConfig::default()
        .input_store(s3.base("in"))
        .output_store(s3.base("out"));
    // A server with stores only (RustServer gives its servers folders).
    let app = arraymodel::server::router(vectoradd::VectorAdd, config).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let l = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(l, app).await.unwrap();
            });
    });
    let client = TesseractClient::new(
        ClientConfig::new(&url)
            .binref_input_store(s3.base("in"))
            .binref_output_store(s3.base("out")),
    );
    let inputs = vectoradd::InputSchema {
        a: NdArray::new([4], vec![1.0, 2.0, 3.0, 4.0]).unwrap(),
        b: NdArray::new([4], vec![0.5, 0.25, 0.125, 1e-300]).unwrap(),
        s: NdArray::new(Vec::<usize>::new(), vec![2.0]).unwrap(),
    };
    for lz4 in [false, true] {
        let wire = WireFormat {
            encoding: arraymodel::Encoding::Binref,
            lz4,
        };
        s3.reset();
        let out: vectoradd::OutputSchema = client
            .apply(
                &inputs,
                &CallOptions::default().request(wire).response(wire),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.result.as_slice(), &[2.5, 4.25, 6.125, 8.0 + 1e-300]);
        let c = s3.counter("");
        let keys = c["keys"].as_object().unwrap();
        assert!(
            keys.keys()
                .any(|k| k.starts_with("arraymodel/in/arraymodel-request-")),
            "{c}"
        );
        assert!(
            keys.keys().any(|k| k.starts_with("arraymodel/out/run_")),
            "{c}"
        );
        // The request's objects are deleted when the call ends (S3's DeleteObjects).
        let log: Value = serde_json::from_str(
            &ureq::get(format!("{}/__counter__/log", s3.url))
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap(),
        )
        .unwrap();
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|r| r["method"] == "POST" && r["query"] == "delete" && r["status"] == 200),
            "{log}"
        );
    }
}
