//! `arraymodel convert` and `arraymodel inspect`, run as a process against every golden
//! capture of the peers (`tests/data/peers`): each converts to every format and back to
//! the same values; the unsupported ones fail with one `error:` line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use arraymodel::document::{ArrayForm, Document};
use arraymodel::{Array, ArrayData, Compression, DecodeOptions, Encoding, ErrorKind};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_arraymodel")
}

fn peers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/peers")
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    Command::new(bin())
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin()))
}

fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Write from a thread (the child may fill stdout first), and ignore a closed pipe
    // (a usage error exits before reading).
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The process failed with exactly one `error: ...` line on stderr; returns it.
fn one_error_line(o: &Output, what: &str) -> String {
    assert!(!o.status.success(), "{what}: expected a failure");
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: stderr {err:?}");
    assert!(lines[0].starts_with("error: "), "{what}: stderr {err:?}");
    lines[0].to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    Json,
    Base64,
    Binref,
    Truss,
    Msgpack,
}

const ALL: [Fmt; 5] = [
    Fmt::Json,
    Fmt::Base64,
    Fmt::Binref,
    Fmt::Truss,
    Fmt::Msgpack,
];

impl Fmt {
    fn name(self) -> &'static str {
        match self {
            Fmt::Json => "json",
            Fmt::Base64 => "json+base64",
            Fmt::Binref => "json+binref",
            Fmt::Truss => "truss-json",
            Fmt::Msgpack => "msgpack",
        }
    }
    fn is_json(self) -> bool {
        self != Fmt::Msgpack
    }
}

fn decode(bytes: &[u8], binref: &Path) -> arraymodel::Result<Document> {
    let opts = DecodeOptions::default().binref_dir(binref);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| b"{[\"-0123456789tfn".contains(b)) {
        Document::from_json_slice(bytes, &opts)
    } else {
        Document::from_msgpack_slice(bytes, &opts)
    }
}

// ---------------------------------------------------------------------------------
// Comparing documents
// ---------------------------------------------------------------------------------

/// `(re, im)` of every element of a float or complex array.
fn float_elems(a: &Array) -> Option<Vec<(f64, f64)>> {
    Some(match a.data() {
        ArrayData::Float16(v) => v.iter().map(|x| (x.to_f64(), 0.0)).collect(),
        ArrayData::Float32(v) => v.iter().map(|&x| (f64::from(x), 0.0)).collect(),
        ArrayData::Float64(v) => v.iter().map(|&x| (x, 0.0)).collect(),
        ArrayData::Complex64(v) => v
            .iter()
            .map(|c| (f64::from(c.re), f64::from(c.im)))
            .collect(),
        ArrayData::Complex128(v) => v.iter().map(|c| (c.re, c.im)).collect(),
        _ => return None,
    })
}

/// Bit-exact, except what tesseract's `json` encoding cannot carry when `lossy`:
/// NaN/±Inf are written as `null` and read back as NaN, and a complex value with a
/// zero real part is written as `"yj"` (the sign of that zero is lost).
fn same_array(a: &Array, b: &Array, lossy: bool) -> Result<(), String> {
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return Err(format!(
            "{} {:?} became {} {:?}",
            a.dtype(),
            a.shape(),
            b.dtype(),
            b.shape()
        ));
    }
    if a.as_bytes() == b.as_bytes() {
        return Ok(());
    }
    let (Some(x), Some(y), true) = (float_elems(a), float_elems(b), lossy) else {
        return Err(format!("{} values differ", a.dtype()));
    };
    let same = |p: f64, q: f64| {
        p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()) || (!p.is_finite() && q.is_nan())
    };
    for (i, (&(pr, pi), &(qr, qi))) in x.iter().zip(&y).enumerate() {
        let re_ok = same(pr, qr) || (pr == 0.0 && qr == 0.0 && (pi != 0.0 || qi != 0.0));
        if !(re_ok && same(pi, qi)) {
            return Err(format!(
                "{} element {i}: ({pr}, {pi}) became ({qr}, {qi})",
                a.dtype()
            ));
        }
    }
    Ok(())
}

fn key_bytes(d: &Document) -> Option<&[u8]> {
    match d {
        Document::String(s) => Some(s.as_bytes()),
        Document::Bytes(b) => Some(b),
        _ => None,
    }
}

/// Same values: arrays as [`same_array`], other leaves equal (a msgpack `bin` equals
/// the JSON string of the same bytes; a non-finite float may become `null` in JSON).
fn same_doc(a: &Document, b: &Document, lossy: bool, path: &str) -> Result<(), String> {
    let at = |e: String| format!("{}: {e}", if path.is_empty() { "(root)" } else { path });
    match (a, b) {
        (Document::Array(x, _), Document::Array(y, _)) => same_array(x, y, lossy).map_err(at),
        (Document::Map(x), Document::Map(y)) => {
            if x.len() != y.len() {
                return Err(at(format!("{} keys became {}", x.len(), y.len())));
            }
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                if k1 != k2 && (key_bytes(k1).is_none() || key_bytes(k1) != key_bytes(k2)) {
                    return Err(at(format!("key {k1:?} became {k2:?}")));
                }
                let name = String::from_utf8_lossy(key_bytes(k1).unwrap_or(b"?")).into_owned();
                let sub = if path.is_empty() {
                    name
                } else {
                    format!("{path}.{name}")
                };
                same_doc(v1, v2, lossy, &sub)?;
            }
            Ok(())
        }
        (Document::List(x), Document::List(y)) => {
            if x.len() != y.len() {
                return Err(at(format!("{} items became {}", x.len(), y.len())));
            }
            for (i, (v1, v2)) in x.iter().zip(y).enumerate() {
                same_doc(v1, v2, lossy, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Document::Bytes(x), Document::String(y)) | (Document::String(y), Document::Bytes(x))
            if x == y.as_bytes() =>
        {
            Ok(())
        }
        (Document::Float(x), Document::Float(y)) if x.to_bits() == y.to_bits() => Ok(()),
        (Document::Float(x), Document::Null) if !x.is_finite() => Ok(()),
        _ if a == b => Ok(()),
        _ => Err(at(format!("{a:?} became {b:?}"))),
    }
}

fn has_non_utf8_bytes(d: &Document) -> bool {
    d.unpacked().walk().any(|(_, n)| match n {
        Document::Bytes(b) => std::str::from_utf8(b).is_err(),
        Document::Map(e) => e.iter().any(|(k, _)| match k {
            Document::Bytes(b) => std::str::from_utf8(b).is_err(),
            _ => false,
        }),
        _ => false,
    })
}

// ---------------------------------------------------------------------------------
// The round trip of one capture
// ---------------------------------------------------------------------------------

struct Case {
    file: PathBuf,
    binref_in: PathBuf,
    /// The format to convert back to.
    home: Fmt,
    /// The file's own format, when converting to it must reproduce the file byte for byte.
    identical_as: Option<(Fmt, bool)>,
    /// Whether to also convert each output back to `home` (skipped where another
    /// capture of the same values already covers it, to keep the suite fast).
    back: bool,
}

/// Converts `case` to every format and back; returns the problems found.
fn round_trip(case: &Case, original: &Document) -> Vec<String> {
    let mut problems = Vec::new();
    let name = case.file.display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let utf8_only = has_non_utf8_bytes(original);
    for to in ALL {
        let dir = tmp.path().join(to.name());
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let mut args: Vec<OsString> = vec![
            "convert".into(),
            case.file.clone().into(),
            "--to".into(),
            to.name().into(),
            "--binref-in".into(),
            case.binref_in.clone().into(),
            "-o".into(),
            out.clone().into(),
        ];
        let lz4 = matches!(case.identical_as, Some((f, true)) if f == to);
        if lz4 {
            args.push("--lz4".into());
        }
        if to == Fmt::Binref {
            // Beside the output, so reading it back needs no --binref-in.
            args.push("--binref-out".into());
            args.push(dir.clone().into());
        }
        let o = run(&args);
        if to.is_json() && utf8_only {
            let line = one_error_line(&o, &name);
            if !line.contains("not valid UTF-8") {
                problems.push(format!("{name} -> {}: {line}", to.name()));
            }
            continue;
        }
        if !o.status.success() {
            problems.push(format!("{name} -> {}: {}", to.name(), stderr(&o)));
            continue;
        }
        if !o.stderr.is_empty() {
            problems.push(format!("{name} -> {}: stderr {}", to.name(), stderr(&o)));
        }
        let written = std::fs::read(&out).unwrap();
        if let Some((f, _)) = case.identical_as
            && f == to
            && written != std::fs::read(&case.file).unwrap()
        {
            problems.push(format!("{name} -> {}: not byte-identical", to.name()));
        }
        let lossy = to == Fmt::Json;
        match decode(&written, &dir) {
            Ok(d) => {
                if let Err(e) = same_doc(&original.unpacked(), &d.unpacked(), lossy, "") {
                    problems.push(format!("{name} -> {}: {e}", to.name()));
                }
            }
            Err(e) => problems.push(format!("{name} -> {}: decoding: {e}", to.name())),
        }
        if !case.back || to == case.home {
            continue;
        }
        // And back, reading binref from the output's folder by default.
        let back = dir.join("back");
        let o = run([
            OsString::from("convert"),
            out.clone().into(),
            "--to".into(),
            case.home.name().into(),
            "-o".into(),
            back.clone().into(),
        ]);
        if !o.status.success() {
            problems.push(format!(
                "{name} -> {} -> {}: {}",
                to.name(),
                case.home.name(),
                stderr(&o)
            ));
            continue;
        }
        match decode(&std::fs::read(&back).unwrap(), &dir) {
            Ok(d) => {
                if let Err(e) = same_doc(&original.unpacked(), &d.unpacked(), lossy, "") {
                    problems.push(format!(
                        "{name} -> {} -> {}: {e}",
                        to.name(),
                        case.home.name()
                    ));
                }
            }
            Err(e) => problems.push(format!("{name} -> back: decoding: {e}")),
        }
    }
    problems
}

/// Runs the cases on a few threads; returns every problem.
fn run_cases(cases: Vec<(Case, Document)>) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let chunk = cases.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .flat_map(|(c, d)| round_trip(c, d))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// The tesseract format of a response whose arrays all share one form.
fn uniform_form(d: &Document) -> Option<(Fmt, bool)> {
    let mut forms = d.walk().filter_map(|(_, n)| match n {
        Document::Array(_, f) => Some(*f),
        _ => None,
    });
    let first = forms.next()?;
    if !forms.all(|f| f == first) {
        return None;
    }
    match first {
        ArrayForm::Tesseract {
            encoding,
            compression,
        } => {
            let lz4 = compression == Compression::Lz4;
            match encoding {
                Encoding::Json if !lz4 => Some((Fmt::Json, false)),
                Encoding::Base64 => Some((Fmt::Base64, lz4)),
                _ => None,
            }
        }
        _ => None,
    }
}

#[test]
fn tesseract_goldens_convert_to_every_format_and_back() {
    let root = peers().join("tesseract");
    let mut cases = Vec::new();
    let mut missing_bin = Vec::new();
    let mut refused_by_peer = Vec::new();
    for (sub, suite) in [
        ("vectoradd", "vectoradd"),
        ("dtypes", "dtypes"),
        ("dtypes/edge", "dtypes"),
    ] {
        for file in files(&root.join(sub)) {
            let fname = file.file_name().unwrap().to_string_lossy().into_owned();
            let binref_in = if fname.ends_with(".request.json") {
                root.join(suite).join("binref_input_dir")
            } else if fname.ends_with(".response.body") {
                root.join(suite).join("binref_output_dir")
            } else {
                continue;
            };
            let bytes = std::fs::read(&file).unwrap();
            if !serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.is_object()) {
                continue;
            }
            let original = match decode(&bytes, &binref_in) {
                Ok(d) => d,
                Err(e) => {
                    // Only these captures may fail to decode, and convert must then
                    // fail too: a binref body whose .bin files the peer did not keep,
                    // a request the peer refused (422) and its echo, and `"buffer":1`
                    // for a bool, which numpy casts and the runtime deliberately refuses.
                    let missing = matches!(e.kind(), ErrorKind::Binref(_) | ErrorKind::Io(_));
                    let deliberate = fname == "int_to_bool_field.request.json"
                        && matches!(e.kind(), ErrorKind::Value(_));
                    let stem = fname
                        .trim_end_matches(".request.json")
                        .trim_end_matches(".response.body");
                    let meta = std::fs::read_to_string(file.with_file_name(format!("{stem}.meta")))
                        .unwrap_or_default();
                    let refused = !meta.contains("STATUS 200") || deliberate;
                    assert!(missing || refused, "{fname}: {e}");
                    let o = run([
                        OsString::from("convert"),
                        file.clone().into(),
                        "--to".into(),
                        "msgpack".into(),
                        "--binref-in".into(),
                        binref_in.clone().into(),
                        "-o".into(),
                        "/dev/null".into(),
                    ]);
                    let line = one_error_line(&o, &fname);
                    // The CLI adds the binref folder it searched to a binref error.
                    assert!(line.starts_with(&format!("error: {e}")), "{fname}: {line}");
                    if missing {
                        missing_bin.push(fname);
                    } else {
                        refused_by_peer.push(fname);
                    }
                    continue;
                }
            };
            let identical_as = fname
                .ends_with(".response.body")
                .then(|| uniform_form(&original))
                .flatten();
            cases.push((
                Case {
                    file,
                    binref_in,
                    home: Fmt::Base64,
                    identical_as,
                    back: true,
                },
                original,
            ));
        }
    }
    let with_arrays = cases
        .iter()
        .filter(|(_, d)| d.arrays().next().is_some())
        .count();
    let identical = cases
        .iter()
        .filter(|(c, _)| c.identical_as.is_some())
        .count();
    assert!(with_arrays >= 60, "{with_arrays} captures with arrays");
    assert!(identical >= 20, "{identical} byte-identity checks");
    assert!(missing_bin.len() <= 4, "{missing_bin:?}");
    assert!(refused_by_peer.len() <= 8, "{refused_by_peer:?}");
    let problems = run_cases(cases);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// truss captures `convert` must refuse: object (pickle) and structured arrays, and
/// dtypes outside the 14 (unicode, bytes, datetime64).
fn truss_unsupported(name: &str) -> bool {
    [
        "object",
        "structured",
        "unicode_U3",
        "bytes_S3",
        "datetime64",
    ]
    .iter()
    .any(|p| name.contains(p))
}

#[test]
fn truss_goldens_convert_to_every_format_and_back() {
    let root = peers().join("truss");
    let mut cases = Vec::new();
    for sub in ["arrays", "edge", "scalars", "models"] {
        for file in files(&root.join(sub)) {
            let fname = file.file_name().unwrap().to_string_lossy().into_owned();
            if truss_unsupported(&fname) {
                continue;
            }
            let json = fname.ends_with(".json");
            let bytes = std::fs::read(&file).unwrap();
            let original = decode(&bytes, &root).unwrap_or_else(|e| panic!("{fname}: {e}"));
            let home = if json { Fmt::Truss } else { Fmt::Msgpack };
            // Everything is written back byte for byte, except what is normalised:
            // big-endian data, numpy-scalar and complex maps, str-keyed numpy maps.
            let identical =
                sub != "scalars" && !fname.contains("bigendian") && !fname.contains("str_keys");
            cases.push((
                Case {
                    file,
                    binref_in: root.clone(),
                    home,
                    identical_as: identical.then_some((home, false)),
                    // `x.bare.msgpack` holds the same array as `x.model.msgpack`.
                    back: !fname.ends_with(".bare.msgpack"),
                },
                original,
            ));
        }
    }
    assert!(cases.len() >= 250, "{} truss captures", cases.len());
    let problems = run_cases(cases);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn unsupported_goldens_fail_with_one_error_line() {
    let root = peers().join("truss");
    let mut seen = 0;
    for sub in ["edge", "models"] {
        for file in files(&root.join(sub)) {
            let fname = file.file_name().unwrap().to_string_lossy().into_owned();
            if !truss_unsupported(&fname) && !fname.starts_with("reject_") {
                continue;
            }
            for to in ALL {
                let tmp = tempfile::tempdir().unwrap();
                let mut args: Vec<OsString> = vec![
                    "convert".into(),
                    file.clone().into(),
                    "--to".into(),
                    to.name().into(),
                    "-o".into(),
                    tmp.path().join("out").into(),
                ];
                if to == Fmt::Binref {
                    args.extend(["--binref-out".into(), tmp.path().into()]);
                }
                let o = run(&args);
                let line = one_error_line(&o, &fname);
                assert_eq!(o.status.code(), Some(1), "{fname}: {line}");
                assert!(
                    line.contains("dtype") || line.contains("refused"),
                    "{fname} -> {}: {line}",
                    to.name()
                );
                assert!(!tmp.path().join("out").exists(), "{fname}: output written");
            }
            seen += 1;
        }
    }
    assert!(seen >= 12, "{seen} unsupported captures");
}

// ---------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------

fn inspect(args: &[&Path], extra: &[&str]) -> String {
    let mut a: Vec<OsString> = vec!["inspect".into()];
    a.extend(args.iter().map(|p| OsString::from(p.as_os_str())));
    a.extend(extra.iter().map(OsString::from));
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// The table row of `path`, split on whitespace.
fn row(table: &str, path: &str) -> Vec<String> {
    table
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(path))
        .unwrap_or_else(|| panic!("no row {path} in\n{table}"))
}

#[test]
fn inspect_table_shows_dtype_shape_encoding_and_stats() {
    let va = peers().join("tesseract/vectoradd");
    let t = inspect(
        &[&va.join("apply_in-binref_out-json.request.json")],
        &["--binref-in", va.join("binref_input_dir").to_str().unwrap()],
    );
    assert!(t.lines().nth(1).unwrap().starts_with("PATH "), "{t}");
    assert_eq!(
        row(&t, "inputs.a"),
        [
            "inputs.a", "float64", "[3]", "24", "binref", "none", "1.0", "3.0", "2.0", "0", "0"
        ]
    );
    assert_eq!(row(&t, "inputs.s")[1..4], ["float64", "[]", "8"]);

    let t = inspect(&[&va.join("accept_base64_lz4.response.body")], &[]);
    assert_eq!(
        row(&t, "result")[1..6],
        ["float64", "[3]", "24", "base64", "lz4"]
    );

    let truss = peers().join("truss");
    let t = inspect(&[&truss.join("arrays/float64_2x3.model.msgpack")], &[]);
    assert_eq!(
        row(&t, "array")[..9],
        [
            "array", "float64", "[2,", "3]", "48", "msgpack", "none", "-1.5", "65504.0"
        ]
    );
    let t = inspect(&[&truss.join("edge/float64_special.model.json")], &[]);
    assert_eq!(
        row(&t, "array")[1..],
        [
            "float64", "[6]", "48", "truss", "none", "-inf", "inf", "nan", "1", "2"
        ]
    );
    let t = inspect(&[&truss.join("models/composite.model.msgpack")], &[]);
    assert!(t.contains("8 arrays, 1 bytes field"), "{t}");
    assert_eq!(row(&t, "inners[1].weights")[1..4], ["int64", "[0,", "2]"]);
    assert_eq!(row(&t, "blob"), ["blob", "9"]);
    let t = inspect(&[&truss.join("scalars/numpy_float32.msgpack")], &[]);
    assert_eq!(
        row(&t, "(root)")[1..5],
        ["float32", "[]", "4", "msgpack-scalar"]
    );
}

#[test]
fn inspect_json_parses() {
    let d = peers().join("tesseract/dtypes");
    let out = inspect(
        &[&d.join("apply_in-base64_out-base64.request.json")],
        &["--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["syntax"], "json");
    let arrays = v["arrays"].as_array().unwrap();
    assert_eq!(arrays.len(), 26);
    let u64s = arrays.iter().find(|a| a["path"] == "inputs.u64").unwrap();
    assert_eq!(u64s["dtype"], "uint64");
    assert_eq!(u64s["shape"], serde_json::json!([3]));
    assert_eq!(u64s["encoding"], "base64");
    assert_eq!(u64s["max"].as_u64(), Some(u64::MAX));
    let c = arrays.iter().find(|a| a["path"] == "inputs.c128").unwrap();
    assert!(c["min"].is_null() && c["mean"].is_array(), "{c}");

    let special = peers().join("truss/edge/float32_special.model.msgpack");
    let v: serde_json::Value = serde_json::from_str(&inspect(&[&special], &["--json"])).unwrap();
    let a = &v["arrays"][0];
    assert_eq!(
        (a["path"].as_str(), a["nan"].as_u64(), a["inf"].as_u64()),
        (Some("array"), Some(1), Some(2))
    );
    assert_eq!(
        (a["min"].as_str(), a["max"].as_str()),
        (Some("-inf"), Some("inf"))
    );
    assert_eq!(v["bytes"], serde_json::json!([]));
}

// ---------------------------------------------------------------------------------
// Options, stdin/stdout, errors
// ---------------------------------------------------------------------------------

const VA_REQUEST: &str = r#"{"inputs":{"a":{"shape":[3],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA","encoding":"base64"}},"s":2.0,"tag":"x"}}"#;

#[test]
fn stdin_to_stdout_in_every_format() {
    let o = run_stdin(&["convert", "--to", "json"], VA_REQUEST.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        r#"{"inputs":{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[1.0,2.0,3.0],"encoding":"json"}},"s":2.0,"tag":"x"}}"#
    );
    let o = run_stdin(
        &["convert", "-", "--to", "truss-json", "-o", "-"],
        VA_REQUEST.as_bytes(),
    );
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        r#"{"inputs":{"a":{"data_b64":"AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA","shape":[3],"dtype":"float64"},"s":2.0,"tag":"x"}}"#
    );
    let packed = run_stdin(&["convert", "--to", "msgpack"], VA_REQUEST.as_bytes()).stdout;
    assert_eq!(&packed[..9], b"\x81\xa6inputs\x83");
    // msgpack in (detected by its first byte), tesseract base64 + lz4 out.
    let o = run_stdin(&["convert", "--to", "json+base64", "--lz4"], &packed);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains(r#""encoding":"base64","compression":"lz4"}"#),
        "{text}"
    );
    let back = run_stdin(&["convert", "--to", "json+base64"], text.as_bytes());
    assert_eq!(String::from_utf8(back.stdout).unwrap(), {
        r#"{"inputs":{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA","encoding":"base64"}},"s":2.0,"tag":"x"}}"#
    });
}

#[test]
fn binref_out_and_in() {
    let tmp = tempfile::tempdir().unwrap();
    let bins = tmp.path().join("bins");
    let out = tmp.path().join("req.json");
    let o = run_stdin(
        &[
            "convert",
            "--to",
            "json+binref",
            "--lz4",
            "--binref-out",
            bins.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        VA_REQUEST.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(r#"","encoding":"binref","compression":"lz4"}"#),
        "{text}"
    );
    assert_eq!(std::fs::read_dir(&bins).unwrap().count(), 1);
    // The .bin files are not beside the JSON: the default folder fails, --binref-in works.
    let line = one_error_line(&run(["inspect", out.to_str().unwrap()]), "default dir");
    assert!(
        line.starts_with("error: inputs.a.data.buffer: binref"),
        "{line}"
    );
    let o = run([
        "convert",
        out.to_str().unwrap(),
        "--to",
        "json+base64",
        "--binref-in",
        bins.to_str().unwrap(),
    ]);
    assert!(o.stdout.starts_with(br#"{"inputs":{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA""#));
    // References are confined to the folder.
    let escaping =
        r#"{"a":{"shape":[1],"dtype":"uint8","data":{"buffer":"../x.bin:0","encoding":"binref"}}}"#;
    let o = run_stdin(
        &[
            "convert",
            "--to",
            "msgpack",
            "--binref-in",
            bins.to_str().unwrap(),
            "-o",
            "/dev/null",
        ],
        escaping.as_bytes(),
    );
    let line = one_error_line(&o, "escape");
    assert!(line.contains("'..'"), "{line}");
    assert!(line.starts_with("error: a.data.buffer: binref"), "{line}");
}

#[test]
fn from_overrides_detection() {
    let truss = r#"{"t":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}}"#;
    let tess = r#"{"s":{"shape":[1],"dtype":"int8","data":[5]}}"#;
    let count = |from: &str, doc: &str| {
        let o = run_stdin(&["inspect", "--json", "--from", from], doc.as_bytes());
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["arrays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["path"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(count("truss-json", truss), ["t"]);
    assert_eq!(count("json", tess), ["s"]);
    // An array in another form than --from declares is an error naming it and both
    // forms, not passed through unconverted.
    let mixed = r#"{"t":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"},"s":{"shape":[1],"dtype":"int8","data":[5]}}"#;
    let o = run_stdin(&["inspect", "--from", "truss-json"], mixed.as_bytes());
    let line = one_error_line(&o, "mixed forms");
    assert!(
        line.starts_with("error: s: --from truss-json") && line.contains("json form"),
        "{line}"
    );
    // msgpack syntax forced on JSON text.
    let o = run_stdin(&["inspect", "--from", "msgpack"], mixed.as_bytes());
    let line = one_error_line(&o, "forced msgpack");
    assert!(line.starts_with("error: <stdin>: "), "{line}");
    assert!(line.contains("looks like JSON"), "{line}");
}

#[test]
fn errors_are_one_line_with_the_payload_path() {
    let bad = r#"{"inputs":{"a":{"shape":[2],"dtype":"float64","data":{"buffer":"AAAAAAAAAAAAAAAAAAAA-A==","encoding":"base64"}}}}"#;
    let o = run_stdin(
        &["convert", "--to", "msgpack", "-o", "/dev/null"],
        bad.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    let line = one_error_line(&o, "bad base64");
    assert!(
        line.starts_with("error: inputs.a.data.buffer: invalid base64"),
        "{line}"
    );

    let o = run_stdin(&["inspect"], b"{\"a\": [1, 2");
    let line = one_error_line(&o, "truncated");
    assert!(
        line.starts_with("error: <stdin>: malformed JSON: EOF") && line.ends_with(" (at a)"),
        "{line}"
    );

    let o = run(["inspect", "/nonexistent/x.json"]);
    let line = one_error_line(&o, "missing file");
    assert!(line.starts_with("error: /nonexistent/x.json: "), "{line}");

    let o = run_stdin(&["inspect"], b"  \n");
    assert!(one_error_line(&o, "empty").contains("empty input"));

    // Usage errors exit with 2.
    for (args, needle) in [
        (&["convert", "--to", "json+binref"][..], "--binref-out"),
        (&["convert", "--to", "truss-json", "--lz4"][..], "--lz4"),
        (&["convert", "--to", "json", "--lz4"][..], "--lz4"),
        (
            &["convert", "--to", "msgpack", "--binref-out", "/tmp"][..],
            "--binref-out",
        ),
    ] {
        let o = run_stdin(args, VA_REQUEST.as_bytes());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let line = one_error_line(&o, needle);
        assert!(line.contains(needle), "{line}");
    }
    let o = run(["convert", "x.json", "--to", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Finite values near `f64::MAX` overflow a plain sum; the mean is still finite.
#[test]
fn inspect_mean_does_not_overflow_on_huge_finite_values() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("huge.json");
    std::fs::write(
        &file,
        r#"{"a":{"shape":[3],"dtype":"float64","data":{"buffer":[1.7e308,1.7e308,-1e308],"encoding":"json"}}}"#,
    )
    .unwrap();
    let t = inspect(&[&file], &[]);
    let cells = row(&t, "a");
    let mean: f64 = cells[8].parse().unwrap_or_else(|_| panic!("{t}"));
    assert!((mean - 8e307).abs() < 1e302, "{t}");
    assert_eq!((cells[9].as_str(), cells[10].as_str()), ("0", "0"), "{t}");
}

/// The output file is replaced only when the conversion succeeds, and no temporary
/// file is left behind either way.
#[test]
fn convert_replaces_the_output_file_only_on_success() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.json");
    std::fs::write(&out, "previous").unwrap();
    let bad = tmp.path().join("bad.json");
    // Fails while encoding: the json+binref output "folder" is a regular file.
    std::fs::write(
        &bad,
        r#"{"a":{"shape":[2],"dtype":"uint8","data":{"buffer":"AQI=","encoding":"base64"}}}"#,
    )
    .unwrap();
    let missing = tmp.path().join("a-file");
    std::fs::write(&missing, "").unwrap();
    let o = run(&[
        OsString::from("convert"),
        bad.clone().into(),
        "--to".into(),
        "json+binref".into(),
        "--binref-out".into(),
        missing.into(),
        "-o".into(),
        out.clone().into(),
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
    let o = run(&[
        OsString::from("convert"),
        bad.into(),
        "--to".into(),
        "truss-json".into(),
        "-o".into(),
        out.clone().into(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        r#"{"a":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}}"#
    );
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

/// Peak resident memory of one `arraymodel` run, as the binary reports it (Linux).
#[cfg(target_os = "linux")]
fn peak_rss_mb(args: &[OsString]) -> f64 {
    let o = Command::new(bin())
        .args(args)
        .env("ARRAYMODEL_REPORT_PEAK_RSS", "1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let kb: f64 = err
        .lines()
        .find_map(|l| l.strip_prefix("peak RSS "))
        .and_then(|v| v.trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {err}"));
    kb / 1024.0
}

/// A large payload is not held twice: the input is dropped once decoded, buffers are
/// borrowed from it rather than copied, and the output streams to its file. Peak
/// memory stays within max(input + 1.2 x array, array + 1.2 x output) above the
/// process's own baseline, in every direction between base64, truss and msgpack (it
/// was input + a copy of the buffer + array + output).
#[test]
#[cfg(target_os = "linux")]
fn convert_memory_stays_within_input_plus_array() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 4_000_000usize; // 32 MB of float64, 42.7 MB of base64
    let a = Array::from_vec((0..n).map(|i| i as f64 * 1.5).collect::<Vec<_>>());
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        inputs: Inputs<'a>,
    }
    #[derive(serde::Serialize)]
    struct Inputs<'a> {
        a: &'a Array,
    }
    let doc = Doc {
        inputs: Inputs { a: &a },
    };
    let b64 = tmp.path().join("in.json");
    std::fs::write(
        &b64,
        arraymodel::to_json_vec(&doc, &arraymodel::EncodeOptions::default()).unwrap(),
    )
    .unwrap();
    let truss = tmp.path().join("in.truss.json");
    std::fs::write(
        &truss,
        arraymodel::to_json_vec(&doc, &arraymodel::EncodeOptions::truss()).unwrap(),
    )
    .unwrap();
    let packed = tmp.path().join("in.msgpack");
    std::fs::write(&packed, arraymodel::to_msgpack_vec(&doc).unwrap()).unwrap();
    let tiny = tmp.path().join("tiny.json");
    std::fs::write(&tiny, r#"{"x":1}"#).unwrap();
    let baseline = peak_rss_mb(&["inspect".into(), tiny.into()]);
    let array_mb = (n * 8) as f64 / (1 << 20) as f64;
    for (input, to) in [
        (&b64, "json+base64"),
        (&b64, "msgpack"),
        (&truss, "json+base64"),
        (&packed, "json+base64"),
        (&packed, "truss-json"),
    ] {
        let input_mb = std::fs::metadata(input).unwrap().len() as f64 / (1 << 20) as f64;
        let out = tmp.path().join("out");
        let peak = peak_rss_mb(&[
            "convert".into(),
            input.into(),
            "--to".into(),
            to.into(),
            "-o".into(),
            out.into(),
        ]);
        let output_mb =
            std::fs::metadata(tmp.path().join("out")).unwrap().len() as f64 / (1 << 20) as f64;
        // Decoding holds the input and the array; encoding the array and its output
        // text; never all three.
        let limit = baseline + (input_mb + 1.2 * array_mb).max(array_mb + 1.2 * output_mb);
        eprintln!(
            "{} -> {to}: peak {peak:.1} MB (baseline {baseline:.1}, input {input_mb:.1}, array {array_mb:.1}, output {output_mb:.1}, limit {limit:.1})",
            input.file_name().unwrap().to_string_lossy()
        );
        assert!(
            peak <= limit,
            "{input:?} -> {to}: peak {peak:.1} MB > {limit:.1} MB"
        );
    }
}
