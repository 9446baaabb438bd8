//! Validation across attributes and field types; every problem is an error with a span.
//!
//! One small `check_*` function per rule, as serde_derive's `internals/check.rs`.
//! What only the type system can see (a dtype against the element type of an alias)
//! is checked by the expansion instead: see `expand::dtype_assertions`.

use quote::ToTokens;

use crate::ast::{Container, Field, last_segment, type_args};
use crate::attr::ArrayAttr;
use crate::ctxt::Ctxt;

/// Type names that can never hold an array.
const NOT_ARRAYS: [&str; 19] = [
    "String", "str", "bool", "char", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize", "f32", "f64", "PathBuf",
];

/// Runs every check on every field.
pub fn check(cx: &Ctxt, cont: &Container<'_>) {
    for f in &cont.fields {
        check_array_or_bytes(cx, f);
        check_with(cx, f);
        check_bytes_type(cx, f);
        check_check(cx, f);
        if let Some(array) = &f.attrs.array {
            check_not_flattened(cx, f, array);
            check_form_not_ndarray(cx, f, array);
            check_array_type(cx, f, array);
            check_exact_has_dtype(cx, array);
            check_dtype_of_spelled_element(cx, f, array);
        }
    }
}

/// `#[array]` and `#[bytes]` exclude each other.
fn check_array_or_bytes(cx: &Ctxt, f: &Field<'_>) {
    if let (Some(_), Some(bytes)) = (&f.attrs.array, f.attrs.bytes) {
        cx.syn_error(syn::Error::new(
            bytes,
            "a field cannot be both #[array] and #[bytes]",
        ));
    }
}

/// serde's `with` replaces the (de)serialization the derive writes for arrays and bytes.
fn check_with(cx: &Ctxt, f: &Field<'_>) {
    let a = &f.attrs;
    let Some(span) = a.has_with else {
        return;
    };
    if a.array.as_ref().is_some_and(|a| a.form.is_some()) {
        cx.syn_error(syn::Error::new(
            span,
            "#[serde(with/serialize_with/deserialize_with)] cannot be combined with #[array(form = ...)], which writes the field through a `serialize_with` of its own",
        ));
    } else if a.array.is_some() || a.bytes.is_some() || crate::ast::is_ndarray(f.ty) {
        cx.syn_error(syn::Error::new(
            span,
            "#[serde(with/serialize_with/deserialize_with)] cannot be combined with #[array], #[bytes] or an ndarray field",
        ));
    }
}

/// An ndarray field is written through `arraymodel::ndarray_serde` (`#[serde(with)]`),
/// which leaves no place for the `serialize_with` of a form.
fn check_form_not_ndarray(cx: &Ctxt, f: &Field<'_>, array: &ArrayAttr) {
    if let Some((_, span)) = array.form
        && crate::ast::is_ndarray(f.ty)
    {
        cx.syn_error(syn::Error::new(
            span,
            "`form` cannot be used on an ndarray field (it is written through `arraymodel::ndarray_serde`); hold an `Array` or `NdArray<T>` to fix its form",
        ));
    }
}

/// `#[check(...)]` reads a field as serde writes it: arrays and bytes are written by the
/// derive's own machinery, and their constraints are `#[array(...)]`'s.
fn check_check(cx: &Ctxt, f: &Field<'_>) {
    if let Some(span) = f.attrs.check.as_ref().and_then(|c| c.span)
        && (f.attrs.array.is_some() || f.attrs.bytes.is_some() || crate::ast::is_ndarray(f.ty))
    {
        cx.syn_error(syn::Error::new(
            span,
            "#[check(...)] cannot be combined with #[array], #[bytes] or an ndarray field (an array's constraints are #[array(shape, dtype)])",
        ));
    }
}

/// `#[bytes]` is for `Vec<u8>` and `Option<Vec<u8>>`.
fn check_bytes_type(cx: &Ctxt, f: &Field<'_>) {
    if let Some(bytes) = f.attrs.bytes
        && !is_bytes_type(f.ty)
    {
        cx.syn_error(syn::Error::new(
            bytes,
            format!(
                "#[bytes] applies to `Vec<u8>` or `Option<Vec<u8>>`, not `{}`",
                f.ty.to_token_stream()
            ),
        ));
    }
}

/// A flattened field has no key of its own to hold an array object; only the form of
/// the arrays inside it can be fixed.
fn check_not_flattened(cx: &Ctxt, f: &Field<'_>, array: &ArrayAttr) {
    if f.attrs.flatten && !array.only_form() {
        let msg = if array.form.is_some() {
            "a #[serde(flatten)] field takes only `form` in #[array(...)]: it has no key of its own to hold an array"
        } else {
            "#[array] fields cannot be #[serde(flatten)]"
        };
        cx.error_spanned_by(f.ident, msg);
    }
}

/// `#[array]` on a type that plainly holds no array (a better message than the
/// missing `ArrayField` impl the compiler would report).
fn check_array_type(cx: &Ctxt, f: &Field<'_>, array: &ArrayAttr) {
    if let Some(seg) = last_segment(f.ty) {
        let name = seg.ident.to_string();
        if NOT_ARRAYS.contains(&name.as_str()) {
            cx.syn_error(syn::Error::new(
                array.span,
                format!(
                    "#[array] applies to `Array`, `NdArray<T>` and `Option`/`Vec`/`Box`/maps of them, not `{name}`"
                ),
            ));
        }
    }
}

/// `exact` refuses every dtype but the declared one, so it needs one.
fn check_exact_has_dtype(cx: &Ctxt, array: &ArrayAttr) {
    if let (Some(exact), None) = (array.exact, &array.dtype) {
        cx.syn_error(syn::Error::new(exact, "`exact` needs a `dtype`"));
    }
}

/// `NdArray<f32>` written out with `dtype = "float64"`: reported at the attribute.
/// Other spellings (aliases, paths) are caught by the type-level assertion the
/// expansion emits; this check only gives the direct spelling a better message.
fn check_dtype_of_spelled_element(cx: &Ctxt, f: &Field<'_>, array: &ArrayAttr) {
    let (Some((name, span)), Some(elem)) = (&array.dtype, ndarray_element(f.ty)) else {
        return;
    };
    if let Some(held) = arraymodel_spec::by_rust_type(&elem)
        && held.name != name
    {
        cx.syn_error(syn::Error::new(
            *span,
            format!(
                "dtype {name:?} contradicts the element type `{elem}` ({})",
                held.name
            ),
        ));
    }
}

fn is_bytes_type(ty: &syn::Type) -> bool {
    let Some(seg) = last_segment(ty) else {
        return false;
    };
    let args = type_args(seg);
    match seg.ident.to_string().as_str() {
        "Vec" => args.len() == 1 && args[0].to_token_stream().to_string() == "u8",
        "Option" => args.len() == 1 && is_bytes_type(args[0]),
        _ => false,
    }
}

/// The element type text of `NdArray<T>` inside the usual wrappers.
fn ndarray_element(ty: &syn::Type) -> Option<String> {
    let seg = last_segment(ty)?;
    let args = type_args(seg);
    match seg.ident.to_string().as_str() {
        "NdArray" => args
            .first()
            .map(|t| t.to_token_stream().to_string().replace(' ', "")),
        "Option" | "Vec" | "Box" => args.first().and_then(|t| ndarray_element(t)),
        "HashMap" | "BTreeMap" | "IndexMap" => args.get(1).and_then(|t| ndarray_element(t)),
        _ => None,
    }
}
