//! 422 bodies: a decode error as FastAPI's `{"detail": [{"type", "loc", "msg", "input",
//! "ctx"}]}`, with the `type` and `loc` tesseract-runtime gives the same bad request.
//!
//! - an array that cannot be built from its buffer (base64, LZ4, binref, a buffer that
//!   does not fit its shape, a JSON element that is no number) is `array_decode_error`
//!   at the array's field, with `ctx: {"encoding", "error"}`;
//! - any other problem inside an array object (shape, dtype, rank, keys, encoding names)
//!   is `array_non_numeric` at the array's field;
//! - a missing field is `missing` at the field, an unknown one `extra_forbidden`;
//! - malformed JSON is `json_invalid` at `["body", offset]`;
//! - anything else is `value_error` at the deepest field the path reaches.
//!
//! The offending value is quoted as `input` when its JSON is at most
//! [`MAX_QUOTED_INPUT`](super::MAX_QUOTED_INPUT) bytes; it is found by walking the raw
//! body one level at a time, never by building the whole body as a `Value`.

use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::gradient::{RawIndex, Seg};
use crate::error::{Error, ErrorKind, Segment};

/// The keys of tesseract's array object: a path into one of them belongs to the array.
const ARRAY_KEYS: [&str; 7] = [
    "object_type",
    "shape",
    "dtype",
    "data",
    "buffer",
    "encoding",
    "compression",
];

/// Bodies larger than this are not walked for the 422's `input` (16 MiB).
const MAX_WALKED_BODY: usize = 16 << 20;
/// `loc` entries walked in the raw body at most.
const MAX_WALK_DEPTH: usize = 24;

/// One `loc` entry.
#[derive(Clone, Debug)]
enum Loc {
    Key(String),
    Index(usize),
}

impl Loc {
    fn json(&self) -> Value {
        match self {
            Loc::Key(k) => Value::from(k.as_str()),
            Loc::Index(i) => Value::from(*i),
        }
    }
}

impl Loc {
    /// The same step as a path segment of [`RawIndex`].
    fn seg(&self) -> Seg {
        match self {
            Loc::Key(k) => Seg::Key(k.clone()),
            Loc::Index(i) => Seg::Index(*i),
        }
    }
}

/// Whether `raw` is one of tesseract's array objects (by its keys).
fn is_array_object<'a>(index: &RawIndex<'a>, raw: &'a RawValue) -> bool {
    index.has_key(raw, "data") || index.has_key(raw, "shape") && index.has_key(raw, "dtype")
}

fn quote(raw: Option<&RawValue>) -> Option<Value> {
    let raw = raw?;
    (raw.get().len() <= super::MAX_QUOTED_INPUT)
        .then(|| serde_json::from_str(raw.get()).ok())
        .flatten()
}

/// `name` out of serde's "missing field `name`" / "unknown field `name`, expected ...".
fn backticked<'a>(msg: &'a str, lead: &str) -> Option<&'a str> {
    let rest = msg.split_once(lead)?.1;
    rest.split('`').next()
}

/// The detail list for a request body that failed to decode with `err`. `prefix` is
/// the location of the decoded value in the body (`[]` for the whole body).
pub(crate) fn validation_detail(err: &Error, body: &[u8], prefix: &[&str]) -> Value {
    if let ErrorKind::Syntax { message, .. } = err.kind() {
        return json!([make(
            "json_invalid",
            vec!["body".into(), syntax_offset(body, message).into()],
            "JSON decode error".into(),
            Some(json!({})),
            Some(json!({"error": strip_position(message)})),
        )]);
    }
    // The offending value is found by walking the raw body, one level per `loc` entry;
    // each level parses its subtree, so the walk is capped (a large body is classified
    // by its path alone, and its value is not quoted).
    let root: Option<&RawValue> = (body.len() <= MAX_WALKED_BODY)
        .then(|| std::str::from_utf8(body).ok())
        .flatten()
        .and_then(|s| serde_json::from_str(s).ok());
    // Each object and list on the way is parsed once, however often the walk, the
    // array test and the quoting below look into it.
    let index = RawIndex::default();
    let mut locs: Vec<Loc> = prefix.iter().map(|p| Loc::Key(p.to_string())).collect();
    locs.extend(err.path().segments().iter().map(|s| match s {
        Segment::Field(f) => Loc::Key(f.clone()),
        Segment::Index(i) => Loc::Index(*i),
    }));
    // Walk the body along the path; stop at an array object the path enters.
    let mut node = root;
    let mut depth = 0;
    let mut array_at = None;
    for (i, loc) in locs.iter().enumerate() {
        // Not walked (a body too large, or a path too deep): the path alone says where
        // an array object begins.
        let unwalked = root.is_none() || i >= MAX_WALK_DEPTH;
        if unwalked {
            if let Some(at) = locs[i..]
                .iter()
                .position(|l| matches!(l, Loc::Key(k) if ARRAY_KEYS.contains(&k.as_str())))
            {
                array_at = Some(i + at);
            }
            depth = locs.len();
            node = None;
            break;
        }
        let Some(cur) = node else { break };
        if let Loc::Key(k) = loc
            && ARRAY_KEYS.contains(&k.as_str())
            && is_array_object(&index, cur)
        {
            array_at = Some(i);
            break;
        }
        node = index.child(cur, &loc.seg());
        depth = i + 1;
    }
    if array_at.is_none() && depth == locs.len() && node.is_some_and(|n| is_array_object(&index, n))
    {
        array_at = Some(locs.len());
    }
    let message = strip_position(&err.kind().to_string());
    let with_body = |locs: &[Loc]| -> Vec<Value> {
        let mut v = vec![Value::from("body")];
        v.extend(locs.iter().map(Loc::json));
        v
    };
    // A value where an array belongs that is no array at all ("hello", a number
    // list of the wrong kind) is the array's problem too.
    if array_at.is_none() && message.contains("expected an array") {
        array_at = Some(depth);
    }
    // serde's field errors are the model's, whatever the field holds.
    let missing = backticked(&message, "missing field `");
    let unknown = backticked(&message, "unknown field `");
    if missing.is_some() || unknown.is_some() {
        array_at = None;
    }
    let entry = if let Some(at) = array_at {
        let field = &locs[..at];
        let input = root.and_then(|r| field.iter().try_fold(r, |n, l| index.child(n, &l.seg())));
        let decode_error = matches!(
            err.kind(),
            ErrorKind::Base64(_)
                | ErrorKind::Lz4(_)
                | ErrorKind::Binref(_)
                | ErrorKind::Io(_)
                | ErrorKind::SizeMismatch { .. }
                | ErrorKind::Ragged { .. }
                | ErrorKind::Value(_)
        ) || is_store_error(err.kind());
        if decode_error {
            let encoding = input
                .and_then(|n| index.child(n, &Seg::Key("data".into())))
                .and_then(|d| index.child(d, &Seg::Key("encoding".into())))
                .and_then(|e| serde_json::from_str::<String>(e.get()).ok())
                .unwrap_or_else(|| "json".into());
            make(
                "array_decode_error",
                with_body(field),
                format!("Failed to decode array buffer ({encoding} encoding): {message}"),
                quote(input),
                Some(json!({"encoding": encoding, "error": message})),
            )
        } else {
            make(
                "array_non_numeric",
                with_body(field),
                format!("Could not parse value as a numeric array ({message})"),
                quote(input),
                Some(json!({"error": message})),
            )
        }
    } else if let Some(name) = missing {
        let mut field = locs[..depth].to_vec();
        field.push(Loc::Key(name.to_string()));
        make(
            "missing",
            with_body(&field),
            "Field required".into(),
            quote(node),
            None,
        )
    } else if let Some(name) = unknown {
        let mut field = locs[..depth].to_vec();
        // serde_path_to_error's path already ends at the unknown key.
        let value = if matches!(field.last(), Some(Loc::Key(k)) if k == name) {
            node
        } else {
            field.push(Loc::Key(name.to_string()));
            node.and_then(|n| index.child(n, &Seg::Key(name.to_string())))
        };
        make(
            "extra_forbidden",
            with_body(&field),
            "Extra inputs are not permitted".into(),
            quote(value),
            None,
        )
    } else {
        let (kind, msg) = if message.starts_with("unknown variant") {
            (
                "literal_error",
                format!("Input should be one of the allowed values ({message})"),
            )
        } else if message.starts_with("invalid type") {
            (
                "type_error",
                format!("Input has the wrong type ({message})"),
            )
        } else {
            ("value_error", format!("Value error, {message}"))
        };
        make(
            kind,
            with_body(&locs[..depth]),
            msg,
            quote(node),
            Some(json!({"error": message})),
        )
    };
    json!([entry])
}

/// An object-store read that failed (feature `binref-store`).
fn is_store_error(kind: &ErrorKind) -> bool {
    #[cfg(feature = "binref-store")]
    {
        matches!(kind, ErrorKind::Store { .. })
    }
    #[cfg(not(feature = "binref-store"))]
    {
        let _ = kind;
        false
    }
}

/// serde_json's messages end with the position (" at line 1 column 22"); the `loc`
/// says where, so the message does not.
fn strip_position(message: &str) -> String {
    if let Some((head, tail)) = message.rsplit_once(" at line ") {
        let mut parts = tail.splitn(3, ' ');
        let line = parts
            .next()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
        let column = parts.next() == Some("column")
            && parts
                .next()
                .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()));
        if line && column {
            return head.to_string();
        }
    }
    message.to_string()
}

/// Longest text of a detail entry (`msg`, `ctx` strings), in bytes.
const MAX_TEXT: usize = 1024;
/// Longest `loc` string (a payload's key), in bytes.
const MAX_LOC: usize = 256;

/// `s` cut at `max` bytes (at a character boundary), with a note of what was left out.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &s[..end], s.len() - end)
}

/// A `ctx` object with its strings cut.
fn cut_ctx(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(cut(&s, MAX_TEXT)),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, cut_ctx(v))).collect()),
        other => other,
    }
}

/// One entry, its keys in FastAPI's order; texts taken from the payload are cut
/// ([`MAX_TEXT`], [`MAX_LOC`]), so a 422 is never much larger than its quoted `input`.
pub(crate) fn make(
    kind: &str,
    loc: Vec<Value>,
    msg: String,
    input: Option<Value>,
    ctx: Option<Value>,
) -> Value {
    let loc: Vec<Value> = loc
        .into_iter()
        .map(|l| match l {
            Value::String(s) => Value::String(cut(&s, MAX_LOC)),
            other => other,
        })
        .collect();
    let ctx = ctx.map(cut_ctx);
    let input = input.filter(|i| match i {
        Value::String(s) => s.len() <= super::MAX_QUOTED_INPUT,
        _ => true,
    });
    let msg = cut(&msg, MAX_TEXT);
    let mut e = serde_json::Map::new();
    e.insert("type".into(), kind.into());
    e.insert("loc".into(), Value::Array(loc));
    e.insert("msg".into(), msg.into());
    if let Some(i) = input {
        e.insert("input".into(), i);
    }
    if let Some(c) = ctx {
        e.insert("ctx".into(), c);
    }
    Value::Object(e)
}

/// The character offset a JSON syntax error points at, from serde_json's "line L column
/// C" (Python's `json` counts from 0 and points past the end at EOF).
fn syntax_offset(body: &[u8], message: &str) -> usize {
    let num_after = |key: &str| -> Option<usize> {
        let rest = message.rsplit_once(key)?.1.trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let (Some(line), Some(column)) = (num_after("line "), num_after("column ")) else {
        return 0;
    };
    let mut start = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', &body[start.min(body.len())..]) {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let at_end = message.contains("EOF");
    let offset = start + column;
    let offset = if at_end {
        offset
    } else {
        offset.saturating_sub(1)
    };
    let offset = offset.min(body.len());
    // Python counts characters, not bytes.
    String::from_utf8_lossy(&body[..offset]).chars().count()
}

/// The detail of a body that is not JSON because of its content type (FastAPI reads a
/// non-JSON content type as a plain string, which no model accepts).
pub(crate) fn not_an_object(body: &[u8]) -> Value {
    let input = (body.len() <= super::MAX_QUOTED_INPUT)
        .then(|| Value::from(String::from_utf8_lossy(body).into_owned()));
    json!([make(
        "model_attributes_type",
        vec!["body".into()],
        "Input should be a valid dictionary or object to extract fields from".into(),
        input,
        None
    )])
}

/// The detail of an empty body.
pub(crate) fn missing_body() -> Value {
    json!([make(
        "missing",
        vec!["body".into()],
        "Field required".into(),
        Some(Value::Null),
        None
    )])
}

/// One entry at `loc` (a gradient request's own checks).
pub(crate) fn entry(kind: &str, loc: Vec<Value>, msg: String, input: Option<Value>) -> Value {
    let mut l = vec![Value::from("body")];
    l.extend(loc);
    make(kind, l, msg, input, None)
}
