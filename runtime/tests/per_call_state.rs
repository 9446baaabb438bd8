//! Per-call state (issue 15 §2): options travel in the serializer the crate's calls
//! wrap around the format's, a foreign serializer gets a documented default, misuse is
//! an error rather than a silent fallback, and the crate's own JSON entry points keep
//! writing arrays straight into their output (checked with the counting allocator: a
//! fallback to the structured form allocates the array's whole text once more).

#[path = "common/counting.rs"]
mod counting;

use arraymodel::document::{Document, Forms};
use arraymodel::{
    Array, BytesStyle, DecodeOptions, EncodeOptions, Encoding, ErrorKind, JsonStyle, Limits,
    from_json_slice, to_json_into, to_json_vec, to_json_writer,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct M {
    x: Array,
}

/// The documented default of `Array`'s `Serialize` for a serializer outside any call:
/// tesseract json+base64. Pinned so that a change is a decision, not an accident.
#[test]
fn a_foreign_serializer_gets_tesseract_json_base64() {
    let a = Array::from_vec(vec![1.5f64, -2.0]);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"object_type":"array","shape":[2],"dtype":"float64","data":{"buffer":"AAAAAAAA+D8AAAAAAAAAwA==","encoding":"base64"}}"#
    );
    assert_eq!(
        serde_json::to_vec(&M { x: a.clone() }).unwrap(),
        to_json_vec(&M { x: a }, &EncodeOptions::default()).unwrap()
    );
}

/// `EncodeOptions::with` carries the options through any serializer (as axum's `Json`
/// would call it), without any scope.
#[test]
fn with_options_through_a_foreign_serializer() {
    let m = M {
        x: Array::from_vec(vec![1u8, 2, 3]),
    };
    for opts in [
        EncodeOptions::tesseract(Encoding::Json),
        EncodeOptions::tesseract(Encoding::Base64).lz4(),
        EncodeOptions::truss(),
        EncodeOptions::list(),
    ] {
        let foreign = serde_json::to_vec(&opts.with(&m)).unwrap();
        assert_eq!(foreign, to_json_vec(&m, &opts).unwrap(), "{opts:?}");
        // serde_json::Value too (a different serializer entirely).
        let value = serde_json::to_value(opts.with(&m)).unwrap();
        assert_eq!(
            value,
            serde_json::from_slice::<serde_json::Value>(&foreign).unwrap()
        );
    }
    // The wrapper owns its value: it can be returned from a handler.
    fn handler() -> arraymodel::WithOptions<M> {
        EncodeOptions::truss().with(M {
            x: Array::from_vec(vec![7u8]),
        })
    }
    assert_eq!(
        serde_json::to_string(&handler()).unwrap(),
        r#"{"x":{"data_b64":"Bw==","shape":[1],"dtype":"uint8"}}"#
    );
}

/// Bytes fields follow the options of the call too, and the documented default
/// (UTF-8 text) outside any call.
#[test]
fn bytes_style_travels_with_the_options() {
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct B {
        #[serde(with = "arraymodel::bytes")]
        raw: Vec<u8>,
    }
    let b = B {
        raw: b"hi?".to_vec(),
    };
    let url = EncodeOptions::default().bytes_style(BytesStyle::Base64Url);
    assert_eq!(to_json_vec(&b, &url).unwrap(), br#"{"raw":"aGk_"}"#);
    assert_eq!(
        serde_json::to_vec(&url.with(&b)).unwrap(),
        br#"{"raw":"aGk_"}"#
    );
    assert_eq!(serde_json::to_vec(&b).unwrap(), br#"{"raw":"hi?"}"#);
    let back: B = from_json_slice(
        br#"{"raw":"aGk_"}"#,
        &DecodeOptions::default().bytes_style(BytesStyle::Base64Url),
    )
    .unwrap();
    assert_eq!(back, b);
    // The structured error (its kind) survives the call.
    let bad = B { raw: vec![0xff] };
    let e = to_json_vec(&bad, &EncodeOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Unrepresentable(_)), "{e}");
    assert_eq!(e.path().to_string(), "raw");
}

/// An array that reaches a serializer other than the call's while a call runs (serde's
/// internally tagged enums drop the newtype name) is an error, not the default form.
#[test]
fn an_array_hidden_from_the_call_is_an_error() {
    #[derive(Serialize)]
    #[serde(tag = "t")]
    enum Tagged {
        A(Array),
    }
    let v = Tagged::A(Array::from_vec(vec![1u8]));
    let e = to_json_vec(&v, &EncodeOptions::truss()).unwrap_err();
    assert!(e.to_string().contains("internally tagged"), "{e}");
    assert!(serde_json::to_vec(&EncodeOptions::truss().with(&v)).is_err());
    // Outside any call, the documented default.
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"t":"A","object_type":"array","shape":[1],"dtype":"uint8","data":{"buffer":"AQ==","encoding":"base64"}}"#
    );

    // A Serialize impl that calls serde_json itself inside a call.
    struct Sneaky(Array);
    impl Serialize for Sneaky {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
            s.serialize_str(&text)
        }
    }
    assert!(to_json_vec(&Sneaky(Array::from_vec(vec![1u8])), &EncodeOptions::truss()).is_err());

    // Adjacently tagged and untagged enums pass names on: the options apply.
    #[derive(Serialize)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        A(Array),
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Untagged {
        A(Array),
    }
    let a = || Array::from_vec(vec![1u8]);
    assert_eq!(
        to_json_vec(&Adjacent::A(a()), &EncodeOptions::truss()).unwrap(),
        br#"{"t":"A","c":{"data_b64":"AQ==","shape":[1],"dtype":"uint8"}}"#
    );
    assert_eq!(
        to_json_vec(&Untagged::A(a()), &EncodeOptions::truss()).unwrap(),
        br#"{"data_b64":"AQ==","shape":[1],"dtype":"uint8"}"#
    );
}

/// Nested calls each carry their own options.
#[test]
fn nested_calls_keep_their_own_options() {
    struct Inner(Array);
    impl Serialize for Inner {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let json =
                to_json_vec(&self.0, &EncodeOptions::truss()).map_err(serde::ser::Error::custom)?;
            s.serialize_str(std::str::from_utf8(&json).unwrap())
        }
    }
    #[derive(Serialize)]
    struct Outer {
        inner: Inner,
        x: Array,
    }
    let v = Outer {
        inner: Inner(Array::from_vec(vec![1u8])),
        x: Array::from_vec(vec![2u8]),
    };
    let json = to_json_vec(&v, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
    assert_eq!(
        std::str::from_utf8(&json).unwrap(),
        r#"{"inner":"{\"data_b64\":\"AQ==\",\"shape\":[1],\"dtype\":\"uint8\"}","x":{"object_type":"array","shape":[1],"dtype":"uint8","data":{"buffer":[2],"encoding":"json"}}}"#
    );
}

/// `DecodeOptions::deserialize` applies the options for exactly that call; outside it
/// the defaults apply again.
#[test]
fn decode_options_apply_for_the_call_only() {
    let json = br#"{"data_b64":"AAAAAAAAAAAAAAAAAAAAAA==","shape":[2],"dtype":"float64"}"#;
    let tiny = DecodeOptions::default().limits(Limits {
        max_array_bytes: 8,
        ..Limits::default()
    });
    let r: Result<Array, _> = tiny.deserialize(&mut serde_json::Deserializer::from_slice(json));
    assert!(r.unwrap_err().to_string().contains("8"));
    let a: Array = serde_json::from_slice(json).unwrap();
    assert_eq!(a.shape(), &[2]);
    // The crate's own call returns the structured error.
    let e = from_json_slice::<Array>(json, &tiny).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e:?}");
}

/// A structured error swallowed by serde (an untagged enum trying its next variant)
/// is not taken for the error the call ends with.
#[test]
fn swallowed_errors_are_not_misattributed() {
    #[derive(Deserialize, Debug)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum E {
        A(Array),
        S(String),
    }
    let e = from_json_slice::<E>(
        br#"{"shape":[1],"dtype":"float64","data_b64":"!!"}"#,
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Custom(_)), "{e:?}");
    assert!(e.to_string().contains("untagged"), "{e}");
    // The next call starts clean.
    let ok: E = from_json_slice(br#""x""#, &DecodeOptions::default()).unwrap();
    assert!(matches!(ok, E::S(_)));
}

/// `Forms` selects the forms a Document recognises for one call (no scope).
#[test]
fn document_forms_per_call() {
    let body = br#"{"a":{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}}"#;
    let only = Forms {
        tesseract: true,
        ..Forms::NONE
    };
    let doc = only
        .from_json_slice(body, &DecodeOptions::default())
        .unwrap();
    assert_eq!(doc.arrays().count(), 0);
    let doc = Document::from_json_slice(body, &DecodeOptions::default()).unwrap();
    assert_eq!(doc.arrays().count(), 1);
    let packed = doc.to_msgpack_vec().unwrap();
    let none = Forms::NONE
        .from_msgpack_slice(&packed, &DecodeOptions::default())
        .unwrap();
    assert_eq!(none.arrays().count(), 0);
}

/// The fast path: `to_json_into` with room reserved writes a 1M-element float64 array
/// (8 MB) without allocating its text anywhere else. The structured form, which a
/// fallback would take, allocates the whole base64 text once more; this test fails if
/// a dependency change (or a change here) makes the crate's own calls fall back.
#[test]
fn entry_points_write_arrays_in_place() {
    let n = 1 << 20;
    let m = M {
        x: Array::from_vec((0..n).map(|i| i as f64 * 0.5).collect::<Vec<f64>>()),
    };
    for opts in [
        EncodeOptions::tesseract(Encoding::Base64),
        EncodeOptions::tesseract(Encoding::Json),
        EncodeOptions::truss(),
        EncodeOptions::list(),
    ] {
        let size = to_json_vec(&m, &opts).unwrap().len();
        // The json codec reserves an upper bound of the text (25 bytes per float64).
        let room = if matches!(
            opts.style(),
            JsonStyle::List
                | JsonStyle::Tesseract {
                    encoding: Encoding::Json,
                    ..
                }
        ) {
            26 * n
        } else {
            size
        };
        let mut out = Vec::with_capacity(room + 1024);
        let ((), stats) = counting::measure(|| to_json_into(&m, &opts, &mut out).unwrap());
        assert_eq!(out.len(), size);
        assert!(
            stats.total < 64 << 10,
            "{opts:?}: to_json_into allocated {} bytes for a {size}-byte text: the array \
             did not take the direct path",
            stats.total
        );
        // to_json_writer: one output buffer, of a chunk or the array's text.
        let mut sink = Vec::with_capacity(size + 1024);
        let ((), stats) = counting::measure(|| to_json_writer(&m, &opts, &mut sink).unwrap());
        assert_eq!(sink.len(), size);
        assert!(
            stats.peak < room + (2 << 20),
            "{opts:?}: peak {}",
            stats.peak
        );
    }
    // A field that fixes its form (`#[array(form = ...)]`) is written in place too.
    #[derive(arraymodel::ArrayModel)]
    struct Fixed {
        #[array(form = "truss")]
        x: Array,
    }
    let fixed = Fixed { x: m.x.clone() };
    let opts = EncodeOptions::tesseract(Encoding::Json);
    let size = to_json_vec(&fixed, &opts).unwrap().len();
    let mut out = Vec::with_capacity(size + 1024);
    let ((), stats) = counting::measure(|| to_json_into(&fixed, &opts, &mut out).unwrap());
    assert!(out.starts_with(br#"{"x":{"data_b64":"#));
    assert!(
        stats.total < 64 << 10,
        "form field: allocated {}",
        stats.total
    );
    // The check discriminates: the structured form through serde_json allocates the
    // base64 text (~11 MB) besides the output.
    let opts = EncodeOptions::tesseract(Encoding::Base64);
    let size = to_json_vec(&m, &opts).unwrap().len();
    let mut out = Vec::with_capacity(size + 1024);
    let (r, stats) = counting::measure(|| serde_json::to_writer(&mut out, &opts.with(&m)));
    r.unwrap();
    assert!(
        stats.total > size / 2,
        "structured path allocated {}",
        stats.total
    );
}

/// binref through a foreign serializer: the files are renamed into place when the
/// value is fully serialized, and read back through the references it wrote.
#[test]
fn binref_through_with_options() {
    let dir = std::env::temp_dir().join(format!("arraymodel-per-call-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let m = M {
        x: Array::from_vec(vec![1.0f64, 2.0, 3.0]),
    };
    let opts = EncodeOptions::tesseract(Encoding::Binref).binref_dir(&dir);
    let json = serde_json::to_vec(&opts.with(&m)).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    #[derive(Deserialize)]
    struct Back {
        x: Array,
    }
    let back: Back = from_json_slice(&json, &DecodeOptions::default().binref_dir(&dir)).unwrap();
    assert_eq!(back.x, m.x);
    std::fs::remove_dir_all(&dir).unwrap();
}
