//! The per-call options that serde cannot carry, kept in thread-local frames.
//!
//! serde's `Serialize`/`Deserialize` have no parameter for "which JSON form" or "which
//! binref folder". Like pydantic's serialization `context`, the top-level calls
//! ([`to_json_vec`](crate::to_json_vec), [`from_json_slice`](crate::from_json_slice), ...)
//! and the explicit scopes ([`EncodeOptions::scope`], [`DecodeOptions::scope`]) push a
//! frame on a thread-local stack for the duration of the call and pop it afterwards.
//! Each thread, and each nested call, sees its own frame, so concurrent calls with
//! different options never interfere. Outside any frame the defaults apply (tesseract
//! `json+base64` when writing, no binref folder and default limits when reading).

use std::cell::RefCell;

use crate::codec::binref::{BinrefReader, BinrefWriter};
use crate::error::{Error, Result};
use crate::options::{BytesStyle, DecodeOptions, EncodeOptions};
use crate::shape::Limits;

pub(crate) struct EncodeFrame {
    pub opts: EncodeOptions,
    pub binref: Option<BinrefWriter>,
    /// The output of [`to_json_vec`](crate::to_json_vec): serde_json appends to it
    /// through [`direct_write`], and arrays write their text straight into it.
    pub out: Option<Vec<u8>>,
}

pub(crate) struct DecodeFrame {
    pub limits: Limits,
    /// Bytes of array data decoded so far in this call (`Limits::max_total_bytes`).
    pub decoded: std::cell::Cell<u64>,
    /// Empty lists the call's empty arrays stand for so far (`Limits::max_empty_lists`).
    pub empty_lists: std::cell::Cell<u128>,
    pub binref: Option<BinrefReader>,
    pub bytes: BytesStyle,
}

thread_local! {
    static ENCODE: RefCell<Vec<EncodeFrame>> = const { RefCell::new(Vec::new()) };
    static DECODE: RefCell<Vec<DecodeFrame>> = const { RefCell::new(Vec::new()) };
    static LAST_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
    static KEY_HINT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the name of a map key whose value failed to decode. serde_path_to_error
/// names only string keys, and msgpack-numpy writes its keys as bin; the top-level call
/// uses the hint for the unnamed path segment.
pub(crate) fn note_key(name: &[u8]) {
    KEY_HINT.with(|k| *k.borrow_mut() = Some(String::from_utf8_lossy(name).into_owned()));
}

/// Takes the key hint (see [`note_key`]).
pub(crate) fn take_key_hint() -> Option<String> {
    KEY_HINT.with(|k| k.borrow_mut().take())
}

/// Runs `f` with the innermost encode frame, if any.
pub(crate) fn with_encode<R>(f: impl FnOnce(Option<&mut EncodeFrame>) -> R) -> R {
    ENCODE.with(|s| f(s.borrow_mut().last_mut()))
}

/// Runs `f` with the innermost decode frame, if any.
pub(crate) fn with_decode<R>(f: impl FnOnce(Option<&DecodeFrame>) -> R) -> R {
    DECODE.with(|s| f(s.borrow().last()))
}

/// Runs `body` inside an encode frame. With `out`, the frame owns that output buffer
/// (see [`direct_write`]) and returns it at the end. The binref writer comes back unfinished:
/// the caller finishes it (renaming its files into place) only if `body` succeeded, and
/// dropping it removes the partial files.
pub(crate) fn encode_scope<R>(
    opts: &EncodeOptions,
    out: Option<Vec<u8>>,
    body: impl FnOnce() -> R,
) -> (R, Option<BinrefWriter>, Vec<u8>) {
    let binref = opts
        .binref_dir
        .as_ref()
        .map(|d| BinrefWriter::new(d.clone(), opts.binref_prefix.clone()));
    ENCODE.with(|s| {
        s.borrow_mut().push(EncodeFrame {
            opts: opts.clone(),
            binref,
            out,
        })
    });
    // Pops the frame if `body` panics.
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            ENCODE.with(|s| s.borrow_mut().pop());
        }
    }
    let guard = Pop;
    let r = body();
    std::mem::forget(guard);
    let frame = ENCODE
        .with(|s| s.borrow_mut().pop())
        .expect("the frame pushed above");
    (r, frame.binref, frame.out.unwrap_or_default())
}

/// Appends to the output buffer of the innermost [`to_json_vec`](crate::to_json_vec)
/// call (serde_json's writer there).
pub(crate) fn direct_write(bytes: &[u8]) {
    ENCODE.with(|s| {
        if let Some(out) = s.borrow_mut().iter_mut().rev().find_map(|f| f.out.as_mut()) {
            out.extend_from_slice(bytes);
        }
    });
}

/// Hands the innermost output buffer to `f` once it holds at least `min` bytes, and
/// empties it if `f` succeeds (the streaming [`to_json_writer`](crate::to_json_writer)).
pub(crate) fn drain_output<E>(
    min: usize,
    f: impl FnOnce(&[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    ENCODE.with(|s| {
        let mut stack = s.borrow_mut();
        let Some(out) = stack.iter_mut().rev().find_map(|f| f.out.as_mut()) else {
            return Ok(());
        };
        if out.len() < min.max(1) {
            return Ok(());
        }
        f(out)?;
        out.clear();
        Ok(())
    })
}

/// Runs `body` inside a decode frame.
pub(crate) fn decode_scope<R>(opts: &DecodeOptions, body: impl FnOnce() -> R) -> Result<R> {
    let binref = opts.binref_dir.as_ref().map(BinrefReader::deferred);
    DECODE.with(|s| {
        s.borrow_mut().push(DecodeFrame {
            limits: opts.limits,
            decoded: std::cell::Cell::new(0),
            empty_lists: std::cell::Cell::new(0),
            binref,
            bytes: opts.bytes,
        })
    });
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            DECODE.with(|s| s.borrow_mut().pop());
        }
    }
    let _pop = Pop;
    Ok(body())
}

impl DecodeFrame {
    /// The limits for the next array: `max_array_bytes` lowered to what is left of
    /// `max_total_bytes`, `max_empty_lists` to what is left of it.
    pub(crate) fn limits_now(&self) -> Limits {
        let left = self
            .limits
            .max_total_bytes
            .saturating_sub(self.decoded.get());
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        let lists = (self.limits.max_empty_lists as u128).saturating_sub(self.empty_lists.get());
        Limits {
            max_array_bytes: self.limits.max_array_bytes.min(left),
            max_empty_lists: usize::try_from(lists).unwrap_or(usize::MAX),
            ..self.limits
        }
    }
}

/// Counts a decoded array of `bytes` and `shape` against the innermost frame's
/// `Limits::max_total_bytes` and `Limits::max_empty_lists`.
pub(crate) fn charge_decoded(bytes: usize, shape: &[usize]) {
    with_decode(|f| {
        if let Some(f) = f {
            f.decoded.set(f.decoded.get().saturating_add(bytes as u64));
            let lists = crate::shape::empty_lists(shape);
            f.empty_lists.set(f.empty_lists.get().saturating_add(lists));
        }
    });
}

/// Checks and counts an array a model is about to build from one already counted (a
/// cast to the field's dtype, a broadcast of a given 1 to a fixed N): the new array
/// replaces the old in the innermost frame's budget and must fit what is left of it.
/// Outside any frame, the default limits apply.
pub(crate) fn charge_conformed(
    old_bytes: usize,
    old_shape: &[usize],
    shape: &[usize],
    dtype: crate::DType,
) -> Result<()> {
    with_decode(|f| {
        let Some(f) = f else {
            return crate::shape::checked_nbytes(shape, dtype, &Limits::default()).map(drop);
        };
        let (decoded, lists) = (f.decoded.get(), f.empty_lists.get());
        f.decoded.set(decoded.saturating_sub(old_bytes as u64));
        f.empty_lists
            .set(lists.saturating_sub(crate::shape::empty_lists(old_shape)));
        match crate::shape::checked_nbytes(shape, dtype, &f.limits_now()) {
            Ok(bytes) => {
                f.decoded.set(f.decoded.get().saturating_add(bytes as u64));
                let added = crate::shape::empty_lists(shape);
                f.empty_lists.set(f.empty_lists.get().saturating_add(added));
                Ok(())
            }
            Err(e) => {
                f.decoded.set(decoded);
                f.empty_lists.set(lists);
                Err(e)
            }
        }
    })
}

/// Turns an [`Error`] into a serde error, keeping the structured error aside so the
/// top-level call can return it with its kind and full path.
pub(crate) fn to_serde<E: std::fmt::Display>(e: Error, make: impl FnOnce(String) -> E) -> E {
    let msg = e.to_string();
    LAST_ERROR.with(|l| *l.borrow_mut() = Some(e));
    make(msg)
}

/// Takes the structured error stashed by [`to_serde`] if it produced `message`.
pub(crate) fn take_error(message: &str) -> Option<Error> {
    LAST_ERROR.with(|l| {
        let e = l.borrow_mut().take()?;
        message.starts_with(&e.to_string()).then_some(e)
    })
}

/// Forgets any stashed error (at the start of a top-level call).
pub(crate) fn clear_error() {
    LAST_ERROR.with(|l| *l.borrow_mut() = None);
    KEY_HINT.with(|k| *k.borrow_mut() = None);
}

impl EncodeOptions {
    /// Runs `f` (for example a `serde_json::to_writer` call of your own) with these
    /// options in force for every [`Array`](crate::Array) and bytes field it serializes.
    /// binref files written inside the scope are renamed into place when it ends.
    ///
    /// ```
    /// use arraymodel::{Array, EncodeOptions};
    /// let a = Array::from_vec(vec![1u8, 2]);
    /// let text = EncodeOptions::truss().scope(|| serde_json::to_string(&a)).unwrap().unwrap();
    /// assert_eq!(text, r#"{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}"#);
    /// ```
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let (r, binref, _) = encode_scope(self, None, f);
        if let Some(w) = binref {
            w.finish()?;
        }
        Ok(r)
    }
}

impl DecodeOptions {
    /// Runs `f` (for example a `serde_json::from_slice` call of your own) with these
    /// options in force for every array and bytes field it deserializes.
    ///
    /// ```
    /// use arraymodel::{Array, DecodeOptions, Limits};
    /// let tiny = DecodeOptions::default().limits(Limits { max_array_bytes: 8, ..Limits::default() });
    /// let json = br#"{"data_b64":"AAAAAAAAAAAAAAAAAAAAAA==","shape":[2],"dtype":"float64"}"#;
    /// let r = tiny.scope(|| serde_json::from_slice::<Array>(json)).unwrap();
    /// assert!(r.is_err());
    /// ```
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        decode_scope(self, f)
    }
}
