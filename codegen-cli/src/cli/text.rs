//! Payload text on its way to a terminal or a log: control characters escaped.
//!
//! Keys, paths, references and values come from the payload, and a payload can hold
//! anything: `ESC]0;...BEL` retitles a terminal, `ESC[31m` recolours it, a C1 `CSI`
//! does the same on terminals that take 8-bit controls, and a right-to-left override
//! (U+202E) makes `abc.bin` read as something else. Every such character is written
//! as `\u{..}` (`\n`, `\r`, `\t` as those two-character escapes); ordinary printable
//! text, non-ASCII included, is kept as it is.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: C0 controls, DEL, C1 controls
/// (together Unicode's `Cc`), the bidirectional formatting characters, and the line
/// and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `s` with every [unsafe](is_unsafe) character escaped, Rust-style: `\n`, `\r`,
/// `\t`, otherwise `\u{1b}`.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text with every [unsafe](is_unsafe) character that serde_json leaves as it is
/// (DEL, C1, bidi controls; it escapes C0 itself) written as a JSON `\uXXXX` escape.
/// Such characters can only stand inside JSON strings, so the value is unchanged.
pub fn escape_json(text: String) -> String {
    if !text.chars().any(is_unsafe_in_json) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_in_json(c) {
            // All of them are in the basic multilingual plane: one \u escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Unsafe, and not JSON's own whitespace (pretty-printed JSON has `\n` between tokens).
fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_keeps_text() {
        assert_eq!(escape("plain é 数"), "plain é 数");
        assert_eq!(
            escape("a\u{1b}]0;t\u{7}b\u{1b}[31m"),
            "a\\u{1b}]0;t\\u{7}b\\u{1b}[31m"
        );
        assert_eq!(
            escape("\u{7f}\u{9b}\u{202e}x\n"),
            "\\u{7f}\\u{9b}\\u{202e}x\\n"
        );
        let j = escape_json("{\n  \"a\u{9b}\u{202e}\": 1\n}".into());
        assert_eq!(j, "{\n  \"a\\u009b\\u202e\": 1\n}");
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert!(v.get("a\u{9b}\u{202e}").is_some());
    }
}
