//! binref objects in an object store (feature `binref-store`), against `object_store`'s
//! in-memory store: round trips of the 14 dtypes and edge shapes with and without LZ4,
//! documents of many arrays, multipart uploads, hostile references refused before any
//! request, typed errors. `tests/tests/binref_s3.rs` runs the same against a real S3
//! server.
#![cfg(feature = "binref-store")]

use std::sync::Arc;

use arraymodel::binref::store::{StoreBase, StoreProblem};
use arraymodel::{Array, DType, DecodeOptions, EncodeOptions, Encoding, ErrorKind};
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

fn base(store: &Arc<InMemory>, prefix: &str) -> StoreBase {
    StoreBase::new(store.clone(), &format!("memory:///{prefix}"), prefix).unwrap()
}

fn array(dtype: DType, shape: Vec<usize>, seed: u64) -> Array {
    let n: usize = shape.iter().product();
    let mut bytes = Vec::with_capacity(n * dtype.itemsize());
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for _ in 0..n * dtype.itemsize() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.push(x as u8);
    }
    if dtype == DType::Bool {
        bytes.iter_mut().for_each(|b| *b &= 1);
    }
    Array::from_bytes(
        dtype,
        shape,
        &bytes,
        arraymodel::ByteOrder::Little,
        &arraymodel::Limits::default(),
    )
    .unwrap()
}

const DTYPES: [DType; 14] = [
    DType::Bool,
    DType::Int8,
    DType::Int16,
    DType::Int32,
    DType::Int64,
    DType::UInt8,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
    DType::Float16,
    DType::Float32,
    DType::Float64,
    DType::Complex64,
    DType::Complex128,
];

#[test]
fn every_dtype_and_edge_shape_round_trips_with_and_without_lz4() {
    let store = Arc::new(InMemory::new());
    let b = base(&store, "runs/1");
    let shapes: [Vec<usize>; 5] = [vec![], vec![0], vec![2, 0, 3], vec![7], vec![3, 4]];
    let mut arrays = std::collections::BTreeMap::new();
    for (i, d) in DTYPES.iter().enumerate() {
        for (j, s) in shapes.iter().enumerate() {
            arrays.insert(
                format!("{}_{j}", d.name()),
                array(*d, s.clone(), (i * 10 + j) as u64),
            );
        }
    }
    for lz4 in [false, true] {
        let mut opts = EncodeOptions::tesseract(Encoding::Binref).binref_store(b.clone());
        if lz4 {
            opts = opts.lz4();
        }
        let json = arraymodel::to_json_vec(&arrays, &opts).unwrap();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains(r#""encoding":"binref""#));
        assert_eq!(text.contains(r#""compression":"lz4""#), lz4);
        let back: std::collections::BTreeMap<String, Array> =
            arraymodel::from_json_slice(&json, &DecodeOptions::default().binref_store(b.clone()))
                .unwrap();
        assert_eq!(back.len(), arrays.len());
        for (k, a) in &arrays {
            let got = &back[k];
            assert_eq!((got.dtype(), got.shape()), (a.dtype(), a.shape()), "{k}");
            assert_eq!(got.as_bytes(), a.as_bytes(), "{k} (lz4 {lz4})");
        }
    }
    // Everything went below the prefix.
    let keys: Vec<String> = futures::executor::block_on(async {
        use futures::TryStreamExt;
        store
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap()
    });
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.starts_with("runs/1/") && k.ends_with(".bin")),
        "{keys:?}"
    );
}

/// An array larger than a part is uploaded in parts and read in parts, concurrently.
#[test]
fn large_arrays_go_up_in_parts_and_come_back() {
    let store = Arc::new(InMemory::new());
    let b = base(&store, "big")
        .part_size(5 << 20)
        .max_concurrency(3)
        .multipart_threshold(0);
    let a = array(DType::Float64, vec![3 << 20], 7); // 24 MiB: five parts
    let json = arraymodel::to_json_vec(
        &a,
        &EncodeOptions::tesseract(Encoding::Binref).binref_store(b.clone()),
    )
    .unwrap();
    let back: Array =
        arraymodel::from_json_slice(&json, &DecodeOptions::default().binref_store(b)).unwrap();
    assert_eq!(back.as_bytes(), a.as_bytes());
}

fn tesseract(reference: &str, dtype: &str, shape: &str) -> String {
    format!(
        r#"{{"object_type":"array","shape":{shape},"dtype":"{dtype}","data":{{"buffer":"{reference}","encoding":"binref"}}}}"#
    )
}

#[test]
fn hostile_references_are_refused_before_any_request() {
    let store = Arc::new(InMemory::new());
    let b = base(&store, "p");
    for r in [
        "../secret.bin:0",
        "a/../../secret.bin:0",
        "/etc/passwd:0",
        "s3://other-bucket/x.bin:0",
        "http://169.254.169.254/latest/meta-data:0",
        "file:///etc/passwd:0",
        "x\\\\y.bin:0",
        "x.bin:99999999999999999999999",
        "",
    ] {
        let json = format!(r#"{{"a":{}}}"#, tesseract(r, "uint8", "[1]"));
        let e = arraymodel::from_json_slice::<std::collections::BTreeMap<String, Array>>(
            json.as_bytes(),
            &DecodeOptions::default().binref_store(b.clone()),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{r}: {e}");
    }
    // A size no array may have is refused from the shape, before a request.
    let json = format!(
        r#"{{"a":{}}}"#,
        tesseract("x.bin:0", "float64", "[4294967296,4294967296]")
    );
    let e = arraymodel::from_json_slice::<std::collections::BTreeMap<String, Array>>(
        json.as_bytes(),
        &DecodeOptions::default().binref_store(b),
    )
    .unwrap_err();
    assert!(!matches!(e.kind(), ErrorKind::Store { .. }), "{e}");
}

#[test]
fn missing_and_short_objects_are_typed_errors_naming_the_reference() {
    let store = Arc::new(InMemory::new());
    futures::executor::block_on(store.put(&"p/short.bin".into(), PutPayload::from(vec![0u8; 10])))
        .unwrap();
    let b = base(&store, "p");
    for (r, shape, problem) in [
        ("nope.bin:0", "[1]", StoreProblem::Missing),
        ("short.bin:0", "[2]", StoreProblem::TooShort),
        ("short.bin:8", "[1]", StoreProblem::TooShort),
    ] {
        let json = format!(r#"{{"a":{}}}"#, tesseract(r, "float64", shape));
        let e = arraymodel::from_json_slice::<std::collections::BTreeMap<String, Array>>(
            json.as_bytes(),
            &DecodeOptions::default().binref_store(b.clone()),
        )
        .unwrap_err();
        match e.kind() {
            ErrorKind::Store {
                reference,
                problem: p,
            } => {
                assert_eq!((reference.as_str(), p), (r, &problem), "{e}");
            }
            other => panic!("{r}: {other:?}"),
        }
        assert_eq!(e.path().to_string(), "a.data.buffer", "{e}");
    }
    // The bytes that are there are read exactly.
    let json = format!(r#"{{"a":{}}}"#, tesseract("short.bin:2", "uint8", "[8]"));
    let ok: std::collections::BTreeMap<String, Array> =
        arraymodel::from_json_slice(json.as_bytes(), &DecodeOptions::default().binref_store(b))
            .unwrap();
    assert_eq!(ok["a"].shape(), &[8]);
}

/// A value that fails to encode after its first file went up leaves no object behind.
#[test]
fn a_failed_encode_leaves_no_object() {
    #[derive(serde::Serialize)]
    struct Bad {
        a: Array,
        #[serde(serialize_with = "fail")]
        b: u8,
    }
    fn fail<S: serde::Serializer>(_: &u8, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("no"))
    }
    let store = Arc::new(InMemory::new());
    let b = base(&store, "p");
    let v = Bad {
        a: array(DType::Float64, vec![10], 1),
        b: 0,
    };
    assert!(
        arraymodel::to_json_vec(
            &v,
            &EncodeOptions::tesseract(Encoding::Binref).binref_store(b)
        )
        .is_err()
    );
    let n = futures::executor::block_on(async {
        use futures::StreamExt;
        store.list(None).count().await
    });
    assert_eq!(n, 0);
}

/// What the attack pass found (review of #19): claims a payload makes are checked before
/// anything is allocated or requested.
#[test]
fn hostile_claims_are_refused_before_allocating_or_requesting() {
    let store = Arc::new(InMemory::new());
    futures::executor::block_on(store.put(&"p/small.bin".into(), PutPayload::from(vec![0u8; 64])))
        .unwrap();
    let b = base(&store, "p");
    let decode = |doc: String, limits: Option<arraymodel::Limits>| {
        let mut opts = DecodeOptions::default().binref_store(b.clone());
        if let Some(l) = limits {
            opts = opts.limits(l);
        }
        arraymodel::from_json_slice::<std::collections::BTreeMap<String, Array>>(
            doc.as_bytes(),
            &opts,
        )
    };
    let lz4 = |r: &str| {
        format!(
            r#"{{"a":{{"shape":[1],"dtype":"float64","data":{{"buffer":"{r}","encoding":"binref","compression":"lz4"}}}}}}"#
        )
    };
    // A compressed size no frame of 8 bytes can have (it was allocated up front: 1 TiB).
    let e = decode(lz4("small.bin:0:1099511627776"), None).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{e}");
    let e = decode(lz4("small.bin:0:18446744073709551615"), None).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{e}");
    // An offset next to u64::MAX (its parts wrapped around and grew without bound).
    let started = std::time::Instant::now();
    let e = decode(
        format!(
            r#"{{"a":{}}}"#,
            tesseract("small.bin:18446744073709551500", "float64", "[1]")
        ),
        None,
    )
    .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{e}");
    // `.` names the prefix itself, no object below it.
    let e = decode(
        format!(r#"{{"a":{}}}"#, tesseract(".:0", "uint8", "[1]")),
        None,
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{e}");
    // References adding up past max_total_bytes are refused before any fetch (twenty
    // 1 GiB claims against a 128 MiB budget).
    let many: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#""a{i}":{}"#,
                tesseract(&format!("small.bin:{i}"), "uint8", "[1073741824]")
            )
        })
        .collect();
    let limits = arraymodel::Limits {
        max_total_bytes: 128 << 20,
        ..arraymodel::Limits::default()
    };
    let e = decode(format!("{{{}}}", many.join(",")), Some(limits)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    // One range referenced 10,000 times reads the same bytes each time.
    let refs: Vec<String> = (0..10_000)
        .map(|i| format!(r#""a{i}":{}"#, tesseract("small.bin:8", "uint8", "[8]")))
        .collect();
    let started = std::time::Instant::now();
    let got = decode(format!("{{{}}}", refs.join(",")), None).unwrap();
    assert_eq!(got.len(), 10_000);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
