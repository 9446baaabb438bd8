//! Document memory amplification (issue #14 §5): a counting global allocator measures
//! the peak of live bytes while a schema-less [`Document`] is read and written back, and
//! while it is walked the way `inspect` does, for the shapes that used to blow up (one
//! 64-byte node per value, a cloned path per pending child in `walk`).
//!
//! The bound, with `input` the payload's length and `decoded` the bytes of the arrays it
//! holds (elements, shapes and the array objects themselves count as decoded data):
//!
//! ```text
//! peak live bytes (read + write back, or walk)  <=  C * (input + decoded) + 1 MiB,  C = 4
//! ```
//!
//! Values that hold no array are kept as their msgpack encoding (`Document::Packed`),
//! so the only nodes are arrays, the lists and maps that hold them, and one run per gap
//! between arrays. See the module docs of `arraymodel::document`.

use arraymodel::document::Document;
use arraymodel::{DecodeOptions, EncodeOptions};

#[path = "common/counting.rs"]
mod counting;
use counting::measure;

const SLACK: usize = 1 << 20;
/// The documented constants.
const C: usize = 4;
const H: usize = 96;
/// Bytes per array object beyond its data: its node, the boxed `Array`, its shape and
/// data allocations, and its share of the written output (review found small array
/// objects, empty ones above all, at up to 6.9 x the basis without this term).
const A: usize = 384;

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

fn decode(input: &[u8], msgpack: bool) -> Document {
    if msgpack {
        Document::from_msgpack_slice(input, &opts()).unwrap()
    } else {
        Document::from_json_slice(input, &opts()).unwrap()
    }
}

/// Decoded array bytes: elements plus the shape, the array object and its node.
fn decoded(doc: &Document) -> usize {
    doc.arrays()
        .map(|(_, a)| a.nbytes() + a.shape().len() * 8)
        .sum()
}

/// Reads `input`, writes it back in the same syntax, then walks it as `inspect` does;
/// checks both peaks against the bound and returns their ratios.
#[track_caller]
fn check(what: &str, input: &[u8], msgpack: bool) -> (f64, f64) {
    let (out_len, convert) = measure(|| {
        let doc = decode(input, msgpack);
        let out = if msgpack {
            doc.to_msgpack_vec().unwrap()
        } else {
            doc.to_json_vec(&EncodeOptions::default()).unwrap()
        };
        out.len()
    });
    let doc = decode(input, msgpack);
    let basis = input.len() + decoded(&doc);
    // Lists and maps that hold an array stay nodes (see the module docs).
    let holders = doc
        .walk()
        .filter(|(_, n)| matches!(n, Document::List(_) | Document::Map(_)))
        .count();
    let objects = doc.arrays().count();
    let bound = C * basis + H * holders + A * objects + SLACK;
    let ((), walk) = measure(|| {
        let mut nodes = 0usize;
        let mut arrays = Vec::new();
        for (path, node) in doc.walk() {
            nodes += 1;
            if let Some(a) = node.as_array() {
                arrays.push((path.to_string(), a.len()));
            }
        }
        let bytes = doc.bytes_fields();
        std::hint::black_box((nodes, arrays, bytes));
    });
    let (c, w) = (
        convert.peak as f64 / basis as f64,
        walk.peak as f64 / basis as f64,
    );
    eprintln!(
        "{what}: input {} (+{} decoded), output {out_len}, {holders} lists/maps holding arrays; \
         convert peak {} ({c:.2}x), walk peak {} ({w:.2}x), bound {bound}",
        input.len(),
        basis - input.len(),
        convert.peak,
        walk.peak
    );
    assert!(convert.peak <= bound, "{what}: convert peak {c:.2}x");
    assert!(walk.peak <= bound, "{what}: walk peak {w:.2}x");
    (c, w)
}

/// The count of a shape's items: as the module docs quote them in an optimised build
/// (`cargo test -p arraymodel --release --test document_memory -- --nocapture` prints
/// the ratios), a quarter in a debug build, which runs this file about 20 x slower.
/// The ratios hardly depend on the size; the 1 MiB slack weighs a little more.
fn sized(n: usize) -> usize {
    if cfg!(debug_assertions) { n / 4 } else { n }
}

fn msgpack_list(n: usize, item: &[u8]) -> Vec<u8> {
    let mut m = vec![0xdd];
    m.extend_from_slice(&(n as u32).to_be_bytes());
    for _ in 0..n {
        m.extend_from_slice(item);
    }
    m
}

fn json_list(n: usize, item: &str) -> Vec<u8> {
    let mut t = String::with_capacity(n * (item.len() + 1) + 2);
    t.push('[');
    for i in 0..n {
        if i > 0 {
            t.push(',');
        }
        t.push_str(item);
    }
    t.push(']');
    t.into_bytes()
}

const TINY: &str = r#"{"shape":[1],"dtype":"uint8","data":{"buffer":"AQ==","encoding":"base64"}}"#;

/// Class: Document memory amplification. A 10 MB msgpack list of nils peaked at
/// 641 MB in `convert` and 2.36 GB in `inspect`.
#[test]
fn msgpack_list_of_nils() {
    check(
        "10 MB msgpack nils",
        &msgpack_list(sized(10_000_000), &[0xc0]),
        true,
    );
}

/// Class: Document memory amplification. 20 MB of JSON zeros peaked at 651 MB.
#[test]
fn json_list_of_zeros() {
    check(
        "20 MB JSON zeros",
        &json_list(sized(10_000_000), "0"),
        false,
    );
}

/// Class: Document memory amplification. 9 MB of `[{},{},...]` peaked at 203 MB.
#[test]
fn json_list_of_empty_maps() {
    check(
        "9 MB JSON [{},...]",
        &json_list(sized(3_000_000), "{}"),
        false,
    );
}

/// Class: Document memory amplification. 1M tiny arrays in a list (67 MB) peaked at
/// 1.28 GB in `inspect`; 200k here, the ratio is what counts.
#[test]
fn many_tiny_arrays() {
    let json = json_list(sized(200_000), TINY);
    check("200k tiny arrays (JSON)", &json, false);
    let packed = decode(&json, false).to_msgpack_vec().unwrap();
    check("200k tiny arrays (msgpack)", &packed, true);
}

/// Class: Document memory amplification. Arrays and scalars alternating: one run per
/// gap between arrays.
#[test]
fn arrays_alternating_with_scalars() {
    let mut t = String::from("[");
    for i in 0..sized(100_000) {
        if i > 0 {
            t.push(',');
        }
        t.push_str(TINY);
        t.push_str(",0");
    }
    t.push(']');
    check(
        "100k arrays alternating with scalars (JSON)",
        t.as_bytes(),
        false,
    );
    let packed = decode(t.as_bytes(), false).to_msgpack_vec().unwrap();
    check(
        "100k arrays alternating with scalars (msgpack)",
        &packed,
        true,
    );
}

/// Class: Document memory amplification. One array beside a million scalar entries:
/// the entries are packed as they arrive, never held as a million nodes.
#[test]
fn map_with_one_array_and_many_scalars() {
    let mut t = format!("{{\"a\":{TINY}");
    for i in 0..sized(1_000_000) {
        t.push_str(&format!(",\"k{i}\":{i}"));
    }
    t.push('}');
    check("map: 1 array + 1M scalars (JSON)", t.as_bytes(), false);
    let packed = decode(t.as_bytes(), false).to_msgpack_vec().unwrap();
    check("map: 1 array + 1M scalars (msgpack)", &packed, true);
}

/// Class: Document memory amplification. Deep nesting (100 levels) repeated: without
/// arrays each item is one packed value.
#[test]
fn deep_nesting() {
    let deep = format!("{}0{}", "[".repeat(100), "]".repeat(100));
    check(
        "20k x 100-deep lists (JSON)",
        &json_list(sized(20_000), &deep),
        false,
    );
    let deep = format!("{}0{}", "{\"k\":".repeat(100), "}".repeat(100));
    check(
        "10k x 100-deep maps (JSON)",
        &json_list(sized(10_000), &deep),
        false,
    );
}

/// Class: Document memory amplification. Arrays at the bottom of deep nesting: the
/// lists and maps that hold arrays stay nodes, one per level.
#[test]
fn arrays_under_deep_nesting() {
    let deep = format!("{}{TINY}{}", "[".repeat(100), "]".repeat(100));
    check(
        "2k tiny arrays each 100 lists deep (JSON)",
        &json_list(sized(2_000), &deep),
        false,
    );
    let deep = format!("{}{TINY}{}", "{\"k\":".repeat(100), "}".repeat(100));
    check(
        "2k tiny arrays each 100 maps deep (JSON)",
        &json_list(sized(2_000), &deep),
        false,
    );
}

fn mp_scalar_bool() -> Vec<u8> {
    // {b"nd": False, b"type": "|b1", b"data": b"\x01"}
    let mut m = vec![0x83];
    m.extend_from_slice(b"\xc4\x02nd\xc2\xc4\x04type\xa3|b1\xc4\x04data\xc4\x01\x01");
    m
}

fn mp_complex() -> Vec<u8> {
    let mut m = vec![0x82];
    m.extend_from_slice(b"\xc4\x07complex\xc3\xc4\x04data\xa21j");
    m
}

/// Class: Document memory amplification through small array objects (found by
/// review): empty arrays, 0-d arrays, numpy scalars and Python complex maps cost a
/// node, a boxed array and its allocations each, more than 4 x their few bytes of
/// input; the bound's per-array term covers them.
#[test]
fn small_array_objects() {
    let n = sized(100_000);
    check(
        "numpy bool scalars (msgpack)",
        &msgpack_list(n, &mp_scalar_bool()),
        true,
    );
    check(
        "Python complex (msgpack)",
        &msgpack_list(n, &mp_complex()),
        true,
    );
    let empty = r#"{"shape":[0],"dtype":"bool","data":[]}"#;
    check("empty arrays (JSON)", &json_list(n, empty), false);
    let zero_d = r#"{"shape":[],"dtype":"bool","data":{"buffer":true,"encoding":"json"}}"#;
    check("0-d arrays (JSON)", &json_list(n, zero_d), false);
    let truss = r#"{"data_b64":"","shape":[0],"dtype":"|b1"}"#;
    check("empty truss arrays (JSON)", &json_list(n, truss), false);
    let alternating = json_list(n, &format!("{empty},[]"));
    check("empty arrays and empty lists (JSON)", &alternating, false);
    let mut map = String::from("{");
    for i in 0..n {
        if i > 0 {
            map.push(',');
        }
        map.push_str(&format!(r#""{i}":{empty}"#));
    }
    map.push('}');
    check("a map of empty arrays (JSON)", map.as_bytes(), false);
    let mut m = vec![0xdf];
    m.extend_from_slice(&(n as u32).to_be_bytes());
    for i in 0..n as u32 {
        m.push(0xce);
        m.extend_from_slice(&i.to_be_bytes());
        m.extend_from_slice(&mp_complex());
    }
    check("a map of Python complex by int keys (msgpack)", &m, true);
}
