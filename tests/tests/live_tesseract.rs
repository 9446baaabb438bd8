//! Derived models against a real `tesseract-runtime serve` on 127.0.0.1: every request
//! encoding × every response encoding (with and without lz4) is accepted, and the
//! responses decode into the derived output models with the expected values.
//! Fails, never skips, when the peer is missing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arraymodel::{
    Array, ArrayModel, Complex, DecodeOptions, EncodeOptions, Encoding, NdArray, f16,
};
use arraymodel_tests::TesseractServer;

fn one() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's InputSchema.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct VecAddIn {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    a: Array,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    b: NdArray<f64>,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "one")]
    s: Array,
}

/// vectoradd's OutputSchema.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct VecAddOut {
    /// s*a + b
    #[array(shape = [None], dtype = "float64", differentiable)]
    result: NdArray<f64>,
    /// L2 norm of result
    #[array(shape = [], dtype = "float64")]
    norm: NdArray<f64>,
}

/// Request encodings: (name, options without the binref folder).
fn request_encodings() -> Vec<(&'static str, EncodeOptions)> {
    vec![
        ("json", EncodeOptions::tesseract(Encoding::Json)),
        ("base64", EncodeOptions::tesseract(Encoding::Base64)),
        (
            "base64+lz4",
            EncodeOptions::tesseract(Encoding::Base64).lz4(),
        ),
        ("binref", EncodeOptions::tesseract(Encoding::Binref)),
        (
            "binref+lz4",
            EncodeOptions::tesseract(Encoding::Binref).lz4(),
        ),
    ]
}

/// Response encodings: (Accept header, expected content-type, expected "encoding", lz4).
const ACCEPTS: [(&str, &str, &str, bool); 5] = [
    ("application/json", "application/json", "json", false),
    (
        "application/json+base64",
        "application/json+base64",
        "base64",
        false,
    ),
    (
        "application/json+base64; compression=lz4",
        "application/json+base64",
        "base64",
        true,
    ),
    (
        "application/json+binref",
        "application/json+binref",
        "binref",
        false,
    ),
    (
        "application/json+binref; compression=lz4",
        "application/json+binref",
        "binref",
        true,
    ),
];

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("live-tesseract")
}

fn with_binref(opts: &EncodeOptions, server: &TesseractServer) -> EncodeOptions {
    opts.clone().binref_dir(&server.input_dir)
}

#[test]
fn vectoradd_every_request_and_response_encoding() {
    let server = TesseractServer::start("vectoradd", &scratch());
    let input = VecAddIn {
        a: Array::from_vec(vec![1.0f64, -2.5, 1e-300, 3.0]),
        b: NdArray::new(vec![4], vec![0.5f64, 1.25, -7.0, 1e10]).unwrap(),
        s: Array::scalar(2.0f64),
    };
    let expected: Vec<f64> = input
        .a
        .as_slice::<f64>()
        .unwrap()
        .iter()
        .zip(input.b.as_slice())
        .map(|(a, b)| 2.0 * a + b)
        .collect();
    let decode = DecodeOptions::default().binref_dir(&server.output_dir);
    let mut calls = 0;
    for (req_name, opts) in request_encodings() {
        let body = input
            .to_tesseract_request(&with_binref(&opts, &server))
            .unwrap();
        // Our own decoder reads what we send, identically.
        let back = VecAddIn::from_tesseract_request(
            &body,
            &DecodeOptions::default().binref_dir(&server.input_dir),
        )
        .unwrap();
        assert_eq!(back, input, "{req_name}");
        for (accept, ctype, encoding, lz4) in ACCEPTS {
            let (status, got_type, resp) = server.post("/apply", accept, &body);
            assert_eq!(
                status,
                200,
                "{req_name} -> {accept}: {}\n{}",
                String::from_utf8_lossy(&resp),
                server.log_text()
            );
            assert_eq!(got_type, ctype, "{req_name} -> {accept}");
            let text = String::from_utf8_lossy(&resp);
            assert!(
                text.contains(&format!(r#""encoding":"{encoding}""#)),
                "{text}"
            );
            assert_eq!(text.contains(r#""compression":"lz4""#), lz4, "{text}");
            let out = VecAddOut::from_json(&resp, &decode)
                .unwrap_or_else(|e| panic!("{req_name} -> {accept}: {e}"));
            assert_eq!(
                out.result.as_slice(),
                expected.as_slice(),
                "{req_name} -> {accept}"
            );
            let norm = expected.iter().map(|x| x * x).sum::<f64>().sqrt();
            let got = out.norm.as_slice()[0];
            assert!((got - norm).abs() <= norm * 1e-15, "{got} vs {norm}");
            calls += 1;
        }
    }
    assert_eq!(calls, 25);
}

#[test]
fn vectoradd_rejections_are_typed_422s() {
    let server = TesseractServer::start("vectoradd", &scratch().join("reject"));
    // A shape our model would refuse is also refused by tesseract; both say where.
    let bad = br#"{"inputs":{"a":{"shape":[2,2],"dtype":"float64","data":{"buffer":[[1,2],[3,4]],"encoding":"json"}},"b":[1.0,2.0]}}"#;
    let ours = VecAddIn::from_tesseract_request(bad, &DecodeOptions::default()).unwrap_err();
    assert_eq!(ours.path().to_string(), "inputs.a");
    let (status, _, body) = server.post("/apply", "application/json", bad);
    assert_eq!(status, 422);
    let detail: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        detail["detail"][0]["loc"],
        serde_json::json!(["body", "inputs", "a"])
    );
}

/// dtypes' Nested model.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
struct Nested {
    #[array(shape = [2, 3], dtype = "float32")]
    m: Array,
    #[serde(default = "default_tag")]
    tag: String,
}

fn default_tag() -> String {
    "n".into()
}

/// The arrays and plain fields the dtypes tesseract echoes back.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
struct DTypes {
    #[array(shape = [None], dtype = "int8")]
    i8: Array,
    #[array(shape = [None], dtype = "int16")]
    i16: Array,
    #[array(shape = [None], dtype = "int32")]
    i32: Array,
    #[array(shape = [None], dtype = "int64")]
    i64: Array,
    #[array(shape = [None], dtype = "uint8")]
    u8: Array,
    #[array(shape = [None], dtype = "uint16")]
    u16: Array,
    #[array(shape = [None], dtype = "uint32")]
    u32: Array,
    #[array(shape = [None], dtype = "uint64")]
    u64: Array,
    #[array(shape = [None], dtype = "float16")]
    f16: Array,
    #[array(shape = [None], dtype = "float32")]
    f32: Array,
    #[array(shape = [None], dtype = "float64")]
    f64: Array,
    #[array(shape = [None], dtype = "bool")]
    b: Array,
    #[array(shape = [None], dtype = "complex64")]
    c64: Array,
    #[array(shape = [None], dtype = "complex128")]
    c128: Array,
    #[array(shape = [2, None], dtype = "float64")]
    mat: Array,
    #[array(shape = [None, None, 2], dtype = "int32")]
    cube: Array,
    #[array(shape = .., dtype = "float64")]
    anyrank: Array,
    #[array(shape = [None])]
    anydtype: Array,
    #[array(shape = [3], dtype = "float64")]
    fixed3: Array,
    #[array(shape = [], dtype = "int32")]
    scalar_i32: Array,
    #[array(shape = [], dtype = "bool")]
    scalar_bool: Array,
    #[array(shape = [None], dtype = "float32", differentiable)]
    diff: Array,
    label: String,
    count: i64,
    ratio: f64,
    flag: bool,
    #[bytes]
    raw: Vec<u8>,
    #[array(shape = [None], dtype = "float64")]
    items: Vec<Array>,
    #[array(shape = [None], dtype = "float64")]
    named: BTreeMap<String, Array>,
    nested: Option<Nested>,
    #[array(shape = [None], dtype = "float64")]
    maybe: Option<Array>,
}

/// The dtypes tesseract's output: the inputs echoed plus `empty` and `dtypes_seen`.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
struct DTypesOut {
    #[serde(flatten)]
    echo: DTypes,
    #[array(shape = [None], dtype = "float64")]
    empty: Array,
    dtypes_seen: BTreeMap<String, String>,
}

fn dtypes_input() -> DTypes {
    let v = |a: Array| a;
    DTypes {
        i8: v(Array::from_vec(vec![-128i8, 0, 127])),
        i16: v(Array::from_vec(vec![-32768i16, 1, 32767])),
        i32: v(Array::from_vec(vec![i32::MIN, 2, i32::MAX])),
        i64: v(Array::from_vec(vec![i64::MIN, 3, i64::MAX])),
        u8: v(Array::from_vec(vec![0u8, 1, 255])),
        u16: v(Array::from_vec(vec![0u16, 1, 65535])),
        u32: v(Array::from_vec(vec![0u32, 1, u32::MAX])),
        // Below 2^53: tesseract's own json decoder corrupts larger uint64 values.
        u64: v(Array::from_vec(vec![0u64, 1, 1 << 52])),
        f16: v(Array::from_vec(vec![
            f16::from_f64(0.1),
            f16::from_f64(-2.5),
            f16::MAX,
        ])),
        f32: v(Array::from_vec(vec![0.1f32, -2.5, 3.4e38])),
        f64: v(Array::from_vec(vec![0.1f64, -2.5, f64::MAX])),
        b: v(Array::from_vec(vec![true, false, true])),
        c64: v(Array::from_vec(vec![
            Complex::new(1.0f32, 2.0),
            Complex::new(0.5, -0.5),
        ])),
        c128: v(Array::from_vec(vec![
            Complex::new(1.0f64, 2.0),
            Complex::new(0.25, -0.5),
        ])),
        mat: Array::new(vec![2, 3], vec![0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap(),
        cube: Array::new(vec![2, 2, 2], (0..8).collect::<Vec<i32>>()).unwrap(),
        anyrank: Array::new(vec![2, 3, 4], (0..24).map(f64::from).collect::<Vec<_>>()).unwrap(),
        anydtype: v(Array::from_vec(vec![7u16, 8])),
        fixed3: v(Array::from_vec(vec![1.0f64, 2.0, 3.0])),
        scalar_i32: Array::scalar(-7i32),
        scalar_bool: Array::scalar(true),
        diff: v(Array::from_vec(vec![1.5f32, 2.5])),
        label: "h\u{e9}llo \"quoted\" \u{2603}".into(),
        count: 42,
        ratio: 0.25,
        flag: false,
        raw: b"bytes-as-text".to_vec(),
        items: vec![
            Array::from_vec(vec![1.0f64, 2.0]),
            Array::from_vec(vec![3.0f64]),
        ],
        named: BTreeMap::from([("x".to_owned(), Array::from_vec(vec![9.0f64]))]),
        nested: Some(Nested {
            m: Array::new(vec![2, 3], vec![0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap(),
            tag: "t".into(),
        }),
        maybe: None,
    }
}

#[test]
fn dtypes_echo_every_request_and_response_encoding() {
    let server = TesseractServer::start("dtypes", &scratch());
    let input = dtypes_input();
    let decode = DecodeOptions::default().binref_dir(&server.output_dir);
    for (req_name, opts) in request_encodings() {
        let body = input
            .to_tesseract_request(&with_binref(&opts, &server))
            .unwrap();
        for (accept, ctype, _, _) in ACCEPTS {
            let (status, got_type, resp) = server.post("/apply", accept, &body);
            assert_eq!(
                status,
                200,
                "{req_name} -> {accept}: {}\n{}",
                String::from_utf8_lossy(&resp),
                server.log_text()
            );
            assert_eq!(got_type, ctype);
            let out = DTypesOut::from_json(&resp, &decode)
                .unwrap_or_else(|e| panic!("{req_name} -> {accept}: {e}"));
            assert_eq!(out.echo, input, "{req_name} -> {accept}");
            assert_eq!(out.empty.shape(), &[0]);
            assert_eq!(out.dtypes_seen["scalar_i32"], "int32:int32:[]");
            assert_eq!(out.dtypes_seen["c64"], "ndarray:complex64:[2]");
        }
    }
}
