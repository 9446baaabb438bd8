//! Payload text on its way to a terminal or a log: control characters escaped.
//!
//! Keys, paths, references and server messages come from strangers, and can hold
//! anything: `ESC]0;...BEL` retitles a terminal, `ESC[31m` recolours it, a C1 `CSI`
//! does the same on terminals that take 8-bit controls, and a right-to-left override
//! (U+202E) makes `abc.bin` read as something else. [`Error`](crate::Error)'s `Display`,
//! the HTTP clients' errors and the `arraymodel` command line write every such
//! character as `\u{..}` (`\n`, `\r`, `\t` as those two-character escapes); ordinary
//! printable text, non-ASCII included, is kept as it is.
//!
//! ```
//! use arraymodel::text::escape;
//! assert_eq!(escape("a\u{1b}[31mb\u{202e}c"), "a\\u{1b}[31mb\\u{202e}c");
//! assert_eq!(escape("déjà vu"), "déjà vu");
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Whether `c` must not reach a terminal as it is: C0 controls, DEL, C1 controls
/// (together Unicode's `Cc`), every format character (Unicode's `Cf`: the bidirectional
/// controls, zero-width characters, the soft hyphen, the byte order mark, interlinear
/// annotation and tag characters), the line and paragraph separators, and the
/// zero-width space.
///
/// ```
/// use arraymodel::text::is_unsafe;
/// assert!(is_unsafe('\u{1b}') && is_unsafe('\u{202e}') && is_unsafe('\u{e0041}'));
/// assert!(!is_unsafe('é') && !is_unsafe(' '));
/// ```
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Unicode 15's general category Cf, and U+2028/U+2029 (Zl, Zp).
            '\u{00ad}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061c}'
                | '\u{06dd}'
                | '\u{070f}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
        )
}

/// Writes `c`, escaped if it is [unsafe](is_unsafe).
///
/// ```
/// let mut s = String::new();
/// arraymodel::text::write_char(&mut s, '\n').unwrap();
/// assert_eq!(s, "\\n");
/// ```
pub fn write_char(out: &mut impl Write, c: char) -> fmt::Result {
    match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c if is_unsafe(c) => write!(out, "\\u{{{:x}}}", u32::from(c)),
        c => out.write_char(c),
    }
}

/// Writes `s` with every [unsafe](is_unsafe) character escaped.
///
/// ```
/// let mut s = String::new();
/// arraymodel::text::write_escaped(&mut s, "x\u{7}").unwrap();
/// assert_eq!(s, "x\\u{7}");
/// ```
pub fn write_escaped(out: &mut impl Write, s: &str) -> fmt::Result {
    if !s.chars().any(is_unsafe) {
        return out.write_str(s);
    }
    s.chars().try_for_each(|c| write_char(out, c))
}

/// `s` with every [unsafe](is_unsafe) character escaped (borrowed when there is none).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let _ = write_escaped(&mut out, s);
    Cow::Owned(out)
}
