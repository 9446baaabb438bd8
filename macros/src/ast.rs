//! A typed view of the derive input: the struct, its fields and their attributes.

use syn::{Data, DeriveInput, Fields, GenericParam, Generics, Ident, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;

pub struct Container<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    /// The key on the wire, after serde's `rename` / `rename_all`.
    pub wire_name: String,
}

impl Field<'_> {
    /// Whether the field has `#[array(form = ...)]` and nothing else to say about
    /// arrays, on a value that is not itself an array field: a nested model, a list of
    /// them, a `#[serde(flatten)]`ed map or struct. The form applies to the arrays
    /// inside; there are no array constraints to check.
    pub fn form_only(&self) -> bool {
        self.attrs
            .array
            .as_ref()
            .is_some_and(|a| a.only_form() && (self.attrs.flatten || !is_array_like(self.ty)))
    }
}

impl<'a> Container<'a> {
    /// Reads the input; structural problems are recorded in `cx` and give `None`.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
        let attrs = attr::container_attrs(cx, &input.attrs);
        let named = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => named,
                _ => {
                    cx.error_spanned_by(
                        &input.ident,
                        "ArrayModel needs a struct with named fields (tesseract and truss models are objects)",
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    "ArrayModel can only be derived for structs; use a serde enum whose variants hold ArrayModel structs",
                );
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "ArrayModel can only be derived for structs");
                return None;
            }
        };
        for p in &input.generics.params {
            if let GenericParam::Lifetime(l) = p {
                cx.error_spanned_by(
                    l,
                    "ArrayModel models own their data; lifetime parameters are not supported",
                );
            }
        }
        let rename_all = attrs.rename_all.as_ref().and_then(|(rule, span)| {
            let ok = RULES.contains(&rule.as_str());
            if !ok {
                cx.syn_error(syn::Error::new(
                    *span,
                    format!(
                        "unknown rename_all rule {rule:?}; expected one of {}",
                        RULES.join(", ")
                    ),
                ));
            }
            ok.then_some(rule.as_str())
        });
        let fields = named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                let attrs = attr::field_attrs(cx, &f.attrs);
                let base = ident.to_string();
                let base = base.strip_prefix("r#").unwrap_or(&base).to_owned();
                let wire_name = attrs
                    .rename
                    .clone()
                    .unwrap_or_else(|| rename_field(&base, rename_all));
                Some(Field {
                    ident,
                    ty: &f.ty,
                    attrs,
                    wire_name,
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            fields,
        })
    }
}

/// serde's `rename_all` rules.
pub const RULES: [&str; 8] = [
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

/// Applies a `rename_all` rule to a snake_case field name exactly as serde does.
pub fn rename_field(field: &str, rule: Option<&str>) -> String {
    let pascal = || {
        let mut out = String::new();
        let mut upper = true;
        for ch in field.chars() {
            if ch == '_' {
                upper = true;
            } else if upper {
                out.push(ch.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(ch);
            }
        }
        out
    };
    match rule {
        None | Some("snake_case") => field.to_owned(),
        Some("lowercase") => field.to_ascii_lowercase(),
        Some("UPPERCASE") | Some("SCREAMING_SNAKE_CASE") => field.to_ascii_uppercase(),
        Some("PascalCase") => pascal(),
        Some("camelCase") => {
            let p = pascal();
            let mut chars = p.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_lowercase().to_string() + chars.as_str()
            })
        }
        Some("kebab-case") => field.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => field.to_ascii_uppercase().replace('_', "-"),
        Some(_) => field.to_owned(),
    }
}

/// pydantic's default field title: Python's `str.title()` with `_` as spaces.
pub fn title(name: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for ch in name.chars() {
        if ch.is_alphabetic() {
            if prev_letter {
                out.extend(ch.to_lowercase());
            } else {
                out.extend(ch.to_uppercase());
            }
            prev_letter = true;
        } else {
            out.push(if ch == '_' { ' ' } else { ch });
            prev_letter = false;
        }
    }
    out
}

/// The last path segment of a type and its generic arguments, if it is a path type.
pub fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// Whether `ty` is an `ndarray` owned array (`Array1<T>` .. `Array6<T>`, `ArrayD<T>`,
/// `Array<T, D>`); our own `Array` has no type arguments.
pub fn is_ndarray(ty: &Type) -> bool {
    let Some(seg) = last_segment(ty) else {
        return false;
    };
    let name = seg.ident.to_string();
    let args = type_args(seg).len();
    match name.as_str() {
        "Array0" | "Array1" | "Array2" | "Array3" | "Array4" | "Array5" | "Array6" | "ArrayD" => {
            args == 1
        }
        "Array" => args == 2,
        _ => false,
    }
}

/// Whether `ty` holds arrays: `Array`, `NdArray<T>` or an ndarray type, possibly inside
/// `Option`, `Vec`, `Box`, `BTreeMap` or `HashMap` (the containers `ArrayField` covers).
pub fn is_array_like(ty: &Type) -> bool {
    if is_ndarray(ty) {
        return true;
    }
    let Some(seg) = last_segment(ty) else {
        return false;
    };
    let args = type_args(seg);
    match seg.ident.to_string().as_str() {
        "Array" => args.is_empty(),
        "NdArray" => args.len() == 1,
        "Option" | "Vec" | "Box" => args.len() == 1 && is_array_like(args[0]),
        "BTreeMap" | "HashMap" => args.len() >= 2 && is_array_like(args[1]),
        _ => false,
    }
}

/// The type arguments of a path segment.
pub fn type_args(seg: &syn::PathSegment) -> Vec<&Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_rename_rules() {
        assert_eq!(rename_field("jac_inputs", Some("camelCase")), "jacInputs");
        assert_eq!(rename_field("jac_inputs", Some("PascalCase")), "JacInputs");
        assert_eq!(
            rename_field("jac_inputs", Some("SCREAMING-KEBAB-CASE")),
            "JAC-INPUTS"
        );
        assert_eq!(title("scalar_i32"), "Scalar I32");
        assert_eq!(title("u64"), "U64");
        assert_eq!(title("object_type"), "Object Type");
    }
}
