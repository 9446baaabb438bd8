//! JSON input whose long strings are found with memchr instead of by serde_json.
//!
//! serde_json looks for the end of a string eight bytes at a time (~3 GB/s on the
//! reference machine), so for a 10 MB base64 buffer finding the closing quote cost
//! more than decoding the base64. [`Elided::new`] finds every string with memchr
//! (~15 GB/s) and, when some are long, keeps a copy of the document with their
//! contents cut out (`"AAAA…"` becomes `""`). serde_json parses that short copy through
//! [`Restore`], a deserializer that hands every visitor the original text: each emptied
//! string, and every other borrowed string or raw value, is mapped back by its position
//! to the same bytes of the original input. A visitor cannot tell the difference.
//!
//! Only strings that serde_json would pass through untouched are cut: no escapes and
//! not object keys. The input is bytes, not yet known to be UTF-8: the short copy is
//! checked as it is built, and a cut string when a visitor is handed it as a `str`.
//! A visitor that asks for [`TEXT_TOKEN`] (the base64 decoders) is handed a cut string
//! as bytes instead, unchecked, since decoding it as base64 proves it ASCII. What the
//! parse skips is made up after it ([`Elided::checked`]): every cut string that did not
//! decode as base64 ([`note_base64`] records those) is checked for UTF-8, if it was not
//! already, and for control characters, which serde_json refuses in strings. When that
//! check or the parse itself fails, the caller checks and parses the original input
//! with serde_json alone, so errors (and their positions) are serde_json's own.
//!
//! tesseract's base64 buffers are not even scanned for their closing quote when the
//! array object is laid out as tesseract writes it ([`base64_buffer_end`]): the shape
//! and dtype before the buffer give its length, and the end is checked at that one
//! position. Such a cut is not known to be one string until its text is found to hold
//! no quote or backslash, which decoding it as base64 shows, or else
//! [`Cut::is_one_string`] checks when it is handed out or after the parse.

use std::cell::{Cell, OnceCell};
use std::fmt;
use std::marker::PhantomData;

use memchr::{memchr, memchr2};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// Strings shorter than this are left to serde_json (at a few bytes per nanosecond,
/// cutting them saves less than the bookkeeping costs). Fuzzing cuts nearly every
/// string, so the fuzz targets exercise the cutting on small inputs.
const LONG: usize = if cfg!(fuzzing) { 4 } else { 4096 };

/// The short copy may be up to this long, or an eighth of the input if that is more.
const MAX_SHORT: usize = 64 << 10;

/// The name of the newtype struct a visitor asks for to be handed a long string as
/// bytes, not checked as UTF-8 (see the module docs). Any other deserializer passes it
/// to `visit_newtype_struct`, so such a visitor must also read a plain string there.
pub(crate) const TEXT_TOKEN: &str = "$arraymodel::private::Text";

/// A JSON text with its long strings cut out, and where they were.
pub(crate) struct Elided<'de> {
    original: &'de [u8],
    short: String,
    cuts: Vec<Cut>,
}

/// One emptied string: where its (now empty) content starts in the short text, the
/// number of bytes cut before it, its length, whether it is known to hold no quote or
/// backslash (`scanned`; not yet for a [`base64_buffer_end`] guess) and whether it is
/// known to be UTF-8.
struct Cut {
    at: usize,
    before: usize,
    len: usize,
    scanned: Cell<bool>,
    utf8: Cell<bool>,
}

impl Cut {
    /// This cut's text in `original`.
    fn text<'o>(&self, original: &'o [u8]) -> &'o [u8] {
        &original[self.at + self.before..][..self.len]
    }

    /// Whether this cut's text is what serde_json would read as one whole string: no
    /// quote or backslash (scanned for once, if it was guessed).
    fn is_one_string(&self, original: &[u8]) -> bool {
        if !self.scanned.get() {
            if memchr2(b'"', b'\\', self.text(original)).is_some() {
                return false;
            }
            self.scanned.set(true);
        }
        true
    }
}

impl<'de> Elided<'de> {
    /// Scans `original` for strings; `None` when none is long enough to cut, or when
    /// what is left is not UTF-8 (the input is then checked and parsed as it is).
    pub(crate) fn new(original: &'de [u8]) -> Option<Self> {
        Self::cutting(original, LONG)
    }

    /// [`Self::new`] with strings of `long` bytes or more cut.
    fn cutting(original: &'de [u8], long: usize) -> Option<Self> {
        if original.len() < long {
            return None;
        }
        let b = original;
        // The short copy must be small next to the input: a document that is mostly
        // something else (a large `json` list beside one long string, or many short
        // strings) is parsed as it is, rather than held twice. The scan stops as soon
        // as what it has kept exceeds that.
        let max_short = MAX_SHORT.max(original.len() / 8);
        // (content start, content end) of each string to cut, in `original`.
        let mut spans = Vec::new();
        let mut cut_total = 0;
        let mut i = 0;
        // Where the document's last long run of text ends (found once, from the end).
        let last_run = OnceCell::new();
        'strings: while let Some(q) = memchr(b'"', &b[i..]) {
            if i + q - cut_total > max_short {
                return None;
            }
            let start = i + q + 1;
            // A string with no quote or backslash in its first `long` bytes is long: if it
            // is a base64 buffer laid out as tesseract or truss write them, where it ends
            // is guessed rather than scanned for (checked later; see `base64_buffer_end`).
            let probe = start.saturating_add(long).min(b.len());
            let long_run = probe < b.len() && memchr2(b'"', b'\\', &b[start..probe]).is_none();
            if long_run {
                let guess =
                    base64_buffer_end(b, start).or_else(|| truss_buffer_end(b, start, &last_run));
                if let Some(end) = guess {
                    spans.push((start, end, false));
                    cut_total += end - start;
                    i = end + 1;
                    continue;
                }
            }
            let mut j = if long_run { probe } else { start };
            let mut escaped = false;
            let end = loop {
                match memchr2(b'"', b'\\', &b[j..]) {
                    Some(k) if b[j + k] == b'\\' => {
                        escaped = true;
                        j += k + 2;
                        if j >= b.len() {
                            break 'strings;
                        }
                    }
                    Some(k) => break j + k,
                    // Unterminated: serde_json reports it; what was found before stands.
                    None => break 'strings,
                }
            };
            i = end + 1;
            if !escaped && end - start >= long && !is_key(&b[i..]) {
                spans.push((start, end, true));
                cut_total += end - start;
            }
        }
        if spans.is_empty() || original.len() - cut_total > max_short {
            return None;
        }
        // Each piece ends and starts at a quote, so the pieces are UTF-8 one by one
        // exactly when they are together.
        let utf8 = |piece| simdutf8::basic::from_utf8(piece).ok();
        let mut short = String::with_capacity(original.len() - cut_total);
        let mut cuts = Vec::with_capacity(spans.len());
        let mut from = 0;
        let mut before = 0;
        for (start, end, scanned) in spans {
            short.push_str(utf8(&original[from..start])?);
            cuts.push(Cut {
                at: short.len(),
                before,
                len: end - start,
                scanned: Cell::new(scanned),
                utf8: Cell::new(false),
            });
            before += end - start;
            from = end;
        }
        short.push_str(utf8(&original[from..])?);
        Some(Elided {
            original,
            short,
            cuts,
        })
    }

    /// The text serde_json parses: the original with the long strings emptied.
    pub(crate) fn short(&self) -> &str {
        &self.short
    }

    /// The number of bytes cut out of the first `k` cuts.
    fn cut_before(&self, k: usize) -> usize {
        k.checked_sub(1)
            .map_or(0, |k| self.cuts[k].before + self.cuts[k].len)
    }

    /// The original bytes behind `s`, a slice of the short text, and the range of
    /// cuts inside them: the same span of the original, with every cut inside it put
    /// back. A slice starts after the cuts before its start and ends after the cuts up
    /// to its end (a token never starts or ends at an emptied string's position, except
    /// the emptied string itself, which so gets its content back). `None` if `s` is not
    /// from the short text.
    fn restore(&self, s: &[u8]) -> Option<(&'de [u8], std::ops::Range<usize>)> {
        let at = (s.as_ptr() as usize).checked_sub(self.short.as_ptr() as usize)?;
        let end = at.checked_add(s.len())?;
        if end > self.short.len() {
            return None;
        }
        let first = self.cuts.partition_point(|c| c.at < at);
        let past = self.cuts.partition_point(|c| c.at <= end);
        let original = self
            .original
            .get(at + self.cut_before(first)..end + self.cut_before(past))?;
        Some((original, first..past))
    }

    /// The original text behind `s`, a slice of the short text: `Some(Err(()))` if it
    /// is not UTF-8 (a cut string inside it is not), `None` if `s` is not from the
    /// short text.
    fn restore_str(&self, s: &str) -> Option<Result<&'de str, ()>> {
        let (original, cuts) = self.restore(s.as_bytes())?;
        let cuts = &self.cuts[cuts];
        if !cuts.iter().all(|c| c.is_one_string(self.original)) {
            return Some(Err(()));
        }
        let text = simdutf8::basic::from_utf8(original).map_err(|_| ());
        if text.is_ok() {
            cuts.iter().for_each(|c| c.utf8.set(true));
        }
        Some(text)
    }

    fn restore_bytes(&self, s: &[u8]) -> Option<&'de [u8]> {
        self.restore(s).map(|(original, _)| original)
    }

    /// Whether every cut string is what serde_json read it as: one whole string,
    /// UTF-8, without control characters. Strings [`note_base64`] saw decode are not
    /// read again (base64 has no quote, backslash, control or non-ASCII character), nor
    /// for what was already checked when they were handed out as `str`.
    pub(crate) fn checked(&self) -> bool {
        crate::context::with_decode(|f| {
            let none = std::cell::RefCell::new(Vec::new());
            let d = f.map_or(&none, |f| &f.base64_seen).borrow();
            self.cuts.iter().all(|c| {
                let text = c.text(self.original);
                let (a, b) = (text.as_ptr() as usize, text.as_ptr() as usize + c.len);
                d.iter().any(|&(x, y)| x <= a && b <= y)
                    || (c.is_one_string(self.original)
                        && (c.utf8.get() || simdutf8::basic::from_utf8(text).is_ok())
                        && printable(text))
            })
        })
    }
}

/// Records that `text` was decoded as base64 without error: every byte of it is in the
/// base64 alphabet, so a cut string within it is UTF-8 and has no control characters.
/// The record is kept in the call's decode frame (`context`), which
/// [`Elided::checked`] reads; outside any frame nothing is recorded (nothing reads it).
pub(crate) fn note_base64(text: &[u8]) {
    let a = text.as_ptr() as usize;
    note_base64_range(a..a + text.len());
}

/// [`note_base64`] by address range (what `codec::tesseract::decode_data_checked`
/// reports).
pub(crate) fn note_base64_range(text: std::ops::Range<usize>) {
    if text.len() >= LONG {
        crate::context::with_decode(|f| {
            if let Some(f) = f {
                f.base64_seen.borrow_mut().push((text.start, text.end));
            }
        });
    }
}

/// Where the base64 text of a tesseract array object starting at `start` must end,
/// when the object is laid out as tesseract writes it: `"shape": [..], "dtype": ".."`
/// before `"data": {"buffer": "<text>", "encoding": "base64"}`. The length of the text
/// follows from the shape and dtype, so its end is checked at one position (a quote
/// followed by the `encoding` key) instead of scanned for: a 10 MB buffer is then read
/// once, by the base64 decoder, not twice. The guess is not trusted: the text between
/// is checked for quotes and backslashes by decoding it as base64 (which has none), or
/// else when it is handed out as a string or after the parse ([`Cut::is_one_string`]).
fn base64_buffer_end(b: &[u8], start: usize) -> Option<usize> {
    const BEFORE: usize = 1024;
    let head = after_key(
        &b[start.saturating_sub(BEFORE)..start.checked_sub(1)?],
        b"buffer",
    )?;
    let value = |key: &[u8]| tokens(&head[memchr::memmem::rfind(head, key)?..], &[key, b":"]);
    let len = base64_len(value(b"\"shape\"")?, value(b"\"dtype\"")?)?;
    let end = start.checked_add(len)?;
    tokens(
        b.get(end..)?,
        &[b"\"", b",", b"\"encoding\"", b":", b"\"base64\""],
    )?;
    Some(end)
}

/// Where the base64 text of a truss `NumpyArrayField` starting at `start` ends, when
/// it is the document's last long string. truss writes `data_b64` first, so the shape
/// and dtype follow the text: the document's end is read backwards, quote by quote,
/// down to the last quote after a long run without one, and that quote is the end
/// if it is followed by truss's `, "shape": [..], "dtype": ".."` giving exactly the
/// text's length. Verified as [`base64_buffer_end`]'s guess is.
fn truss_buffer_end(b: &[u8], start: usize, last_run: &OnceCell<Option<usize>>) -> Option<usize> {
    after_key(
        &b[start.saturating_sub(64)..start.checked_sub(1)?],
        b"data_b64",
    )?;
    let end = (*last_run.get_or_init(|| last_run_end(b))).filter(|&end| end > start)?;
    let shape = tokens(&b[end..], &[b"\"", b",", b"\"shape\"", b":"])?;
    let after_shape = &shape[memchr(b']', shape)? + 1..];
    let dtype = tokens(after_shape, &[b",", b"\"dtype\"", b":"])?;
    (base64_len(shape, dtype)? == end - start).then_some(end)
}

/// The last quote of `b` that follows a run of [`LONG`] bytes without one, reading `b`
/// backwards from its end, at most 64 KiB of it (a document's short tail).
fn last_run_end(b: &[u8]) -> Option<usize> {
    const TAIL: usize = 64 << 10;
    let mut end = b.len();
    loop {
        let from = end.saturating_sub(LONG);
        match memchr::memrchr(b'"', &b[from..end]) {
            Some(q) => end = from + q,
            None if end < b.len() && from > 0 => return Some(end),
            None => return None,
        }
        if b.len() - end > TAIL {
            return None;
        }
    }
}

/// `head` (the text before a string's opening quote) without `"key":` at its end.
fn after_key<'a>(head: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let head = head.trim_ascii_end().strip_suffix(b":")?.trim_ascii_end();
    head.strip_suffix(b"\"")?
        .strip_suffix(key)?
        .strip_suffix(b"\"")
}

/// What follows `expected` JSON tokens at the start of `s` (whitespace around them
/// skipped), or `None` if `s` does not start with them.
fn tokens<'a>(s: &'a [u8], expected: &[&[u8]]) -> Option<&'a [u8]> {
    expected.iter().try_fold(s, |s, token| {
        s.trim_ascii_start()
            .strip_prefix(*token)
            .map(<[u8]>::trim_ascii_start)
    })
}

/// The length of the padded base64 text of an array, from the JSON text of its shape
/// (`[2, 3]`) and of its dtype (`"float64"`), each followed by anything.
fn base64_len(shape: &[u8], dtype: &[u8]) -> Option<usize> {
    let dtype = dtype.strip_prefix(b"\"")?;
    let dtype = &dtype[..memchr(b'"', dtype)?];
    let (dtype, _) = crate::dtype::DType::parse(std::str::from_utf8(dtype).ok()?).ok()?;
    let shape = shape.strip_prefix(b"[")?;
    let shape = &shape[..memchr(b']', shape)?];
    let mut nbytes = dtype.itemsize();
    for dim in shape.split(|&c| c == b',') {
        let dim: usize = std::str::from_utf8(dim.trim_ascii()).ok()?.parse().ok()?;
        nbytes = nbytes.checked_mul(dim)?;
    }
    nbytes.div_ceil(3).checked_mul(4)
}

/// Whether the text after a string's closing quote makes it an object key.
fn is_key(rest: &[u8]) -> bool {
    rest.iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|&c| c == b':')
}

/// No control characters (serde_json refuses them inside strings); written to
/// vectorize.
fn printable(s: &[u8]) -> bool {
    s.chunks(64)
        .all(|c| c.iter().fold(true, |ok, &x| ok & (x >= 0x20)))
}

/// The cut map, and the lifetime `'s` of the short text being parsed.
#[derive(Clone, Copy)]
struct Cx<'a, 's, 'de> {
    map: &'a Elided<'de>,
    short: PhantomData<&'s str>,
}

/// A deserializer over the short text that gives visitors the original text.
pub(crate) struct Restore<'a, 's, 'de, D> {
    de: D,
    map: Cx<'a, 's, 'de>,
}

impl<'a, 's, 'de, D: Deserializer<'s>> Restore<'a, 's, 'de, D> {
    /// `de` reads `map`'s short text; visitors get `map`'s original text.
    pub(crate) fn over(de: D, map: &'a Elided<'de>) -> Self {
        Restore {
            de,
            map: Cx {
                map,
                short: PhantomData,
            },
        }
    }
}

/// Wraps a visitor, seed or access of the original lifetime so it can be driven by
/// serde_json over the short text.
struct Wrap<'a, 's, 'de, T> {
    inner: T,
    map: Cx<'a, 's, 'de>,
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method($($arg,)* Wrap { inner: visitor, map: self.map })
        }
    )*};
}

impl<'a, 's, 'de, D: Deserializer<'s>> Deserializer<'de> for Restore<'a, 's, 'de, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i64(); deserialize_i128(); deserialize_u8();
        deserialize_u16(); deserialize_u32(); deserialize_u64(); deserialize_u128();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str();
        deserialize_string(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_seq(); deserialize_map();
        deserialize_identifier(); deserialize_ignored_any();
        deserialize_unit_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    /// [`TEXT_TOKEN`] asks for a string, handed over as bytes of the original.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let map = self.map;
        if name == TEXT_TOKEN {
            self.de.deserialize_str(Unchecked {
                inner: visitor,
                map,
            })
        } else {
            self.de.deserialize_newtype_struct(
                name,
                Wrap {
                    inner: visitor,
                    map,
                },
            )
        }
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// Wraps the visitor of a [`TEXT_TOKEN`] request: a string of the short text is
/// handed over as the original's bytes, not checked as UTF-8.
struct Unchecked<'a, 's, 'de, V> {
    inner: V,
    map: Cx<'a, 's, 'de>,
}

impl<'a, 's, 'de, V: Visitor<'de>> Visitor<'s> for Unchecked<'a, 's, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'s str) -> Result<V::Value, E> {
        match self.map.map.restore_bytes(v.as_bytes()) {
            Some(original) => self.inner.visit_borrowed_bytes(original),
            None => self.inner.visit_str(v),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.inner.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.inner.visit_string(v)
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'a, 's, 'de, V: Visitor<'de>> Visitor<'s> for Wrap<'a, 's, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
        visit_str(&str); visit_string(String); visit_bytes(&[u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'s str) -> Result<V::Value, E> {
        match self.map.map.restore_str(v) {
            Some(Ok(original)) => self.inner.visit_borrowed_str(original),
            Some(Err(())) => Err(E::custom("invalid UTF-8")),
            None => self.inner.visit_str(v),
        }
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'s [u8]) -> Result<V::Value, E> {
        match self.map.map.restore_bytes(v) {
            Some(original) => self.inner.visit_borrowed_bytes(original),
            None => self.inner.visit_bytes(v),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'s>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Restore {
            de: d,
            map: self.map,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'s>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Restore {
            de: d,
            map: self.map,
        })
    }

    fn visit_seq<A: de::SeqAccess<'s>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Wrap {
            inner: seq,
            map: self.map,
        })
    }

    fn visit_map<A: de::MapAccess<'s>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Wrap {
            inner: map,
            map: self.map,
        })
    }

    fn visit_enum<A: de::EnumAccess<'s>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Wrap {
            inner: data,
            map: self.map,
        })
    }
}

impl<'a, 's, 'de, T: DeserializeSeed<'de>> DeserializeSeed<'s> for Wrap<'a, 's, 'de, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'s>>(self, d: D) -> Result<T::Value, D::Error> {
        self.inner.deserialize(Restore {
            de: d,
            map: self.map,
        })
    }
}

impl<'a, 's, 'de, A: de::SeqAccess<'s>> de::SeqAccess<'de> for Wrap<'a, 's, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Wrap {
            inner: seed,
            map: self.map,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'a, 's, 'de, A: de::MapAccess<'s>> de::MapAccess<'de> for Wrap<'a, 's, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Wrap {
            inner: seed,
            map: self.map,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Wrap {
            inner: seed,
            map: self.map,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'a, 's, 'de, A: de::EnumAccess<'s>> de::EnumAccess<'de> for Wrap<'a, 's, 'de, A> {
    type Error = A::Error;
    type Variant = Wrap<'a, 's, 'de, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let map = self.map;
        let (value, variant) = self.inner.variant_seed(Wrap { inner: seed, map })?;
        Ok((
            value,
            Wrap {
                inner: variant,
                map,
            },
        ))
    }
}

impl<'a, 's, 'de, A: de::VariantAccess<'s>> de::VariantAccess<'de> for Wrap<'a, 's, 'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.newtype_variant_seed(Wrap {
            inner: seed,
            map: self.map,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            Wrap {
                inner: visitor,
                map: self.map,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            Wrap {
                inner: visitor,
                map: self.map,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::Value;

    use super::{Elided, Restore};

    /// `T` from `text` with every string of `long` bytes or more cut, or `None` when
    /// the cut parse fails or a cut string holds a control character (the caller then
    /// parses the original).
    fn cut_parse<'de, T: Deserialize<'de>>(text: &'de str, long: usize) -> Option<T> {
        let map = Elided::cutting(text.as_bytes(), long)?;
        let mut de = serde_json::Deserializer::from_str(map.short());
        let v = T::deserialize(Restore::over(&mut de, &map)).ok()?;
        de.end().ok()?;
        map.checked().then_some(v)
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-c\"\\\\\n\t\u{1}\u{e9}\u{1F600} ]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                proptest::collection::vec(("[a-c\"\u{e9}]{0,6}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// With nearly every string cut (threshold 1 to 6 bytes), any document reads as
        /// serde_json reads it, pretty or compact, and raw values are the original text.
        #[test]
        fn cut_parse_is_serde_json(v in value(), long in 1usize..7, pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            if let Some(map) = Elided::cutting(text.as_bytes(), long) {
                prop_assert!(map.short().len() < text.len());
            }
            let direct: Value = serde_json::from_str(&text).unwrap();
            // Control characters can only be in escaped strings, which are never cut.
            let through: Value = cut_parse(&text, long).unwrap_or_else(|| serde_json::from_str(&text).unwrap());
            prop_assert_eq!(&through, &direct);
            let raw: Box<serde_json::value::RawValue> = cut_parse(&text, long).unwrap_or_else(|| serde_json::from_str(&text).unwrap());
            prop_assert_eq!(raw.get(), text.trim());
        }

        /// Broken documents: the cut parse never accepts what serde_json refuses.
        #[test]
        fn cut_parse_refuses_what_serde_json_refuses(
            v in value(), long in 1usize..7, cut in any::<prop::sample::Index>(),
            junk in prop::sample::select(vec!["", "]", "}", ",", "\"", "x", "\u{1}", ":", "\\"]),
        ) {
            let text = serde_json::to_string(&v).unwrap();
            let mut at = cut.index(text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            let broken = format!("{}{junk}{}", &text[..at], &text[at..]);
            let direct = serde_json::from_str::<Value>(&broken).ok();
            let through = cut_parse::<Value>(&broken, long);
            if through.is_some() {
                prop_assert_eq!(through, direct);
            }
        }
    }

    #[test]
    fn raw_control_characters_in_cut_strings_are_found_after_the_parse() {
        let text = "[\"ab\u{1}cd\", \"efgh\"]";
        let map = Elided::cutting(text.as_bytes(), 3).unwrap();
        assert_eq!(map.short(), r#"["", ""]"#);
        assert!(!map.checked());
        assert!(cut_parse::<Value>(text, 3).is_none());
        assert!(serde_json::from_str::<Value>(text).is_err());
    }

    #[test]
    fn documents_mostly_left_uncut_are_not_copied() {
        let numbers = vec!["1.5"; 100_000].join(",");
        let long = "A".repeat(10_000);
        let mostly_numbers = format!(r#"{{"s": "{long}", "x": [{numbers}]}}"#);
        assert!(Elided::new(mostly_numbers.as_bytes()).is_none());
        let mostly_text = format!(r#"{{"s": "{long}{long}{long}", "x": [1.5, 2.5]}}"#);
        let map = Elided::new(mostly_text.as_bytes()).unwrap();
        assert_eq!(map.short(), r#"{"s": "", "x": [1.5, 2.5]}"#);
    }

    #[test]
    fn tesseract_buffer_ends_follow_from_shape_and_dtype() {
        let body = "A".repeat(16);
        let doc = |before: &str, after: &str| format!("{before}\"buffer\":\"{body}\"{after}");
        let end = |text: &str| {
            let start = text.find(&body).unwrap();
            super::base64_buffer_end(text.as_bytes(), start).map(|e| e - start)
        };
        let tesseract = r#"{"object_type":"array","shape":[2, 3],"dtype":"<u2","data":{"#;
        assert_eq!(end(&doc(tesseract, r#","encoding":"base64"}}"#)), Some(16));
        let spaced = "{ \"shape\" :\n[ 2 ,3 ] , \"dtype\": \"uint16\", \"data\": { ";
        assert_eq!(
            end(&doc(spaced, " ,\r\n\"encoding\" : \"base64\" } }")),
            Some(16)
        );
        // Anything else is scanned for as before.
        for (before, after) in [
            (tesseract, r#","encoding":"binref"}}"#),
            (tesseract, r#","compression":"lz4","encoding":"base64"}}"#),
            (
                r#"{"dtype":"<u2","data":{"#,
                r#","encoding":"base64"}, "shape": [2, 3]}"#,
            ),
            (
                r#"{"shape":[2, 3],"dtype":"float64","data":{"#,
                r#","encoding":"base64"}}"#,
            ),
            (
                r#"{"shape":[18446744073709551615, 3],"dtype":"<u2","data":{"#,
                r#","encoding":"base64"}}"#,
            ),
            (
                r#"{"shape":[2, -3],"dtype":"<u2","data":{"#,
                r#","encoding":"base64"}}"#,
            ),
            (
                r#"{"shape":[2, 3],"dtype":"object","data":{"#,
                r#","encoding":"base64"}}"#,
            ),
        ] {
            assert_eq!(end(&doc(before, after)), None, "{before} {after}");
        }
        let other_key = doc(tesseract, r#","encoding":"base64"}}"#).replace("buffer", "text");
        assert_eq!(end(&other_key), None);
        // A guessed cut is not known to be one string until checked.
        let text = doc(tesseract, r#","encoding":"base64"}}"#);
        let map = Elided::cutting(text.as_bytes(), 16).unwrap();
        assert_eq!(map.short(), text.replace(&body, ""));
        assert!(!map.cuts[0].scanned.get());
        assert!(map.checked());
        assert!(map.cuts[0].scanned.get());
    }

    #[test]
    fn the_last_truss_buffer_end_follows_from_the_shape_and_dtype_after_it() {
        // 4,098 bytes of uint16: 5,464 characters of base64.
        let body = "A".repeat(5464);
        let array = format!(r#"{{"data_b64": "{body}", "shape": [2049], "dtype": "uint16"}}"#);
        let cuts = |text: &str| {
            let map = Elided::new(text.as_bytes()).unwrap();
            map.cuts
                .iter()
                .map(|c| (c.len, c.scanned.get()))
                .collect::<Vec<_>>()
        };
        // The last buffer's end is guessed; a buffer before it is scanned for.
        let two = format!(r#"{{"a": {array}, "b": {array}}}"#);
        assert_eq!(cuts(&two), [(5464, true), (5464, false)]);
        // A long string after the last buffer, or a shape that does not match: scanned.
        let note = format!(r#"{{"b": {array}, "note": "{}"}}"#, "n".repeat(5000));
        assert_eq!(cuts(&note), [(5464, true), (5000, true)]);
        let mismatch = array.replace("2049", "2050");
        assert_eq!(cuts(&mismatch), [(5464, true)]);
        let tesseract_keys = array.replace("data_b64", "buffer");
        assert_eq!(cuts(&tesseract_keys), [(5464, true)]);
    }

    #[test]
    fn keys_and_escaped_strings_are_not_cut() {
        let text = r#"{"long key": "a\"quoted\" value", "k": "plain value"}"#;
        let map = Elided::cutting(text.as_bytes(), 3).unwrap();
        assert_eq!(map.short(), r#"{"long key": "a\"quoted\" value", "k": ""}"#);
        let v: Value = cut_parse(text, 3).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
    }
}
