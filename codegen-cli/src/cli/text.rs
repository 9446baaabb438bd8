//! Payload text on its way to a terminal or a log: control characters escaped.
//!
//! Keys, paths, references and values come from the payload, and a payload can hold
//! anything: `ESC]0;...BEL` retitles a terminal, `ESC[31m` recolours it, a C1 `CSI`
//! does the same on terminals that take 8-bit controls, and a right-to-left override
//! (U+202E) makes `abc.bin` read as something else. Every such character is written
//! as `\u{..}` (`\n`, `\r`, `\t` as those two-character escapes); ordinary printable
//! text, non-ASCII included, is kept as it is.
//!
//! The rules live in the runtime, [`arraymodel::text`], so the command line, the
//! runtime's errors and the HTTP clients escape the same characters the same way.

pub use arraymodel::text::{escape, is_unsafe};

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
