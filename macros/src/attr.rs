//! Parsing of `#[array(...)]`, `#[bytes]`, `#[arraymodel(...)]` and the `#[serde(...)]`
//! keys the derive needs to know about (names, defaults, skips).

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr};

use crate::ctxt::Ctxt;

/// One dimension of `shape = [...]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimAttr {
    Any,
    Fixed(u64),
}

/// `shape = ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeAttr {
    AnyRank,
    Dims(Vec<DimAttr>),
}

/// `form = "..."`: the JSON form a field's arrays are always written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormAttr {
    Truss,
    List,
    PydanticNumpy,
    Tesseract,
}

impl FormAttr {
    /// The name of the runtime's `__private::form` function for the form.
    pub fn function(self) -> &'static str {
        match self {
            FormAttr::Truss => "truss",
            FormAttr::List => "list",
            FormAttr::PydanticNumpy => "pydantic_numpy",
            FormAttr::Tesseract => "tesseract",
        }
    }
}

/// `#[array(shape = [None, 3], dtype = "float64", differentiable, exact, form = "list")]`.
#[derive(Clone, Debug)]
pub struct ArrayAttr {
    pub span: Span,
    pub shape: Option<ShapeAttr>,
    pub dtype: Option<(String, Span)>,
    pub differentiable: bool,
    pub exact: Option<Span>,
    pub form: Option<(FormAttr, Span)>,
}

impl ArrayAttr {
    /// Whether `form` is the only key: the attribute then says nothing about the
    /// arrays' constraints.
    pub fn only_form(&self) -> bool {
        self.form.is_some()
            && self.shape.is_none()
            && self.dtype.is_none()
            && !self.differentiable
            && self.exact.is_none()
    }
}

/// Everything the derive reads from one field's attributes.
#[derive(Default)]
pub struct FieldAttrs {
    pub array: Option<ArrayAttr>,
    pub bytes: Option<Span>,
    /// `#[serde(...)]` attributes, copied verbatim to the serde derive.
    pub serde: Vec<Attribute>,
    pub rename: Option<String>,
    pub skip_serializing: bool,
    pub skip_deserializing: bool,
    pub has_default: bool,
    pub flatten: bool,
    pub has_with: Option<Span>,
    pub docs: Option<String>,
    /// `#[check(...)]`.
    pub check: Option<CheckAttr>,
}

/// A bound in `#[check(...)]`: an integer or a float literal, possibly negative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumAttr {
    Int(i128),
    Float(f64),
}

/// `#[check(minimum = 1, max_length = 8, pattern = "^a", items(...), ...)]`: JSON
/// Schema's validation keywords, in snake case.
#[derive(Clone, Debug, Default)]
pub struct CheckAttr {
    pub span: Option<Span>,
    pub minimum: Option<NumAttr>,
    pub maximum: Option<NumAttr>,
    pub exclusive_minimum: Option<NumAttr>,
    pub exclusive_maximum: Option<NumAttr>,
    pub multiple_of: Option<NumAttr>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<String>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub unique_items: bool,
    pub min_properties: Option<usize>,
    pub max_properties: Option<usize>,
    pub required_keys: Option<Vec<String>>,
    pub json_enum: Option<String>,
    pub items: Option<Box<CheckAttr>>,
    pub values: Option<Box<CheckAttr>>,
    pub keys: Option<Box<CheckAttr>>,
}

const CHECK_KEYS: &str = "`minimum`, `maximum`, `exclusive_minimum`, `exclusive_maximum`, `multiple_of`, `min_length`, `max_length`, `pattern`, `min_items`, `max_items`, `unique_items`, `min_properties`, `max_properties`, `required_keys`, `json_enum`, `items(...)`, `values(...)`, `keys(...)`";

fn num_attr(meta: &ParseNestedMeta<'_>) -> syn::Result<NumAttr> {
    let expr: Expr = meta.value()?.parse()?;
    let (neg, lit) = match &expr {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => (true, &*u.expr),
        e => (false, e),
    };
    let bad = || syn::Error::new(expr.span(), "expected a number literal");
    let Expr::Lit(ExprLit { lit, .. }) = lit else {
        return Err(bad());
    };
    let n = match lit {
        Lit::Int(i) => NumAttr::Int(i.base10_parse::<i128>()?),
        Lit::Float(f) => {
            let x = f.base10_parse::<f64>()?;
            if !x.is_finite() {
                return Err(syn::Error::new(
                    f.span(),
                    "the number is too large for an f64",
                ));
            }
            NumAttr::Float(x)
        }
        _ => return Err(bad()),
    };
    Ok(match (neg, n) {
        (false, n) => n,
        (true, NumAttr::Int(i)) => NumAttr::Int(-i),
        (true, NumAttr::Float(f)) => NumAttr::Float(-f),
    })
}

fn usize_attr(meta: &ParseNestedMeta<'_>) -> syn::Result<usize> {
    meta.value()?.parse::<syn::LitInt>()?.base10_parse()
}

fn check_meta(meta: &ParseNestedMeta<'_>, out: &mut CheckAttr) -> syn::Result<()> {
    let p = &meta.path;
    let name = p.get_ident().map(ToString::to_string).unwrap_or_default();
    macro_rules! once {
        ($slot:expr, $value:expr) => {{
            if $slot.is_some() {
                return Err(meta.error(format!("duplicate `{name}`")));
            }
            $slot = Some($value);
        }};
    }
    match name.as_str() {
        "minimum" => once!(out.minimum, num_attr(meta)?),
        "maximum" => once!(out.maximum, num_attr(meta)?),
        "exclusive_minimum" => once!(out.exclusive_minimum, num_attr(meta)?),
        "exclusive_maximum" => once!(out.exclusive_maximum, num_attr(meta)?),
        "multiple_of" => {
            let n = num_attr(meta)?;
            if matches!(n, NumAttr::Int(i) if i <= 0)
                || matches!(n, NumAttr::Float(f) if f.is_nan() || f <= 0.0)
            {
                return Err(meta.error("`multiple_of` must be greater than 0"));
            }
            once!(out.multiple_of, n)
        }
        "min_length" => once!(out.min_length, usize_attr(meta)?),
        "max_length" => once!(out.max_length, usize_attr(meta)?),
        "pattern" => once!(out.pattern, lit_str(meta)?.value()),
        "min_items" => once!(out.min_items, usize_attr(meta)?),
        "max_items" => once!(out.max_items, usize_attr(meta)?),
        "unique_items" => out.unique_items = true,
        "min_properties" => once!(out.min_properties, usize_attr(meta)?),
        "max_properties" => once!(out.max_properties, usize_attr(meta)?),
        "json_enum" => once!(out.json_enum, lit_str(meta)?.value()),
        "required_keys" => {
            let list: syn::ExprArray = meta.value()?.parse()?;
            let mut keys = Vec::new();
            for e in &list.elems {
                match e {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => keys.push(s.value()),
                    other => {
                        return Err(syn::Error::new(other.span(), "expected a string literal"));
                    }
                }
            }
            once!(out.required_keys, keys)
        }
        "items" | "values" | "keys" => {
            let mut inner = CheckAttr::default();
            meta.parse_nested_meta(|m| check_meta(&m, &mut inner))?;
            let slot = match name.as_str() {
                "items" => &mut out.items,
                "values" => &mut out.values,
                _ => &mut out.keys,
            };
            once!(*slot, Box::new(inner));
        }
        _ => {
            return Err(meta.error(format!(
                "unknown key in #[check(...)]; expected one of {CHECK_KEYS}"
            )));
        }
    }
    Ok(())
}

/// Everything the derive reads from the struct's attributes.
#[derive(Default)]
pub struct ContainerAttrs {
    pub crate_path: Option<syn::Path>,
    /// `schema = "truss"`: array fields publish truss's object schema.
    pub truss_schema: bool,
    pub rename: Option<String>,
    pub rename_all: Option<(String, Span)>,
    pub has_default: bool,
    pub deny_unknown_fields: bool,
    pub serde: Vec<Attribute>,
    pub docs: Option<String>,
}

const ARRAY_KEYS: &str = "`shape`, `dtype`, `differentiable`, `exact`, `form`";

/// Collects `///` doc comments into one description, as pydantic's `Field(description=...)`.
pub fn docs(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Skips the value of an unknown nested meta (`key`, `key = expr` or `key(...)`).
fn skip_meta(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_meta(&inner))?;
    }
    Ok(())
}

fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs {
        docs: docs(attrs),
        ..FieldAttrs::default()
    };
    for attr in attrs {
        if attr.path().is_ident("array") {
            if out.array.is_some() {
                cx.error_spanned_by(attr, "duplicate #[array] attribute");
                continue;
            }
            out.array = Some(array_attr(cx, attr));
        } else if attr.path().is_ident("bytes") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                cx.error_spanned_by(attr, "#[bytes] takes no arguments");
            }
            out.bytes = Some(attr.path().span());
        } else if attr.path().is_ident("check") {
            if out.check.is_some() {
                cx.error_spanned_by(attr, "duplicate #[check] attribute");
                continue;
            }
            let mut c = CheckAttr {
                span: Some(attr.path().span()),
                ..CheckAttr::default()
            };
            match attr.parse_nested_meta(|meta| check_meta(&meta, &mut c)) {
                Ok(()) => out.check = Some(c),
                Err(e) => cx.syn_error(e),
            }
        } else if attr.path().is_ident("arraymodel") {
            cx.error_spanned_by(
                attr,
                "#[arraymodel(...)] goes on the struct; on fields use #[array(...)] or #[bytes]",
            );
        } else if attr.path().is_ident("serde") {
            out.serde.push(attr.clone());
            let r = attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    if meta.input.peek(syn::Token![=]) {
                        out.rename = Some(lit_str(&meta)?.value());
                    } else {
                        meta.parse_nested_meta(|m| {
                            if m.path.is_ident("deserialize") {
                                out.rename = Some(lit_str(&m)?.value());
                            } else {
                                skip_meta(&m)?;
                            }
                            Ok(())
                        })?;
                    }
                } else if p.is_ident("skip") {
                    out.skip_serializing = true;
                    out.skip_deserializing = true;
                } else if p.is_ident("skip_serializing") {
                    out.skip_serializing = true;
                } else if p.is_ident("skip_deserializing") {
                    out.skip_deserializing = true;
                    out.has_default = true;
                } else if p.is_ident("default") {
                    out.has_default = true;
                    skip_meta(&meta)?;
                } else if p.is_ident("flatten") {
                    out.flatten = true;
                } else if p.is_ident("with")
                    || p.is_ident("deserialize_with")
                    || p.is_ident("serialize_with")
                {
                    out.has_with = Some(p.span());
                    skip_meta(&meta)?;
                } else {
                    skip_meta(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = r {
                cx.syn_error(e);
            }
        }
    }
    out
}

fn array_attr(cx: &Ctxt, attr: &Attribute) -> ArrayAttr {
    let mut out = ArrayAttr {
        span: attr.path().span(),
        shape: None,
        dtype: None,
        differentiable: false,
        exact: None,
        form: None,
    };
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return out; // bare #[array]: any shape, any dtype
    }
    let r = attr.parse_nested_meta(|meta| {
        let p = &meta.path;
        if p.is_ident("shape") {
            if out.shape.is_some() {
                return Err(meta.error("duplicate `shape`"));
            }
            let expr: Expr = meta.value()?.parse()?;
            match parse_shape(&expr) {
                Ok(s) => out.shape = Some(s),
                Err(e) => cx.syn_error(e),
            }
        } else if p.is_ident("dtype") {
            if out.dtype.is_some() {
                return Err(meta.error("duplicate `dtype`"));
            }
            let lit = lit_str(&meta)?;
            let name = lit.value();
            if arraymodel_spec::by_name(&name).is_none() {
                cx.error_spanned_by(
                    &lit,
                    format!(
                        "unknown dtype {name:?}; expected one of: {}",
                        arraymodel_spec::NAMES.join(", ")
                    ),
                );
            } else {
                out.dtype = Some((name, lit.span()));
            }
        } else if p.is_ident("differentiable") {
            out.differentiable = true;
        } else if p.is_ident("exact") {
            out.exact = Some(p.span());
        } else if p.is_ident("form") {
            if out.form.is_some() {
                return Err(meta.error("duplicate `form`"));
            }
            let lit = lit_str(&meta)?;
            let form = match lit.value().as_str() {
                "truss" => Some(FormAttr::Truss),
                "list" => Some(FormAttr::List),
                "pydantic-numpy" => Some(FormAttr::PydanticNumpy),
                "tesseract" => Some(FormAttr::Tesseract),
                other => {
                    cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown form {other:?}; expected \"truss\", \"list\", \"pydantic-numpy\" or \"tesseract\""
                        ),
                    );
                    None
                }
            };
            out.form = form.map(|f| (f, lit.span()));
        } else {
            let key = p
                .get_ident()
                .map_or_else(|| "?".to_owned(), ToString::to_string);
            cx.syn_error(meta.error(format!(
                "unknown key `{key}` in #[array(...)]; expected {ARRAY_KEYS}"
            )));
            skip_meta(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = r {
        cx.syn_error(e);
    }
    out
}

/// `[None, 3]`, `[]`, `..` or `"..."`.
fn parse_shape(expr: &Expr) -> syn::Result<ShapeAttr> {
    let bad = |span: &dyn quote::ToTokens, what: &str| {
        syn::Error::new_spanned(
            span,
            format!(
                "{what}; a shape is a list of sizes and `None` (any size), e.g. `[None, 3]`, \
                 `[]` for a scalar, or `..` for any rank"
            ),
        )
    };
    match expr {
        Expr::Range(r) if r.start.is_none() && r.end.is_none() => Ok(ShapeAttr::AnyRank),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value() == "..." => Ok(ShapeAttr::AnyRank),
        Expr::Array(arr) => {
            let mut dims = Vec::new();
            for e in &arr.elems {
                match e {
                    Expr::Path(p) if p.path.is_ident("None") => dims.push(DimAttr::Any),
                    Expr::Lit(ExprLit {
                        lit: Lit::Int(i), ..
                    }) => match i.base10_parse::<u64>() {
                        Ok(n) => dims.push(DimAttr::Fixed(n)),
                        Err(_) => return Err(bad(i, "a dimension must be a non-negative integer")),
                    },
                    other => return Err(bad(other, "a dimension must be an integer or `None`")),
                }
            }
            if dims.len() > arraymodel_spec::MAX_DIMS {
                let most = format!("at most {} dimensions", arraymodel_spec::MAX_DIMS);
                return Err(bad(arr, &most));
            }
            Ok(ShapeAttr::Dims(dims))
        }
        other => Err(bad(other, "malformed shape")),
    }
}

pub fn container_attrs(cx: &Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs {
        docs: docs(attrs),
        ..ContainerAttrs::default()
    };
    for attr in attrs {
        if attr.path().is_ident("arraymodel") {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let lit = lit_str(&meta)?;
                    out.crate_path = Some(lit.parse()?);
                } else if meta.path.is_ident("schema") {
                    let lit = lit_str(&meta)?;
                    match lit.value().as_str() {
                        "tesseract" => out.truss_schema = false,
                        "truss" => out.truss_schema = true,
                        other => cx.error_spanned_by(
                            &lit,
                            format!("unknown schema style {other:?}; expected \"tesseract\" or \"truss\""),
                        ),
                    }
                } else {
                    let key = meta
                        .path
                        .get_ident()
                        .map_or_else(|| "?".to_owned(), ToString::to_string);
                    cx.syn_error(meta.error(format!(
                        "unknown key `{key}` in #[arraymodel(...)]; expected `crate` or `schema`"
                    )));
                    skip_meta(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = r {
                cx.syn_error(e);
            }
        } else if attr.path().is_ident("array") || attr.path().is_ident("bytes") {
            cx.error_spanned_by(
                attr,
                "#[array] and #[bytes] go on fields, not on the struct",
            );
        } else if attr.path().is_ident("serde") {
            out.serde.push(attr.clone());
            let r = attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename_all") {
                    if meta.input.peek(syn::Token![=]) {
                        let lit = lit_str(&meta)?;
                        out.rename_all = Some((lit.value(), lit.span()));
                    } else {
                        meta.parse_nested_meta(|m| {
                            if m.path.is_ident("deserialize") {
                                let lit = lit_str(&m)?;
                                out.rename_all = Some((lit.value(), lit.span()));
                            } else {
                                skip_meta(&m)?;
                            }
                            Ok(())
                        })?;
                    }
                } else if p.is_ident("rename") {
                    if meta.input.peek(syn::Token![=]) {
                        out.rename = Some(lit_str(&meta)?.value());
                    } else {
                        skip_meta(&meta)?;
                    }
                } else if p.is_ident("default") {
                    out.has_default = true;
                    skip_meta(&meta)?;
                } else if p.is_ident("deny_unknown_fields") {
                    out.deny_unknown_fields = true;
                } else {
                    skip_meta(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = r {
                cx.syn_error(e);
            }
        }
    }
    out
}
