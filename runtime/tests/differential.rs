//! One reading of every payload (issue #14 §1, §2): the same bytes mean the same thing
//! to the typed decoder, to the schema-less `Document` (behind `convert` and
//! `inspect`) and to the Python peer that reads them next. Each test names the class
//! of attack it guards.

use std::time::{Duration, Instant};

use arraymodel::document::Document;
use arraymodel::{Array, ArrayView, DecodeOptions, ErrorKind, from_json_slice, from_msgpack_slice};
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct X {
    #[allow(dead_code)]
    x: Array,
}

#[derive(Deserialize, Debug)]
struct V<'a> {
    #[serde(borrow)]
    #[allow(dead_code)]
    x: ArrayView<'a>,
}

/// A msgpack map writer: `bin`/`str` keys exactly as given.
#[derive(Default)]
struct Pack(Vec<u8>);

impl Pack {
    fn map(mut self, n: u32) -> Self {
        rmp::encode::write_map_len(&mut self.0, n).unwrap();
        self
    }
    fn bin(mut self, b: &[u8]) -> Self {
        rmp::encode::write_bin(&mut self.0, b).unwrap();
        self
    }
    fn str(mut self, s: &str) -> Self {
        rmp::encode::write_str(&mut self.0, s).unwrap();
        self
    }
    fn uint(mut self, v: u64) -> Self {
        rmp::encode::write_uint(&mut self.0, v).unwrap();
        self
    }
    fn bool(mut self, v: bool) -> Self {
        rmp::encode::write_bool(&mut self.0, v).unwrap();
        self
    }
    fn shape(mut self, dims: &[u32]) -> Self {
        rmp::encode::write_array_len(&mut self.0, dims.len() as u32).unwrap();
        for d in dims {
            rmp::encode::write_uint(&mut self.0, u64::from(*d)).unwrap();
        }
        self
    }
}

/// `{"x": <map>}` with the map as built.
fn in_x(map: Pack) -> Vec<u8> {
    let mut out = Pack::default().map(1).str("x");
    out.0.extend_from_slice(&map.0);
    out.0
}

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

/// Every reader of a msgpack payload refuses it with `Refused`.
fn all_msgpack_readers_refuse(bytes: &[u8]) {
    let typed = from_msgpack_slice::<X>(bytes, &opts()).unwrap_err();
    assert!(
        matches!(typed.kind(), ErrorKind::Refused(_)),
        "typed: {typed}"
    );
    let view = from_msgpack_slice::<V<'_>>(bytes, &opts()).unwrap_err();
    assert!(matches!(view.kind(), ErrorKind::Refused(_)), "view: {view}");
    let doc = Document::from_msgpack_slice(bytes, &opts()).unwrap_err();
    assert!(
        matches!(doc.kind(), ErrorKind::Refused(_)),
        "document: {doc}"
    );
}

/// Class: msgpack str/bin key differential. msgpack-numpy reads only `b"kind"`
/// (here `O`: it unpickles `data`), a merging reader saw the last, str `"kind": ""`.
#[test]
fn pickle_behind_a_str_kind_is_refused_everywhere() {
    let pickle = b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.\x00\x00\x00\x00";
    let map = Pack::default()
        .map(6)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("|u1")
        .bin(b"kind")
        .bin(b"O")
        .bin(b"shape")
        .shape(&[pickle.len() as u32])
        .bin(b"data")
        .bin(pickle)
        .str("kind")
        .str("");
    all_msgpack_readers_refuse(&in_x(map));
}

/// Class: msgpack str/bin key differential (dtype): msgpack-numpy reads `b"type"`
/// (float64 1.5), a merging reader the str `"type"` (int64).
#[test]
fn str_and_bin_type_are_refused() {
    let map = Pack::default()
        .map(6)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("<f8")
        .bin(b"kind")
        .bin(b"")
        .bin(b"shape")
        .shape(&[1])
        .bin(b"data")
        .bin(&1.5f64.to_le_bytes())
        .str("type")
        .str("<i8");
    all_msgpack_readers_refuse(&in_x(map));
}

/// Class: msgpack str/bin key differential (`nd`): msgpack-numpy reads `b"nd": False`
/// (a scalar), a merging reader `"nd": true` (shape [2]).
#[test]
fn str_and_bin_nd_are_refused() {
    let map = Pack::default()
        .map(5)
        .bin(b"nd")
        .bool(false)
        .bin(b"type")
        .str("<f4")
        .bin(b"shape")
        .shape(&[2])
        .bin(b"data")
        .bin(&[0; 8])
        .str("nd")
        .bool(true);
    all_msgpack_readers_refuse(&in_x(map));
}

/// Class: duplicate bin keys (msgpack-python keeps the last one).
#[test]
fn duplicate_bin_kind_is_refused() {
    let map = Pack::default()
        .map(6)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("|u1")
        .bin(b"kind")
        .bin(b"")
        .bin(b"shape")
        .shape(&[1])
        .bin(b"data")
        .bin(b"\x01")
        .bin(b"kind")
        .bin(b"O");
    all_msgpack_readers_refuse(&in_x(map));
}

/// Class: Document pass-through of a map msgpack-numpy reads as an array. msgpack-numpy
/// ignores keys it does not read, so an extra key must not turn a pickle into a map
/// that `convert` forwards untouched.
#[test]
fn msgpack_numpy_map_with_extra_keys_is_still_an_array() {
    let map = Pack::default()
        .map(6)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("|O")
        .bin(b"kind")
        .bin(b"O")
        .bin(b"shape")
        .shape(&[1])
        .bin(b"data")
        .bin(b"\x80\x04N.")
        .bin(b"extra")
        .bool(true);
    all_msgpack_readers_refuse(&in_x(map));

    // Without the pickle, both readers give the same array and ignore the extra key.
    let map = Pack::default()
        .map(6)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("<u2")
        .bin(b"kind")
        .bin(b"")
        .bin(b"shape")
        .shape(&[1])
        .bin(b"data")
        .bin(&[7, 0])
        .bin(b"extra")
        .bool(true);
    let bytes = in_x(map);
    let typed: X = from_msgpack_slice(&bytes, &opts()).unwrap();
    let doc = Document::from_msgpack_slice(&bytes, &opts()).unwrap();
    assert_eq!(doc.get("x").unwrap().as_array(), Some(&typed.x));
    assert_eq!(typed.x.as_slice::<u16>().unwrap(), &[7]);
}

/// Class: Document pass-through of a map msgpack-numpy unpickles (found by the
/// `differential` fuzz target). With `kind` `O`, msgpack-numpy calls `pickle.loads(data)`
/// without asking for `shape`; a map lacking `shape` was a plain map to `Document`, so
/// `convert` forwarded the pickle. A map with a bin `nd` is always decoded now.
#[test]
fn pickle_without_shape_is_refused() {
    let map = Pack::default()
        .map(4)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("|O")
        .bin(b"kind")
        .bin(b"O")
        .bin(b"data")
        .bin(b"\x80\x04N.");
    all_msgpack_readers_refuse(&in_x(map));
    // Without `kind` either: an error (missing key), not a map passed through.
    let map = Pack::default()
        .map(2)
        .bin(b"nd")
        .bool(true)
        .bin(b"data")
        .bin(b"\x01");
    let bytes = in_x(map);
    assert!(from_msgpack_slice::<X>(&bytes, &opts()).is_err());
    assert!(Document::from_msgpack_slice(&bytes, &opts()).is_err());
}

/// Class: Document pass-through of a map msgpack-numpy unpickles (found by review): a
/// key that is neither str nor bin (`1: 0`) made `Document` keep the whole map, so
/// `convert` forwarded the pickle (msgpack-numpy reads its bin keys whatever else the
/// map holds, and ran it).
#[test]
fn pickle_beside_a_non_text_key_is_refused() {
    for kind in [&b"O"[..], b""] {
        let map = Pack::default()
            .map(6)
            .bin(b"nd")
            .bool(true)
            .bin(b"type")
            .str("|O")
            .bin(b"kind")
            .bin(kind)
            .bin(b"shape")
            .shape(&[1])
            .bin(b"data")
            .bin(b"\x80\x04N.\x00\x00\x00\x00")
            .uint(1)
            .uint(0);
        let bytes = in_x(map);
        assert!(from_msgpack_slice::<X>(&bytes, &opts()).is_err());
        assert!(Document::from_msgpack_slice(&bytes, &opts()).is_err());
    }
}

/// Class: msgpack-numpy refuses what a lenient reader takes: `np.ndarray(buffer=...)`
/// needs bytes, so a str `data` is a TypeError there (found by review).
#[test]
fn str_data_in_a_msgpack_numpy_map_is_refused() {
    let map = Pack::default()
        .map(5)
        .bin(b"nd")
        .bool(true)
        .bin(b"type")
        .str("|u1")
        .bin(b"kind")
        .bin(b"")
        .bin(b"shape")
        .shape(&[3])
        .bin(b"data")
        .str("abc");
    let bytes = in_x(map);
    assert!(from_msgpack_slice::<X>(&bytes, &opts()).is_err());
    assert!(Document::from_msgpack_slice(&bytes, &opts()).is_err());
}

/// Class: Document pass-through of a map truss reads as an array (found by review):
/// truss's `NumpyArrayField` accepts extra keys, so a truss object with one was read by
/// truss (here a `<U1` string array from base64 we never checked) while `convert`
/// passed it through unchecked. Both readers here refuse it now.
#[test]
fn truss_object_with_an_extra_key_is_refused() {
    let case = br#"{"x":{"data_b64":"QQAAAEIAAAA=","shape":[2],"dtype":"<U1","note":1}}"#;
    assert!(from_json_slice::<X>(case, &opts()).is_err());
    assert!(Document::from_json_slice(case, &opts()).is_err());
    let case = br#"{"x":{"data_b64":"AQI=","shape":[2],"dtype":"uint8","note":1}}"#;
    let e = Document::from_json_slice(case, &opts()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::UnexpectedKey(_)), "{e}");
}

/// Class: msgpack-numpy's `complex` rule is presence of the bin key, whatever its value.
#[test]
fn python_complex_is_recognised_by_presence() {
    let map = Pack::default()
        .map(2)
        .bin(b"complex")
        .bool(false)
        .bin(b"data")
        .str("(1+2j)");
    let bytes = in_x(map);
    let typed: X = from_msgpack_slice(&bytes, &opts()).unwrap();
    let doc = Document::from_msgpack_slice(&bytes, &opts()).unwrap();
    assert_eq!(doc.get("x").unwrap().as_array(), Some(&typed.x));
}

/// Class: JSON duplicate-key differential. `Document` (convert, inspect) and the typed
/// decoder must not disagree with Python (which keeps the last value) about whether an
/// object is an array: each duplicated array key is refused by both, with the binref
/// escape never read.
#[test]
fn json_duplicate_array_keys_are_refused_by_every_reader() {
    let dir = tempfile_dir();
    let o = DecodeOptions::default().binref_dir(&dir);
    let cases = [
        r#"{"x":{"object_type":"mesh","object_type":"array","shape":[1],"dtype":"float64","data":{"buffer":"../../../etc/passwd:0","encoding":"binref"}}}"#,
        r#"{"x":{"shape":[1],"dtype":5,"dtype":"float64","data":{"buffer":"/etc/passwd:0","encoding":"binref"}}}"#,
        r#"{"x":{"shape":"a","shape":[1],"dtype":"uint8","data":{"buffer":"AQ==","encoding":"base64"}}}"#,
        r#"{"x":{"shape":[1],"dtype":"uint8","data":1,"data":{"buffer":"AQ==","encoding":"base64"}}}"#,
        r#"{"x":{"data_b64":1,"data_b64":"AQ==","shape":[1],"dtype":"uint8"}}"#,
        r#"{"x":{"shape":[1],"dtype":"uint8","data":{"buffer":"AQ==","encoding":"json","encoding":"base64"}}}"#,
        r#"{"x":{"shape":[1],"dtype":"uint8","data":{"buffer":"AQ==","buffer":[1],"encoding":"base64"}}}"#,
    ];
    for case in cases {
        // The typed decoder may fail on the first value already (`"dtype": 5`).
        let typed = from_json_slice::<X>(case.as_bytes(), &o).unwrap_err();
        assert!(
            !matches!(typed.kind(), ErrorKind::Binref(_)),
            "typed {case}: {typed}"
        );
        let text = typed.to_string();
        assert!(
            text.contains("duplicate key") || text.contains("invalid type"),
            "{typed}"
        );
        let doc = Document::from_json_slice(case.as_bytes(), &o).unwrap_err();
        assert!(
            matches!(doc.kind(), ErrorKind::Refused(_)),
            "document {case}: {doc}"
        );
        assert!(doc.to_string().contains("duplicate key"), "{doc}");
    }
}

/// Class: keys of another form inside a tesseract object. tesseract (`extra="forbid"`)
/// refuses them and `Document` keeps such an object as a map; the typed decoder must
/// not quietly read it as an array.
#[test]
fn foreign_keys_in_a_tesseract_object_are_refused() {
    for extra in [r#""type":"<i8""#, r#""kind":"O""#, r#""data_b64x":1"#] {
        let case = format!(
            r#"{{"x":{{"shape":[1],"dtype":"uint8","data":{{"buffer":"AQ==","encoding":"base64"}},{extra}}}}}"#
        );
        let typed = from_json_slice::<X>(case.as_bytes(), &opts()).unwrap_err();
        assert!(
            matches!(typed.kind(), ErrorKind::UnexpectedKey(_)),
            "{case}: {typed}"
        );
        let doc = Document::from_json_slice(case.as_bytes(), &opts()).unwrap();
        assert!(doc.get("x").unwrap().as_array().is_none(), "{case}");
    }
    // An extra key beside truss's three is refused too (Document keeps the map).
    let case = br#"{"x":{"data_b64":"AQ==","shape":[1],"dtype":"uint8","kind":"O"}}"#;
    let typed = from_json_slice::<X>(case, &opts()).unwrap_err();
    assert!(
        matches!(typed.kind(), ErrorKind::UnexpectedKey(_)),
        "{typed}"
    );
    // msgpack-numpy keys mean nothing in JSON: no reader takes them as an array.
    let case = br#"{"x":{"nd":true,"type":"|u1","shape":[1],"data":"\u0001"}}"#;
    assert!(from_json_slice::<X>(case, &opts()).is_err());
    let doc = Document::from_json_slice(case, &opts()).unwrap();
    assert!(doc.get("x").unwrap().as_array().is_none());
}

/// `{"buffer": {"buffer": ... }}` nested `levels` deep around a number.
fn nested_buffers(levels: usize) -> String {
    let mut s = String::with_capacity(levels * 12);
    for _ in 0..levels {
        s.push_str(r#"{"buffer":"#);
    }
    s.push('1');
    for _ in 0..levels {
        s.push('}');
    }
    s
}

/// Class: nesting through raw buffers. Each `buffer` level was kept as raw text and
/// parsed again one level down with a fresh depth limit: 6,000 levels (66 KB)
/// overflowed the stack; 1,500 did in a 2 MiB thread. One depth budget now covers the
/// whole document.
#[test]
fn nested_raw_buffers_meet_one_depth_budget() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            for levels in [100, 127, 129, 1_500, 6_000] {
                let text = nested_buffers(levels);
                let r = Document::from_json_slice(text.as_bytes(), &opts());
                if levels <= 127 {
                    let mut d = &r.unwrap();
                    for _ in 0..levels {
                        d = d.get("buffer").unwrap();
                    }
                    assert_eq!(d, &Document::Int(1));
                } else {
                    // serde_json's limit or ours, whichever the route meets first.
                    let e = r.unwrap_err().to_string();
                    assert!(
                        e.contains("nesting deeper than 128") || e.contains("recursion limit"),
                        "{levels}: {e}"
                    );
                }
            }
        })
        .unwrap();
    handle.join().expect("no stack overflow in a 2 MiB thread");
}

/// Class: time quadratic in the input through raw buffers. 100 siblings 5,000 deep
/// (5.5 MB) took 34 s; the depth budget stops each at level 128 and every byte is
/// parsed at most twice.
#[test]
fn many_deep_buffer_siblings_take_linear_time() {
    let one = nested_buffers(5_000);
    let mut text = String::from("[");
    for i in 0..100 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&one);
    }
    text.push(']');
    let start = Instant::now();
    assert!(Document::from_json_slice(text.as_bytes(), &opts()).is_err());
    // Shallow ones (within the budget) are read, each byte at most twice.
    let shallow = nested_buffers(100);
    let mut text = String::from("[");
    for i in 0..5_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&shallow);
    }
    text.push(']');
    let doc = Document::from_json_slice(text.as_bytes(), &opts()).unwrap();
    assert!(matches!(doc.unpacked(), Document::List(ref l) if l.len() == 5_000));
    // Generous for a debug build on a loaded 2-core machine; it was 34 s.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("arraymodel-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Class: a silent change of data through `convert` (found by review): a msgpack `ext`
/// (a timestamp, an application type) came out as the `[type, bytes]` list rmp-serde
/// shows. `Document` has no ext value, so it refuses one, at the root, in a list or
/// in a map.
#[test]
fn msgpack_ext_values_are_refused() {
    for bytes in [
        &b"\xd4\x01\x05"[..],                 // fixext1, type 1
        b"\xc7\x03\x02abc",                   // ext8
        b"\xd6\xff\x00\x00\x00\x01",          // timestamp 32
        b"\x92\x01\xd4\x01\x05",              // in a list
        b"\x81\xa1k\xd6\xff\x00\x00\x00\x01", // in a map
    ] {
        let e = Document::from_msgpack_slice(bytes, &opts()).unwrap_err();
        assert!(e.to_string().contains("ext"), "{e}");
    }
    // A msgpack document without ext still reads (the raw-buffer path too).
    let ok = b"\x81\xa6buffer\x92\x01\x02";
    assert!(Document::from_msgpack_slice(ok, &opts()).is_ok());
}
