//! Fields that fix the JSON form of their arrays: `#[array(form = "truss" | "list" |
//! "tesseract")]`.
//!
//! The derive writes `#[serde(serialize_with = "<runtime>::__private::form::<form>")]`
//! on such a field of its serde mirror. The function serializes the field's value:
//!
//! - in a binary format (`is_human_readable() == false`, msgpack): as it is, so arrays
//!   are msgpack-numpy maps as always;
//! - inside a wrapped call ([`context`](crate::context): `to_json_vec`, the model
//!   methods, `EncodeOptions::serialize` / `with`): as it is, through the serializer it
//!   was given, with the form on a thread-local stack for exactly that long, tagged
//!   with the depth of the call. The wrapper hands every array it meets the innermost
//!   form of its own call ([`style_in_force`]) instead of the call's style, so a form
//!   field inside another gets its own form, the fields around it keep the call's, and
//!   a call nested inside the field (a depth of its own) keeps its own options. The
//!   value goes through the same serializers as any other field's, so serde's
//!   `flatten` works and error paths reach inside it;
//! - outside any wrapped call (`serde_json::to_vec(&model)`, axum's `Json`): inside a
//!   call of its own with the form's options, so the field keeps its form there too.

use std::cell::RefCell;

use serde::{Serialize, Serializer};

use crate::context;
use crate::options::{Compression, EncodeOptions, Encoding, JsonStyle};

/// The form a field fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Truss,
    List,
    PydanticNumpy,
    Tesseract,
}

impl Form {
    /// The style this form writes in a call whose options chose `call`: tesseract's
    /// object keeps the call's encoding and compression when the call writes tesseract
    /// objects, else it is `json+base64`.
    fn style(self, call: JsonStyle) -> JsonStyle {
        match (self, call) {
            (Form::Truss, _) => JsonStyle::Truss,
            (Form::List, _) => JsonStyle::List,
            (Form::PydanticNumpy, _) => JsonStyle::PydanticNumpy,
            (Form::Tesseract, JsonStyle::Tesseract { .. }) => call,
            (Form::Tesseract, _) => JsonStyle::Tesseract {
                encoding: Encoding::Base64,
                compression: Compression::None,
            },
        }
    }

    /// The options a value of this form is written with outside any wrapped call.
    fn options(self) -> EncodeOptions {
        match self {
            Form::Truss => EncodeOptions::truss(),
            Form::List => EncodeOptions::list(),
            Form::PydanticNumpy => EncodeOptions::pydantic_numpy(),
            Form::Tesseract => EncodeOptions::tesseract(Encoding::Base64),
        }
    }
}

thread_local! {
    /// The forms of the form fields being serialized on this thread, innermost last,
    /// each with the depth of the wrapped call it was entered in.
    static FORMS: RefCell<Vec<(u32, Form)>> = const { RefCell::new(Vec::new()) };
}

/// The style for the next array of the innermost wrapped call, whose options chose
/// `call`: the form of the innermost form field of that call being serialized, if any.
pub(crate) fn style_in_force(call: JsonStyle) -> JsonStyle {
    let depth = context::wrapped_depth();
    FORMS.with(|f| match f.borrow().last() {
        Some(&(d, form)) if d == depth => form.style(call),
        _ => call,
    })
}

/// A form on the stack for as long as it lives (also if the serialization panics).
struct Entered(());

impl Entered {
    fn enter(form: Form) -> Entered {
        FORMS.with(|f| f.borrow_mut().push((context::wrapped_depth(), form)));
        Entered(())
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        FORMS.with(|f| f.borrow_mut().pop());
    }
}

/// Serializes a field's value with its arrays in `form` (see the module docs).
fn serialize_in<T: Serialize + ?Sized, S: Serializer>(
    form: Form,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    if !s.is_human_readable() {
        return value.serialize(s);
    }
    if !context::wrapped_call_active() {
        return form.options().serialize(value, s);
    }
    let _entered = Entered::enter(form);
    value.serialize(s)
}

/// The functions `#[derive(ArrayModel)]` names in `#[serde(serialize_with = ...)]` for
/// `#[array(form = ...)]` fields. Not a public API.
pub mod fields {
    use serde::{Serialize, Serializer};

    use super::{Form, serialize_in};

    /// Serializes a field's value with its arrays as truss objects (in JSON).
    pub fn truss<T: Serialize + ?Sized, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        serialize_in(Form::Truss, value, s)
    }

    /// Serializes a field's value with its arrays as nested lists (in JSON).
    pub fn list<T: Serialize + ?Sized, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        serialize_in(Form::List, value, s)
    }

    /// Serializes a field's value with its arrays as pydantic-numpy objects (in JSON).
    pub fn pydantic_numpy<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_in(Form::PydanticNumpy, value, s)
    }

    /// Serializes a field's value with its arrays as tesseract objects (in JSON).
    pub fn tesseract<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_in(Form::Tesseract, value, s)
    }
}
