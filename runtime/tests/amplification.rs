//! Amplification (issue #14 §5): a small input must not stand for an output or a set of
//! decoded arrays out of proportion to it. Each test names the class it guards.

#[path = "common/wire.rs"]
mod wire;

use arraymodel::document::Document;
use arraymodel::{
    Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, ErrorKind, Limits, NdArray,
    from_json_slice, to_json_vec,
};
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct X {
    x: Array,
}

#[derive(Deserialize, Debug)]
struct Many {
    xs: Vec<Array>,
}

/// Class: empty-array amplification. `[268435456, 0]` holds no data but its tesseract
/// `json` text is 268M `[]`s (87 bytes in, 805 MB out); `[8589934592, 0]` aborted on
/// allocation. The dimensions before the first zero are limited.
#[test]
fn empty_arrays_have_a_bounded_outer_extent() {
    for dims in [
        "[268435456,0]",
        "[8589934592,0]",
        "[1048577,0,5]",
        "[2,524289,0]",
    ] {
        let body = format!(
            r#"{{"x":{{"shape":{dims},"dtype":"uint8","data":{{"buffer":"","encoding":"base64"}}}}}}"#
        );
        let e = from_json_slice::<X>(body.as_bytes(), &DecodeOptions::default()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Shape(_)), "{dims}: {e}");
        assert!(e.to_string().contains("max_empty_lists"), "{e}");
        let e = Document::from_json_slice(body.as_bytes(), &DecodeOptions::default()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Shape(_)), "{dims}: {e}");
    }
    // At the limit: read, and written as exactly that many empty lists.
    let body =
        br#"{"x":{"shape":[1048576,0],"dtype":"uint8","data":{"buffer":"","encoding":"base64"}}}"#;
    let x: X = from_json_slice(body, &DecodeOptions::default()).unwrap();
    let json = to_json_vec(&x.x, &EncodeOptions::tesseract(Encoding::Json)).unwrap();
    assert_eq!(json.windows(2).filter(|w| w == b"[]").count(), 1_048_576);
    // The limit is an option.
    let tight = DecodeOptions::default().limits(Limits {
        max_empty_lists: 3,
        ..Limits::default()
    });
    let body = br#"{"x":{"shape":[4,0],"dtype":"uint8","data":{"buffer":"","encoding":"base64"}}}"#;
    assert!(from_json_slice::<X>(body, &tight).is_err());
    let body = br#"{"x":{"shape":[3,0],"dtype":"uint8","data":{"buffer":"","encoding":"base64"}}}"#;
    assert!(from_json_slice::<X>(body, &tight).is_ok());
}

/// Class: binref amplification. One 1 MiB side file referenced many times from a few
/// KB of JSON gave a GiB of arrays; `Limits::max_total_bytes` caps what one call
/// decodes in all, for the typed decoder and `Document` alike, before each array is
/// built.
#[test]
fn one_side_file_referenced_many_times_meets_the_document_cap() {
    let dir = std::env::temp_dir().join(format!("arraymodel-amplification-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.bin"), vec![7u8; 1 << 20]).unwrap();
    let one =
        r#"{"shape":[1048576],"dtype":"uint8","data":{"buffer":"big.bin:0","encoding":"binref"}}"#;
    let body = |n: usize| format!(r#"{{"xs":[{}]}}"#, vec![one; n].join(","));
    let capped = |mib: u64| {
        DecodeOptions::default().binref_dir(&dir).limits(Limits {
            max_total_bytes: mib << 20,
            ..Limits::default()
        })
    };
    let ok: Many = from_json_slice(body(10).as_bytes(), &capped(10)).unwrap();
    assert_eq!(ok.xs.len(), 10);
    let e = from_json_slice::<Many>(body(11).as_bytes(), &capped(10)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    assert_eq!(e.path().to_string(), "xs[10].data.buffer");
    let e = Document::from_json_slice(body(11).as_bytes(), &capped(10)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    // Each call has its own budget.
    for _ in 0..3 {
        assert!(from_json_slice::<Many>(body(10).as_bytes(), &capped(10)).is_ok());
    }
    // The default: 8 GiB in all.
    assert_eq!(Limits::default().max_total_bytes, 8 << 30);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Class: empty-array amplification spread over many arrays (found by review): the
/// limit held per array, so 300 arrays of `[1048576, 0]` (24 KB) became 944 MB of
/// JSON. `max_empty_lists` is a budget for the whole call.
#[test]
fn empty_lists_are_a_budget_for_the_whole_call() {
    let one = r#"{"shape":[1048576,0],"dtype":"uint8","data":{"buffer":"","encoding":"base64"}}"#;
    let body = format!(r#"{{"xs":[{}]}}"#, vec![one; 300].join(","));
    let e = from_json_slice::<Many>(body.as_bytes(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Shape(_)), "{e}");
    assert!(e.path().to_string().starts_with("xs[1]"), "{e}");
    let e = Document::from_json_slice(body.as_bytes(), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Shape(_)), "{e}");
    // Two halves fit.
    let half = r#"{"shape":[524288,0],"dtype":"uint8","data":{"buffer":"","encoding":"base64"}}"#;
    let body = format!(r#"{{"xs":[{half},{half}]}}"#);
    assert!(from_json_slice::<Many>(body.as_bytes(), &DecodeOptions::default()).is_ok());
}

/// Whether `r` failed with `TooLarge` (without printing a model of megabytes).
fn too_large<T>(r: arraymodel::Result<T>) -> bool {
    match r {
        Ok(_) => false,
        Err(e) => matches!(e.kind(), ErrorKind::TooLarge { .. }) || panic!("{e}"),
    }
}

#[derive(ArrayModel, Debug)]
struct Broadcast {
    #[array(shape = [1000, 1000], dtype = "float64")]
    items: Vec<NdArray<f64>>,
}

#[derive(ArrayModel, Debug)]
struct Widen {
    #[array(shape = [None], dtype = "float64")]
    items: Vec<Array>,
}

/// Class: model amplification (found by review). A derived model broadcasts a given 1
/// to a fixed N and casts to its field's dtype after the array was decoded and counted:
/// 200 arrays of `[1, 1]` (17 KB) became 1.6 GB past a 1 MiB `max_total_bytes`. The
/// conformed array is checked against what is left of the limits before it is built.
#[test]
fn model_broadcasts_and_casts_meet_the_limits() {
    let one =
        r#"{"shape":[1,1],"dtype":"float64","data":{"buffer":"AAAAAAAA8D8=","encoding":"base64"}}"#;
    let body = format!(r#"{{"items":[{}]}}"#, vec![one; 200].join(","));
    let tight = DecodeOptions::default().limits(Limits {
        max_total_bytes: 1 << 20,
        max_array_bytes: 1 << 20,
        ..Limits::default()
    });
    assert!(too_large(Broadcast::from_json(body.as_bytes(), &tight)));
    // Within the limits the broadcast happens (8 MB for one array).
    let roomy = DecodeOptions::default().limits(Limits {
        max_total_bytes: 12 << 20,
        ..Limits::default()
    });
    let body1 = format!(r#"{{"items":[{one}]}}"#);
    let m = Broadcast::from_json(body1.as_bytes(), &roomy)
        .map_err(|e| e.to_string())
        .unwrap();
    assert_eq!(m.items[0].shape(), &[1000, 1000]);
    let body2 = format!(r#"{{"items":[{one},{one}]}}"#);
    assert!(too_large(Broadcast::from_json(body2.as_bytes(), &roomy)));

    // A cast to a wider dtype counts its output: 1 MiB of uint8 is 8 MiB of float64.
    let bytes = vec![1u8; 1 << 20];
    let text = wire::b64(&bytes);
    let body = format!(
        r#"{{"items":[{{"shape":[1048576],"dtype":"uint8","data":{{"buffer":"{text}","encoding":"base64"}}}}]}}"#
    );
    let four = DecodeOptions::default().limits(Limits {
        max_total_bytes: 4 << 20,
        ..Limits::default()
    });
    assert!(too_large(Widen::from_json(body.as_bytes(), &four)));
    let nine = DecodeOptions::default().limits(Limits {
        max_total_bytes: 9 << 20,
        ..Limits::default()
    });
    let m = Widen::from_json(body.as_bytes(), &nine)
        .map_err(|e| e.to_string())
        .unwrap();
    assert_eq!(m.items[0].as_slice::<f64>().unwrap()[0], 1.0);
}
