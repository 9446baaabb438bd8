//! Any OpenAPI operation as a client method: its name, typed path, query, header and
//! cookie parameters, its request body by media type (JSON with every array family's
//! wire form, msgpack with msgpack-numpy arrays, raw bytes, text) and its answers by
//! status code (the success type, a generated enum of the declared error bodies, an
//! undeclared status kept whole). The tesseract endpoints of a tesseract API are the
//! protocol extension in `mod.rs`; every other operation is read here.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::convert::{Converter, clean_doc};
use crate::emit::{Emitter, doc_attrs, ident, without_bytes};
use crate::error::Result;
use crate::ir::Ty;
use crate::load::Loc;
use crate::names::{self, Namer};

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum In {
    Path,
    Query,
    Header,
    Cookie,
}

/// One parameter of an operation.
#[derive(Debug)]
pub(crate) struct OpParam {
    /// The name on the wire.
    pub wire: String,
    pub place: In,
    pub required: bool,
    pub ty: Ty,
    /// Query lists: one `name=v` per element (`form` + `explode`, the default), else
    /// joined with commas.
    pub explode: bool,
    pub doc: Vec<String>,
    /// The schema's `default`, shown in the docs (the server applies it when the
    /// parameter is left out).
    pub default: Option<Value>,
}

/// How a body is written or read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Media {
    /// `application/json` and `*+json`: the model through arraymodel's JSON codec.
    Json(String),
    /// msgpack (`application/msgpack`, `application/x-msgpack`, or an
    /// `application/octet-stream` whose schema is a model: truss's binary mode).
    Msgpack(String),
    /// Raw bytes (`format: binary`, any other media type).
    Bytes(String),
    /// `text/*` with a string schema.
    Text(String),
}

impl Media {
    fn content_type(&self) -> &str {
        match self {
            Media::Json(t) | Media::Msgpack(t) | Media::Bytes(t) | Media::Text(t) => t,
        }
    }

    /// Preference when several are declared: JSON, msgpack, text, bytes.
    fn rank(&self) -> u8 {
        match self {
            Media::Json(_) => 0,
            Media::Msgpack(_) => 1,
            Media::Text(_) => 2,
            Media::Bytes(_) => 3,
        }
    }
}

/// A request body.
#[derive(Debug)]
pub(crate) struct BodySpec {
    pub media: Media,
    /// The model for JSON and msgpack bodies.
    pub ty: Option<Ty>,
    /// `multipart/*`: the caller passes the whole content type (with its boundary).
    pub caller_content_type: bool,
}

/// Which statuses an answer is declared for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Code(u16),
    /// `4XX`.
    Range(u16),
    Default,
}

/// One declared answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: Status,
    /// `None`: no content.
    pub media: Option<Media>,
    pub ty: Option<Ty>,
    /// JSON and msgpack both declared: decoded by the answer's content type.
    pub by_content_type: bool,
    pub doc: Vec<String>,
}

/// Any operation.
#[derive(Debug)]
pub(crate) struct Operation {
    pub method: String,
    pub path: String,
    /// The method name, before the client's own names are set apart.
    pub name: String,
    pub params: Vec<OpParam>,
    pub body: Option<BodySpec>,
    pub success: Vec<Answer>,
    pub errors: Vec<Answer>,
    /// The enum of several distinct success answers.
    pub success_enum: Option<String>,
    /// The enum of the declared error answers.
    pub error_enum: Option<String>,
    pub deprecated: bool,
    /// The operation's summary and description.
    pub doc: Vec<String>,
}

/// Follows `$ref`s (to `components/parameters`, `requestBodies`, `responses`) to the
/// object itself.
pub(crate) fn deref(conv: &mut Converter<'_>, at: &Loc) -> Result<(Loc, Value)> {
    let mut at = at.clone();
    for _ in 0..16 {
        let v = conv.docs.get(&at)?.clone();
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => at = conv.docs.resolve(&at, r)?,
            None => return Ok((at, v)),
        }
    }
    Err(conv.docs.error(&at, "more than 16 `$ref`s in a row"))
}

/// Whether the schema at `loc` is a string of raw bytes (`format: binary`), through `$ref`s.
fn is_binary(conv: &mut Converter<'_>, loc: &Loc) -> bool {
    match deref(conv, loc) {
        Ok((_, v)) => {
            v.get("format").and_then(Value::as_str) == Some("binary")
                || v.get("contentMediaType").is_some() && v.get("type") == Some(&"string".into())
        }
        Err(_) => false,
    }
}

fn is_string(conv: &mut Converter<'_>, loc: &Loc) -> bool {
    matches!(deref(conv, loc), Ok((_, v)) if v.get("type") == Some(&"string".into()))
}

/// The media type chosen from a `content` object at `at` (a request body or response),
/// with its schema location.
fn choose_media(conv: &mut Converter<'_>, at: &Loc, v: &Value) -> Option<(Media, Option<Loc>)> {
    let content = v.get("content")?.as_object()?;
    let mut best: Option<(Media, Option<Loc>)> = None;
    for (key, m) in content {
        let essence = key
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let schema = m
            .get("schema")
            .filter(|s| !s.as_object().is_some_and(|o| o.is_empty()) || essence.contains("json"))
            .map(|_| at.child("content").child(key).child("schema"));
        let binary = schema.as_ref().is_some_and(|s| is_binary(conv, s));
        let media = if essence == "application/json" || essence.ends_with("+json") {
            Media::Json(key.clone())
        } else if matches!(
            essence.as_str(),
            "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack"
        ) || (essence == "application/octet-stream" && schema.is_some() && !binary)
        {
            Media::Msgpack(key.clone())
        } else if essence.starts_with("text/") && schema.as_ref().is_none_or(|s| is_string(conv, s))
        {
            Media::Text(key.clone())
        } else {
            Media::Bytes(key.clone())
        };
        let better = best.as_ref().is_none_or(|(b, _)| media.rank() < b.rank());
        if better {
            best = Some((media, schema));
        }
    }
    best
}

/// `read_item_items__item_id__get` (FastAPI's generated id: function name, path with
/// every non-word character as `_`, method) -> `read_item`.
fn fastapi_short(id: &str, method: &str, path: &str) -> Option<String> {
    let path_part: String = path
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let suffix = format!("{path_part}_{method}");
    let short = id.strip_suffix(&suffix)?;
    (!short.is_empty() && short.chars().any(|c| c.is_alphanumeric())).then(|| short.to_owned())
}

/// The method names of a document's operations: from `operationId` (FastAPI's long ids
/// shortened to the function's name when that stays unique), else `method` + path.
pub(crate) fn method_names(ops: &[(String, String, Option<String>)]) -> Vec<String> {
    let long: Vec<String> = ops
        .iter()
        .map(|(method, path, id)| match id {
            Some(id) => names::field_name(id),
            None => names::field_name(&format!("{method} {path}")),
        })
        .collect();
    let short: Vec<Option<String>> = ops
        .iter()
        .map(|(method, path, id)| {
            id.as_deref()
                .and_then(|id| fastapi_short(id, method, path))
                .map(|s| names::field_name(&s))
        })
        .collect();
    let taken = |name: &str, me: usize| {
        long.iter().enumerate().any(|(i, l)| i != me && l == name)
            || short
                .iter()
                .enumerate()
                .any(|(i, s)| i != me && s.as_deref() == Some(name))
    };
    (0..ops.len())
        .map(|i| match &short[i] {
            Some(s) if !taken(s, i) => s.clone(),
            _ => long[i].clone(),
        })
        .collect()
}

/// Reads one operation. `Err(why)` for one that cannot be typed (a parameter without a
/// name, say): it is listed, never guessed at.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read(
    conv: &mut Converter<'_>,
    path: &str,
    method: &str,
    name: String,
    type_base: &str,
    op: &Value,
    op_loc: &Loc,
    item_params: &[(Loc, Value)],
) -> Result<std::result::Result<Operation, String>> {
    // Parameters: the path item's, replaced by the operation's of the same name and place.
    let mut raw: Vec<(Loc, Value)> = item_params.to_vec();
    if let Some(list) = op.get("parameters").and_then(Value::as_array) {
        for i in 0..list.len() {
            let (loc, v) = deref(conv, &op_loc.child("parameters").index(i))?;
            let key = |v: &Value| {
                (
                    v.get("name").cloned().unwrap_or_default(),
                    v.get("in").cloned().unwrap_or_default(),
                )
            };
            raw.retain(|(_, old)| key(old) != key(&v));
            raw.push((loc, v));
        }
    }
    let mut params = Vec::new();
    for (loc, v) in raw {
        let Some(wire) = v.get("name").and_then(Value::as_str) else {
            return Ok(Err("a parameter has no name".into()));
        };
        let place = match v.get("in").and_then(Value::as_str) {
            Some("path") => In::Path,
            Some("query") => In::Query,
            Some("header") => In::Header,
            Some("cookie") => In::Cookie,
            other => {
                return Ok(Err(format!(
                    "parameter `{wire}` is in {}",
                    other.unwrap_or("no place")
                )));
            }
        };
        let required = place == In::Path || v.get("required") == Some(&Value::Bool(true));
        let ty = if v.get("schema").is_some() {
            let hint = format!("{type_base}{}", names::type_name(wire));
            conv.ty_at(&loc.child("schema"), &hint)?
        } else {
            Ty::String
        };
        let ty = match ty {
            Ty::Option(inner) => *inner,
            other => other,
        };
        let explode = match v.get("explode").and_then(Value::as_bool) {
            Some(e) => e,
            None => v
                .get("style")
                .and_then(Value::as_str)
                .is_none_or(|s| s == "form"),
        };
        let default = v.get("schema").and_then(|s| s.get("default")).cloned();
        let doc = v
            .get("description")
            .and_then(Value::as_str)
            .map(clean_doc)
            .unwrap_or_default();
        params.push(OpParam {
            wire: wire.to_owned(),
            place,
            required,
            ty,
            explode,
            doc,
            default,
        });
    }

    let mut body = None;
    if op.get("requestBody").is_some() {
        let (at, v) = deref(conv, &op_loc.child("requestBody"))?;
        if let Some((media, schema)) = choose_media(conv, &at, &v) {
            let ty = match (&media, schema) {
                (Media::Json(_) | Media::Msgpack(_), Some(s)) => {
                    Some(conv.ty_at(&s, &format!("{type_base}Body"))?)
                }
                (Media::Json(_) | Media::Msgpack(_), None) => Some(Ty::Value),
                _ => None,
            };
            let caller_content_type = media.content_type().starts_with("multipart/");
            body = Some(BodySpec {
                media,
                ty,
                caller_content_type,
            });
        }
    }

    let mut success = Vec::new();
    let mut errors = Vec::new();
    let mut seen_status: Vec<Status> = Vec::new();
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for key in responses.keys() {
            // OpenAPI's keys: `default`, three digits, or a digit and `XX`; anything else
            // (`+404`, `0404`, `€`) is no status and is skipped, and a status given twice
            // (`4XX` and `4xx`) counts once.
            let b = key.as_bytes();
            let status = if key == "default" {
                Status::Default
            } else if b.len() == 3 && b.iter().all(u8::is_ascii_digit) && b[0] != b'0' {
                Status::Code(key.parse::<u16>().unwrap_or_default())
            } else if b.len() == 3
                && (b'1'..=b'5').contains(&b[0])
                && b[1..].eq_ignore_ascii_case(b"XX")
            {
                Status::Range(u16::from(b[0] - b'0'))
            } else {
                continue;
            };
            if seen_status.contains(&status) {
                continue;
            }
            seen_status.push(status.clone());
            let (at, v) = deref(conv, &op_loc.child("responses").child(key))?;
            let chosen = choose_media(conv, &at, &v);
            let by_content_type = v
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| {
                    let keys: Vec<String> = c.keys().map(|k| k.to_ascii_lowercase()).collect();
                    keys.iter().any(|k| k.contains("json"))
                        && keys
                            .iter()
                            .any(|k| k.contains("msgpack") || k.contains("octet-stream"))
                });
            let is_success = match status {
                Status::Code(c) => (200..300).contains(&c),
                Status::Range(d) => d == 2,
                Status::Default => false,
            };
            let suffix = if is_success {
                "Response".to_owned()
            } else {
                format!("Response{}", names::type_name(key))
            };
            let (media, ty) = match chosen {
                Some((media, schema)) => {
                    let ty = match (&media, schema) {
                        (Media::Json(_) | Media::Msgpack(_), Some(s)) => {
                            Some(conv.ty_at(&s, &format!("{type_base}{suffix}"))?)
                        }
                        (Media::Json(_) | Media::Msgpack(_), None) => Some(Ty::Value),
                        _ => None,
                    };
                    (Some(media), ty)
                }
                None => (None, None),
            };
            let doc = v
                .get("description")
                .and_then(Value::as_str)
                .map(clean_doc)
                .unwrap_or_default();
            let answer = Answer {
                status,
                media,
                ty,
                by_content_type,
                doc,
            };
            if is_success {
                success.push(answer);
            } else {
                errors.push(answer);
            }
        }
    }
    // Specific codes first, then ranges, then `default`.
    let order = |s: &Status| match s {
        Status::Code(c) => (0, *c),
        Status::Range(d) => (1, *d),
        Status::Default => (2, 0),
    };
    success.sort_by_key(|a| order(&a.status));
    errors.sort_by_key(|a| order(&a.status));
    let distinct = success
        .iter()
        .map(|a| (&a.media, &a.ty))
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] != w[1]);
    let success_enum = distinct.then(|| conv.reserve_name(&format!("{type_base}Success")));
    let error_enum = (!errors.is_empty()).then(|| conv.reserve_name(&format!("{type_base}Error")));
    Ok(Ok(Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        name,
        params,
        body,
        success,
        errors,
        success_enum,
        error_enum,
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        doc: op_doc(op),
    }))
}

/// The summary, then the description (when it says more).
fn op_doc(op: &Value) -> Vec<String> {
    let summary = op.get("summary").and_then(Value::as_str);
    let description = op.get("description").and_then(Value::as_str);
    let mut out = Vec::new();
    if let Some(s) = summary {
        out.extend(clean_doc(s));
    }
    if let Some(d) = description.filter(|d| Some(*d) != summary) {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.extend(clean_doc(d));
    }
    out
}

fn status_text(s: &Status) -> String {
    match s {
        Status::Code(c) => c.to_string(),
        Status::Range(d) => format!("{d}XX"),
        Status::Default => "default".into(),
    }
}

fn variant(s: &Status) -> TokenStream {
    let name = match s {
        Status::Code(c) => format!("Status{c}"),
        Status::Range(d) => format!("Status{d}xx"),
        Status::Default => "Default".into(),
    };
    let id = ident(&name);
    quote!(#id)
}

/// The argument type of a model body: `&T`, a slice for a list, `&str` for a string.
fn body_ty(e: &Emitter<'_>, t: &Ty) -> TokenStream {
    let none = quote!();
    match t {
        Ty::Vec(inner) => {
            let inner = e.ty(&without_bytes(inner), &none);
            quote!(&[#inner])
        }
        Ty::String => quote!(&str),
        other => {
            let t = e.ty(&without_bytes(other), &none);
            quote!(&#t)
        }
    }
}

fn is_copy_scalar(t: &Ty) -> bool {
    matches!(t, Ty::Bool | Ty::Int(_) | Ty::F32 | Ty::F64)
}

/// How an answer is decoded.
struct Decode {
    /// The Rust type it decodes to; `None`: nothing (no content, or JSON `null`).
    ty: Option<TokenStream>,
    /// The expression that decodes `r` into `ty`.
    expr: TokenStream,
    /// For a body that must be `null`: the statement that checks it.
    check: Option<TokenStream>,
}

/// Whether `t` is `()` (JSON `null`), through aliases.
fn is_unit(e: &Emitter<'_>, t: &Ty) -> bool {
    let mut t = t;
    for _ in 0..64 {
        match t {
            Ty::Null => return true,
            Ty::Named(id) => match e.defs.get(*id).map(|d| &d.kind) {
                Some(crate::ir::Kind::Alias(inner)) => t = inner,
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}

/// What an answer decodes to, and the expression that decodes `r`.
fn answer_parts(e: &Emitter<'_>, a: &Answer, awaited: &TokenStream) -> Decode {
    let none = quote!();
    match (&a.media, &a.ty) {
        (Some(Media::Json(_) | Media::Msgpack(_)), Some(t)) => {
            let call = match (&a.media, a.by_content_type) {
                (_, true) => quote!(model),
                (Some(Media::Msgpack(_)), false) => quote!(msgpack),
                _ => quote!(json),
            };
            if is_unit(e, t) {
                return Decode {
                    ty: None,
                    expr: quote!(()),
                    check: Some(quote!(self.http().#call::<()>(r)#awaited?;)),
                };
            }
            Decode {
                ty: Some(e.ty(&without_bytes(t), &none)),
                expr: quote!(self.http().#call(r)#awaited?),
                check: None,
            }
        }
        (Some(Media::Text(_)), _) => Decode {
            ty: Some(quote!(String)),
            expr: quote!(r.text()?),
            check: None,
        },
        (Some(_), _) => Decode {
            ty: Some(quote!(Vec<u8>)),
            expr: quote!(r.body),
            check: None,
        },
        (None, _) => Decode {
            ty: None,
            expr: quote!(()),
            check: None,
        },
    }
}

fn status_pattern(s: &Status) -> TokenStream {
    match s {
        Status::Code(c) => {
            let c = proc_macro2::Literal::u16_unsuffixed(*c);
            quote!(#c)
        }
        Status::Range(d) => {
            let lo = proc_macro2::Literal::u16_unsuffixed(d * 100);
            let hi = proc_macro2::Literal::u16_unsuffixed(d * 100 + 99);
            quote!(#lo..=#hi)
        }
        Status::Default => quote!(_),
    }
}

/// The items a generated client needs for `op` besides its method: the success and
/// error enums.
pub(crate) fn emit_types(op: &Operation, e: &Emitter<'_>) -> TokenStream {
    let mut out = TokenStream::new();
    let label = format!("`{} {}`", op.method, op.path);
    let awaited = quote!();
    for (name, answers, what) in [
        (&op.success_enum, &op.success, "success answers"),
        (&op.error_enum, &op.errors, "declared error answers"),
    ] {
        let Some(name) = name else { continue };
        let id = ident(name);
        let variants = answers.iter().map(|a| {
            let v = variant(&a.status);
            let mut doc = vec![format!("Status {}.", status_text(&a.status))];
            if !a.doc.is_empty() {
                doc.push(String::new());
                doc.extend(a.doc.iter().cloned());
            }
            let docs = doc_attrs(&doc);
            match answer_parts(e, a, &awaited).ty {
                Some(t) => quote!(#docs #v(#t),),
                None => quote!(#docs #v,),
            }
        });
        let docs = doc_attrs(&[format!("The {what} of {label}.")]);
        out.extend(quote! {
            #docs
            #[derive(Debug, Clone, PartialEq)]
            #[allow(clippy::large_enum_variant)]
            pub enum #id { #(#variants)* }
        });
    }
    out
}

/// The method of `op` on a generated client (`asynchronous`: an `async fn`).
pub(crate) fn emit_method(
    op: &Operation,
    method_name: &str,
    e: &Emitter<'_>,
    asynchronous: bool,
) -> TokenStream {
    let k = &e.paths.krate;
    let none = quote!();
    let awaited = if asynchronous {
        quote!(.await)
    } else {
        quote!()
    };
    let asyncness = asynchronous.then(|| quote!(async));
    let mut arg_names = Namer::default();
    for reserved in ["self", "r", "req"] {
        arg_names.unique_snake(reserved);
    }
    let mut args = Vec::new();
    let mut build = Vec::new();
    let mut doc = vec![format!("`{} {}`.", op.method, op.path)];
    if !op.doc.is_empty() {
        doc.push(String::new());
        doc.extend(op.doc.iter().cloned());
    }
    let mut param_docs = Vec::new();
    for p in &op.params {
        let plain = arg_names.unique_snake(&names::field_name(&p.wire));
        let id = ident(&names::escape_field(&plain));
        let wire = &p.wire;
        let (arg_ty, step) = match (&p.ty, p.required) {
            (Ty::Vec(inner), required) => {
                let inner_ty = match &**inner {
                    Ty::String => quote!(&str),
                    other => e.ty(&without_bytes(other), &none),
                };
                let (ty, value) = if required {
                    (quote!(&[#inner_ty]), quote!(Some(#id)))
                } else {
                    (quote!(Option<&[#inner_ty]>), quote!(#id))
                };
                let step = match p.place {
                    In::Query => {
                        let explode = p.explode;
                        quote!(.query_list(#wire, #value, #explode)?)
                    }
                    In::Path => quote!(.path_list(#wire, #id)?),
                    In::Header => quote!(.header_list(#wire, #value)?),
                    In::Cookie => quote!(.cookie_list(#wire, #value)?),
                };
                (ty, step)
            }
            (t, required) => {
                let (base, by_value) = match t {
                    Ty::String => (quote!(&str), true),
                    t if is_copy_scalar(t) => (e.ty(t, &none), false),
                    other => {
                        let t = e.ty(&without_bytes(other), &none);
                        (quote!(&#t), true)
                    }
                };
                // `by_value`: already a reference.
                let (ty, single, opt) = match (required, by_value) {
                    (true, true) => (base, quote!(#id), quote!(Some(#id))),
                    (true, false) => (base, quote!(&#id), quote!(Some(&#id))),
                    (false, true) => (quote!(Option<#base>), quote!(), quote!(#id)),
                    (false, false) => (quote!(Option<#base>), quote!(), quote!(#id.as_ref())),
                };
                let step = match (p.place, required) {
                    (In::Path, _) => quote!(.path(#wire, #single)?),
                    (In::Query, true) => quote!(.query(#wire, #single)?),
                    (In::Query, false) => quote!(.query_opt(#wire, #opt)?),
                    (In::Header, true) => quote!(.header(#wire, #single)?),
                    (In::Header, false) => quote!(.header_opt(#wire, #opt)?),
                    (In::Cookie, _) => quote!(.cookie_opt(#wire, #opt)?),
                };
                (ty, step)
            }
        };
        args.push(quote!(#id: #arg_ty));
        build.push(step);
        let place = match p.place {
            In::Path => "path",
            In::Query => "query",
            In::Header => "header",
            In::Cookie => "cookie",
        };
        let mut line = format!("- `{plain}`: {place} parameter `{wire}`");
        if !p.required {
            line.push_str(", optional");
            if let Some(d) = &p.default {
                line.push_str(&format!(" (the server's default: `{d}`)"));
            }
        }
        if !p.doc.is_empty() {
            line.push_str(": ");
            line.push_str(&p.doc.join(" "));
        }
        param_docs.push(line);
    }
    if let Some(b) = &op.body {
        let body_name = arg_names.unique_snake("body");
        let id = ident(&names::escape_field(&body_name));
        let ct = b.media.content_type();
        match (&b.media, &b.ty) {
            (Media::Json(_), Some(t)) => {
                let t = body_ty(e, t);
                args.push(quote!(#id: #t));
                build.push(quote!(.json_in(#id, &self.encode, self.http().buffer())?));
                param_docs.push(format!("- `{body_name}`: the body, as JSON (`{ct}`)"));
            }
            (Media::Msgpack(_), Some(t)) => {
                let t = body_ty(e, t);
                args.push(quote!(#id: #t));
                build.push(quote!(.msgpack(#ct, #id)?));
                param_docs.push(format!(
                    "- `{body_name}`: the body, as msgpack with msgpack-numpy arrays (`{ct}`)"
                ));
            }
            (Media::Text(_), _) => {
                args.push(quote!(#id: &str));
                build.push(quote!(.bytes(#ct, #id)));
                param_docs.push(format!("- `{body_name}`: the body, as text (`{ct}`)"));
            }
            _ if b.caller_content_type => {
                let ct_name = arg_names.unique_snake("content_type");
                let ct_id = ident(&ct_name);
                args.push(quote!(#ct_id: &str));
                args.push(quote!(#id: &[u8]));
                build.push(quote!(.bytes(#ct_id, #id)));
                param_docs.push(format!(
                    "- `{ct_name}`, `{body_name}`: the body, encoded by the caller (`{ct}`; the \
                     content type with its boundary)"
                ));
            }
            _ => {
                args.push(quote!(#id: &[u8]));
                build.push(quote!(.bytes(#ct, #id)));
                param_docs.push(format!("- `{body_name}`: the body, raw bytes (`{ct}`)"));
            }
        }
    }

    // Answers.
    let accept = op
        .success
        .iter()
        .filter_map(|a| a.media.as_ref())
        .min_by_key(|m| m.rank())
        .map(|m| {
            m.content_type()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| "application/json".to_owned());
    let err_ty = match &op.error_enum {
        Some(n) => {
            let id = ident(n);
            quote!(#id)
        }
        None => quote!(::std::convert::Infallible),
    };
    let mut arms = Vec::new();
    let ok_ty;
    if let Some(n) = &op.success_enum {
        let id = ident(n);
        ok_ty = quote!(#id);
        for a in &op.success {
            let pat = status_pattern(&a.status);
            let v = variant(&a.status);
            let d = answer_parts(e, a, &awaited);
            let expr = &d.expr;
            // A `let` keeps the arm a block whatever its length, as rustfmt leaves it.
            arms.push(match (&d.ty, &d.check) {
                (Some(_), _) => quote!(#pat => { let body = #expr; Ok(#id::#v(body)) }),
                (None, Some(check)) => quote!(#pat => { #check Ok(#id::#v) }),
                (None, None) => quote!(#pat => Ok(#id::#v),),
            });
        }
    } else {
        let first = op.success.first().map(|a| answer_parts(e, a, &awaited));
        ok_ty = first
            .as_ref()
            .and_then(|d| d.ty.clone())
            .unwrap_or_else(|| quote!(()));
        for a in &op.success {
            let pat = status_pattern(&a.status);
            let d = answer_parts(e, a, &awaited);
            let expr = &d.expr;
            arms.push(match (&d.ty, &d.check) {
                (Some(_), _) => quote!(#pat => { let body = #expr; Ok(body) }),
                (None, Some(check)) => quote!(#pat => { #check Ok(()) }),
                (None, None) => quote!(#pat => Ok(()),),
            });
        }
        if op.success.is_empty() {
            arms.push(quote!(200..=299 => Ok(()),));
        }
    }
    for a in &op.errors {
        let pat = status_pattern(&a.status);
        let v = variant(&a.status);
        let d = answer_parts(e, a, &awaited);
        let expr = &d.expr;
        let check = &d.check;
        let body = match d.ty {
            Some(_) => quote!(#err_ty::#v(#expr)),
            None => quote!(#err_ty::#v),
        };
        let bind = match a.status {
            Status::Default => quote!(status),
            _ => quote!(status @ #pat),
        };
        arms.push(quote! {
            #bind => {
                #check
                let body = #body;
                Err(#k::client::ApiError::Declared { status, body })
            }
        });
    }
    if !op.errors.iter().any(|a| a.status == Status::Default) {
        arms.push(quote!(_ => Err(r.unexpected()),));
    }

    let m = ident(&names::escape_field(method_name));
    let many = (args.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    if !param_docs.is_empty() {
        doc.push(String::new());
        doc.extend(param_docs);
    }
    let method_str = &op.method;
    let path = &op.path;
    let docs = doc_attrs(&doc);
    quote! {
        #docs
        #many
        #deprecated
        pub #asyncness fn #m(&self, #(#args),*) -> ::std::result::Result<#ok_ty, #k::client::ApiError<#err_ty>> {
            let req = #k::client::Request::new(#method_str, #path) #(#build)* .accept(#accept);
            let r = self.http().send(req)#awaited?;
            match r.status { #(#arms)* }
        }
    }
}
