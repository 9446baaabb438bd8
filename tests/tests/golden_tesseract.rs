//! Golden captures from a running tesseract-core 1.15 server
//! (`tests/data/peers/tesseract`, see `tests/data/README.md`).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arraymodel::{
    Array, ArrayModel, Complex, DType, DecodeOptions, EncodeOptions, Encoding, ErrorKind, f16,
    from_json_slice, to_json_vec,
};
use common::{f64s, peers_dir, read, same_f64};
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

fn golden(sub: &str) -> PathBuf {
    peers_dir().join("tesseract").join(sub)
}

#[derive(Deserialize, Debug)]
struct Request<T> {
    inputs: T,
}

fn status(meta: &Path) -> u16 {
    let text = String::from_utf8(read(meta)).unwrap();
    let line = text.lines().find(|l| l.starts_with("STATUS ")).unwrap();
    line[7..].trim().parse().unwrap()
}

/// Decodes `<name>.request.json`'s inputs and `<name>.response.body`.
fn capture<I: DeserializeOwned, O: DeserializeOwned>(dir: &Path, name: &str) -> (I, O, Vec<u8>) {
    assert_eq!(status(&dir.join(format!("{name}.meta"))), 200, "{name}");
    let req = read(dir.join(format!("{name}.request.json")));
    let body = read(dir.join(format!("{name}.response.body")));
    let in_opts = DecodeOptions::default().binref_dir(dir.join("binref_input_dir"));
    let out_opts = DecodeOptions::default().binref_dir(dir.join("binref_output_dir"));
    let inputs = from_json_slice::<Request<I>>(&req, &in_opts)
        .unwrap_or_else(|e| panic!("{name} request: {e}"))
        .inputs;
    let outputs =
        from_json_slice::<O>(&body, &out_opts).unwrap_or_else(|e| panic!("{name} response: {e}"));
    (inputs, outputs, body)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `.bin` references in a binref response: `(run prefix, uuid file name)`.
fn binref_file(body: &str) -> (String, String) {
    let start = body.find(r#""buffer":""#).unwrap() + 10;
    let reference = &body[start..start + body[start..].find('"').unwrap()];
    let path = reference.split(':').next().unwrap();
    let (run, file) = path.rsplit_once('/').unwrap();
    (format!("{run}/"), file.to_owned())
}

/// Re-encodes `value` as binref like the peer's HTTP server (prefix `run_<id>/`) into a
/// temp dir; returns the body with the uuid replaced by the captured one, and the file.
fn reencode_binref<T: Serialize>(value: &T, captured: &str, lz4: bool) -> (String, Vec<u8>) {
    let (run, uuid_file) = binref_file(captured);
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = EncodeOptions::tesseract(Encoding::Binref)
        .binref_dir(tmp.path())
        .binref_prefix(run.as_str());
    if lz4 {
        opts = opts.lz4();
    }
    let out = text(&to_json_vec(value, &opts).unwrap());
    let (our_run, our_file) = binref_file(&out);
    assert_eq!(our_run, run);
    let files: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec![our_file.clone()], "one .bin file, no leftovers");
    let bin = read(tmp.path().join(&our_file));
    (out.replace(&our_file, &uuid_file), bin)
}

// ---------------------------------------------------------------------------------
// vectoradd
// ---------------------------------------------------------------------------------

fn default_s() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's InputSchema, as `#[derive(ArrayModel)]` mirrors it.
#[derive(ArrayModel, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct VaInputs {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    a: Array,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    b: Array,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "default_s")]
    s: Array,
}

/// vectoradd's OutputSchema.
#[derive(ArrayModel, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct VaOutputs {
    /// s*a + b
    #[array(shape = [None], dtype = "float64", differentiable)]
    result: Array,
    /// L2 norm of result
    #[array(shape = [], dtype = "float64")]
    norm: Array,
}

/// The tesseract's own computation, `result = s*a + b`, `norm = |result|`, in float64.
fn check_vectoradd(name: &str, i: &VaInputs, o: &VaOutputs) {
    let (a, b, s) = (f64s(&i.a), f64s(&i.b), f64s(&i.s)[0]);
    let expected: Vec<f64> = a.iter().zip(&b).map(|(a, b)| s * a + b).collect();
    assert_eq!(o.result.dtype(), DType::Float64, "{name}");
    assert_eq!(o.result.shape(), &[expected.len()], "{name}");
    let got = o.result.as_slice::<f64>().unwrap();
    for (g, e) in got.iter().zip(&expected) {
        assert!(same_f64(*g, *e), "{name}: result {got:?} != {expected:?}");
    }
    assert_eq!(o.norm.shape(), &[] as &[usize], "{name}");
    let norm = o.norm.as_slice::<f64>().unwrap()[0];
    let e = expected.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(
        (norm.is_nan() && e.is_nan()) || (norm - e).abs() <= 1e-12 * e.abs(),
        "{name}: norm {norm} != {e}"
    );
}

const VA_MATRIX: [&str; 9] = [
    "apply_in-json_out-json",
    "apply_in-json_out-base64",
    "apply_in-json_out-binref",
    "apply_in-b64_out-json",
    "apply_in-b64_out-base64",
    "apply_in-b64_out-binref",
    "apply_in-binref_out-json",
    "apply_in-binref_out-base64",
    "apply_in-binref_out-binref",
];

/// The peer saved the binref output folder of only some runs.
fn bin_saved(dir: &Path, body: &[u8]) -> bool {
    let (run, file) = binref_file(&text(body));
    dir.join("binref_output_dir").join(run).join(file).exists()
}

#[test]
fn vectoradd_encoding_matrix() {
    let dir = golden("vectoradd");
    let mut inputs_seen: Vec<VaInputs> = Vec::new();
    let mut outputs_seen: Vec<VaOutputs> = Vec::new();
    let mut binref_bodies = Vec::new();
    for name in VA_MATRIX {
        let out_enc = name.rsplit_once("out-").unwrap().1;
        let body = read(dir.join(format!("{name}.response.body")));
        if out_enc == "binref" && !bin_saved(&dir, &body) {
            // Only the request can be decoded; the body must match the saved run's
            // apart from its run and uuid names.
            let req = read(dir.join(format!("{name}.request.json")));
            let opts = DecodeOptions::default().binref_dir(dir.join("binref_input_dir"));
            let i = from_json_slice::<Request<VaInputs>>(&req, &opts).unwrap();
            inputs_seen.push(i.inputs);
            binref_bodies.push(text(&body));
            continue;
        }
        let (i, o, body) = capture::<VaInputs, VaOutputs>(&dir, name);
        check_vectoradd(name, &i, &o);
        match out_enc {
            "json" | "base64" => {
                let enc = if out_enc == "json" {
                    Encoding::Json
                } else {
                    Encoding::Base64
                };
                let out = to_json_vec(&o, &EncodeOptions::tesseract(enc)).unwrap();
                assert_eq!(text(&out), text(&body), "{name}: re-encoded");
            }
            _ => {
                let (run, file) = binref_file(&text(&body));
                let (out, bin) = reencode_binref(&o, &text(&body), false);
                assert_eq!(out, text(&body), "{name}: re-encoded binref");
                let captured = read(dir.join("binref_output_dir").join(run).join(file));
                assert_eq!(bin, captured, "{name}: .bin bytes");
                binref_bodies.push(text(&body));
            }
        }
        inputs_seen.push(i);
        outputs_seen.push(o);
    }
    // Every encoding carries the same values.
    assert_eq!(inputs_seen.len(), 9);
    for i in &inputs_seen[1..] {
        assert_eq!(i, &inputs_seen[0]);
    }
    assert!(outputs_seen.len() >= 7);
    for o in &outputs_seen[1..] {
        assert_eq!(o, &outputs_seen[0]);
    }
    // Binref bodies differ only in run and uuid names.
    let normal = |b: &str| {
        let (run, file) = binref_file(b);
        b.replace(&run, "RUN/").replace(&file, "UUID.bin")
    };
    assert_eq!(binref_bodies.len(), 3);
    for b in &binref_bodies[1..] {
        assert_eq!(normal(b), normal(&binref_bodies[0]));
    }
}

#[test]
fn vectoradd_input_forms() {
    let dir = golden("vectoradd");
    let (reference, ref_out, _) = capture::<VaInputs, VaOutputs>(&dir, "apply_in-json_out-json");
    // Plain lists and a bare number decode to the same arrays as the array objects.
    let (i, o, body) = capture::<VaInputs, VaOutputs>(&dir, "apply_plainlists_out-json");
    assert_eq!(i, reference);
    assert_eq!(o, ref_out);
    let out = to_json_vec(&o, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
    assert_eq!(text(&out), text(&body));

    for name in ["apply_no_object_type", "apply_cast_int", "apply_default_s"] {
        let (i, o, body) = capture::<VaInputs, VaOutputs>(&dir, name);
        check_vectoradd(name, &i, &o);
        let out = to_json_vec(&o, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
        assert_eq!(text(&out), text(&body), "{name}");
    }
    // No object_type, and int payloads: the derived model casts them to the declared
    // float64 exactly as tesseract does.
    let (i, _, _) = capture::<VaInputs, VaOutputs>(&dir, "apply_no_object_type");
    assert_eq!(i.a, Array::from_vec(vec![1.0f64, 2.0, 3.0]));
    assert_eq!(i.b, Array::from_vec(vec![0.0f64, -1.0, 1.0]));
    assert_eq!(i.s, default_s());
    let (i, _, _) = capture::<VaInputs, VaOutputs>(&dir, "apply_cast_int");
    assert_eq!(i.a, Array::from_vec(vec![1.0f64, 2.0, 3.0]));
    assert_eq!(i.b, Array::from_vec(vec![1.0f64, 2.0, 3.0]));
    assert_eq!(i.s, Array::scalar(3.0f64));
}

#[test]
fn vectoradd_non_finite() {
    let dir = golden("vectoradd");
    let (i, o64, body64) = capture::<VaInputs, VaOutputs>(&dir, "apply_nan_out-base64");
    assert_eq!(f64s(&i.a)[1..], [f64::INFINITY, f64::NEG_INFINITY]);
    assert!(f64s(&i.a)[0].is_nan());
    check_vectoradd("apply_nan_out-base64", &i, &o64);
    let out = to_json_vec(&o64, &EncodeOptions::tesseract(Encoding::Base64)).unwrap();
    assert_eq!(text(&out), text(&body64));

    // The json encoding writes NaN and ±Inf as null, which read back as NaN.
    let (i2, oj, bodyj) = capture::<VaInputs, VaOutputs>(&dir, "apply_nan_out-json");
    assert_eq!(f64s(&i2.a).len(), 3);
    assert!(f64s(&oj.result).iter().all(|x| x.is_nan()));
    assert!(f64s(&oj.norm)[0].is_nan());
    let out = to_json_vec(&o64, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
    assert_eq!(text(&out), text(&bodyj), "json of NaN/±Inf");
    let out = to_json_vec(&oj, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
    assert_eq!(text(&out), text(&bodyj));
}

#[test]
fn vectoradd_lz4() {
    let dir = golden("vectoradd");
    let (i, o, body) = capture::<VaInputs, VaOutputs>(&dir, "accept_base64_lz4");
    check_vectoradd("accept_base64_lz4", &i, &o);
    let (_, plain, _) = capture::<VaInputs, VaOutputs>(&dir, "apply_in-json_out-json");
    assert_eq!(o, plain);
    let ours = to_json_vec(&o, &EncodeOptions::tesseract(Encoding::Base64).lz4()).unwrap();
    let back: VaOutputs = from_json_slice(&ours, &DecodeOptions::default()).unwrap();
    assert_eq!(back, o);
    eprintln!(
        "lz4 base64 body byte-identical to tesseract's: {}",
        ours == body
    );

    let (i, o, body) = capture::<VaInputs, VaOutputs>(&dir, "accept_binref_lz4");
    check_vectoradd("accept_binref_lz4", &i, &o);
    assert_eq!(o, plain);
    let body = text(&body);
    let (run, file) = binref_file(&body);
    let captured_bin = read(dir.join("binref_output_dir").join(&run).join(&file));
    let tmp = tempfile::tempdir().unwrap();
    let opts = EncodeOptions::tesseract(Encoding::Binref)
        .lz4()
        .binref_dir(tmp.path());
    let ours = to_json_vec(&o, &opts).unwrap();
    let back: VaOutputs =
        from_json_slice(&ours, &DecodeOptions::default().binref_dir(tmp.path())).unwrap();
    assert_eq!(back, o);
    let (out, bin) = reencode_binref(&o, &body, true);
    eprintln!(
        "lz4 binref body byte-identical: {}, .bin byte-identical: {}",
        out == body,
        bin == captured_bin
    );
}

// ---------------------------------------------------------------------------------
// dtypes
// ---------------------------------------------------------------------------------

fn default_tag() -> String {
    "n".into()
}

#[derive(ArrayModel, Debug, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
struct Nested {
    #[array(shape = [2, 3], dtype = "float32")]
    m: Array,
    #[serde(default = "default_tag")]
    tag: String,
}

fn default_label() -> String {
    "hello".into()
}
fn default_count() -> i64 {
    3
}
fn default_ratio() -> f64 {
    0.5
}
fn default_flag() -> bool {
    true
}
fn default_raw() -> Vec<u8> {
    b"\x00\x01".to_vec()
}

#[derive(ArrayModel, Debug, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
struct DtInputs {
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
    #[serde(default = "default_label")]
    label: String,
    #[serde(default = "default_count")]
    count: i64,
    #[serde(default = "default_ratio")]
    ratio: f64,
    #[serde(default = "default_flag")]
    flag: bool,
    #[serde(default = "default_raw")]
    #[bytes]
    raw: Vec<u8>,
    #[serde(default)]
    #[array(shape = [None], dtype = "float64")]
    items: Vec<Array>,
    #[serde(default)]
    #[array(shape = [None], dtype = "float64")]
    named: BTreeMap<String, Array>,
    #[serde(default)]
    nested: Option<Nested>,
    #[serde(default)]
    #[array(shape = [None], dtype = "float64")]
    maybe: Option<Array>,
}

#[derive(ArrayModel, Debug, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
struct DtOutputs {
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
    #[array(shape = [None], dtype = "float64")]
    empty: Array,
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
    #[serde(default)]
    nested: Option<Nested>,
    #[serde(default)]
    #[array(shape = [None], dtype = "float64")]
    maybe: Option<Array>,
    dtypes_seen: IndexMap<String, String>,
}

impl DtOutputs {
    /// The echoed inputs (the tesseract returns its inputs plus `empty` and `dtypes_seen`).
    fn echoed(&self) -> DtInputs {
        DtInputs {
            i8: self.i8.clone(),
            i16: self.i16.clone(),
            i32: self.i32.clone(),
            i64: self.i64.clone(),
            u8: self.u8.clone(),
            u16: self.u16.clone(),
            u32: self.u32.clone(),
            u64: self.u64.clone(),
            f16: self.f16.clone(),
            f32: self.f32.clone(),
            f64: self.f64.clone(),
            b: self.b.clone(),
            c64: self.c64.clone(),
            c128: self.c128.clone(),
            mat: self.mat.clone(),
            cube: self.cube.clone(),
            anyrank: self.anyrank.clone(),
            anydtype: self.anydtype.clone(),
            fixed3: self.fixed3.clone(),
            scalar_i32: self.scalar_i32.clone(),
            scalar_bool: self.scalar_bool.clone(),
            diff: self.diff.clone(),
            label: self.label.clone(),
            count: self.count,
            ratio: self.ratio,
            flag: self.flag,
            raw: self.raw.clone(),
            items: self.items.clone(),
            named: self.named.clone(),
            nested: self.nested.clone(),
            maybe: self.maybe.clone(),
        }
    }
}

/// The values the request generator sent (`scripts/mkreq_dt.py`), checked on the
/// base64 request against the peer's own json response.
fn check_dtype_values(i: &DtInputs) {
    assert_eq!(i.i8, Array::from_vec(vec![-128i8, 0, 127]));
    assert_eq!(i.i64, Array::from_vec(vec![i64::MIN, 3, i64::MAX]));
    assert_eq!(i.u64, Array::from_vec(vec![0u64, 1, u64::MAX]));
    assert_eq!(
        i.f16,
        Array::from_vec(vec![
            f16::from_f64(0.1),
            f16::from_f64(-2.5),
            f16::from_f64(65504.0)
        ])
    );
    assert_eq!(i.f32, Array::from_vec(vec![0.1f32, -2.5, 3.4e38]));
    assert_eq!(i.f64, Array::from_vec(vec![0.1f64, -2.5, f64::MAX]));
    assert_eq!(i.b, Array::from_vec(vec![true, false, true]));
    assert_eq!(
        i.c64,
        Array::from_vec(vec![Complex::new(1.0f32, 2.0), Complex::new(-0.0, -0.5)])
    );
    assert_eq!(i.scalar_i32, Array::scalar(-7i32));
    assert_eq!(i.scalar_bool, Array::scalar(true));
    assert_eq!(i.anyrank.shape(), &[2, 3, 4]);
    assert_eq!(i.label, "héllo \"quoted\" ☃");
    assert_eq!(i.raw, b"bytes-as-text");
    assert_eq!(i.nested.as_ref().unwrap().tag, "t");
    assert_eq!(i.maybe, None);
}

#[test]
fn dtypes_encoding_matrix() {
    let dir = golden("dtypes");
    let mut base64_in: Option<DtInputs> = None;
    let mut exact_out: Option<DtOutputs> = None;
    let mut binref_bodies = Vec::new();
    for input in ["base64", "binref", "json"] {
        for output in ["base64", "json", "binref"] {
            let name = format!("apply_in-{input}_out-{output}");
            let body = read(dir.join(format!("{name}.response.body")));
            if output == "binref" && !bin_saved(&dir, &body) {
                binref_bodies.push(text(&body));
                continue;
            }
            let (i, o, body) = capture::<DtInputs, DtOutputs>(&dir, &name);
            check_dtype_values(&i);
            match &base64_in {
                None => base64_in = Some(i.clone()),
                Some(b) => assert_eq!(&i, b, "{name}: inputs differ across encodings"),
            }
            let mut echoed = o.echoed();
            if input == "json" {
                // The peer's bug: uint64 above 2^53 sent as JSON is corrupted
                // (np.asarray of Python ints makes float64), here u64::MAX -> 0.
                assert_eq!(o.u64, Array::from_vec(vec![0u64, 1, 0]), "{name}");
                echoed.u64 = i.u64.clone();
            }
            assert_eq!(echoed, i, "{name}: the response echoes the inputs");
            assert_eq!(o.empty, Array::from_vec(Vec::<f64>::new()));
            assert_eq!(o.dtypes_seen["u64"], "ndarray:uint64:[3]");
            assert_eq!(o.dtypes_seen["scalar_i32"], "int32:int32:[]");
            if input != "json" {
                match &exact_out {
                    None => exact_out = Some(o.clone()),
                    Some(e) => assert_eq!(&o, e, "{name}: outputs differ across encodings"),
                }
            }
            match output {
                "json" | "base64" => {
                    let enc = if output == "json" {
                        Encoding::Json
                    } else {
                        Encoding::Base64
                    };
                    let out = to_json_vec(&o, &EncodeOptions::tesseract(enc)).unwrap();
                    assert_eq!(text(&out), text(&body), "{name}: re-encoded");
                }
                _ => {
                    let (run, file) = binref_file(&text(&body));
                    let (out, bin) = reencode_binref(&o, &text(&body), false);
                    assert_eq!(out, text(&body), "{name}: re-encoded binref");
                    let captured = read(dir.join("binref_output_dir").join(run).join(file));
                    assert_eq!(bin, captured, "{name}: .bin bytes");
                    // The peer wrote the same bytes as the input file it was given.
                    assert_eq!(captured, read(dir.join("binref_input_dir/all.bin")));
                    binref_bodies.push(text(&body));
                }
            }
        }
    }
    let normal = |b: &str| {
        let (run, file) = binref_file(b);
        b.replace(&run, "RUN/").replace(&file, "UUID.bin")
    };
    assert_eq!(binref_bodies.len(), 3);
    for b in &binref_bodies[1..] {
        assert_eq!(normal(b), normal(&binref_bodies[0]));
    }
}

/// The edge cases the peer accepted (status 200): each changes one field of the
/// base64 request; every other field must come back unchanged.
#[test]
fn dtypes_edge_cases() {
    let dir = golden("dtypes/edge");
    let mut accepted = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".meta")
            .map(str::to_owned)
        else {
            continue;
        };
        if status(&path) != 200 {
            continue;
        }
        accepted += 1;
        let req = read(dir.join(format!("{name}.request.json")));
        let body = read(dir.join(format!("{name}.response.body")));
        let opts = DecodeOptions::default();
        let parsed = from_json_slice::<Request<DtInputs>>(&req, &opts);
        if name == "int_to_bool_field" {
            // `"buffer":1` for a bool array: numpy (and so tesseract) casts it to true;
            // our json decoder deliberately takes only true/false for bool.
            let err = parsed.unwrap_err();
            assert_eq!(err.path().to_string(), "inputs.scalar_bool.data.buffer[0]");
            assert!(matches!(err.kind(), ErrorKind::Value(_)), "{err}");
            let o: DtOutputs = from_json_slice(&body, &opts).unwrap();
            assert_eq!(o.scalar_bool, Array::scalar(true));
            let out = to_json_vec(&o, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
            assert_eq!(text(&out), text(&body), "{name}: re-encoded");
            continue;
        }
        let mut i = parsed
            .unwrap_or_else(|e| panic!("{name} request: {e}"))
            .inputs;
        let o: DtOutputs =
            from_json_slice(&body, &opts).unwrap_or_else(|e| panic!("{name} response: {e}"));
        // Byte-identical re-encoding of the peer's json response.
        let out = to_json_vec(&o, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
        assert_eq!(text(&out), text(&body), "{name}: re-encoded");

        let echoed = o.echoed();
        // The changed field, as the peer cast or broadcast it.
        match name.as_str() {
            "anydtype_complex" => {
                let v = Array::from_vec(vec![Complex::new(1.0f32, 1.0)]);
                assert_eq!(i.anydtype, v);
                assert_eq!(echoed.anydtype, v);
            }
            "anyrank_scalar" => {
                assert_eq!(i.anyrank, Array::scalar(1.5f64));
                assert_eq!(echoed.anyrank, i.anyrank);
            }
            "broadcast_fixed3_from_1" => {
                // [1] for the fixed [3]: broadcast, by the derived model as by tesseract.
                assert_eq!(i.fixed3, Array::from_vec(vec![7.0f64; 3]));
                assert_eq!(echoed.fixed3, i.fixed3);
            }
            "bytes_field_nonascii" => {
                assert_eq!(i.raw, "ÿ☃".as_bytes());
                assert_eq!(echoed.raw, i.raw);
            }
            "complex_json_strings_only" => {
                let v = Array::from_vec(vec![Complex::new(1.0f64, 2.0), Complex::new(0.0, -0.5)]);
                assert_eq!(i.c128, v);
                assert_eq!(echoed.c128, v);
            }
            "f64_to_f32_ok" => {
                // float64 0.1 sent for a float32 field: cast, as tesseract casts it.
                assert_eq!(i.f32, Array::from_vec(vec![0.1f64 as f32]));
                assert_eq!(echoed.f32, i.f32);
            }
            "i64_big_json" => {
                let v = Array::from_vec(vec![i64::MAX, (1 << 53) + 1]);
                assert_eq!(i.i64, v);
                assert_eq!(echoed.i64, v);
            }
            "scalar_plain_number" => {
                // A bare number for an int32 scalar field: cast, as tesseract does.
                assert_eq!(i.scalar_i32, Array::scalar(5i32));
                assert_eq!(echoed.scalar_i32, i.scalar_i32);
            }
            "u64_big_json" => {
                // We decode exactly; the peer corrupts it (its known bug).
                assert_eq!(i.u64, Array::from_vec(vec![u64::MAX, (1 << 53) + 1]));
                assert_eq!(echoed.u64, Array::from_vec(vec![0u64, 1 << 53]));
                i.u64 = echoed.u64.clone();
            }
            other => panic!("unexpected accepted edge case {other}"),
        }
        assert_eq!(echoed, i, "{name}: other fields echoed unchanged");
    }
    assert_eq!(accepted, 10);
}

// ---------------------------------------------------------------------------------
// JSON Schema of the derived models vs the schema tesseract publishes
// ---------------------------------------------------------------------------------

/// Compares an array-model schema of ours with tesseract's, in structure: title (which
/// encodes shape, dtype and flags), `array_flags`, the accepted dtypes, the shape
/// constraint item by item, and the required keys.
fn same_array_schema(path: &str, ours: &serde_json::Value, peer: &serde_json::Value) {
    assert_eq!(ours["title"], peer["title"], "{path}: title");
    assert_eq!(
        ours["array_flags"], peer["array_flags"],
        "{path}: array_flags"
    );
    assert_eq!(ours["required"], peer["required"], "{path}: required");
    assert_eq!(
        ours["additionalProperties"], peer["additionalProperties"],
        "{path}"
    );
    let (od, pd) = (&ours["properties"]["dtype"], &peer["properties"]["dtype"]);
    assert_eq!(
        od.get("enum").or(od.get("const")),
        pd.get("enum").or(pd.get("const")),
        "{path}: dtype"
    );
    let (os, ps) = (&ours["properties"]["shape"], &peer["properties"]["shape"]);
    for key in ["type", "maxItems", "minItems"] {
        assert_eq!(os[key], ps[key], "{path}: shape.{key}");
    }
    let items = |s: &serde_json::Value| s["prefixItems"].as_array().cloned().unwrap_or_default();
    let (oi, pi) = (items(os), items(ps));
    assert_eq!(oi.len(), pi.len(), "{path}: shape rank");
    for (o, p) in oi.iter().zip(&pi) {
        assert_eq!(o.get("enum"), p.get("enum"), "{path}: fixed dim");
        assert_eq!(o.get("const"), p.get("const"), "{path}: dim 1");
        assert_eq!(
            o.get("minimum").is_some(),
            p.get("minimum").is_some(),
            "{path}: any dim"
        );
    }
    assert_eq!(
        os.get("items").is_some(),
        ps.get("items").is_some(),
        "{path}: any rank"
    );
    let data =
        |s: &serde_json::Value| s["properties"]["data"]["discriminator"]["propertyName"].clone();
    assert_eq!(data(ours), data(peer), "{path}: data discriminator");
}

fn same_model_schema(ours: &serde_json::Value, peer: &serde_json::Value) {
    let (op, pp) = (
        ours["properties"].as_object().unwrap(),
        peer["properties"].as_object().unwrap(),
    );
    assert_eq!(
        op.keys().collect::<Vec<_>>(),
        pp.keys().collect::<Vec<_>>(),
        "property names and order"
    );
    let mut ours_required: Vec<_> = ours["required"].as_array().unwrap().iter().collect();
    let mut peer_required: Vec<_> = peer["required"].as_array().unwrap().iter().collect();
    ours_required.sort_by_key(|v| v.to_string());
    peer_required.sort_by_key(|v| v.to_string());
    assert_eq!(ours_required, peer_required, "required");
    for (name, p) in pp {
        let o = &op[name];
        let pick = |s: &serde_json::Value| -> serde_json::Value {
            // Look through lists, dicts and Optional to the array model.
            if let Some(v) = s.get("items").filter(|_| s["type"] == "array") {
                return v.clone();
            }
            if let Some(v) = s.get("additionalProperties").filter(|v| v.is_object()) {
                return v.clone();
            }
            if let Some(any) = s.get("anyOf").and_then(|a| a.as_array()) {
                return any[0].clone();
            }
            s.clone()
        };
        let (o, p) = (pick(o), pick(p));
        let is_array = p["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("EncodedArrayModel"));
        if is_array {
            same_array_schema(name, &o, &p);
        } else if let Some(t) = p.get("type") {
            assert_eq!(o.get("type"), Some(t), "{name}: type");
        }
        if let Some(d) = pp[name].get("description") {
            assert_eq!(op[name].get("description"), Some(d), "{name}: description");
        }
    }
}

#[test]
fn derived_schemas_match_the_published_ones() {
    for (api, model, ours) in [
        (
            "vectoradd",
            "Apply_InputSchema",
            VaInputs::json_schema_value(),
        ),
        (
            "vectoradd",
            "Apply_OutputSchema",
            VaOutputs::json_schema_value(),
        ),
        ("dtypes", "Apply_InputSchema", DtInputs::json_schema_value()),
        (
            "dtypes",
            "Apply_OutputSchema",
            DtOutputs::json_schema_value(),
        ),
    ] {
        let published: serde_json::Value =
            serde_json::from_slice(&read(golden(api).join("schemas_apply.json"))).unwrap();
        same_model_schema(&ours, &published[model]);
    }
}
