//! Every bad request captured from a running tesseract-core 1.15 server
//! (`tests/data/peers/tesseract/errors`, see `tests/data/README.md`; plus the eight
//! rejected `dtypes/edge` captures) and truss's two must-reject msgpack payloads
//! (`tests/data/peers/truss/edge`), decoded into derived mirrors of the peers'
//! input models.
//!
//! Each case either gives a typed [`arraymodel::Error`] of the expected kind at the
//! expected payload path, or — where it is not an error for us — decodes, with the
//! reason written down. binref references that leave the input folder (`../..`, an
//! absolute path, `file://`) were *accepted* by tesseract (status 200: it read a file
//! outside its input folder); they must be errors here, and the file they point at
//! exists in this test so the refusal is not an accident of a missing file.
//!
//! Every case's message is written to `tests/snapshots/golden_errors.txt`, one
//! `case: path: message` line each, so a reader can judge them; the test fails when a
//! message changes. `ARRAYMODEL_BLESS=1 cargo test -p arraymodel --test golden_errors`
//! rewrites the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arraymodel::{
    Array, ArrayModel, ArrayView, DTypeError, DecodeOptions, Error, ErrorKind, NdArray,
    from_msgpack_slice,
};
use serde::Deserialize;

// ---------------------------------------------------------------------------------
// Mirrors of the peers' input models
// ---------------------------------------------------------------------------------

fn one() -> Array {
    Array::scalar(1.0f64)
}

/// tests/apis/vectoradd/tesseract_api.py `InputSchema`.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
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

/// tests/apis/dtypes/tesseract_api.py `Nested`.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Nested {
    #[array(shape = [2, 3], dtype = "float32")]
    m: Array,
    #[serde(default = "default_tag")]
    tag: String,
}

fn default_tag() -> String {
    "n".into()
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

/// tests/apis/dtypes/tesseract_api.py `InputSchema`, defaults included.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DTypesIn {
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
    #[bytes]
    #[serde(default = "default_raw")]
    raw: Vec<u8>,
    #[array(shape = [None], dtype = "float64")]
    #[serde(default)]
    items: Vec<Array>,
    #[array(shape = [None], dtype = "float64")]
    #[serde(default)]
    named: BTreeMap<String, Array>,
    #[serde(default)]
    nested: Option<Nested>,
    #[array(shape = [None], dtype = "float64")]
    #[serde(default)]
    maybe: Option<Array>,
}

/// truss's golden `ArrayModel(BaseModel): array: NumpyArrayField`.
#[derive(ArrayModel, Debug)]
#[allow(dead_code)]
struct TrussArrayModel {
    array: Array,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct TrussArrayModelView<'a> {
    #[serde(borrow)]
    array: ArrayView<'a>,
}

// ---------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------

type KindCheck = fn(&ErrorKind) -> bool;

macro_rules! kind {
    ($pat:pat) => {
        (|k: &ErrorKind| matches!(k, $pat)) as KindCheck
    };
}

enum Expect {
    /// A typed error: kind, exact payload path, and a phrase the message must contain.
    Rejects(KindCheck, &'static str, &'static str),
    /// Decodes: not an error for us (why).
    Accepts(&'static str),
    /// No request body to decode (why).
    NoBody(&'static str),
}

use Expect::{Accepts, NoBody, Rejects};

/// `errors/`: every capture, by name (the test checks the list is complete).
fn tesseract_cases() -> Vec<(&'static str, Expect)> {
    const A_BUF: &str = "inputs.a.data.buffer";
    vec![
        (
            "bad_base64_chars",
            Rejects(kind!(ErrorKind::Base64(_)), A_BUF, "'!'"),
        ),
        (
            "bad_base64_padding",
            Rejects(kind!(ErrorKind::Base64(_)), A_BUF, "multiple of 4"),
        ),
        (
            "base64_no_padding",
            Rejects(kind!(ErrorKind::Base64(_)), A_BUF, "padding"),
        ),
        (
            "base64_urlsafe_alphabet",
            Rejects(kind!(ErrorKind::Base64(_)), A_BUF, "'_'"),
        ),
        (
            "base64_with_newline",
            Rejects(kind!(ErrorKind::Base64(_)), A_BUF, "'\\n'"),
        ),
        (
            "bigendian_dtype_string",
            Accepts(
                "\">f8\" is numpy's big-endian float64; we accept every numpy spelling of a \
                supported dtype (tesseract only its names) and a json buffer has no byte order",
            ),
        ),
        // tesseract: 200, it read <scratch>/tess/outside.bin.
        (
            "binref_absolute",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "is absolute"),
        ),
        (
            "binref_bad_format_negative_offset",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "non-negative integer"),
        ),
        // tesseract: 200, it read <scratch>/tess/outside.bin.
        (
            "binref_dotdot",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "'..'"),
        ),
        // tesseract: 200, it opened the URL through fsspec.
        (
            "binref_file_url",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "URL schemes"),
        ),
        (
            "binref_lz4_missing_size",
            Rejects(
                kind!(ErrorKind::Binref(_)),
                A_BUF,
                "compressed_size is required",
            ),
        ),
        (
            "binref_missing_file",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "nope.bin"),
        ),
        (
            "binref_too_small",
            Rejects(kind!(ErrorKind::Binref(_)), A_BUF, "too small"),
        ),
        (
            "broadcast_dim1_to_any",
            Accepts(
                "a of shape [1] fits [None]; that a and b differ in length is the apply \
                function's check, not the decoder's",
            ),
        ),
        (
            "broadcast_scalar_for_s_shape1",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.s", "shape"),
        ),
        (
            "docs_style_data_list",
            Accepts(
                "the legacy `\"data\": [...]` list from tesseract's own documentation is read \
                as a json buffer",
            ),
        ),
        (
            "extra_input_field",
            Rejects(
                kind!(ErrorKind::Custom(_)),
                "inputs.zzz",
                "unknown field `zzz`",
            ),
        ),
        (
            "extra_key_in_array",
            Rejects(kind!(ErrorKind::UnexpectedKey(_)), "inputs.a", "order"),
        ),
        (
            "float_fraction_is_fine_for_float",
            Accepts("float32 data for a float64 field is a safe cast (tesseract: 200)"),
        ),
        ("get_on_apply", NoBody("HTTP method (405); no request body")),
        (
            "json_null_in_buffer",
            Accepts("null in a float json buffer is NaN, as orjson writes NaN (tesseract: 200)"),
        ),
        (
            "json_string_in_buffer",
            Rejects(
                kind!(ErrorKind::Value(_)),
                "inputs.a.data.buffer[0]",
                "not a number",
            ),
        ),
        (
            "malformed_json",
            Rejects(
                kind!(ErrorKind::Syntax { format: "JSON", .. }),
                "inputs.a",
                "EOF",
            ),
        ),
        (
            "missing_field_b",
            Rejects(kind!(ErrorKind::Custom(_)), "inputs", "missing field `b`"),
        ),
        // tesseract (Python's json) accepts NaN/Infinity tokens: 200. They are not JSON.
        (
            "nan_tokens",
            Rejects(
                kind!(ErrorKind::Syntax { format: "JSON", .. }),
                "inputs.a.data.buffer",
                "expected value",
            ),
        ),
        (
            "negative_dim",
            Rejects(kind!(ErrorKind::Shape(_)), "inputs.a.shape[0]", "-3"),
        ),
        (
            "plain_list_wrong_type",
            Rejects(
                kind!(ErrorKind::Custom(_)),
                "inputs.a",
                "invalid type: string",
            ),
        ),
        (
            "run_id_traversal",
            NoBody(
                "the run_id query parameter, not a body; our BinrefWriter only writes \
                    <uuid4>.bin files inside the folder it is given",
            ),
        ),
        (
            "shape_buffer_mismatch_b64",
            Rejects(
                kind!(ErrorKind::SizeMismatch {
                    expected: 32,
                    found: 24,
                    ..
                }),
                A_BUF,
                "needs exactly 32",
            ),
        ),
        (
            "shape_buffer_mismatch_json",
            Rejects(
                kind!(ErrorKind::Ragged { .. }),
                A_BUF,
                "3 elements, the shape needs 4",
            ),
        ),
        (
            "unknown_compression",
            Rejects(
                kind!(ErrorKind::Invalid(_)),
                "inputs.a.data.compression",
                "gzip",
            ),
        ),
        (
            "unknown_encoding_hex",
            Rejects(
                kind!(ErrorKind::Invalid(_)),
                "inputs.a.data.encoding",
                "hex",
            ),
        ),
        (
            "unknown_encoding_raw",
            Rejects(
                kind!(ErrorKind::Invalid(_)),
                "inputs.a.data.encoding",
                "raw",
            ),
        ),
        (
            "unknown_endpoint",
            Accepts("a valid vectoradd body sent to an unknown path (404 is routing)"),
        ),
        (
            "user_code_exception_500",
            NoBody("raised by the apply function (500); no request body captured"),
        ),
        (
            "wrong_content_type",
            NoBody("HTTP Content-Type header; no request body captured"),
        ),
        (
            "wrong_dtype_complex",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.a", "complex128"),
        ),
        (
            "wrong_dtype_unknown",
            Rejects(
                kind!(ErrorKind::DType(DTypeError::Unsupported(_))),
                "inputs.a.dtype",
                "float128",
            ),
        ),
        (
            "wrong_object_type",
            Rejects(
                kind!(ErrorKind::Invalid(_)),
                "inputs.a.object_type",
                "tensor",
            ),
        ),
        (
            "wrong_rank",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.a", "1 dimension"),
        ),
    ]
}

/// `dtypes/edge/`: the captures tesseract rejected (422).
fn dtypes_cases() -> Vec<(&'static str, Expect)> {
    vec![
        (
            "bool_from_int",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.b", "int8"),
        ),
        (
            "complex_json_strings",
            Rejects(
                kind!(ErrorKind::Ragged { .. }),
                "inputs.c64.data.buffer",
                "more than the 2 elements",
            ),
        ),
        (
            "f16_json",
            Rejects(
                kind!(ErrorKind::Value(_)),
                "inputs.f16.data.buffer[1]",
                "70000",
            ),
        ),
        (
            "f64_to_f32_overflow",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.f32", "float32"),
        ),
        (
            "fixed3_wrong_len",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.fixed3", "3"),
        ),
        (
            "float_to_int_fraction",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.i32", "float64"),
        ),
        (
            "float_to_int_integral",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.i32", "float64"),
        ),
        (
            "int_out_of_range",
            Rejects(kind!(ErrorKind::Constraint(_)), "inputs.i8", "300"),
        ),
    ]
}

/// `truss/edge/`: the two must-reject payloads.
fn truss_cases() -> Vec<(&'static str, Expect)> {
    vec![
        (
            "reject_object_pickle",
            Rejects(kind!(ErrorKind::Refused(_)), "array.kind", "pickle"),
        ),
        (
            "str_keys_not_ndarray",
            Rejects(kind!(ErrorKind::Refused(_)), "array.nd", "bin"),
        ),
    ]
}

// ---------------------------------------------------------------------------------
// Running them
// ---------------------------------------------------------------------------------

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/peers")
}

fn status(meta: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(meta).ok()?;
    let line = text.lines().find(|l| l.starts_with("STATUS "))?;
    line[7..].trim().parse().ok()
}

/// The layout of the peer's capture run: input folder `<scratch>/tess/srv_va/in` (with
/// the golden `ab.bin` and `sub/s.bin`) and the file `<scratch>/tess/outside.bin` that
/// tesseract read for `binref_dotdot`, `binref_absolute` and `binref_file_url`.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let root =
            std::env::temp_dir().join(format!("arraymodel-golden-errors-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let input = root.join("tess/srv_va/in");
        std::fs::create_dir_all(input.join("sub")).unwrap();
        let src = golden().join("tesseract/vectoradd/binref_input_dir");
        for f in ["ab.bin", "sub/s.bin"] {
            std::fs::copy(src.join(f), input.join(f)).unwrap();
        }
        // a = [10, 20, 30]: the peer answered result [11, 22, 33] for b = [1, 2, 3].
        let outside: Vec<u8> = [10.0f64, 20.0, 30.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        std::fs::write(root.join("tess/outside.bin"), outside).unwrap();
        Scratch(root)
    }
    fn input(&self) -> PathBuf {
        self.0.join("tess/srv_va/in")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One snapshot line; newlines escaped, the scratch folder written as `<scratch>`.
fn line(case: &str, result: &Result<(), Error>, ok_why: &str, scratch: &Path) -> String {
    let text = match result {
        Ok(()) => format!("{case}: ok ({ok_why})"),
        Err(e) => {
            let path = if e.path().is_root() {
                "<root>".to_owned()
            } else {
                e.path().to_string()
            };
            format!("{case}: {path}: {}", e.kind())
        }
    };
    text.replace(scratch.to_str().unwrap(), "<scratch>")
        .replace('\n', "\\n")
}

fn check(
    group: &str,
    case: &str,
    expect: &Expect,
    result: Result<(), Error>,
    scratch: &Path,
    lines: &mut Vec<String>,
    failures: &mut Vec<String>,
) {
    let name = format!("{group}/{case}");
    match (expect, &result) {
        (Rejects(kind, path, phrase), Err(e)) => {
            let msg = e.to_string();
            if !kind(e.kind()) {
                failures.push(format!("{name}: unexpected kind {:?}", e.kind()));
            }
            if e.path().to_string() != *path {
                failures.push(format!(
                    "{name}: path {:?}, expected {path:?} ({msg})",
                    e.path().to_string()
                ));
            }
            if !msg.contains(phrase) {
                failures.push(format!("{name}: message {msg:?} lacks {phrase:?}"));
            }
        }
        (Rejects(..), Ok(())) => failures.push(format!("{name}: accepted")),
        (Accepts(_), Err(e)) => failures.push(format!("{name}: refused: {e}")),
        (Accepts(_), Ok(())) => {}
        (NoBody(_), _) => unreachable!(),
    }
    let why = match expect {
        Accepts(why) => why,
        _ => "",
    };
    lines.push(line(&name, &result, why, scratch));
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".meta") || n.ends_with(".request.json"))
        .map(|n| n.split('.').next().unwrap().to_owned())
        .collect()
}

#[test]
fn golden_error_cases() {
    let scratch = Scratch::new();
    let opts = DecodeOptions::default().binref_dir(scratch.input());
    let mut lines = Vec::new();
    let mut failures = Vec::new();

    // tesseract errors/: every capture has a row.
    let dir = golden().join("tesseract/errors");
    let cases = tesseract_cases();
    let listed: BTreeSet<String> = cases.iter().map(|c| c.0.to_owned()).collect();
    assert_eq!(
        listed,
        names_in(&dir),
        "the case list must match the captures"
    );
    let mut decoded = 0;
    for (case, expect) in &cases {
        let req = dir.join(format!("{case}.request.json"));
        if let NoBody(why) = expect {
            lines.push(format!("errors/{case}: skipped ({why})"));
            continue;
        }
        let body = std::fs::read_to_string(&req).unwrap_or_else(|e| panic!("{case}: {e}"));
        let body = body.replace("<scratch>", scratch.0.to_str().unwrap());
        // The binref escapes point at a file that exists (tesseract read it).
        if case.starts_with("binref_") && body.contains("outside.bin") {
            assert!(scratch.0.join("tess/outside.bin").is_file());
            assert_eq!(
                status(&dir.join(format!("{case}.meta"))),
                Some(200),
                "{case}"
            );
        }
        let result = VecAddIn::from_tesseract_request(body.as_bytes(), &opts).map(|_| ());
        check(
            "errors",
            case,
            expect,
            result,
            &scratch.0,
            &mut lines,
            &mut failures,
        );
        decoded += 1;
    }
    assert_eq!(decoded, 36);

    // dtypes/edge: the rejected ones.
    let dir = golden().join("tesseract/dtypes/edge");
    let cases = dtypes_cases();
    let rejected: BTreeSet<String> = names_in(&dir)
        .into_iter()
        .filter(|n| status(&dir.join(format!("{n}.meta"))) != Some(200))
        .collect();
    let listed: BTreeSet<String> = cases.iter().map(|c| c.0.to_owned()).collect();
    assert_eq!(
        listed, rejected,
        "every rejected dtypes edge case has a row"
    );
    for (case, expect) in &cases {
        let body = std::fs::read(dir.join(format!("{case}.request.json"))).unwrap();
        let result = DTypesIn::from_tesseract_request(&body, &opts).map(|_| ());
        check(
            "dtypes-edge",
            case,
            expect,
            result,
            &scratch.0,
            &mut lines,
            &mut failures,
        );
    }

    // truss: the owned model and the borrowed view agree.
    let dir = golden().join("truss/edge");
    for (case, expect) in &truss_cases() {
        let body = std::fs::read(dir.join(format!("{case}.msgpack"))).unwrap();
        let result = TrussArrayModel::from_msgpack(&body, &DecodeOptions::default()).map(|_| ());
        let view = from_msgpack_slice::<TrussArrayModelView<'_>>(&body, &DecodeOptions::default());
        match (&result, &view) {
            (Ok(()), Ok(_)) => {}
            (Err(a), Err(b)) => {
                assert_eq!(
                    a.path(),
                    b.path(),
                    "{case}: view and owned disagree on the path"
                );
            }
            _ => failures.push(format!(
                "truss/{case}: the view and the owned model disagree"
            )),
        }
        check(
            "truss",
            case,
            expect,
            result,
            &scratch.0,
            &mut lines,
            &mut failures,
        );
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    compare_snapshot(&lines);
}

fn compare_snapshot(lines: &[String]) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/golden_errors.txt");
    let header = "# Generated by runtime/tests/golden_errors.rs (ARRAYMODEL_BLESS=1 to update).\n\
                  # One line per captured bad payload: `case: path: message`, or why it is not an error.\n";
    let text = format!("{header}{}\n", lines.join("\n"));
    if std::env::var_os("ARRAYMODEL_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    if current != text {
        let old: BTreeSet<&str> = current.lines().collect();
        let new: BTreeSet<&str> = text.lines().collect();
        let mut diff = String::new();
        for l in old.difference(&new) {
            diff.push_str(&format!("- {l}\n"));
        }
        for l in new.difference(&old) {
            diff.push_str(&format!("+ {l}\n"));
        }
        panic!(
            "{} is out of date (ARRAYMODEL_BLESS=1 to update):\n{diff}",
            file.display()
        );
    }
}
