//! Derived models against a real `tesseract-runtime serve` on 127.0.0.1: every request
//! encoding × every response encoding (with and without lz4) is accepted, and the
//! responses decode into the derived output models with the expected values.
//! Fails, never skips, when the peer is missing.

use std::path::PathBuf;

use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, NdArray};
use arraymodel_tests::TesseractServer;
use arraymodel_tests::models::{DTypesOut, VecAddIn, VecAddOut, dtypes_input};

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
