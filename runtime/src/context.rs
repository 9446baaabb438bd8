//! Per-call options: how they reach `Serialize` and `Deserialize`, which have no
//! parameter for "which JSON form" or "which binref folder".
//!
//! **Writing** carries the options explicitly, in the serializer. The crate's entry
//! points ([`to_json_vec`](crate::to_json_vec), [`to_json_into`](crate::to_json_into),
//! [`to_json_writer`](crate::to_json_writer), the model methods) and
//! [`EncodeOptions::serialize`] / [`WithOptions`] wrap the format's serializer in one
//! that owns the call's state — the options, the binref writer, the first structured
//! error and, for the entry points, the output buffer — and forwards every call,
//! wrapping every nested value (as `serde_path_to_error` does). Inside such a call an
//! [`Array`](crate::Array) (and a field written with [`bytes`](crate::bytes)) presents
//! itself as a newtype struct of a private name, the pattern of serde_json's
//! `RawValue`; the wrapper recognises the name and hands that one value the call's
//! state, and the entry points write the array's text straight into the output buffer.
//!
//! The hand-over itself uses a thread-local slot, because serde gives a value no other
//! way to receive data from the serializer: the slot is filled by the wrapper
//! immediately before it calls that one value's `serialize`, and emptied by the value
//! (or by the wrapper right after). It never outlives one synchronous call inside this
//! crate, and no closure of yours runs while it is filled.
//!
//! A field of a derived model with `#[array(form = "truss" | "list" | "tesseract")]`
//! fixes the form of the arrays inside it (see `form.rs`): while its value is being
//! serialized, its form is on a thread-local stack, tagged with the wrapped call it
//! belongs to, and the wrapper hands an array the innermost form of its own call
//! instead of the call's (so a form field inside another gets its own, and a call
//! nested inside a form field keeps its own options). Like the hand-over slot, an
//! entry never outlives one synchronous `serialize` of this crate's. A private newtype
//! name, as for arrays, would not do here: serde's flatten serializer drops newtype
//! names, and `serde_path_to_error` does not follow into a newtype's value, so the
//! error of an array inside the field would lose its path.
//!
//! Misuse is loud, not silent:
//! - A serializer that is not wrapped (`serde_json::to_vec(&array)`, axum's `Json`)
//!   writes an array in the documented default form, tesseract `json+base64` (see
//!   `Array`'s `Serialize`). To write another form through such a serializer, wrap the
//!   value: [`EncodeOptions::with`].
//! - An array that reaches a serializer other than the call's wrapper *while* a
//!   wrapped call is running on this thread (a serde internally tagged enum, which
//!   drops newtype names; a `Serialize` impl of yours calling `serde_json::to_vec`
//!   inside `to_json_vec`) would not get the call's options: that is an error naming
//!   the cause, never a silent fallback to the default.
//!
//! **Reading** cannot carry state in serde's `Deserializer`/`Visitor` protocol, so a
//! frame on a thread-local stack remains: pushed by [`from_json_slice`](crate::from_json_slice),
//! [`from_msgpack_slice`](crate::from_msgpack_slice), the model and [`Document`](crate::document::Document)
//! readers and [`DecodeOptions::deserialize`] for exactly the duration of that
//! synchronous call, and popped when it returns (or panics). The frame holds the
//! options, the call's running totals for [`Limits`], the first
//! structured error, the name of a key that failed and the base64 texts already
//! decoded (for the long-string reader). There is no closure API: nothing can run an
//! `async` block, or anything else that outlives the call, inside a frame. Outside
//! any frame (`serde_json::from_slice::<Array>` on its own) the defaults apply: no
//! binref folder, default limits.

use std::cell::{Cell, RefCell};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::binref::{BinrefReader, BinrefWriter};
use crate::document::Forms;
use crate::error::{Error, Result};
use crate::options::{BytesStyle, DecodeOptions, EncodeOptions, JsonStyle};
use crate::shape::Limits;

// ---------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------

/// The newtype-struct name an [`Array`](crate::Array) presents itself under inside a
/// wrapped call.
pub(crate) const ARRAY_TOKEN: &str = "$arraymodel::private::Array";

/// The newtype-struct name a [`bytes`](crate::bytes) field presents itself under
/// inside a wrapped call.
pub(crate) const BYTES_TOKEN: &str = "$arraymodel::private::Bytes";

/// The state one wrapped serialization call owns.
pub(crate) struct EncodeState {
    pub style: JsonStyle,
    pub bytes: BytesStyle,
    pub binref: Option<BinrefWriter>,
    /// The output buffer of the crate's JSON entry points, which serde_json writes
    /// into too (`format::SharedOut`): arrays write their text straight into it.
    /// `None` for a foreign serializer, which gets the structured form.
    pub out: Option<Vec<u8>>,
    /// The first structured error an array or bytes value raised.
    pub error: Option<Error>,
}

impl EncodeState {
    pub(crate) fn new(opts: &EncodeOptions, out: Option<Vec<u8>>) -> EncodeState {
        EncodeState {
            style: opts.style,
            bytes: opts.bytes,
            binref: opts
                .binref_dir
                .as_ref()
                .map(|d| BinrefWriter::new(d.clone(), opts.binref_prefix.clone()))
                .or_else(|| store_writer(opts)),
            out,
            error: None,
        }
    }
}

/// What the wrapper hands the one array or bytes value it intercepted.
pub(crate) struct Handoff {
    pub style: JsonStyle,
    pub bytes: BytesStyle,
    pub binref: Option<BinrefWriter>,
    /// The output buffer, for an array inside the crate's JSON entry points.
    pub out: Option<Vec<u8>>,
    pub error: Option<Error>,
    /// For an array (else for bytes).
    array: bool,
    /// Set by the value that took the hand-off.
    used: bool,
}

thread_local! {
    static HANDOFF: RefCell<Option<Handoff>> = const { RefCell::new(None) };
    /// How many wrapped serialization calls are running on this thread.
    static WRAPPED: Cell<u32> = const { Cell::new(0) };
}

/// Whether a wrapped serialization call is running on this thread: an array or bytes
/// value then presents itself under its token, and one that finds no hand-off is an
/// error rather than a silent default.
pub(crate) fn wrapped_call_active() -> bool {
    wrapped_depth() > 0
}

/// How many wrapped serialization calls are running on this thread (the innermost
/// one's depth).
pub(crate) fn wrapped_depth() -> u32 {
    WRAPPED.with(Cell::get)
}

/// Runs `f` with the hand-off the wrapper filled for the value being serialized, if it
/// is for an array (`array`) or for bytes, and no value used it yet; marks it used.
/// `f` must not serialize anything (the slot is borrowed meanwhile).
pub(crate) fn with_handoff<R>(array: bool, f: impl FnOnce(Option<&mut Handoff>) -> R) -> R {
    HANDOFF.with(|slot| {
        let mut slot = slot.borrow_mut();
        let h = slot.as_mut().filter(|h| !h.used && h.array == array);
        match h {
            Some(h) => {
                h.used = true;
                f(Some(h))
            }
            None => f(None),
        }
    })
}

impl Handoff {
    /// Keeps `e` as the call's structured error (the first one wins) and returns the
    /// serde error carrying its message.
    pub(crate) fn fail<E: serde::ser::Error>(&mut self, e: Error) -> E {
        let err = E::custom(&e);
        if self.error.is_none() {
            self.error = Some(e);
        }
        err
    }
}

/// The error for an array or bytes value that reached a serializer other than the
/// wrapper while a wrapped call runs on this thread.
pub(crate) fn unwrapped_inside_call(what: &str) -> Error {
    Error::invalid(format!(
        "{what} reached a serializer that is not arraymodel's while an arraymodel call \
         (to_json_vec, EncodeOptions::serialize, ...) runs on this thread, so the call's \
         options cannot apply: a serde internally tagged enum drops the name arraymodel \
         recognises (use an adjacently tagged or untagged enum), and a Serialize impl \
         that calls serde_json itself should call arraymodel's entry point instead"
    ))
}

/// Counts a wrapped call for its duration (also if it panics).
pub(crate) struct WrappedCall(());

impl WrappedCall {
    pub(crate) fn enter() -> WrappedCall {
        WRAPPED.with(|w| w.set(w.get() + 1));
        WrappedCall(())
    }
}

impl Drop for WrappedCall {
    fn drop(&mut self) {
        WRAPPED.with(|w| w.set(w.get() - 1));
    }
}

/// Runs `serialize` (one intercepted value's `serialize`) with the hand-off filled from
/// `state`, and moves what the value gave back into `state`. For an array (`array`) the
/// binref writer and the output buffer (if the call has one) are handed over too.
pub(crate) fn hand_over<R>(
    state: &RefCell<EncodeState>,
    array: bool,
    serialize: impl FnOnce() -> R,
) -> R {
    let handoff = {
        let mut st = state.borrow_mut();
        Handoff {
            style: if array {
                crate::form::style_in_force(st.style)
            } else {
                st.style
            },
            bytes: st.bytes,
            binref: if array { st.binref.take() } else { None },
            out: if array { st.out.take() } else { None },
            error: None,
            array,
            used: false,
        }
    };
    let previous = HANDOFF.with(|h| h.borrow_mut().replace(handoff));
    // Restores the state (and an outer hand-off) also if the value panics.
    struct Reclaim<'s> {
        state: &'s RefCell<EncodeState>,
        previous: Option<Option<Handoff>>,
        array: bool,
    }
    impl Drop for Reclaim<'_> {
        fn drop(&mut self) {
            let back = HANDOFF
                .with(|h| std::mem::replace(&mut *h.borrow_mut(), self.previous.take().flatten()));
            let Some(back) = back else {
                return;
            };
            let mut st = self.state.borrow_mut();
            if self.array {
                st.binref = back.binref;
                st.out = back.out;
            }
            if st.error.is_none() {
                st.error = back.error;
            }
            if !back.used && st.error.is_none() {
                st.error = Some(Error::invalid(
                    "a value used arraymodel's private newtype name without being an array \
                     or bytes",
                ));
            }
        }
    }
    let _reclaim = Reclaim {
        state,
        previous: Some(previous),
        array,
    };
    serialize()
}

impl EncodeOptions {
    /// Serializes `value` into `serializer` (any serde format) with these options in
    /// force for every [`Array`](crate::Array) and [`bytes`](crate::bytes) field inside
    /// it. binref files are renamed into place once the whole value is serialized;
    /// after an error they are removed. Errors are the serializer's, carrying this
    /// crate's message.
    ///
    /// ```
    /// use arraymodel::{Array, EncodeOptions};
    /// let a = Array::from_vec(vec![1u8, 2]);
    /// let mut out = Vec::new();
    /// EncodeOptions::truss().serialize(&a, &mut serde_json::Serializer::new(&mut out)).unwrap();
    /// assert_eq!(out, br#"{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}"#);
    /// ```
    pub fn serialize<T: Serialize + ?Sized, S: Serializer>(
        &self,
        value: &T,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let _call = WrappedCall::enter();
        let state = RefCell::new(EncodeState::new(self, None));
        let ok = value.serialize(crate::format::Wrap::new(serializer, &state))?;
        let binref = state.into_inner().binref;
        if let Some(w) = binref {
            w.finish().map_err(S::Error::custom)?;
        }
        Ok(ok)
    }

    /// `value` with these options attached: a value that implements `Serialize` through
    /// [`EncodeOptions::serialize`], for APIs that take a `Serialize` value and
    /// serialize it themselves (axum's `Json`, `reqwest`'s `.json()`, `serde_json::to_vec`).
    ///
    /// ```
    /// use arraymodel::{Array, EncodeOptions, Encoding};
    /// let a = Array::from_vec(vec![1u8, 2]);
    /// // Without options, a foreign serializer writes the default, tesseract json+base64.
    /// let default = serde_json::to_string(&a).unwrap();
    /// assert!(default.contains(r#""encoding":"base64""#));
    /// let json = serde_json::to_string(&EncodeOptions::tesseract(Encoding::Json).with(&a)).unwrap();
    /// assert_eq!(json, r#"{"object_type":"array","shape":[2],"dtype":"uint8","data":{"buffer":[1,2],"encoding":"json"}}"#);
    /// ```
    pub fn with<T: Serialize>(&self, value: T) -> WithOptions<T> {
        WithOptions {
            opts: self.clone(),
            value,
        }
    }
}

/// A value serialized with [`EncodeOptions`] by whatever serializer it is given (see
/// [`EncodeOptions::with`]). It owns its value (which may be a reference), so it can be
/// returned from a handler, e.g. `axum::Json(EncodeOptions::truss().with(result))`.
#[derive(Clone, Debug)]
pub struct WithOptions<T> {
    opts: EncodeOptions,
    value: T,
}

impl<T> WithOptions<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Serialize> Serialize for WithOptions<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.opts.serialize(&self.value, s)
    }
}

// ---------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------

pub(crate) struct DecodeFrame {
    pub limits: Limits,
    /// Bytes of array data decoded so far in this call (`Limits::max_total_bytes`).
    pub decoded: Cell<u64>,
    /// Empty lists the call's empty arrays stand for so far (`Limits::max_empty_lists`).
    pub empty_lists: Cell<u128>,
    pub binref: Option<BinrefReader>,
    pub bytes: BytesStyle,
    /// The array forms a [`Document`](crate::document::Document) recognises.
    pub forms: Forms,
    /// The first structured error raised in this call, with the message serde carries.
    error: RefCell<Option<Box<(Error, String)>>>,
    /// The name of a map key whose value failed (see [`note_key`]).
    key_hint: RefCell<Option<String>>,
    /// Address ranges of long texts decoded as base64 (`long_strings`).
    pub base64_seen: RefCell<Vec<(usize, usize)>>,
}

thread_local! {
    static DECODE: RefCell<Vec<DecodeFrame>> = const { RefCell::new(Vec::new()) };
}

/// Remembers the name of a map key whose value failed to decode. serde_path_to_error
/// names only string keys, and msgpack-numpy writes its keys as bin; the top-level call
/// uses the hint for the unnamed path segment.
pub(crate) fn note_key(name: &[u8]) {
    with_decode(|f| {
        if let Some(f) = f {
            *f.key_hint.borrow_mut() = Some(String::from_utf8_lossy(name).into_owned());
        }
    });
}

/// Takes the key hint of the innermost frame (see [`note_key`]).
pub(crate) fn take_key_hint() -> Option<String> {
    with_decode(|f| f.and_then(|f| f.key_hint.borrow_mut().take()))
}

/// Runs `f` with the innermost decode frame, if any.
pub(crate) fn with_decode<R>(f: impl FnOnce(Option<&DecodeFrame>) -> R) -> R {
    DECODE.with(|s| f(s.borrow().last()))
}

/// The forms a `Document` recognises in the innermost frame (all outside any).
pub(crate) fn forms() -> Forms {
    with_decode(|f| f.map_or(Forms::ALL, |f| f.forms))
}

/// The object-store writer the options ask for, if any.
fn store_writer(opts: &crate::EncodeOptions) -> Option<BinrefWriter> {
    #[cfg(feature = "binref-store")]
    {
        opts.binref_store
            .clone()
            .map(|b| BinrefWriter::to_store(b, opts.binref_prefix.clone()))
    }
    #[cfg(not(feature = "binref-store"))]
    {
        let _ = opts;
        None
    }
}

/// Runs `body` inside a decode frame: only ever a synchronous call of this crate.
pub(crate) fn decode_scope<R>(opts: &DecodeOptions, forms: Forms, body: impl FnOnce() -> R) -> R {
    let binref = opts.binref_dir.as_ref().map(BinrefReader::deferred);
    #[cfg(feature = "binref-store")]
    let binref = binref.or_else(|| opts.binref_store.clone().map(BinrefReader::from_store));
    DECODE.with(|s| {
        s.borrow_mut().push(DecodeFrame {
            limits: opts.limits,
            decoded: Cell::new(0),
            empty_lists: Cell::new(0),
            binref,
            bytes: opts.bytes,
            forms,
            error: RefCell::new(None),
            key_hint: RefCell::new(None),
            base64_seen: RefCell::new(Vec::new()),
        })
    });
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            DECODE.with(|s| s.borrow_mut().pop());
        }
    }
    let _pop = Pop;
    body()
}

/// Forgets the innermost frame's error, key hint and base64 record (before the
/// original input is parsed again after the long-string path gave up).
pub(crate) fn reset_frame() {
    with_decode(|f| {
        if let Some(f) = f {
            f.error.borrow_mut().take();
            f.key_hint.borrow_mut().take();
            f.base64_seen.borrow_mut().clear();
        }
    });
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

/// Turns an [`Error`] raised while deserializing into a serde error, keeping the
/// structured error in the innermost decode frame (the first one raised in the call
/// is kept) so the top-level call can return it with its kind and full path.
pub(crate) fn to_serde<E: std::fmt::Display>(e: Error, make: impl FnOnce(String) -> E) -> E {
    let msg = e.to_string();
    with_decode(|f| {
        if let Some(f) = f {
            let mut slot = f.error.borrow_mut();
            if slot.is_none() {
                *slot = Some(Box::new((e, msg.clone())));
            }
        }
    });
    make(msg)
}

/// Takes the innermost frame's structured error if the serde error the call ended
/// with carries its message. serde can swallow an error and raise another (an
/// untagged enum trying its next variant): the frame's error is then not the call's,
/// and the message check tells the two apart.
pub(crate) fn take_error(message: &str) -> Option<Error> {
    with_decode(|f| {
        let (e, msg) = *f?.error.borrow_mut().take()?;
        message.starts_with(&msg).then_some(e)
    })
}

impl DecodeOptions {
    /// Deserializes a `T` from `deserializer` (any serde format) with these options in
    /// force for every array and bytes field inside it, for the duration of this call.
    /// Errors are the deserializer's, carrying this crate's message; use
    /// [`from_json_slice`](crate::from_json_slice) or
    /// [`from_msgpack_slice`](crate::from_msgpack_slice) for an [`Error`] with its kind
    /// and path.
    ///
    /// ```
    /// use arraymodel::{Array, DecodeOptions, Limits};
    /// let tiny = DecodeOptions::default().limits(Limits { max_array_bytes: 8, ..Limits::default() });
    /// let json = br#"{"data_b64":"AAAAAAAAAAAAAAAAAAAAAA==","shape":[2],"dtype":"float64"}"#;
    /// let r: Result<Array, _> = tiny.deserialize(&mut serde_json::Deserializer::from_slice(json));
    /// assert!(r.is_err());
    /// let ok: Array = DecodeOptions::default().deserialize(&mut serde_json::Deserializer::from_slice(json)).unwrap();
    /// assert_eq!(ok.shape(), &[2]);
    /// ```
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        &self,
        deserializer: D,
    ) -> std::result::Result<T, D::Error> {
        decode_scope(self, Forms::ALL, || T::deserialize(deserializer))
    }
}
