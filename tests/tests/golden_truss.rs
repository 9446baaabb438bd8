//! Golden files captured from truss `NumpyArrayField` and msgpack-numpy
//! (`tests/data/peers/truss`, see `tests/data/README.md`).

mod common;

use std::path::PathBuf;

use arraymodel::{
    Array, ArrayView, ByteOrder, BytesStyle, Complex, DType, DecodeOptions, EncodeOptions,
    ErrorKind, from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec,
};
use common::{V, peers_dir, read, same_f64, unhex, values};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn golden() -> PathBuf {
    peers_dir().join("truss")
}

fn manifest() -> Vec<Value> {
    let m: Value = serde_json::from_slice(&read(golden().join("manifest.json"))).unwrap();
    m["cases"].as_array().unwrap().clone()
}

fn case_file(case: &Value, key: &str) -> Option<Vec<u8>> {
    case["files"][key].as_str().map(|p| read(golden().join(p)))
}

/// `class ArrayModel(BaseModel): array: NumpyArrayField`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ArrayModel {
    array: Array,
}

#[derive(Deserialize, Debug)]
struct ArrayModelView<'a> {
    #[serde(borrow)]
    array: ArrayView<'a>,
}

fn dec() -> DecodeOptions {
    DecodeOptions::default()
}

/// Swaps each element (each part of a complex) of big-endian bytes to host order.
fn be_to_native(dtype: DType, raw: &[u8]) -> Vec<u8> {
    let part = if dtype.is_complex() {
        dtype.itemsize() / 2
    } else {
        dtype.itemsize()
    };
    let mut out = raw.to_vec();
    if ByteOrder::NATIVE == ByteOrder::Little {
        for c in out.chunks_exact_mut(part) {
            c.reverse();
        }
    }
    out
}

/// Compares the decoded elements with the manifest's `values_flat`.
fn check_values(name: &str, a: &Array, expected: &[Value]) {
    let got = values(a);
    assert_eq!(got.len(), expected.len(), "{name}: element count");
    let float = |e: &Value| match e {
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => other.as_f64().unwrap_or_else(|| panic!("{name}: {other}")),
    };
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let ok = match *g {
            V::Bool(b) => e.as_bool() == Some(b),
            V::Int(x) => {
                e.as_i64().map(i128::from) == Some(x) || e.as_u64().map(i128::from) == Some(x)
            }
            V::Float(x) => same_f64(x, float(e)),
            V::Complex(re, im) => {
                let pair = e.as_array().unwrap();
                same_f64(re, float(&pair[0])) && same_f64(im, float(&pair[1]))
            }
        };
        assert!(ok, "{name}: element {i} is {g:?}, peer says {e}");
    }
}

fn shape_of(case: &Value) -> Vec<usize> {
    case["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn array_cases_decode_and_reencode() {
    let mut checked = 0;
    for case in manifest() {
        if case.get("kind").is_some() {
            continue; // scalars, models, negatives: separate tests
        }
        let name = case["name"].as_str().unwrap();
        let dtype_str = case["dtype_str"].as_str().unwrap();
        let (dtype, order) = match DType::parse(dtype_str) {
            Ok(parsed) => parsed,
            Err(_) => {
                check_unsupported(name, &case);
                continue;
            }
        };
        let shape = shape_of(&case);
        // raw_hex is arr.tobytes() in the array's own byte order.
        let raw = match case["raw_hex"].as_str() {
            Some(h) => unhex(h),
            None => {
                assert_eq!(name, "uint8_len65536_bin32", "only this case omits raw_hex");
                (0..65536u32).map(|i| (i % 251) as u8).collect()
            }
        };
        let big = order == ByteOrder::Big && dtype.itemsize() > 1;
        let native = if big {
            be_to_native(dtype, &raw)
        } else {
            raw.clone()
        };

        let check = |what: &str, a: &Array| {
            assert_eq!(a.dtype(), dtype, "{name} {what}: dtype");
            assert_eq!(a.shape(), shape.as_slice(), "{name} {what}: shape");
            assert_eq!(a.as_bytes(), native.as_slice(), "{name} {what}: bytes");
            if let Some(vals) = case["values_flat"].as_array() {
                check_values(&format!("{name} {what}"), a, vals);
            }
        };

        let model_json = case_file(&case, "model_json").unwrap();
        let model_msgpack = case_file(&case, "model_msgpack").unwrap();
        let bare_msgpack = case_file(&case, "bare_msgpack").unwrap();

        let from_json: ArrayModel = from_json_slice(&model_json, &dec()).unwrap();
        check("model.json", &from_json.array);
        let from_mp: ArrayModel = from_msgpack_slice(&model_msgpack, &dec()).unwrap();
        check("model.msgpack", &from_mp.array);
        let bare: Array = from_msgpack_slice(&bare_msgpack, &dec()).unwrap();
        check("bare.msgpack", &bare);

        // Borrowed views keep the wire's byte order and bytes.
        let view: ArrayModelView = from_msgpack_slice(&model_msgpack, &dec()).unwrap();
        let bare_view: ArrayView = from_msgpack_slice(&bare_msgpack, &dec()).unwrap();
        for (what, v) in [("model view", &view.array), ("bare view", &bare_view)] {
            assert_eq!(v.dtype(), dtype, "{name} {what}");
            assert_eq!(v.shape(), shape.as_slice(), "{name} {what}");
            assert_eq!(v.as_bytes(), raw.as_slice(), "{name} {what}: wire bytes");
            if big {
                assert_eq!(v.byte_order(), ByteOrder::Big, "{name} {what}");
            }
            check(what, &v.to_array().unwrap());
        }
        // A view re-encodes in its own byte order, so even big-endian is byte-identical.
        assert_eq!(to_msgpack_vec(&bare_view).unwrap(), bare_msgpack, "{name}");

        let json_out = to_json_vec(&from_json, &EncodeOptions::truss()).unwrap();
        let mp_out = to_msgpack_vec(&from_mp).unwrap();
        let bare_out = to_msgpack_vec(&bare).unwrap();
        if big {
            // We write host order: check the values survive instead of the bytes.
            let back: ArrayModel = from_json_slice(&json_out, &dec()).unwrap();
            check("re-encoded json", &back.array);
            let back: ArrayModel = from_msgpack_slice(&mp_out, &dec()).unwrap();
            check("re-encoded msgpack", &back.array);
            let back: Array = from_msgpack_slice(&bare_out, &dec()).unwrap();
            check("re-encoded bare", &back);
        } else {
            assert_eq!(
                String::from_utf8_lossy(&json_out),
                String::from_utf8_lossy(&model_json),
                "{name}: model.json"
            );
            assert_eq!(mp_out, model_msgpack, "{name}: model.msgpack");
            assert_eq!(bare_out, bare_msgpack, "{name}: bare.msgpack");
        }
        checked += 1;
    }
    // 14 dtypes x 5 shapes plus the edge cases.
    assert!(checked >= 70 + 16, "only {checked} cases checked");
}

/// U/S/datetime/structured/object cases: not among our dtypes, so every file is an error;
/// the object (pickle) ones must be refused as such.
fn check_unsupported(name: &str, case: &Value) {
    let object = case["dtype_str"] == "|O";
    for key in ["model_json", "model_msgpack", "bare_msgpack"] {
        let Some(bytes) = case_file(case, key) else {
            continue;
        };
        let err = if key == "model_json" {
            from_json_slice::<ArrayModel>(&bytes, &dec()).unwrap_err()
        } else if key == "bare_msgpack" {
            from_msgpack_slice::<Array>(&bytes, &dec()).unwrap_err()
        } else {
            from_msgpack_slice::<ArrayModel>(&bytes, &dec()).unwrap_err()
        };
        if object {
            assert!(
                matches!(err.kind(), ErrorKind::Refused(_)),
                "{name} {key}: {err}"
            );
            if key == "bare_msgpack" {
                assert!(from_msgpack_slice::<ArrayView>(&bytes, &dec()).is_err());
            } else {
                assert!(from_msgpack_slice::<ArrayModelView>(&bytes, &dec()).is_err());
            }
        }
    }
}

#[test]
fn pickled_object_payload_is_refused() {
    let bytes = read(golden().join("edge/reject_object_pickle.msgpack"));
    let err = from_msgpack_slice::<ArrayModel>(&bytes, &dec()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Refused(_)), "{err}");
    assert_eq!(err.path().to_string(), "array.kind");
    let err = from_msgpack_slice::<ArrayModelView>(&bytes, &dec()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Refused(_)), "{err}");
}

/// msgpack-numpy only recognises bin keys, so the map stays a dict and truss rejects
/// it; one of the two must-reject truss payloads. We refuse it too, naming the key.
#[test]
fn str_keys_map_is_refused_like_truss() {
    let bytes = read(golden().join("edge/str_keys_not_ndarray.msgpack"));
    let err = from_msgpack_slice::<ArrayModel>(&bytes, &dec()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Refused(_)), "{err}");
    assert_eq!(err.path().to_string(), "array.nd", "{err}");
    assert!(err.to_string().contains("bin"), "{err}");
    let err = from_msgpack_slice::<ArrayModelView>(&bytes, &dec()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Refused(_)), "{err}");
}

#[test]
fn numpy_scalars() {
    let mut n = 0;
    for case in manifest() {
        if case["kind"] != "scalar" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let bytes = case_file(&case, "bare_msgpack").unwrap();
        assert_eq!(bytes, unhex(case["hex"].as_str().unwrap()), "{name}");
        let a: Array = from_msgpack_slice(&bytes, &dec()).unwrap();
        assert_eq!(a.shape(), &[] as &[usize], "{name}");
        let expected_dtype = match case["dtype_str"].as_str() {
            Some(s) => DType::parse(s).unwrap().0,
            // Python float, int and complex.
            None => match case["python_type"].as_str().unwrap() {
                "builtins.float" => DType::Float64,
                "builtins.int" => DType::Int64,
                "builtins.complex" => DType::Complex128,
                other => panic!("{other}"),
            },
        };
        assert_eq!(a.dtype(), expected_dtype, "{name}");
        let value = &case["value"];
        let expected = if value.is_array() {
            value.clone()
        } else {
            Value::Array(vec![value.clone()])
        };
        let expected = if a.dtype().is_complex() {
            vec![expected]
        } else {
            expected.as_array().unwrap().clone()
        };
        check_values(name, &a, &expected);
        n += 1;
    }
    assert_eq!(n, 17);
}

/// truss's `Inner` model, as `#[derive(ArrayModel)]` mirrors it.
#[derive(arraymodel::ArrayModel, Debug, PartialEq)]
struct Inner {
    label: String,
    weights: Array,
}

/// truss's `Composite` model (REPORT §4), as `#[derive(ArrayModel)]` mirrors it.
#[derive(arraymodel::ArrayModel, Debug, PartialEq)]
struct Composite {
    name: String,
    #[bytes]
    blob: Vec<u8>,
    count: i64,
    ratio: f64,
    flag: bool,
    #[serde(default)]
    nothing: Option<i64>,
    #[serde(default)]
    maybe_array: Option<Array>,
    arrays: Vec<Array>,
    named: IndexMap<String, Array>,
    inner: Inner,
    inners: Vec<Inner>,
}

/// The value from the manifest's `value_repr`.
fn composite_expected() -> Composite {
    Composite {
        name: "héllo".into(),
        blob: b"raw\x00bytes".to_vec(),
        count: -7,
        ratio: 0.5,
        flag: true,
        nothing: None,
        maybe_array: None,
        arrays: vec![
            Array::from_vec(vec![1i32, 2, 3]),
            Array::new(vec![1, 2], vec![1.5f32, -2.0]).unwrap(),
            Array::from_vec(Vec::<u8>::new()),
        ],
        named: IndexMap::from([
            ("a".to_owned(), Array::from_vec(vec![true, false])),
            ("b".to_owned(), Array::scalar(3.0f64)),
        ]),
        inner: Inner {
            label: "in".into(),
            weights: Array::from_vec(vec![0.25f64, 0.5]),
        },
        inners: vec![
            Inner {
                label: "x".into(),
                weights: Array::from_vec(vec![1u16]),
            },
            Inner {
                label: "y".into(),
                weights: Array::new(vec![0, 2], Vec::<i64>::new()).unwrap(),
            },
        ],
    }
}

#[test]
fn composite_model() {
    let json = read(golden().join("models/composite.model.json"));
    let mp = read(golden().join("models/composite.model.msgpack"));
    let from_json: Composite = from_json_slice(&json, &dec()).unwrap();
    let from_mp: Composite = from_msgpack_slice(&mp, &dec()).unwrap();
    assert_eq!(from_json, composite_expected());
    assert_eq!(from_mp, composite_expected());
    let json_out = to_json_vec(&from_json, &EncodeOptions::truss()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&json_out),
        String::from_utf8_lossy(&json)
    );
    assert_eq!(to_msgpack_vec(&from_mp).unwrap(), mp);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct BytesOnly {
    #[serde(with = "arraymodel::bytes")]
    data: Vec<u8>,
    text: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct BytesData {
    #[serde(with = "arraymodel::bytes")]
    data: Vec<u8>,
}

#[test]
fn bytes_fields() {
    let expected = BytesOnly {
        data: unhex("00010268656c6c6f7f"),
        text: "ok".into(),
    };
    let json = read(golden().join("models/bytes_utf8.model.json"));
    let mp = read(golden().join("models/bytes_utf8.model.msgpack"));
    let a: BytesOnly = from_json_slice(&json, &dec()).unwrap();
    let b: BytesOnly = from_msgpack_slice(&mp, &dec()).unwrap();
    assert_eq!(a, expected);
    assert_eq!(b, expected);
    assert_eq!(to_json_vec(&a, &EncodeOptions::truss()).unwrap(), json);
    assert_eq!(to_msgpack_vec(&b).unwrap(), mp);

    // Non-UTF-8 bytes: msgpack bin works, JSON fails as pydantic's does.
    let mp = read(golden().join("models/bytes_nonutf8.model.msgpack"));
    let b: BytesOnly = from_msgpack_slice(&mp, &dec()).unwrap();
    assert_eq!(b.data, unhex("fffe00"));
    assert_eq!(b.text, "x");
    assert_eq!(to_msgpack_vec(&b).unwrap(), mp);
    let err = to_json_vec(&b, &EncodeOptions::truss()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unrepresentable(_)), "{err}");

    // ser_json_bytes="base64": URL-safe alphabet with padding.
    let json = read(golden().join("models/bytes_base64cfg.model.json"));
    let opts = DecodeOptions::default().bytes_style(BytesStyle::Base64Url);
    let c: BytesData = from_json_slice(&json, &opts).unwrap();
    assert_eq!(c.data, unhex("fffefdfbefbe00"));
    let out = to_json_vec(
        &c,
        &EncodeOptions::truss().bytes_style(BytesStyle::Base64Url),
    )
    .unwrap();
    assert_eq!(out, json);
}

/// msgpack-numpy's map for a Python `complex` (`{complex: true, data: "(1+2j)"}`).
#[test]
fn builtin_complex_value() {
    let bytes = read(golden().join("scalars/builtins_complex.msgpack"));
    let a: Array = from_msgpack_slice(&bytes, &dec()).unwrap();
    assert_eq!(
        a.as_slice::<Complex<f64>>().unwrap(),
        &[Complex::new(1.0, 2.0)]
    );
}

// ---------------------------------------------------------------------------------
// JSON Schema: `#[arraymodel(schema = "truss")]` vs the schema truss publishes
// ---------------------------------------------------------------------------------

/// `Inner` with truss-style array schemas.
#[derive(arraymodel::ArrayModel, Debug, PartialEq)]
#[arraymodel(schema = "truss")]
struct InnerSchema {
    label: String,
    weights: Array,
}

/// The composite model with truss-style array schemas.
#[derive(arraymodel::ArrayModel, Debug, PartialEq)]
#[arraymodel(schema = "truss")]
struct CompositeSchema {
    name: String,
    #[bytes]
    blob: Vec<u8>,
    count: i64,
    ratio: f64,
    flag: bool,
    #[serde(default)]
    nothing: Option<i64>,
    #[serde(default)]
    maybe_array: Option<Array>,
    arrays: Vec<Array>,
    named: std::collections::BTreeMap<String, Array>,
    inner: InnerSchema,
    inners: Vec<InnerSchema>,
}

/// Compares truss array objects in structure. The one deliberate difference: truss's
/// schema names the data key `data`, but its wire (and ours) uses `data_b64`.
fn same_truss_array(path: &str, ours: &Value, peer: &Value) {
    let rename = |k: &str| {
        if k == "data" {
            "data_b64".to_owned()
        } else {
            k.to_owned()
        }
    };
    let peer_keys: Vec<String> = peer["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| rename(k))
        .collect();
    let our_keys: Vec<String> = ours["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(our_keys, peer_keys, "{path}: keys");
    let peer_req: Vec<String> = peer["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| rename(k.as_str().unwrap()))
        .collect();
    assert_eq!(
        ours["required"],
        serde_json::json!(peer_req),
        "{path}: required"
    );
    assert_eq!(ours["type"], "object", "{path}");
    for k in ["shape", "dtype"] {
        assert_eq!(
            ours["properties"][k]["type"], peer["properties"][k]["type"],
            "{path}.{k}"
        );
    }
    assert_eq!(ours["properties"]["data_b64"]["type"], "string");
}

#[test]
fn truss_schema_style_matches_the_published_schema() {
    let published: Value = serde_json::from_slice(&read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/truss_composite.schema.json"),
    ))
    .unwrap();
    let ours = <CompositeSchema as arraymodel::ArrayModel>::json_schema_value();
    let (op, pp) = (
        ours["properties"].as_object().unwrap(),
        published["properties"].as_object().unwrap(),
    );
    assert_eq!(op.keys().collect::<Vec<_>>(), pp.keys().collect::<Vec<_>>());
    assert_eq!(ours["required"], published["required"]);
    same_truss_array(
        "maybe_array",
        &op["maybe_array"]["anyOf"][0],
        &pp["maybe_array"]["anyOf"][0],
    );
    same_truss_array("arrays", &op["arrays"]["items"], &pp["arrays"]["items"]);
    same_truss_array(
        "named",
        &op["named"]["additionalProperties"],
        &pp["named"]["additionalProperties"],
    );
    let inner = <InnerSchema as arraymodel::ArrayModel>::json_schema_value();
    same_truss_array(
        "inner.weights",
        &inner["properties"]["weights"],
        &published["$defs"]["Inner"]["properties"]["weights"],
    );
    for name in ["name", "count", "ratio", "flag"] {
        assert_eq!(op[name]["type"], pp[name]["type"], "{name}");
    }
    // The same model still decodes the truss composite capture.
    let json = read(golden().join("models/composite.model.json"));
    let m: CompositeSchema = from_json_slice(&json, &DecodeOptions::default()).unwrap();
    assert_eq!(m.arrays.len(), 3);
}
