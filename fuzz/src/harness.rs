//! Decode harnesses shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, run on
//! nightly by `scripts/fuzz.sh`) and the stable replay test
//! (`runtime/tests/fuzz_regressions.rs`, which `#[path]`-includes this file).
//!
//! Every harness takes arbitrary bytes and returns the outcome of its main decode:
//! `Ok(())` or a typed [`arraymodel::Error`]. It panics — a crash for the fuzzer, a
//! failure for the replay test — if
//! - a decoder panics or allocates without bound (libFuzzer's `-malloc_limit_mb`),
//! - a binref read returns bytes from outside the base folder,
//! - a value that decoded does not survive encode → decode → encode in every wire form
//!   (the fixed-point check, [`check_array`] and [`check_model`]): lossless forms must
//!   give back the same dtype, shape and bits; the lossy tesseract `json` form (NaN and
//!   ±Inf become `null`) must give back the same text on the second round.
//!
//! Only this file's dependencies (`arraymodel`, `serde`, `serde_json`, `rmpv`) are used,
//! so it compiles in both crates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use arraymodel::binref::{BinrefReader, Reference};
use arraymodel::document::Document;
use arraymodel::{
    Array, ArrayModel, ArrayView, DType, DecodeOptions, EncodeOptions, Encoding, Error, ErrorKind,
    Limits, NdArray, from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec,
};
use serde::{Deserialize, Serialize};

/// What a harness returns: the result of its main decode.
pub type Outcome = Result<(), Error>;

/// A fuzz target's name and its harness.
pub type Target = (&'static str, fn(&[u8]) -> Outcome);

/// Every harness in this file, by fuzz-target name (the schema reader of the code
/// generator lives in `fuzz/src/lib.rs`: the runtime's tests cannot depend on it).
pub const TARGETS: &[Target] = &[
    ("tesseract_json", tesseract_json),
    ("tesseract_structured", tesseract_structured),
    ("binref_reference", binref_reference),
    ("truss_json", truss_json),
    ("msgpack", msgpack),
    ("model_json", model_json),
    ("model_msgpack", model_msgpack),
    ("json_value", json_value),
    ("differential", differential),
];

/// Arrays larger than this skip the fixed-point check (it re-encodes in seven forms).
const CHECK_MAX_BYTES: usize = 1 << 20;

/// The tesseract `json` text of an array with a zero dimension still holds one `[]`
/// per combination of the dimensions before it: `[2**40, 0]` is 8 bytes of base64
/// input and terabytes of JSON output. Arrays with more nested lists than this skip the
/// `json` part of the fixed-point check (reported as a finding; see SECURITY.md).
const CHECK_MAX_JSON_LISTS: u128 = 1 << 16;

// ---------------------------------------------------------------------------------
// Wrappers and the derived model
// ---------------------------------------------------------------------------------

/// `{"x": <array>}` (also `{"array": <array>}`, the key of truss's golden models).
#[derive(Debug, Deserialize)]
pub struct X {
    #[serde(alias = "array")]
    pub x: Array,
}

#[derive(Serialize)]
struct XRef<'a> {
    x: &'a Array,
}

/// `{"x": <msgpack-numpy map>}`, borrowed.
#[derive(Debug, Deserialize)]
pub struct XView<'a> {
    #[serde(borrow, alias = "array")]
    pub x: ArrayView<'a>,
}

fn one() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's inputs (`a`, `b`, `s`, so the golden requests are valid seeds) plus
/// optional fields with every kind of constraint the derive offers.
#[derive(ArrayModel, Debug, Clone)]
pub struct FuzzModel {
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub a: Array,
    #[array(shape = [None], dtype = "float64")]
    pub b: NdArray<f64>,
    #[array(shape = [], dtype = "float64")]
    #[serde(default = "one")]
    pub s: Array,
    #[array(shape = [2, None], dtype = "int32")]
    #[serde(default)]
    pub m: Option<Array>,
    #[array(shape = .., dtype = "complex64", exact)]
    #[serde(default)]
    pub z: Option<Array>,
    #[array(shape = [3])]
    #[serde(default)]
    pub any3: Option<Array>,
    #[array(shape = [None], dtype = "uint8")]
    #[serde(default)]
    pub items: Vec<Array>,
    #[array(shape = [], dtype = "bool")]
    #[serde(default)]
    pub named: BTreeMap<String, Array>,
    #[bytes]
    #[serde(default)]
    pub raw: Vec<u8>,
    #[serde(default)]
    pub label: Option<String>,
}

// ---------------------------------------------------------------------------------
// The binref fixture: a base folder with a few files, and a secret outside it
// ---------------------------------------------------------------------------------

/// The byte every file outside the base folder is made of. No file inside the base
/// contains it, so a binref array consisting of it was read from outside.
pub const SECRET: u8 = 0xEE;

/// Folders of the binref fixture (created once per process).
pub struct Fixture {
    /// The base folder references are resolved in.
    pub base: PathBuf,
    /// Where the fixed-point checks write binref files (one scratch folder per check).
    pub out: PathBuf,
    /// The folder holding the fixture (removed by [`remove_fixture`]).
    pub root: PathBuf,
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// One LZ4 frame as python-lz4 writes it for tesseract (independent 64 KiB blocks, the
/// content size, no checksums), made with lz4_flex directly, not the runtime's encoder.
fn lz4(bytes: &[u8]) -> Vec<u8> {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
    use std::io::Write;
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_size(Some(bytes.len() as u64));
    let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
    enc.write_all(bytes).expect("lz4 compress");
    enc.finish().expect("lz4 compress")
}

/// The files of the base folder, by relative path. `lz4.bin` holds two frames:
/// `lz4.bin:0:<LZ4_A>` (float64 `[1, 2, 3]`) and `lz4.bin:<LZ4_A>:<len>` (`0..64` as uint8).
pub fn fixture_files() -> Vec<(&'static str, Vec<u8>)> {
    let ab = f64_bytes(&[1.0, 2.0, 3.0, 0.5, -1.25, 1e-300]);
    let all: Vec<u8> = (0..=255u8)
        .map(|b| if b == SECRET { 0 } else { b })
        .collect();
    let mut frames = lz4(&f64_bytes(&[1.0, 2.0, 3.0]));
    frames.extend(lz4(&(0..64u8).collect::<Vec<_>>()));
    vec![
        ("ab.bin", ab),
        ("sub/s.bin", f64_bytes(&[2.0])),
        ("all.bin", all),
        ("lz4.bin", frames),
        ("empty.bin", Vec::new()),
    ]
}

/// The fixture, created on first use under the system temp folder (one per process).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("arraymodel-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let base = root.join("base");
        let out = root.join("out");
        let outside = root.join("outside");
        for d in [&base, &out, &outside, &base.join("sub")] {
            std::fs::create_dir_all(d).expect("fixture folder");
        }
        for (name, bytes) in fixture_files() {
            assert!(!bytes.contains(&SECRET), "{name} contains the secret byte");
            std::fs::write(base.join(name), bytes).expect("fixture file");
        }
        std::fs::write(outside.join("secret.bin"), [SECRET; 256]).expect("secret file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            let _ = symlink(base.join("ab.bin"), base.join("inside.bin"));
            let _ = symlink(outside.join("secret.bin"), base.join("escape.bin"));
            let _ = symlink(&outside, base.join("escapedir"));
            // Opening a FIFO blocks until a writer appears: the reader must refuse it
            // first (a hang here is a libFuzzer timeout).
            let _ = std::process::Command::new("mkfifo")
                .arg(base.join("fifo.bin"))
                .status();
        }
        Fixture { base, out, root }
    })
}

/// Removes the fixture folder (the replay test calls it when done).
pub fn remove_fixture() {
    let _ = std::fs::remove_dir_all(&fixture().root);
}

fn decode_opts() -> DecodeOptions {
    DecodeOptions::default().binref_dir(&fixture().base)
}

/// Panics if `a` could only have been read from a file outside the base folder.
fn assert_not_secret(a: &Array, what: &str) {
    let b = a.as_bytes();
    assert!(
        b.is_empty() || b.iter().any(|&x| x != SECRET),
        "{what}: binref read {} bytes from outside the base folder",
        b.len()
    );
}

// ---------------------------------------------------------------------------------
// The fixed-point check
// ---------------------------------------------------------------------------------

fn same_bits(a: &Array, b: &Array) -> bool {
    a.dtype() == b.dtype() && a.shape() == b.shape() && a.as_bytes() == b.as_bytes()
}

/// The number of `[...]` lists in the tesseract `json` text of an array of `shape`.
fn json_lists(shape: &[usize]) -> u128 {
    let mut lists = 0u128;
    let mut outer = 1u128;
    for &d in shape {
        lists = lists.saturating_add(outer);
        outer = outer.saturating_mul(d as u128);
    }
    lists
}

/// A fresh folder under the fixture's `out` for one fixed-point check's binref files,
/// removed when dropped (checks may run on several threads at once).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = fixture()
            .out
            .join(N.fetch_add(1, Ordering::Relaxed).to_string());
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn encodings(out: &Path) -> [(&'static str, EncodeOptions); 6] {
    [
        ("json", EncodeOptions::tesseract(Encoding::Json)),
        ("base64", EncodeOptions::tesseract(Encoding::Base64)),
        (
            "base64+lz4",
            EncodeOptions::tesseract(Encoding::Base64).lz4(),
        ),
        (
            "binref",
            EncodeOptions::tesseract(Encoding::Binref).binref_dir(out),
        ),
        (
            "binref+lz4",
            EncodeOptions::tesseract(Encoding::Binref)
                .lz4()
                .binref_dir(out),
        ),
        ("truss", EncodeOptions::truss()),
    ]
}

/// decode → encode → decode → encode for one decoded array, in every wire form.
pub fn check_array(a: &Array) {
    if a.nbytes() > CHECK_MAX_BYTES {
        return;
    }
    let scratch = Scratch::new();
    let read_back = DecodeOptions::default().binref_dir(&scratch.0);
    for (name, opts) in encodings(&scratch.0) {
        if name == "json" && json_lists(a.shape()) > CHECK_MAX_JSON_LISTS {
            continue;
        }
        let e1 = to_json_vec(&XRef { x: a }, &opts)
            .unwrap_or_else(|e| panic!("{name}: a decoded array does not encode: {e}"));
        let back: X = from_json_slice(&e1, &read_back).unwrap_or_else(|e| {
            panic!(
                "{name}: our own output does not decode: {e}\n{}",
                String::from_utf8_lossy(&e1)
            )
        });
        if name == "json" {
            let e2 = to_json_vec(&XRef { x: &back.x }, &opts).expect("json re-encode");
            assert_eq!(
                String::from_utf8_lossy(&e1),
                String::from_utf8_lossy(&e2),
                "json: not a fixed point"
            );
        } else {
            assert!(
                same_bits(a, &back.x),
                "{name}: round trip changed the array: {a:?} -> {:?}",
                back.x
            );
        }
    }
    let packed = to_msgpack_vec(&XRef { x: a }).expect("msgpack encode");
    let back: X = from_msgpack_slice(&packed, &DecodeOptions::default()).expect("msgpack decode");
    assert!(
        same_bits(a, &back.x),
        "msgpack: round trip changed the array"
    );
    let view: XView<'_> =
        from_msgpack_slice(&packed, &DecodeOptions::default()).expect("msgpack view decode");
    let owned = view.x.to_array().expect("view to array");
    assert!(
        same_bits(a, &owned),
        "msgpack view: round trip changed the array"
    );
}

/// decode → encode → decode → encode for a decoded model, in every wire form. msgpack
/// (lossless, and able to carry bytes that are not UTF-8) is the reference.
pub fn check_model(m: &FuzzModel) {
    let arrays = std::iter::once(&m.a)
        .chain([m.b.as_array(), &m.s])
        .chain(m.m.iter().chain(&m.z).chain(&m.any3))
        .chain(&m.items)
        .chain(m.named.values());
    let mut total = 0usize;
    let mut lists = 0u128;
    for a in arrays {
        total = total.saturating_add(a.nbytes());
        lists = lists.saturating_add(json_lists(a.shape()));
    }
    if total > CHECK_MAX_BYTES {
        return;
    }
    let reference = m.to_msgpack().expect("msgpack encode of a decoded model");
    let again = FuzzModel::from_msgpack(&reference, &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("msgpack: our own output does not decode: {e}"));
    assert_eq!(
        again.to_msgpack().expect("msgpack re-encode"),
        reference,
        "msgpack: not a fixed point"
    );
    let scratch = Scratch::new();
    let read_back = DecodeOptions::default().binref_dir(&scratch.0);
    for (name, opts) in encodings(&scratch.0) {
        if name == "json" && lists > CHECK_MAX_JSON_LISTS {
            continue;
        }
        let e1 = match m.to_json(&opts) {
            Ok(e) => e,
            // Bytes that are not UTF-8 have no JSON form (pydantic's rule); nothing else fails.
            Err(e)
                if matches!(e.kind(), ErrorKind::Unrepresentable(_))
                    && e.path().to_string() == "raw" =>
            {
                continue;
            }
            Err(e) => panic!("{name}: a decoded model does not encode: {e}"),
        };
        let back = FuzzModel::from_json(&e1, &read_back).unwrap_or_else(|e| {
            panic!(
                "{name}: our own output does not decode: {e}\n{}",
                String::from_utf8_lossy(&e1)
            )
        });
        if name == "json" {
            let e2 = back.to_json(&opts).expect("json re-encode");
            assert_eq!(
                String::from_utf8_lossy(&e1),
                String::from_utf8_lossy(&e2),
                "json: not a fixed point"
            );
        } else {
            assert_eq!(
                back.to_msgpack().expect("msgpack encode"),
                reference,
                "{name}: round trip changed the model"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Harnesses
// ---------------------------------------------------------------------------------

/// Any JSON as `{"x": <array>}`: every tesseract encoding with and without lz4, truss,
/// plain lists; binref buffers resolve in the fixture's base folder.
pub fn tesseract_json(data: &[u8]) -> Outcome {
    let x = same_as_uncut(data, &decode_opts())?;
    check_array(&x.x);
    Ok(())
}

/// `{"x": <array>}` from `data`, checking that the long-string path (strings cut out,
/// tesseract and truss buffer ends guessed from shape and dtype) gives what parsing the
/// input as it is gives: the same array bytes, or the same error.
fn same_as_uncut(data: &[u8], opts: &DecodeOptions) -> arraymodel::Result<X> {
    let ours = from_json_slice::<X>(data, opts);
    let uncut = arraymodel::__private::from_json_slice_uncut::<X>(data, opts);
    match (&ours, &uncut) {
        (Ok(a), Ok(b)) => {
            assert_eq!((a.x.dtype(), a.x.shape()), (b.x.dtype(), b.x.shape()));
            assert_eq!(a.x.as_bytes(), b.x.as_bytes(), "different array data");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("long-string path {ours:?}, parsed as it is {uncut:?}"),
    }
    ours
}

/// Any bytes as a JSON document, read as a `serde_json::Value` by `from_json_slice`,
/// which hands serde_json a copy with the long strings cut out (the runtime's
/// `long_strings`; under `cfg(fuzzing)` every string of 4 bytes or more is cut): the
/// outcome must be serde_json's own, the same value or an error with the same message.
pub fn json_value(data: &[u8]) -> Outcome {
    let ours = from_json_slice::<serde_json::Value>(data, &decode_opts());
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(ours.is_err(), "accepted invalid UTF-8");
        return ours.map(drop);
    };
    match (&ours, serde_json::from_str::<serde_json::Value>(text)) {
        (Ok(v), Ok(want)) => assert_eq!(v, &want, "a different value than serde_json's"),
        (Err(e), Err(want)) => assert!(
            e.to_string().contains(&want.to_string()),
            "error {e} is not serde_json's {want}"
        ),
        (Ok(_), Err(want)) => panic!("accepted what serde_json refuses: {want}"),
        (Err(e), Ok(_)) => panic!("refused what serde_json accepts: {e}"),
    }
    ours.map(drop)
}

/// A tesseract array object built from the input, so each encoding and compression is
/// reached directly: byte 0 chooses the encoding (`json`, `base64`, `binref`, or the
/// legacy `data` list), lz4, and whether the payload is used verbatim; byte 1 the dtype
/// and its spelling; byte 2 the rank (0-3), then one byte per dimension (255 means
/// 2**40); the rest is the payload — the `json` buffer text, the bytes to base64 (an
/// LZ4 frame with lz4), or the binref reference.
pub fn tesseract_structured(data: &[u8]) -> Outcome {
    let [mode, dt, rank, rest @ ..] = data else {
        return Ok(());
    };
    let rank = usize::from(rank % 4);
    if rest.len() < rank {
        return Ok(());
    }
    let (dims, payload) = rest.split_at(rank);
    let shape: Vec<String> = dims
        .iter()
        .map(|&d| {
            if d == 255 {
                (1u64 << 40).to_string()
            } else {
                d.to_string()
            }
        })
        .collect();
    let dtype = DType::ALL[usize::from(dt % 14)];
    let dtype_text = match dt / 14 % 3 {
        0 => dtype.name().to_owned(),
        1 => dtype.descr().to_owned(),
        _ => dtype.descr_in(arraymodel::ByteOrder::Big),
    };
    let lz4 = mode & 4 != 0;
    let verbatim = mode & 8 != 0;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let string = |s: &str| serde_json::to_string(s).expect("json string");
    let (buffer, encoding) = match mode % 4 {
        0 => (text(payload), "json"),
        1 if verbatim => (string(&text(payload)), "base64"),
        1 => {
            let b64 = base64_simd::STANDARD.encode_to_string(payload);
            (string(&b64), "base64")
        }
        2 => (string(&text(payload)), "binref"),
        _ => (String::new(), "list"),
    };
    let data_json = if encoding == "list" {
        text(payload)
    } else {
        let compression = if lz4 { r#","compression":"lz4""# } else { "" };
        format!(r#"{{"buffer":{buffer},"encoding":"{encoding}"{compression}}}"#)
    };
    let body = format!(
        r#"{{"x":{{"object_type":"array","shape":[{}],"dtype":{},"data":{data_json}}}}}"#,
        shape.join(","),
        string(&dtype_text)
    );
    let x: X = from_json_slice(body.as_bytes(), &decode_opts())?;
    if encoding == "binref" {
        assert_not_secret(&x.x, "tesseract_structured");
    }
    check_array(&x.x);
    Ok(())
}

/// A binref reference string (from byte 2 on, lossy UTF-8): parsed, checked for the
/// confinement rules, then read from the fixture with the dtype and element count of
/// bytes 0-1 (byte 0: dtype in bits 0-6, lz4 in bit 7; 255 elements means 2**40), and viewed in a buffer.
pub fn binref_reference(data: &[u8]) -> Outcome {
    let [flags, count, rest @ ..] = data else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(rest);
    let dtype = DType::ALL[usize::from((flags & 0x7f) % 14)];
    let compressed = flags & 0x80 != 0;
    let n = if *count == 255 {
        1usize << 40
    } else {
        usize::from(*count)
    };
    let parsed = Reference::parse(&text);
    if let Ok(r) = &parsed {
        let p = Path::new(r.path);
        assert!(!r.path.is_empty(), "empty path accepted");
        assert!(!p.is_absolute(), "absolute path accepted: {text:?}");
        assert!(
            !r.path.contains([':', '\\', '\0']),
            "scheme, ':', '\\' or NUL accepted: {text:?}"
        );
        assert!(
            !p.components()
                .any(|c| matches!(c, std::path::Component::ParentDir)),
            "'..' accepted: {text:?}"
        );
        // The offset (and size) are exactly the decimal suffixes.
        let mut expect = format!("{}:{}", r.path, r.offset);
        if let Some(size) = r.compressed_size {
            expect.push_str(&format!(":{size}"));
        }
        let again = Reference::parse(&expect).expect("a printed reference parses");
        assert_eq!(&again, r, "reference does not round-trip: {text:?}");
    }
    let fx = fixture();
    let reader = BinrefReader::new(&fx.base)?;
    let limits = Limits::default();
    let result = reader.read(&text, dtype, vec![n], compressed, &limits);
    if let Ok(a) = &result {
        let r = parsed.as_ref().expect("read succeeded but parse failed");
        let resolved = fx
            .base
            .join(r.path)
            .canonicalize()
            .expect("read file exists");
        assert!(
            resolved.starts_with(reader.base()),
            "read {} outside the base",
            resolved.display()
        );
        assert_not_secret(a, "binref_reference");
        assert_eq!(a.shape(), &[n]);
        check_array(a);
    }
    // The zero-copy view over a file's bytes, at the parsed offset, agrees with the read.
    let files = fixture_files();
    let view = parsed.as_ref().ok().and_then(|r| {
        let (_, bytes) = files.iter().find(|(name, _)| *name == r.path)?;
        arraymodel::binref::view(bytes, r.offset, dtype, vec![n], &limits).ok()
    });
    if let Some(v) = view {
        let a = v.to_array()?;
        if let (Ok(b), false) = (&result, compressed) {
            assert!(same_bits(&a, b), "view and read disagree");
        }
    }
    result.map(|_| ())
}

/// truss's `NumpyArrayField` JSON, as a field (`{"array": ...}`) and as a bare value.
pub fn truss_json(data: &[u8]) -> Outcome {
    let opts = DecodeOptions::default();
    if let Ok(a) = from_json_slice::<Array>(data, &opts) {
        check_array(&a);
    }
    let x = same_as_uncut(data, &opts)?;
    check_array(&x.x);
    Ok(())
}

/// msgpack: the owned `Array` and the borrowed `ArrayView`, in a field and bare.
/// Whatever the view accepts, the owned decoder accepts with the same contents.
pub fn msgpack(data: &[u8]) -> Outcome {
    let opts = DecodeOptions::default();
    let bare = from_msgpack_slice::<Array>(data, &opts);
    if let Ok(v) = from_msgpack_slice::<ArrayView<'_>>(data, &opts) {
        let a = bare
            .as_ref()
            .expect("the view decoded but the owned array did not");
        assert!(same_bits(&v.to_array()?, a), "bare view and array disagree");
    }
    if let Ok(a) = &bare {
        check_array(a);
    }
    let owned = from_msgpack_slice::<X>(data, &opts);
    if let Ok(v) = from_msgpack_slice::<XView<'_>>(data, &opts) {
        let x = owned
            .as_ref()
            .expect("the view decoded but the owned array did not");
        assert!(same_bits(&v.x.to_array()?, &x.x), "view and array disagree");
    }
    let x = owned?;
    check_array(&x.x);
    Ok(())
}

/// The derived model from JSON: as tesseract's request `{"inputs": ...}` and bare.
pub fn model_json(data: &[u8]) -> Outcome {
    let opts = decode_opts();
    if let Ok(m) = FuzzModel::from_json(data, &opts) {
        check_model(&m);
    }
    let m = FuzzModel::from_tesseract_request(data, &opts)?;
    check_model(&m);
    Ok(())
}

/// The derived model from msgpack (truss's binary mode).
pub fn model_msgpack(data: &[u8]) -> Outcome {
    let m = FuzzModel::from_msgpack(data, &DecodeOptions::default())?;
    check_model(&m);
    Ok(())
}

// ---------------------------------------------------------------------------------
// One reading of every payload
// ---------------------------------------------------------------------------------

/// The same bytes to every reader: byte 0 even, the rest as JSON; odd, as msgpack.
/// The typed decoder (`{"x": Array}`) and the schema-less `Document` must agree: when
/// the document is exactly `{"x": ..}`, one of them reading an array there means the
/// other reads the same array (or, for the typed decoder's side, `Document` fails on
/// the whole input). For msgpack, a reference reading with msgpack-numpy's own rules
/// ([`msgpack_numpy_reading`]) must agree too: a map it would unpickle is refused by
/// both readers, and an array either reader accepts is the array it would build.
pub fn differential(data: &[u8]) -> Outcome {
    let [mode, rest @ ..] = data else {
        return Ok(());
    };
    let opts = decode_opts();
    let msgpack = mode & 1 == 1;
    let (typed, doc) = if msgpack {
        (
            from_msgpack_slice::<X>(rest, &opts),
            Document::from_msgpack_slice(rest, &opts),
        )
    } else {
        (
            from_json_slice::<X>(rest, &opts),
            Document::from_json_slice(rest, &opts),
        )
    };
    // Values without arrays are kept packed; expanded, `{"x": ..}` is a one-entry map.
    let expanded = doc.as_ref().map(Document::unpacked);
    let doc_x = match &expanded {
        Ok(Document::Map(entries)) if entries.len() == 1 => {
            let (k, v) = &entries[0];
            let is_x = matches!(k, Document::String(k) if k == "x");
            is_x.then_some(v)
        }
        _ => None,
    };
    if let Some(Document::Array(a, _)) = doc_x {
        let t = typed
            .as_ref()
            .expect("Document read an array the typed decoder refused");
        assert!(
            same_bits(a, &t.x),
            "Document and the typed decoder read different arrays"
        );
    }
    // Plain numbers and lists are arrays to a typed field (as `np.asarray` reads them)
    // and stay data in a `Document`; a map is an array object to both or to neither.
    if let (Ok(t), Some(v)) = (&typed, doc_x) {
        match v {
            Document::Array(a, _) => assert!(same_bits(a, &t.x)),
            Document::Map(_) => panic!("the typed decoder read an array where Document kept {v:?}"),
            _ => {}
        }
    }
    if msgpack {
        let reference = msgpack_numpy_reading(rest);
        if matches!(reference, Reading::Pickle) {
            assert!(typed.is_err(), "accepted a map msgpack-numpy unpickles");
            assert!(
                doc.is_err(),
                "Document accepted a map msgpack-numpy unpickles"
            );
        }
        for (what, array) in [
            ("typed", typed.as_ref().ok().map(|t| &t.x)),
            ("Document", doc_x.and_then(Document::as_array)),
        ] {
            let Some(a) = array else { continue };
            match &reference {
                Reading::Array { shape, data } => {
                    assert_eq!(
                        a.shape(),
                        shape.as_slice(),
                        "{what}: another shape than msgpack-numpy's"
                    );
                    assert_eq!(
                        a.nbytes(),
                        data.len(),
                        "{what}: another size than msgpack-numpy's"
                    );
                }
                Reading::Scalar => assert!(a.shape().is_empty(), "{what}: not a scalar"),
                Reading::Complex => {}
                Reading::Pickle => unreachable!(),
                Reading::Dict => assert!(
                    !has_bin_key(rest, b"nd") && !has_bin_key(rest, b"complex"),
                    "{what}: read an array where msgpack-numpy sees a plain dict"
                ),
                Reading::Other => {}
            }
        }
    }
    typed.map(drop)
}

/// What msgpack-numpy's `decode` makes of the value at `x` of a `{"x": ..}` document.
#[derive(Debug)]
pub enum Reading {
    /// `b"nd"` is `True` and `b"kind"` is `b"O"`: `pickle.loads(data)`.
    Pickle,
    /// `np.ndarray(buffer=data, dtype=type, shape=shape)`.
    Array { shape: Vec<usize>, data: Vec<u8> },
    /// `np.frombuffer(data, dtype=type)[0]`.
    Scalar,
    /// `complex(data)`.
    Complex,
    /// A plain dict (no bin `nd`/`complex`, or a key it reads is missing).
    Dict,
    /// Not a `{"x": map}` document.
    Other,
}

/// msgpack-numpy 0.4.8's `decode`, restated over `rmpv` (msgpack-python keeps the last
/// of duplicated keys; only bin keys count).
pub fn msgpack_numpy_reading(bytes: &[u8]) -> Reading {
    let mut cursor = bytes;
    let Ok(root) = rmpv::decode::read_value(&mut cursor) else {
        return Reading::Other;
    };
    let Some(entries) = root.as_map() else {
        return Reading::Other;
    };
    let Some((_, rmpv::Value::Map(x))) =
        entries.iter().rev().find(|(k, _)| k.as_str() == Some("x"))
    else {
        return Reading::Other;
    };
    let bin = |name: &[u8]| {
        x.iter()
            .rev()
            .find(|(k, _)| matches!(k, rmpv::Value::Binary(b) if b.as_slice() == name))
            .map(|(_, v)| v)
    };
    if let Some(nd) = bin(b"nd") {
        if nd.as_bool() == Some(true) {
            if bin(b"kind").and_then(|k| k.as_slice()) == Some(b"O".as_slice()) {
                return if bin(b"data").is_some() {
                    Reading::Pickle
                } else {
                    Reading::Dict
                };
            }
            let (Some(_), Some(shape), Some(data)) = (bin(b"type"), bin(b"shape"), bin(b"data"))
            else {
                return Reading::Dict;
            };
            // `np.ndarray(shape=...)` takes a sequence or a single integer (`shape=1` is
            // `(1,)`).
            let shape = match shape.as_u64() {
                Some(n) => vec![n as usize],
                None => shape
                    .as_array()
                    .map(|dims| {
                        dims.iter()
                            .filter_map(|d| d.as_u64())
                            .map(|d| d as usize)
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let data = data.as_slice().map(<[u8]>::to_vec).unwrap_or_default();
            return Reading::Array { shape, data };
        }
        return if bin(b"type").is_some() && bin(b"data").is_some() {
            Reading::Scalar
        } else {
            Reading::Dict
        };
    }
    if bin(b"complex").is_some() {
        return if bin(b"data").is_some() {
            Reading::Complex
        } else {
            Reading::Dict
        };
    }
    Reading::Dict
}

fn has_bin_key(bytes: &[u8], name: &[u8]) -> bool {
    let mut cursor = bytes;
    let Ok(root) = rmpv::decode::read_value(&mut cursor) else {
        return false;
    };
    let x = root
        .as_map()
        .and_then(|e| e.iter().rev().find(|(k, _)| k.as_str() == Some("x")))
        .and_then(|(_, v)| v.as_map());
    x.is_some_and(|m| {
        m.iter()
            .any(|(k, _)| matches!(k, rmpv::Value::Binary(b) if b.as_slice() == name))
    })
}
