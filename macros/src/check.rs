//! Validation across attributes and field types; every problem is an error with a span.

use quote::ToTokens;

use crate::ast::{Container, last_segment, type_args};
use crate::ctxt::Ctxt;
use crate::dtype;

/// Type names that can never hold an array.
const NOT_ARRAYS: [&str; 19] = [
    "String", "str", "bool", "char", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize", "f32", "f64", "PathBuf",
];

pub fn check(cx: &Ctxt, cont: &Container<'_>) {
    for f in &cont.fields {
        let a = &f.attrs;
        if let (Some(_), Some(bytes)) = (&a.array, a.bytes) {
            cx.syn_error(syn::Error::new(
                bytes,
                "a field cannot be both #[array] and #[bytes]",
            ));
        }
        if let Some(span) = a.has_with {
            if a.array.is_some() || a.bytes.is_some() || crate::ast::is_ndarray(f.ty) {
                cx.syn_error(syn::Error::new(
                    span,
                    "#[serde(with/serialize_with/deserialize_with)] cannot be combined with #[array], #[bytes] or an ndarray field",
                ));
            }
        }
        if let Some(bytes) = a.bytes {
            if !is_bytes_type(f.ty) {
                cx.syn_error(syn::Error::new(
                    bytes,
                    format!(
                        "#[bytes] applies to `Vec<u8>` or `Option<Vec<u8>>`, not `{}`",
                        f.ty.to_token_stream()
                    ),
                ));
            }
        }
        let Some(array) = &a.array else { continue };
        if a.flatten {
            cx.error_spanned_by(f.ident, "#[array] fields cannot be #[serde(flatten)]");
        }
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
        if let (Some(exact), None) = (array.exact, &array.dtype) {
            cx.syn_error(syn::Error::new(exact, "`exact` needs a `dtype`"));
        }
        // NdArray<T> fixes the dtype: a different `dtype = ...` can never hold.
        if let (Some((name, span)), Some(elem)) = (&array.dtype, ndarray_element(f.ty)) {
            if let Some(elem_dtype) = dtype::of_rust_type(&elem) {
                if elem_dtype != name {
                    cx.syn_error(syn::Error::new(
                        *span,
                        format!(
                            "dtype {name:?} contradicts the element type `{elem}` ({elem_dtype})"
                        ),
                    ));
                }
            }
        }
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
