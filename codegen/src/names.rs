//! Rust names for schema names: `heck` casing, keyword escaping, deterministic
//! disambiguation.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Strict and reserved keywords (2015-2024 editions).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Type names the generated code uses unqualified (std prelude and derive names):
/// a schema type with one of these names gets a suffix instead of shadowing it.
const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Self",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "Default",
    "Send",
    "Sync",
    "Sized",
    "ToString",
    "ToOwned",
    "Into",
    "From",
    "Iterator",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Ord",
    "PartialOrd",
    "Unpin",
    "AsRef",
    "AsMut",
    "Extend",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "TryFrom",
    "TryInto",
    "FromIterator",
    "Defaults",
];

/// Characters heck drops make the name empty or numeric: keep something readable.
fn clean(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// `Apply_InputSchema` -> `ApplyInputSchema`; never empty, never starts with a digit.
pub fn type_name(raw: &str) -> String {
    let mut s = clean(raw).to_upper_camel_case();
    if s.is_empty() {
        s = "Type".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("T{s}");
    }
    if RESERVED_TYPES.contains(&s.as_str()) || KEYWORDS.contains(&s.as_str()) {
        s.push_str("Model");
    }
    s
}

/// An enum variant name for a wire value (`"float64"` -> `Float64`, `"+"` -> `V` + index).
pub fn variant_name(raw: &str, index: usize) -> String {
    let s = clean(raw).to_upper_camel_case();
    if s.is_empty() {
        return format!("V{index}");
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("V{s}");
    }
    if s == "Self" {
        return "SelfValue".into();
    }
    s
}

/// A field or function name for a wire name: snake case; keywords become raw
/// identifiers (`r#type`), or get a `_` suffix when they cannot be raw (`self_`).
pub fn field_name(raw: &str) -> String {
    let mut s = clean(raw).to_snake_case();
    if s.is_empty() {
        s = "field".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("f_{s}");
    }
    s
}

/// The identifier text for a snake-case name (adds `r#` or `_` for keywords).
pub fn escape_field(s: &str) -> String {
    if NOT_RAW.contains(&s) {
        format!("{s}_")
    } else if KEYWORDS.contains(&s) {
        format!("r#{s}")
    } else {
        s.to_owned()
    }
}

/// Hands out names unique within one scope, in the order asked: the first
/// `ApplyInputSchema` keeps its name, the next is `ApplyInputSchema2`, and so on.
#[derive(Default)]
pub struct Namer {
    taken: BTreeSet<String>,
}

impl Namer {
    pub fn unique(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// Like [`Namer::unique`] with `_2` suffixes, for snake-case names.
    pub fn unique_snake(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}_{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(type_name("Apply_InputSchema"), "ApplyInputSchema");
        assert_eq!(
            type_name("EncodedArrayModel__any__float64"),
            "EncodedArrayModelAnyFloat64"
        );
        assert_eq!(type_name("any-shape-array-516e"), "AnyShapeArray516e");
        assert_eq!(type_name("3d"), "T3d");
        assert_eq!(type_name("Option"), "OptionModel");
        assert_eq!(type_name("%%"), "Type");
        assert_eq!(field_name("Label"), "label");
        assert_eq!(escape_field(&field_name("type")), "r#type");
        assert_eq!(escape_field(&field_name("self")), "self_");
        assert_eq!(field_name("2nd"), "f_2nd");
        assert_eq!(field_name("dataType"), "data_type");
        assert_eq!(variant_name("float64", 0), "Float64");
        assert_eq!(variant_name("+", 3), "V3");
        assert_eq!(variant_name("1", 0), "V1");
        let mut n = Namer::default();
        assert_eq!(n.unique("A"), "A");
        assert_eq!(n.unique("A"), "A2");
        assert_eq!(n.unique("A"), "A3");
    }
}
