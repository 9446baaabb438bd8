//! Bounded allocation: a counting global allocator measures, for one decode at a time,
//! the total bytes allocated and the peak of live bytes, and checks them against the
//! input, whatever sizes the input claims.
//!
//! The bound: with `input` the payload's length and `carried` the element bytes the
//! payload really carries outside itself or in compressed form (binref bytes actually
//! read, LZ4 output actually produced),
//!
//! ```text
//! peak live bytes   <= 4 * (input + carried) + 64 KiB
//! total allocated   <= 8 * (input + carried) + 64 KiB
//! ```
//!
//! except for the forms whose text is denser than their elements (a float64 `0` is
//! one JSON character plus a comma but 8 bytes; a complex128 is 16): for those the
//! bound is the decoded array's own size times the same factors, checked separately
//! in `json_text_is_bounded_by_its_elements`.
//!
//! Plain lists (a JSON list as the array, tesseract's legacy `"data": [...]`, a msgpack
//! array) are held to the same bound (`plain_lists_within_the_small_bound`).
//!
//! Hostile inputs claim sizes of gigabytes to exabytes (shapes, base64 lengths, msgpack
//! bin/str/array/map lengths, LZ4 content sizes, JSON nesting and list lengths) and must
//! fail within the small bound; valid inputs of several sizes must decode within it.
//! `hostile.rs` checks the largest single allocation of some of these; this file checks
//! the totals.

#[path = "common/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use arraymodel::{
    Array, ArrayModel, ArrayView, DType, DecodeOptions, EncodeOptions, Encoding, Error, NdArray,
    from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec,
};
use serde::{Deserialize, Serialize};

#[path = "common/counting.rs"]
mod counting;
use counting::{Stats, measure};

const SLACK: usize = 64 << 10;

fn peak_bound(basis: usize) -> usize {
    4 * basis + SLACK
}

fn total_bound(basis: usize) -> usize {
    8 * basis + SLACK
}

#[track_caller]
fn assert_bounded(what: &str, basis: usize, s: Stats) {
    eprintln!(
        "{what}: basis {basis}, peak {} ({:.2}x), total {} ({:.2}x)",
        s.peak,
        s.peak as f64 / basis as f64,
        s.total,
        s.total as f64 / basis as f64
    );
    assert!(
        s.peak <= peak_bound(basis),
        "{what}: peak {} bytes live > 4 * {basis} + 64 KiB",
        s.peak
    );
    assert!(
        s.total <= total_bound(basis),
        "{what}: {} bytes allocated in total > 8 * {basis} + 64 KiB",
        s.total
    );
}

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
struct M {
    x: Array,
}

#[derive(Serialize)]
struct MRef<'a> {
    x: &'a Array,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct MView<'a> {
    #[serde(borrow)]
    x: ArrayView<'a>,
}

fn one() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's inputs.
#[derive(ArrayModel, Debug)]
#[allow(dead_code)]
struct VecAdd {
    #[array(shape = [None], dtype = "float64")]
    a: Array,
    #[array(shape = [None], dtype = "float64")]
    b: NdArray<f64>,
    #[array(shape = [], dtype = "float64")]
    #[serde(default = "one")]
    s: Array,
}

fn b64(bytes: &[u8]) -> String {
    wire::b64(bytes)
}

fn lz4(bytes: &[u8]) -> Vec<u8> {
    wire::lz4_frame(bytes)
}

fn tesseract(shape: &str, dtype: &str, data: &str) -> String {
    format!(r#"{{"x":{{"object_type":"array","shape":{shape},"dtype":"{dtype}","data":{data}}}}}"#)
}

/// An LZ4 frame header declaring `size` bytes, then the end mark (no blocks).
fn lz4_claiming(size: u64) -> Vec<u8> {
    let mut f = vec![0x04, 0x22, 0x4D, 0x18, 0x68, 0x40];
    f.extend_from_slice(&size.to_le_bytes());
    f.push(0);
    f.extend_from_slice(&[0, 0, 0, 0]);
    f
}

/// `{"x": {nd, type, kind, shape, data}}` with bin keys; `data` spliced in raw.
fn np_msgpack(type_: &str, shape: &[u64], raw_data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_map_len(&mut out, 1).unwrap();
    rmp::encode::write_str(&mut out, "x").unwrap();
    rmp::encode::write_map_len(&mut out, 5).unwrap();
    rmp::encode::write_bin(&mut out, b"nd").unwrap();
    rmp::encode::write_bool(&mut out, true).unwrap();
    rmp::encode::write_bin(&mut out, b"type").unwrap();
    rmp::encode::write_str(&mut out, type_).unwrap();
    rmp::encode::write_bin(&mut out, b"kind").unwrap();
    rmp::encode::write_bin(&mut out, b"").unwrap();
    rmp::encode::write_bin(&mut out, b"shape").unwrap();
    rmp::encode::write_array_len(&mut out, shape.len() as u32).unwrap();
    for &d in shape {
        rmp::encode::write_uint(&mut out, d).unwrap();
    }
    rmp::encode::write_bin(&mut out, b"data").unwrap();
    out.extend_from_slice(raw_data);
    out
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "arraymodel-alloc-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json_hostile(body: &[u8], opts: &DecodeOptions) -> Stats {
    let (r, s) = measure(|| from_json_slice::<M>(body, opts));
    let e: Error = r.expect_err("hostile JSON accepted");
    let _ = e.to_string();
    s
}

fn msgpack_hostile(body: &[u8]) -> Stats {
    let opts = DecodeOptions::default();
    let (r, s) = measure(|| from_msgpack_slice::<M>(body, &opts));
    assert!(r.is_err(), "hostile msgpack accepted");
    let (r, v) = measure(|| from_msgpack_slice::<MView<'_>>(body, &opts));
    assert!(r.is_err(), "hostile msgpack accepted as a view");
    Stats {
        total: s.total.max(v.total),
        peak: s.peak.max(v.peak),
    }
}

// ---------------------------------------------------------------------------------
// Hostile inputs: claims far beyond the input
// ---------------------------------------------------------------------------------

/// 10^9 float64 (8 GB, just under the default 8 GiB limit), and overflowing products.
const GIGA: &str = "[1000000000]";
const HUGE: &str = "[4294967296,4294967296,4294967296]";

#[test]
fn hostile_shapes() {
    let opts = DecodeOptions::default();
    let payload = [0u8; 48];
    let b64_data = format!(r#"{{"buffer":"{}","encoding":"base64"}}"#, b64(&payload));
    let truss = |shape: &str| {
        format!(
            r#"{{"x":{{"data_b64":"{}","shape":{shape},"dtype":"float64"}}}}"#,
            b64(&payload)
        )
    };
    let many_dims = format!("[{}]", vec!["2"; 64].join(","));
    for body in [
        tesseract(GIGA, "float64", &b64_data),
        tesseract(HUGE, "float64", &b64_data),
        tesseract("[0,4294967296,4294967296,4294967296]", "int8", &b64_data),
        tesseract(&many_dims, "float64", &b64_data),
        tesseract(
            GIGA,
            "complex128",
            r#"{"buffer":[1,2,3],"encoding":"json"}"#,
        ),
        tesseract(GIGA, "float64", "[1.0,2.0]"),
        truss(GIGA),
        truss(HUGE),
    ] {
        let s = json_hostile(body.as_bytes(), &opts);
        assert_bounded(&body[..body.len().min(80)], body.len(), s);
    }
    for shape in [
        &[1_000_000_000u64][..],
        &[1 << 32, 1 << 32, 1 << 32],
        &[2; 64],
    ] {
        let body = np_msgpack("<f8", shape, &[0xc4, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_bounded("msgpack shape", body.len(), msgpack_hostile(&body));
    }
}

/// A base64 text whose length promises far more than the shape (and the reverse).
#[test]
fn hostile_base64_lengths() {
    let opts = DecodeOptions::default();
    let big = "A".repeat(4 << 20);
    for body in [
        tesseract(
            "[1]",
            "float64",
            &format!(r#"{{"buffer":"{big}","encoding":"base64"}}"#),
        ),
        tesseract(
            GIGA,
            "float64",
            &format!(r#"{{"buffer":"{big}","encoding":"base64"}}"#),
        ),
        format!(r#"{{"x":{{"data_b64":"{big}","shape":[1],"dtype":"uint8"}}}}"#),
        // Valid length, invalid characters, a matching shape.
        tesseract(
            "[3145728]",
            "uint8",
            &format!(r#"{{"buffer":"{}!","encoding":"base64"}}"#, &big[1..]),
        ),
    ] {
        let s = json_hostile(body.as_bytes(), &opts);
        assert_bounded("base64 length", body.len(), s);
    }
}

/// msgpack bin/str/array/map headers claiming up to 4 GiB with a few bytes behind them.
#[test]
fn hostile_msgpack_lengths() {
    for raw in [
        &[0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3][..],
        &[0xc5, 0xff, 0xff, 1, 2, 3],
        &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
        &[0xdd, 0xff, 0xff, 0xff, 0xff, 1],
        &[0xdc, 0xff, 0xff, 1],
        b"\xdf\xff\xff\xff\xff\xa6buffer",
        b"\xde\xff\xff\xa1k",
    ] {
        let body = np_msgpack("<f8", &[1], raw);
        assert_bounded(&format!("{raw:02x?}"), body.len(), msgpack_hostile(&body));
    }
    // As the top-level value and as the shape.
    for body in [
        vec![0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3],
        vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
        vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'x'],
    ] {
        let opts = DecodeOptions::default();
        let (r, s) = measure(|| from_msgpack_slice::<Array>(&body, &opts));
        assert!(r.is_err());
        assert_bounded("top-level msgpack", body.len(), s);
    }
    let mut body = np_msgpack("<f8", &[], &[0xc4, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    let key = b"\xc4\x05shape";
    let at = body.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    assert_eq!(body[at], 0x90);
    body.splice(at..=at, [0xdd, 0xff, 0xff, 0xff, 0xff, 1]);
    assert_bounded("msgpack shape array32", body.len(), msgpack_hostile(&body));
}

/// LZ4 frames that declare, or could only produce, far more than they hold.
#[test]
fn hostile_lz4_content_sizes() {
    let opts = DecodeOptions::default();
    let unsized_frame = {
        use std::io::Write;
        let mut out = Vec::new();
        let mut enc = lz4_flex::frame::FrameEncoder::new(&mut out);
        enc.write_all(&[0u8; 4096]).unwrap();
        enc.finish().unwrap();
        out
    };
    for (shape, frame) in [
        (GIGA, lz4_claiming(8_000_000_000)),
        (GIGA, lz4_claiming(u64::MAX)),
        ("[1]", lz4_claiming(8_000_000_000)),
        (GIGA, lz4(&[0u8; 4096])),
        (GIGA, unsized_frame.clone()),
        ("[1]", unsized_frame),
    ] {
        let body = tesseract(
            shape,
            "float64",
            &format!(
                r#"{{"buffer":"{}","encoding":"base64","compression":"lz4"}}"#,
                b64(&frame)
            ),
        );
        assert_bounded(
            "base64+lz4",
            body.len(),
            json_hostile(body.as_bytes(), &opts),
        );
    }
    // Frames that declare 4 MiB blocks but hold 8 bytes: the decoder must not reserve
    // block buffers for them (it used to: 4-12 MiB per frame, zeroing 4 MiB, whatever
    // the frame held). Valid for shape [1], refused for [2].
    for mode in [
        lz4_flex::frame::BlockMode::Independent,
        lz4_flex::frame::BlockMode::Linked,
    ] {
        use std::io::Write;
        let info = lz4_flex::frame::FrameInfo::new()
            .block_size(lz4_flex::frame::BlockSize::Max4MB)
            .block_mode(mode);
        let mut frame = Vec::new();
        let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, &mut frame);
        enc.write_all(&1.5f64.to_le_bytes()).unwrap();
        enc.finish().unwrap();
        for (shape, ok) in [("[1]", true), ("[2]", false)] {
            let body = tesseract(
                shape,
                "float64",
                &format!(
                    r#"{{"buffer":"{}","encoding":"base64","compression":"lz4"}}"#,
                    b64(&frame)
                ),
            );
            let (r, s) = measure(|| from_json_slice::<M>(body.as_bytes(), &opts));
            assert_eq!(r.is_ok(), ok, "{mode:?} {shape}: {r:?}");
            assert_bounded(&format!("4 MiB blocks {mode:?} {shape}"), body.len() + 8, s);
        }
    }
    // The same frames in binref files: only the frame is read before it is refused.
    let dir = TempDir::new("lz4");
    let frame = lz4_claiming(8_000_000_000);
    std::fs::write(dir.path().join("f.bin"), &frame).unwrap();
    let body = tesseract(
        GIGA,
        "float64",
        &format!(
            r#"{{"buffer":"f.bin:0:{}","encoding":"binref","compression":"lz4"}}"#,
            frame.len()
        ),
    );
    let opts = DecodeOptions::default().binref_dir(dir.path());
    let s = json_hostile(body.as_bytes(), &opts);
    assert_bounded("binref+lz4", body.len() + frame.len(), s);
}

/// binref references claiming more than their file holds, or past its end.
#[test]
fn hostile_binref_claims() {
    let dir = TempDir::new("binref");
    std::fs::write(dir.path().join("a.bin"), [1u8; 64]).unwrap();
    let opts = DecodeOptions::default().binref_dir(dir.path());
    for (shape, r) in [
        (GIGA, "a.bin:0"),
        (HUGE, "a.bin:0"),
        ("[8]", "a.bin:18446744073709551615"),
        ("[8]", "a.bin:1"),
        ("[8]", "../a.bin:0"),
    ] {
        let body = tesseract(
            shape,
            "float64",
            &format!(r#"{{"buffer":"{r}","encoding":"binref"}}"#),
        );
        assert_bounded(r, body.len(), json_hostile(body.as_bytes(), &opts));
    }
}

/// JSON nesting and list lengths: deep lists, a buffer far longer than its shape,
/// numbers with thousands of digits.
#[test]
fn hostile_json_lists() {
    let opts = DecodeOptions::default();
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let long = format!("[{}]", vec!["1"; 1 << 20].join(","));
    let digits = format!("[{}]", "9".repeat(1 << 20));
    for body in [
        format!(r#"{{"x":{deep}}}"#),
        tesseract(
            "[1]",
            "int8",
            &format!(r#"{{"buffer":{deep},"encoding":"json"}}"#),
        ),
        tesseract("[1]", "int8", &deep),
        tesseract(&deep, "int8", r#"{"buffer":[1],"encoding":"json"}"#),
        tesseract(
            "[2]",
            "float64",
            &format!(r#"{{"buffer":{long},"encoding":"json"}}"#),
        ),
        tesseract(
            GIGA,
            "float64",
            &format!(r#"{{"buffer":{long},"encoding":"json"}}"#),
        ),
        tesseract(
            "[1]",
            "uint64",
            &format!(r#"{{"buffer":{digits},"encoding":"json"}}"#),
        ),
        tesseract(
            "[1]",
            "float64",
            &format!(r#"{{"buffer":{digits}x,"encoding":"json"}}"#),
        ),
    ] {
        let s = json_hostile(body.as_bytes(), &opts);
        assert_bounded(&body[..body.len().min(60)], body.len(), s);
    }
}

/// A derived model: a huge claim in one field fails within the bound too.
#[test]
fn hostile_model_fields() {
    let opts = DecodeOptions::default();
    let body = format!(
        r#"{{"inputs":{{"a":{{"shape":{GIGA},"dtype":"float64","data":{{"buffer":"AAAAAAAAAAA=","encoding":"base64"}}}},"b":[1.0]}}}}"#
    );
    let (r, s) = measure(|| VecAdd::from_tesseract_request(body.as_bytes(), &opts));
    assert!(r.is_err());
    assert_bounded("model", body.len(), s);
}

// ---------------------------------------------------------------------------------
// Valid inputs of several sizes
// ---------------------------------------------------------------------------------

fn sizes() -> [usize; 4] {
    [1 << 10, 64 << 10, 1 << 20, 8 << 20]
}

/// Pseudo-random float64 bytes (incompressible) of `n` elements.
fn noise(n: usize) -> Array {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let v: Vec<f64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    Array::from_vec(v)
}

#[test]
fn valid_base64_truss_and_msgpack_of_several_sizes() {
    let opts = DecodeOptions::default();
    for bytes in sizes() {
        let a = noise(bytes / 8);
        for (name, enc) in [
            ("base64", EncodeOptions::tesseract(Encoding::Base64)),
            ("truss", EncodeOptions::truss()),
        ] {
            let body = to_json_vec(&MRef { x: &a }, &enc).unwrap();
            let (r, s) = measure(|| from_json_slice::<M>(&body, &opts));
            assert_eq!(r.unwrap().x.nbytes(), bytes);
            assert_bounded(&format!("{name} {bytes}"), body.len(), s);
        }
        let body = to_msgpack_vec(&MRef { x: &a }).unwrap();
        let (r, s) = measure(|| from_msgpack_slice::<M>(&body, &opts));
        assert_eq!(r.unwrap().x.nbytes(), bytes);
        assert_bounded(&format!("msgpack {bytes}"), body.len(), s);
        let (r, s) = measure(|| from_msgpack_slice::<MView<'_>>(&body, &opts));
        assert!(r.is_ok());
        assert!(s.peak < SLACK, "a view copies nothing: {s:?}");
        // The derived model converts and checks in place.
        let m = format!(
            r#"{{"inputs":{{"a":{},"b":{}}}}}"#,
            String::from_utf8(to_json_vec(&a, &EncodeOptions::default()).unwrap()).unwrap(),
            String::from_utf8(to_json_vec(&a, &EncodeOptions::default()).unwrap()).unwrap(),
        );
        let (r, s) = measure(|| VecAdd::from_tesseract_request(m.as_bytes(), &opts));
        assert!(r.is_ok());
        assert_bounded(&format!("model {bytes}"), m.len(), s);
    }
}

#[test]
fn valid_lz4_and_binref_of_several_sizes() {
    let dir = TempDir::new("valid");
    let opts = DecodeOptions::default().binref_dir(dir.path());
    for bytes in sizes() {
        // Compressible data: the frame is far smaller than what it produces.
        let a = Array::from_vec((0..bytes / 8).map(|i| (i % 7) as f64).collect::<Vec<_>>());
        let body = to_json_vec(
            &MRef { x: &a },
            &EncodeOptions::tesseract(Encoding::Base64).lz4(),
        )
        .unwrap();
        let (r, s) = measure(|| from_json_slice::<M>(&body, &opts));
        assert_eq!(r.unwrap().x.nbytes(), bytes);
        assert_bounded(&format!("base64+lz4 {bytes}"), body.len() + bytes, s);
        for (name, enc) in [
            ("binref", EncodeOptions::tesseract(Encoding::Binref)),
            (
                "binref+lz4",
                EncodeOptions::tesseract(Encoding::Binref).lz4(),
            ),
        ] {
            let body = to_json_vec(&MRef { x: &a }, &enc.binref_dir(dir.path())).unwrap();
            let (r, s) = measure(|| from_json_slice::<M>(&body, &opts));
            assert_eq!(r.unwrap().x.nbytes(), bytes);
            // Read from the file: the array, plus the frame when compressed.
            let read = if name == "binref" { bytes } else { 2 * bytes };
            assert_bounded(&format!("{name} {bytes}"), body.len() + read, s);
        }
    }
}

/// tesseract `json` buffers and plain lists: the text can be denser than the elements
/// (`0,` is 2 characters for 8 or 16 bytes), so the bound is the decoded array's size.
#[test]
fn json_text_is_bounded_by_its_elements() {
    let opts = DecodeOptions::default();
    for bytes in sizes() {
        for dtype in [DType::Float64, DType::Complex128, DType::Int8] {
            let n = bytes / 8;
            let a = match dtype {
                DType::Float64 => noise(n),
                DType::Int8 => Array::from_vec((0..n).map(|i| (i % 100) as i8).collect::<Vec<_>>()),
                _ => Array::zeros(DType::Complex128, vec![n]).unwrap(),
            };
            let body =
                to_json_vec(&MRef { x: &a }, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
            let (r, s) = measure(|| from_json_slice::<M>(&body, &opts));
            assert_eq!(r.unwrap().x.len(), n);
            let basis = body.len().max(a.nbytes());
            assert_bounded(&format!("json {dtype} {bytes}"), basis, s);
        }
    }
}

/// Plain lists as an array value: a JSON list (`{"x": [0, 0]}`), tesseract's legacy
/// `"data": [...]` and a msgpack array, `n` zeros each (the densest text: two bytes
/// of JSON or one of msgpack per 8-byte element).
fn plain_list_bodies(n: usize) -> Vec<(&'static str, Vec<u8>, bool)> {
    let zeros = vec!["0"; n].join(",");
    let mut packed = Vec::new();
    rmp::encode::write_map_len(&mut packed, 1).unwrap();
    rmp::encode::write_str(&mut packed, "x").unwrap();
    rmp::encode::write_array_len(&mut packed, n as u32).unwrap();
    packed.extend(std::iter::repeat_n(0u8, n));
    vec![
        (
            "json list",
            format!(r#"{{"x":[{zeros}]}}"#).into_bytes(),
            false,
        ),
        (
            "legacy data list",
            tesseract(&format!("[{n}]"), "float64", &format!("[{zeros}]")).into_bytes(),
            false,
        ),
        ("msgpack list", packed, true),
    ]
}

fn decode_plain(body: &[u8], msgpack: bool) -> (Array, Stats) {
    let opts = DecodeOptions::default();
    let (r, s) = if msgpack {
        measure(|| from_msgpack_slice::<M>(body, &opts))
    } else {
        measure(|| from_json_slice::<M>(body, &opts))
    };
    (r.unwrap().x, s)
}

/// Plain lists are read element by element into typed storage (`codec::list`), never
/// into a tree of values: the same bound as every other form.
#[test]
fn plain_lists_within_the_small_bound() {
    for n in [1usize << 10, 1 << 17, 1 << 20] {
        for (name, body, msgpack) in plain_list_bodies(n) {
            let (a, s) = decode_plain(&body, msgpack);
            assert_bounded(&format!("{name} {n}"), body.len().max(a.nbytes()), s);
        }
    }
}
