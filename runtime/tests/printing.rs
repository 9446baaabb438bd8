//! What reaches a terminal or a log (issue #14 §6): an `Error`'s `Display` never passes
//! control characters from the payload through. Class: terminal escape injection.

use std::collections::HashMap;

use arraymodel::{Array, DecodeOptions, from_json_slice, from_msgpack_slice};

fn unsafe_chars(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| arraymodel::text::is_unsafe(c))
        .collect()
}

/// A key in the path (`ESC]0;title BEL`, `ESC[31m`, a right-to-left override) and an
/// unknown key inside an array object reach the message escaped.
#[test]
fn error_messages_escape_payload_text() {
    let body = "{\"\\u001b]0;pwned\\u0007\\u001b[31m\\u202e\":{\"shape\":[1],\"dtype\":\"uint8\",\"data\":{\"buffer\":\"AQ==\",\"encoding\":\"base64\"},\"\\u009b2J\":1}}";
    let e = from_json_slice::<HashMap<String, Array>>(body.as_bytes(), &DecodeOptions::default())
        .unwrap_err();
    let text = e.to_string();
    assert!(unsafe_chars(&text).is_empty(), "{text:?}");
    assert!(
        text.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[31m\\u{202e}"),
        "{text}"
    );
    // Every format character (Cf) too: word joiner, a tag character, soft hyphen,
    // interlinear annotation (found by review).
    let body = "{\"a\\u2060b\\udb40\\udc41\\u00ad\\u206e\\ufff9c\":{\"shape\":\"x\"}}";
    let e2 = from_json_slice::<HashMap<String, Array>>(body.as_bytes(), &DecodeOptions::default())
        .unwrap_err();
    assert!(
        unsafe_chars(&e2.to_string()).is_empty(),
        "{:?}",
        e2.to_string()
    );
    // The path itself keeps the key as it is, for programs.
    assert!(e.path().to_string().contains('\u{1b}'));

    // A binref reference with a control character.
    let body = "{\"x\":{\"shape\":[1],\"dtype\":\"uint8\",\"data\":{\"buffer\":\"a\\u001b[2J.bin:0\",\"encoding\":\"binref\"}}}";
    let opts = DecodeOptions::default().binref_dir(std::env::temp_dir());
    let e = from_json_slice::<HashMap<String, Array>>(body.as_bytes(), &opts).unwrap_err();
    assert!(unsafe_chars(&e.to_string()).is_empty(), "{e}");

    // msgpack: a bin key with a control character, in a refused map.
    let mut m = vec![
        0x81, 0xa1, b'x', 0x82, 0xc4, 0x02, b'n', b'd', 0xc3, 0xa3, 0x1b, b'[', b'H',
    ];
    m.push(0xc0);
    let e =
        from_msgpack_slice::<HashMap<String, Array>>(&m, &DecodeOptions::default()).unwrap_err();
    assert!(unsafe_chars(&e.to_string()).is_empty(), "{e}");
}
