//! JSON documents with long strings are parsed through a copy without them
//! (`long_strings` in the runtime); everything a deserializer sees must be exactly what
//! serde_json alone gives for the original text: values, borrowed strings and raw
//! values (pointing into the input), errors and their positions.

use std::borrow::Cow;

use arraymodel::{Array, DecodeOptions, from_json_slice};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// Long enough to be cut (the threshold is 4096 bytes).
fn long(n: usize, seed: u8) -> String {
    (0..n)
        .map(|i| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(i * 7 + seed as usize) % 64],
            )
        })
        .collect()
}

fn ours<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, String> {
    from_json_slice(text.as_bytes(), &DecodeOptions::default()).map_err(|e| e.to_string())
}

fn within(input: &str, s: &str) -> bool {
    let (a, b) = (input.as_ptr() as usize, s.as_ptr() as usize);
    b >= a && b + s.len() <= a + input.len()
}

#[test]
fn borrowed_strings_and_raw_values_point_into_the_input() {
    #[derive(Deserialize)]
    struct Doc<'a> {
        #[serde(borrow)]
        first: &'a str,
        #[serde(borrow)]
        raw: &'a RawValue,
        small: &'a str,
        #[serde(borrow)]
        cow: Cow<'a, str>,
        #[serde(with = "serde_bytes")]
        bytes: &'a [u8],
        #[serde(borrow)]
        opt: Option<&'a str>,
    }
    let (a, b, c, d, e) = (
        long(5000, 1),
        long(4096, 2),
        long(9000, 3),
        long(70000, 4),
        long(4100, 5),
    );
    let text = format!(
        r#"{{"first": "{a}", "raw": {{"x": [1, "{b}", {{"y": "{c}"}}], "z": "short"}}, "small": "s", "cow": "{d}", "bytes": "{e}", "opt": "{a}"}}"#
    );
    let doc: Doc = ours(&text).unwrap();
    assert_eq!(doc.first, a);
    assert!(within(&text, doc.first));
    assert_eq!(
        doc.raw.get(),
        format!(r#"{{"x": [1, "{b}", {{"y": "{c}"}}], "z": "short"}}"#)
    );
    assert!(within(&text, doc.raw.get()));
    assert_eq!(doc.small, "s");
    assert!(within(&text, doc.small));
    assert!(matches!(doc.cow, Cow::Borrowed(_)));
    assert_eq!(doc.cow, d);
    assert_eq!(doc.bytes, e.as_bytes());
    assert!(within(&text, std::str::from_utf8(doc.bytes).unwrap()));
    assert_eq!(doc.opt, Some(a.as_str()));
}

#[test]
fn strings_that_are_keys_escaped_or_hold_control_characters_are_read_as_before() {
    let k = long(5000, 7);
    let escaped = format!("{}\\n{}", long(3000, 1), long(3000, 2));
    let text = format!(r#"{{"{k}": 1, "e": "{escaped}", "tail": "{k}"}}"#);
    let v: Value = ours(&text).unwrap();
    assert_eq!(v, serde_json::from_str::<Value>(&text).unwrap());
    assert_eq!(v[&k], 1);

    // A raw control character inside a long string: the same error as serde_json's.
    let bad = format!("{{\"a\": \"{}\t{}\"}}", long(5000, 1), long(10, 1));
    let want = serde_json::from_str::<Value>(&bad).unwrap_err().to_string();
    let got = ours::<Value>(&bad).unwrap_err();
    assert!(got.contains(&want), "{got} / {want}");
}

#[test]
fn error_positions_are_those_of_the_original_text() {
    let a = long(6000, 1);
    let b = long(8000, 2);
    let cases = [
        // Syntax error on the line of two cut strings, and one on a later line.
        format!(r#"{{"a": "{a}", "b": "{b}", "c": tru}}"#),
        format!("{{\"a\": \"{a}\",\n \"b\": \"{b}\", \"c\": [1, 2,, 3]}}"),
        // A type error after cut strings.
        format!(r#"{{"a": "{a}", "b": "{b}", "n": "seven"}}"#),
        // Trailing characters after the value.
        format!(r#"{{"a": "{a}"}} x"#),
        // Unterminated string after a cut one.
        format!(r#"{{"a": "{a}", "b": "{b}"#),
    ];
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Typed {
        a: String,
        b: String,
        n: u32,
    }
    for text in &cases {
        let want = serde_json::from_str::<Value>(text)
            .and_then(|_| serde_json::from_str::<Typed>(text))
            .unwrap_err()
            .to_string();
        let got = ours::<Value>(text)
            .and_then(|_| ours::<Typed>(text))
            .unwrap_err();
        assert!(got.contains(&want), "ours: {got}\nserde_json: {want}");
    }
}

#[test]
fn arrays_in_every_json_form_decode_the_same_with_long_buffers() {
    let a = Array::from_vec((0..3000).map(|i| i as f64 * 0.5).collect::<Vec<f64>>());
    for opts in [
        arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64),
        arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64).lz4(),
        arraymodel::EncodeOptions::truss(),
    ] {
        let text = arraymodel::to_json_vec(&vec![a.clone(), a.clone()], &opts).unwrap();
        let text = String::from_utf8(text).unwrap();
        let back: Vec<Array> = ours(&text).unwrap();
        assert_eq!(back, vec![a.clone(), a.clone()]);
        // One byte of the second buffer made invalid: the error names it, by path.
        let at = text.rfind("AAAA").unwrap();
        let mut bad = text.clone();
        bad.replace_range(at..at + 1, "-");
        let e =
            from_json_slice::<Vec<Array>>(bad.as_bytes(), &DecodeOptions::default()).unwrap_err();
        assert!(e.path().to_string().starts_with("[1]."), "{e}");
        assert!(e.to_string().contains("invalid base64"), "{e}");
    }
}

#[derive(Deserialize, Debug, PartialEq)]
enum Tagged {
    Unit,
    Text(String),
    Pair(String, u8),
    Named { s: String },
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Num(u8),
    Text(String),
}

#[test]
fn enums_options_and_buffered_content_see_the_original_strings() {
    let a = long(5000, 9);
    let text = format!(
        r#"[{{"Text": "{a}"}}, {{"Pair": ["{a}", 3]}}, {{"Named": {{"s": "{a}"}}}}, "Unit"]"#
    );
    let v: Vec<Tagged> = ours(&text).unwrap();
    assert_eq!(v, serde_json::from_str::<Vec<Tagged>>(&text).unwrap());
    let text = format!(r#"[1, "{a}", null, "{a}"]"#);
    let v: Vec<Option<Untagged>> = ours(&text).unwrap();
    assert_eq!(v[1], Some(Untagged::Text(a.clone())));
    assert_eq!(
        v,
        serde_json::from_str::<Vec<Option<Untagged>>>(&text).unwrap()
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just(String::new()),
        "[a-z\"\\\\\n\u{e9}\u{1F600}]{0,8}",
        (4090usize..4100, any::<u8>()).prop_map(|(n, s)| long(n, s)),
        // Long and not ASCII: cut, and checked as UTF-8 when handed out or afterwards.
        (2045usize..2050).prop_map(|n| "\u{e9}".repeat(n)),
        (0usize..3, any::<u8>()).prop_map(|(k, s)| format!(
            "{}\"{}",
            long(3000 + k, s),
            long(2000, s)
        )),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::vec((text.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_document_parses_as_serde_json_parses_it(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let direct: Value = serde_json::from_str(&text).unwrap();
        let through: Value = ours(&text).unwrap();
        prop_assert_eq!(through, direct);
    }

    /// Truncating or corrupting a document fails with serde_json's own message.
    #[test]
    fn any_broken_document_fails_as_serde_json_fails(
        v in json_value(), cut in any::<prop::sample::Index>(), junk in prop::sample::select(vec!["", "]", "}", ",", "\"", "x"]),
    ) {
        let text = serde_json::to_string(&v).unwrap();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) { at -= 1; }
        let broken = format!("{}{junk}", &text[..at]);
        match serde_json::from_str::<Value>(&broken) {
            Ok(direct) => prop_assert_eq!(ours::<Value>(&broken).unwrap(), direct),
            Err(e) => {
                let got = ours::<Value>(&broken).unwrap_err();
                prop_assert!(got.contains(&e.to_string()), "ours: {}\nserde_json: {}", got, e);
            }
        }
    }
}

#[test]
fn ignored_and_decoded_long_strings_are_checked_as_serde_json_checks_them() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct OnlyA {
        a: Array,
    }
    /// Reads nothing: serde_json skips every value, as it does the raw value of a buffer.
    #[derive(Deserialize)]
    struct Nothing {}
    let a = Array::from_vec(vec![1.5f64; 2000]);
    let enc = arraymodel::to_json_vec(
        &a,
        &arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64),
    )
    .unwrap();
    let enc = String::from_utf8(enc).unwrap();
    // An unknown field holding a long string: fine when printable ...
    let ok = format!(r#"{{"a": {enc}, "junk": "{}"}}"#, long(9000, 3));
    assert_eq!(ours::<OnlyA>(&ok).unwrap().a, a);
    // ... refused, with serde_json's message and position, when it holds a control
    // character, although nothing reads it.
    let bad = format!(
        "{{\"a\": {enc}, \"junk\": \"{}\u{1}{}\"}}",
        long(9000, 3),
        long(5, 1)
    );
    // serde_json's own error, reading nothing, is ours, reading the array.
    let refused_as_serde_json_does = |text: &str| {
        let want = serde_json::from_str::<Nothing>(text)
            .err()
            .unwrap()
            .to_string();
        let got = ours::<OnlyA>(text).unwrap_err();
        assert!(got.contains(&want), "ours: {got}\nserde_json: {want}");
    };
    refused_as_serde_json_does(&bad);
    // A control character inside the long base64 buffer itself.
    let at = enc.find("AAAA").unwrap() + 100;
    let mut broken = enc.clone();
    broken.replace_range(at..at + 1, "\u{7}");
    refused_as_serde_json_does(&format!(r#"{{"a": {broken}}}"#));
}

#[test]
fn nesting_to_serde_json_s_limit_with_a_long_string_inside() {
    // serde_json stops at 128 levels; the restoring deserializer adds frames per
    // level, which must still fit a test thread's 2 MiB stack.
    let a = long(5000, 4);
    for depth in [127, 128, 129, 1000] {
        let text = format!("{}\"{a}\"{}", "[".repeat(depth), "]".repeat(depth));
        let direct = serde_json::from_str::<Value>(&text).map_err(|e| e.to_string());
        let through = ours::<Value>(&text);
        match (direct, through) {
            (Ok(d), Ok(t)) => assert_eq!(d, t),
            (Err(d), Err(t)) => assert!(t.contains(&d), "{t} / {d}"),
            (d, t) => panic!("depth {depth}: serde_json {d:?}, ours {t:?}"),
        }
    }
}

/// The error for input that is not UTF-8: where it first goes wrong, as the whole input
/// is checked when long strings are not cut.
fn utf8_error_at(bytes: &[u8]) -> String {
    let at = std::str::from_utf8(bytes).unwrap_err().valid_up_to();
    format!("invalid UTF-8 at byte {at} ")
}

#[test]
fn invalid_utf8_is_refused_wherever_it_is() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc<'a> {
        a: Array,
        #[serde(borrow)]
        name: Option<&'a str>,
        owned: Option<String>,
        #[serde(borrow)]
        raw: Option<&'a RawValue>,
    }
    let a = Array::from_vec((0..2000).map(f64::from).collect::<Vec<f64>>());
    let text = |opts| String::from_utf8(arraymodel::to_json_vec(&a, &opts).unwrap()).unwrap();
    let base64 = text(arraymodel::EncodeOptions::tesseract(
        arraymodel::Encoding::Base64,
    ));
    let lz4 = text(arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64).lz4());
    let truss = text(arraymodel::EncodeOptions::truss());
    let s = long(6000, 2);
    let docs = [
        format!(r#"{{"a": {base64}}}"#),
        format!(r#"{{"a": {lz4}}}"#),
        format!(r#"{{"a": {truss}}}"#),
        format!(r#"{{"a": {base64}, "name": "{s}"}}"#),
        format!(r#"{{"a": {truss}, "owned": "{s}"}}"#),
        format!(r#"{{"a": {truss}, "raw": ["{s}", 1]}}"#),
        format!(r#"{{"a": {base64}, "unknown": "{s}"}}"#),
        format!(r#"{{"a": {base64}, "unknown": {{"x": ["{s}"]}}}}"#),
    ];
    // Bytes that are never UTF-8, a sequence cut short, an overlong form, a surrogate.
    let invalid: [&[u8]; 5] = [b"\xff", b"\x80", b"\xc3", b"\xc0\x80", b"\xed\xa0\x80"];
    for doc in &docs {
        let parsed: Doc = ours(doc).unwrap();
        assert_eq!(parsed.a, a);
        // Every long string (the base64 buffers and `s`) and the short text around them.
        let mut places: Vec<usize> = doc
            .match_indices("AAA")
            .map(|(i, _)| i + 1)
            .step_by(97)
            .collect();
        places.extend(doc.find(&s).map(|i| i + 3000));
        places.extend([1, doc.len() - 1]);
        for &at in &places {
            for bad in invalid {
                let mut bytes = doc.clone().into_bytes();
                bytes.splice(at..at, bad.iter().copied());
                let Err(got) = from_json_slice::<Doc>(&bytes, &DecodeOptions::default()) else {
                    panic!("{bad:?} at {at} accepted");
                };
                let got = got.to_string();
                let want = utf8_error_at(&bytes);
                assert!(got.contains(&want), "{bad:?} at {at}: {got}\nwant {want}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Bytes that are not UTF-8 anywhere in a document with long strings: always the
    /// error for the first of them, never a value.
    #[test]
    fn any_document_with_invalid_utf8_is_refused(
        v in json_value(),
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec![&b"\xff"[..], b"\xc3", b"\xe2\x82", b"\xed\xb0\x80", b"\xf4\x90\x80\x80"]),
    ) {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        let at = at.index(bytes.len() + 1);
        bytes.splice(at..at, bad.iter().copied());
        let got = from_json_slice::<Value>(&bytes, &DecodeOptions::default()).unwrap_err().to_string();
        let want = utf8_error_at(&bytes);
        prop_assert!(got.contains(&want), "{}\nwant {}", got, want);
    }
}

/// tesseract's base64 buffers are not scanned for their closing quote: the end follows
/// from the shape and dtype written before them, and is checked at one position. A
/// document built so that the guess lands on a quote that is not the buffer's own
/// still reads as serde_json reads it, whichever visitor gets the text, or none.
#[test]
fn a_guessed_buffer_end_is_checked_before_it_is_trusted() {
    let zeros = Array::from_vec(vec![0u8; 3072]);
    let a = String::from_utf8(
        arraymodel::to_json_vec(
            &zeros,
            &arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64).lz4(),
        )
        .unwrap(),
    )
    .unwrap();
    // The guess for 3072 bytes: 4096 characters after the buffer's opening quote.
    let head = format!(r#"{{"a": {a}, "pad": {{"p": {{"q": ""#);
    let start = head.find(r#""buffer":""#).unwrap() + r#""buffer":""#.len();
    let pad = long(start + 4096 - head.len(), 3);
    let text = format!(r#"{head}{pad}","encoding":"base64"}}}}}}"#);
    assert_eq!(&text[start + 4096..start + 4098], "\",");
    let direct: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(direct["pad"]["p"]["q"], pad.as_str());

    // Handed out as a string (the guess is checked for quotes first) ...
    assert_eq!(ours::<Value>(&text).unwrap(), direct);
    // ... decoded as base64 (which refuses the quotes inside) ...
    #[derive(Deserialize, Debug, PartialEq)]
    struct Doc {
        a: Array,
        pad: Value,
    }
    let doc: Doc = ours(&text).unwrap();
    assert_eq!(doc.a, zeros);
    assert_eq!(doc.pad, direct["pad"]);
    // ... or never read at all (checked after the parse).
    #[derive(Deserialize, Debug, PartialEq)]
    struct PadOnly {
        pad: Value,
    }
    assert_eq!(ours::<PadOnly>(&text).unwrap().pad, direct["pad"]);
}

#[test]
fn tesseract_buffers_decode_with_whitespace_and_in_several_arrays() {
    let a = Array::from_vec((0..5000).map(|i| i as f32).collect::<Vec<f32>>());
    let b = Array::from_vec((0..3000).map(|i| -(i as f64)).collect::<Vec<f64>>());
    let opts = arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64);
    let enc = |x: &Array| String::from_utf8(arraymodel::to_json_vec(x, &opts).unwrap()).unwrap();
    let compact = format!(r#"{{"inputs":{{"a":{},"b":{}}}}}"#, enc(&a), enc(&b));
    // Base64 has no quote, so spacing every token leaves the buffers as they are.
    let spaced = compact
        .replace("\":", "\" :\n ")
        .replace(",\"", " ,\r\n\t\"")
        .replace("{", "{ ");
    #[derive(Deserialize, Debug, PartialEq)]
    struct Inputs {
        a: Array,
        b: Array,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Doc {
        inputs: Inputs,
    }
    for text in [compact, spaced] {
        let doc: Doc = ours(&text).unwrap();
        assert_eq!(
            doc.inputs,
            Inputs {
                a: a.clone(),
                b: b.clone()
            }
        );
        // The second buffer one character short or long is refused as before.
        let start = text.rfind("\"buffer\"").unwrap();
        let start = start + text[start + 8..].find('"').unwrap() + 9;
        let end = start + text[start..].find('"').unwrap();
        for bad in [
            format!("{}{}", &text[..end - 1], &text[end..]),
            format!("{}A{}", &text[..end], &text[end..]),
        ] {
            let e = ours::<Doc>(&bad).unwrap_err();
            assert!(e.contains("inputs.b.data.buffer"), "{e}");
        }
    }
}

/// The outcome of the long-string path and of parsing the input as it is, as text: the
/// array's dtype, shape and bytes, or the error message.
fn both_ways<T: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    show: impl Fn(&T) -> String,
) -> (String, String) {
    let opts = DecodeOptions::default();
    let show = |r: arraymodel::Result<T>| r.map_or_else(|e| format!("error: {e}"), |v| show(&v));
    (
        show(from_json_slice::<T>(bytes, &opts)),
        show(arraymodel::__private::from_json_slice_uncut::<T>(
            bytes, &opts,
        )),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// tesseract and truss documents with long base64 buffers, corrupted anywhere (a
    /// shape or dtype changed, a character inserted or removed, a key renamed): the
    /// long-string path, which guesses a buffer's end from its shape and dtype, gives
    /// exactly what parsing the input as it is gives.
    #[test]
    fn corrupted_documents_read_as_without_the_long_string_path(
        n in 1000usize..1400,
        wide in any::<bool>(),
        truss in any::<bool>(),
        zone in 0usize..3,
        at in any::<prop::sample::Index>(),
        edit in prop::sample::select(vec!["", "\"", "A", "\\", "]", "1", ",", " ", "\u{e9}", "\u{1}"]),
        remove in 0usize..3,
    ) {
        #[derive(Deserialize)]
        struct Inputs {
            a: Array,
            b: Option<Array>,
        }
        let a = if wide {
            Array::from_vec((0..n).map(|i| i as f64).collect::<Vec<f64>>())
        } else {
            Array::from_vec((0..n * 4).map(|i| i as u16).collect::<Vec<u16>>())
        };
        let opts = if truss {
            arraymodel::EncodeOptions::truss()
        } else {
            arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Base64)
        };
        let enc = |x: &Array| String::from_utf8(arraymodel::to_json_vec(x, &opts).unwrap()).unwrap();
        let text = format!(r#"{{"a": {}, "b": {}}}"#, enc(&a), enc(&a));
        // Anywhere, or within 100 bytes of a key, shape or dtype around either buffer
        // (tesseract writes them before the buffer, truss after).
        let key = if truss { "\"shape\"" } else { "\"dtype\"" };
        let keys: Vec<usize> = text.match_indices(key).map(|(i, _)| i).collect();
        let near = |k: usize| (keys[k] + at.index(200)).saturating_sub(100).min(text.len());
        let mut at = match zone {
            0 => at.index(text.len() + 1),
            z => near(z - 1),
        };
        while !text.is_char_boundary(at) { at -= 1; }
        let mut end = (at + remove).min(text.len());
        while !text.is_char_boundary(end) { end += 1; }
        let broken = format!("{}{edit}{}", &text[..at], &text[end..]);
        let show = |d: &Inputs| {
            let b = d.b.as_ref().map(|b| (b.dtype(), b.shape().to_vec(), b.as_bytes().to_vec()));
            format!("{:?}", (d.a.dtype(), d.a.shape(), d.a.as_bytes(), b))
        };
        let (cut, whole) = both_ways::<Inputs>(broken.as_bytes(), show);
        prop_assert_eq!(cut, whole);
    }
}
