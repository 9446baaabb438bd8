//! Typed clients from an OpenAPI document's `paths`: one method per operation, with the
//! request and response types of the generated models, over `arraymodel::client`'s
//! HTTP clients.
//!
//! Every operation is read by [`operation`] (typed parameters, bodies by media type,
//! answers by status). A tesseract API (one with `POST /apply`) keeps tesseract's
//! protocol for its endpoints as an extension: `{"inputs": ...}` bodies, array encodings
//! chosen per call and negotiated by `Accept`, binref folders (this module). Operations
//! that cannot be typed are listed, never guessed at.

mod operation;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::convert::{Converter, clean_doc};
use crate::emit::{Emitter, doc_attrs, ident, without_bytes};
use crate::error::Result;
use crate::ir::{Def, DefId, Kind, Ty};
use crate::load::Loc;
use crate::names::{self, Namer};

/// HTTP methods of an OpenAPI path item, in the order operations are listed.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What the generated clients of one document hold.
#[derive(Debug)]
pub(crate) struct ClientSpec {
    /// The document, as shown in docs.
    pub source: String,
    pub endpoints: Vec<Endpoint>,
    /// `POST /x (operationId): why`.
    pub skipped: Vec<String>,
    /// A tesseract API (a `POST /apply`): its endpoints speak tesseract's protocol.
    pub tesseract: bool,
    /// The blocking client's type name, when asked for.
    pub blocking: Option<String>,
    /// The async client's type name, when asked for.
    pub nonblocking: Option<String>,
    /// The skipped-operations constant's name (set by [`name_constants`]).
    pub skipped_const: Option<String>,
    /// The server trait's and serving type's names, when asked for (a tesseract API).
    pub server: Option<(String, String)>,
}

#[derive(Debug)]
pub(crate) struct Endpoint {
    /// `/apply`.
    pub path: String,
    pub doc: Vec<String>,
    pub kind: EndpointKind,
}

#[derive(Debug)]
pub(crate) enum EndpointKind {
    /// Any operation.
    Operation(Box<operation::Operation>),
    /// `GET /health`.
    Health,
    /// `POST /<endpoint>` with a `{"inputs": ..., ...}` body.
    Post {
        /// `apply`, `jacobian`, ...
        endpoint: String,
        /// The request body's struct.
        request: DefId,
        response: Ty,
        /// `pub type <Endpoint>Inputs` (the `inputs` field's type).
        inputs_alias: String,
        /// `pub type <Endpoint>Outputs` (the response type).
        outputs_alias: String,
    },
}

/// Which clients to generate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted {
    pub blocking: bool,
    pub nonblocking: bool,
    /// The server trait (`crate::server`).
    pub server: bool,
}

fn operation_label(method: &str, path: &str, op: &Value) -> String {
    let mut s = format!("{} {path}", method.to_ascii_uppercase());
    if let Some(id) = op.get("operationId").and_then(Value::as_str) {
        s.push_str(&format!(" ({id})"));
    }
    s
}

/// Follows struct aliases (`pub type A = B;`) to the struct definition.
fn struct_def(defs: &[Def], mut id: DefId) -> Option<DefId> {
    for _ in 0..64 {
        match &defs.get(id)?.kind {
            Kind::Struct(_) => return Some(id),
            Kind::Alias(Ty::Named(next)) | Kind::Newtype(Ty::Named(next)) => id = *next,
            _ => return None,
        }
    }
    None
}

/// The `application/json` schema of a request body or response, following a `$ref`
/// to `components/requestBodies` / `components/responses`.
fn json_schema_loc(conv: &mut Converter<'_>, at: &Loc) -> Result<Option<Loc>> {
    let (at, v) = operation::deref(conv, at)?;
    let Some(content) = v.get("content").and_then(Value::as_object) else {
        return Ok(None);
    };
    let Some(key) = content
        .keys()
        .find(|k| k.split(';').next().unwrap_or_default().trim() == "application/json")
        .cloned()
    else {
        return Ok(None);
    };
    if content[&key].get("schema").is_none() {
        return Ok(None);
    }
    Ok(Some(at.child("content").child(&key).child("schema")))
}

/// The success response of an operation (`200`, else the first `2XX`).
fn success_response(op: &Value) -> Option<String> {
    let responses = op.get("responses")?.as_object()?;
    if responses.contains_key("200") {
        return Some("200".into());
    }
    responses
        .keys()
        .find(|k| k.starts_with('2') && k.len() == 3)
        .cloned()
}

/// Reads the operations of the OpenAPI document `doc` (after its components were
/// converted). Returns `None` for documents without `paths`.
pub(crate) fn analyze(
    conv: &mut Converter<'_>,
    doc: usize,
    wanted: Wanted,
) -> Result<Option<ClientSpec>> {
    let root = Loc {
        doc,
        ptr: String::new(),
    };
    let value = conv.docs.get(&root)?.clone();
    let is_openapi = value.get("openapi").is_some() || value.get("swagger").is_some();
    let Some(paths) = value.get("paths").filter(|_| is_openapi) else {
        return Ok(None);
    };
    let source = conv.docs.doc(doc).path.display().to_string();
    let Some(paths) = paths.as_object() else {
        return Err(conv
            .docs
            .error(&root.child("paths"), "paths must be an object"));
    };
    let tesseract = paths
        .get("/apply")
        .and_then(|p| p.get("post"))
        .is_some_and(Value::is_object);
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        // A path is appended to the base URL: one that does not start with `/` could name
        // another host (`@evil.example/x`), and a `?` or `#` would break the query.
        if !path.starts_with('/') || path.contains(['?', '#']) {
            for &method in METHODS {
                if let Some(op) = item.get(method) {
                    skipped.push(format!(
                        "{}: the path must start with `/` and hold no `?` or `#`",
                        operation_label(method, path, op)
                    ));
                }
            }
            continue;
        }
        for &method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            found.push((path.clone(), method, op.clone(), id));
        }
    }
    let meta: Vec<(String, String, Option<String>)> = found
        .iter()
        .map(|(path, method, _, id)| ((*method).to_owned(), path.clone(), id.clone()))
        .collect();
    let method_names = operation::method_names(&meta);
    let mut endpoints = Vec::new();
    for ((path, method, op, _), name) in found.iter().zip(method_names) {
        let label = operation_label(method, path, op);
        let item_loc = root.child("paths").child(path);
        let op_loc = item_loc.child(method);
        if tesseract && let Ok(e) = endpoint(conv, path, method, op, &op_loc)? {
            endpoints.push(e);
            continue;
        }
        let mut item_params = Vec::new();
        let count = paths[path]
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..count {
            let (loc, v) = operation::deref(conv, &item_loc.child("parameters").index(i))?;
            item_params.push((loc, v));
        }
        let type_base = names::type_name(&name);
        match operation::read(
            conv,
            path,
            method,
            name,
            &type_base,
            op,
            &op_loc,
            &item_params,
        )? {
            Ok(o) => endpoints.push(Endpoint {
                path: path.clone(),
                doc: Vec::new(),
                kind: EndpointKind::Operation(Box::new(o)),
            }),
            Err(why) => skipped.push(format!("{label}: {why}")),
        }
    }
    let blocking = wanted.blocking.then(|| conv.reserve_name("Client"));
    let nonblocking = wanted.nonblocking.then(|| conv.reserve_name("AsyncClient"));
    let mut spec = ClientSpec {
        source,
        endpoints,
        skipped,
        tesseract,
        blocking,
        nonblocking,
        skipped_const: None,
        server: None,
    };
    if wanted.server && crate::server::unservable(&spec).is_none() {
        spec.server = Some((conv.reserve_name("Tesseract"), conv.reserve_name("Server")));
    }
    Ok(Some(spec))
}

/// One operation of a tesseract API, or why it cannot be typed.
fn endpoint(
    conv: &mut Converter<'_>,
    path: &str,
    method: &str,
    op: &Value,
    op_loc: &Loc,
) -> Result<std::result::Result<Endpoint, String>> {
    // FastAPI's summary is the title-cased name; the description says more.
    let doc = op
        .get("description")
        .or_else(|| op.get("summary"))
        .and_then(Value::as_str)
        .map(clean_doc)
        .unwrap_or_default();
    let name = path.strip_prefix('/').unwrap_or_default();
    let simple = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !simple {
        return Ok(Err("not a tesseract endpoint path".into()));
    }
    if method == "get" && name == "health" {
        return Ok(Ok(Endpoint {
            path: path.to_owned(),
            doc,
            kind: EndpointKind::Health,
        }));
    }
    if method != "post" {
        return Ok(Err(format!(
            "tesseract endpoints are POST (or GET /health); {} is not generated",
            method.to_ascii_uppercase()
        )));
    }
    let Some(req_loc) = json_schema_loc(conv, &op_loc.child("requestBody"))
        .ok()
        .flatten()
        .filter(|_| op.get("requestBody").is_some())
    else {
        return Ok(Err("no application/json request body".into()));
    };
    let Some(status) = success_response(op) else {
        return Ok(Err("no 2XX response".into()));
    };
    let Some(resp_loc) =
        json_schema_loc(conv, &op_loc.child("responses").child(&status)).unwrap_or(None)
    else {
        return Ok(Err(format!(
            "response {status} has no application/json schema"
        )));
    };
    let base = names::type_name(name);
    let request = conv.ty_at(&req_loc, &format!("{base}Request"))?;
    let Some(request) = (match request {
        Ty::Named(id) => struct_def(&conv.defs, id),
        _ => None,
    }) else {
        return Ok(Err("the request body is not an object schema".into()));
    };
    let Kind::Struct(s) = &conv.defs[request].kind else {
        return Ok(Err("the request body is not an object schema".into()));
    };
    if !s.fields.iter().any(|f| f.wire == "inputs") {
        return Ok(Err("the request body has no `inputs`".into()));
    }
    let response = conv.ty_at(&resp_loc, &format!("{base}Response"))?;
    let inputs_alias = conv.reserve_name(&format!("{base}Inputs"));
    let outputs_alias = conv.reserve_name(&format!("{base}Outputs"));
    Ok(Ok(Endpoint {
        path: path.to_owned(),
        doc,
        kind: EndpointKind::Post {
            endpoint: name.to_owned(),
            request,
            response,
            inputs_alias,
            outputs_alias,
        },
    }))
}

/// Names the skipped-operations constants (value namespace, apart from the types).
pub(crate) fn name_constants(specs: &mut [ClientSpec]) {
    let mut namer = Namer::default();
    for s in specs {
        if !s.skipped.is_empty() {
            s.skipped_const = Some(namer.unique_snake("SKIPPED_OPERATIONS"));
        }
    }
}

/// One parameter of a generated method (a property of the request body).
struct Param {
    ident: TokenStream,
    /// `&T`, `&[T]`, `&str`, `Option<&T>`.
    ty: TokenStream,
    /// The same with lifetime `'a`, for the borrowed body struct.
    body_ty: TokenStream,
    wire: String,
    plain: String,
    optional: bool,
}

/// `&T` for a field of type `t` (slices for lists, `&str` for strings, `Option<&T>`).
fn borrowed(e: &Emitter<'_>, t: &Ty, lifetime: &TokenStream) -> TokenStream {
    let none = quote!();
    match t {
        Ty::Box(inner) => borrowed(e, inner, lifetime),
        Ty::Vec(inner) => {
            let inner = e.ty(&without_bytes(inner), &none);
            quote!(&#lifetime [#inner])
        }
        Ty::String | Ty::Bytes => quote!(&#lifetime str),
        other => {
            let t = e.ty(&without_bytes(other), &none);
            quote!(&#lifetime #t)
        }
    }
}

fn unboxed(t: &Ty) -> &Ty {
    match t {
        Ty::Box(inner) => unboxed(inner),
        other => other,
    }
}

fn params(
    e: &Emitter<'_>,
    defs: &[Def],
    request: DefId,
    inputs_alias: &str,
) -> (Vec<Param>, String) {
    let Kind::Struct(s) = &defs[request].kind else {
        return (Vec::new(), "opts".into());
    };
    let a = quote!('a);
    let none = quote!();
    let mut namer = Namer::default();
    for reserved in ["self", "inner", "body"] {
        namer.unique_snake(reserved);
    }
    let mut out = Vec::new();
    for f in &s.fields {
        let plain = f.ident.strip_prefix("r#").unwrap_or(&f.ident).to_owned();
        let plain = namer.unique_snake(&plain);
        let id = ident(&names::escape_field(&plain));
        let (ty, body_ty, optional) = if f.wire == "inputs" {
            let alias = ident(inputs_alias);
            match unboxed(&f.ty) {
                Ty::Option(_) => (quote!(Option<&#alias>), quote!(Option<&'a #alias>), true),
                _ => (quote!(&#alias), quote!(&'a #alias), false),
            }
        } else {
            match unboxed(&f.ty) {
                Ty::Option(inner) => {
                    let t = borrowed(e, inner, &none);
                    let bt = borrowed(e, inner, &a);
                    (quote!(Option<#t>), quote!(Option<#bt>), true)
                }
                other => (borrowed(e, other, &none), borrowed(e, other, &a), false),
            }
        };
        out.push(Param {
            ident: quote!(#id),
            ty,
            body_ty,
            wire: f.wire.clone(),
            plain,
            optional,
        });
    }
    let opts = namer.unique_snake("opts");
    (out, opts)
}

/// The type `inputs` stands for in `pub type <Endpoint>Inputs = ...;`.
fn inputs_ty(defs: &[Def], request: DefId) -> Option<Ty> {
    let Kind::Struct(s) = &defs[request].kind else {
        return None;
    };
    let f = s.fields.iter().find(|f| f.wire == "inputs")?;
    Some(match unboxed(&f.ty) {
        Ty::Option(inner) => unboxed(inner).clone(),
        other => other.clone(),
    })
}

/// The client items of one document.
pub(crate) fn emit(spec: &ClientSpec, e: &Emitter<'_>, defs: &[Def]) -> TokenStream {
    let k = &e.paths.krate;
    let none = quote!();
    let mut out = TokenStream::new();

    if let Some(c) = &spec.skipped_const {
        let mut doc = vec![format!(
            "Operations of `{}` the generated client does not cover:",
            spec.source
        )];
        doc.push(String::new());
        doc.extend(spec.skipped.iter().map(|s| format!("- {s}")));
        let docs = doc_attrs(&doc);
        let id = ident(c);
        let items = spec.skipped.iter();
        out.extend(quote! {
            #docs
            pub const #id: &[&str] = &[#(#items),*];
        });
    }
    if spec.blocking.is_none() && spec.nonblocking.is_none() && spec.server.is_none() {
        return out;
    }
    for ep in &spec.endpoints {
        if let EndpointKind::Operation(op) = &ep.kind {
            out.extend(operation::emit_types(op, e));
        }
    }

    // Stable names for each endpoint's input and output types.
    for ep in &spec.endpoints {
        let EndpointKind::Post {
            endpoint,
            request,
            response,
            inputs_alias,
            outputs_alias,
        } = &ep.kind
        else {
            continue;
        };
        if let Some(t) = inputs_ty(defs, *request) {
            let t = e.ty(&without_bytes(&t), &none);
            let id = ident(inputs_alias);
            let doc = doc_attrs(&[format!(
                "The `inputs` of `POST /{endpoint}` (what the client methods take)."
            )]);
            out.extend(quote!(#doc pub type #id = #t;));
        }
        let t = e.ty(&without_bytes(response), &none);
        let id = ident(outputs_alias);
        let doc = doc_attrs(&[format!("The response of `POST /{endpoint}`.")]);
        out.extend(quote!(#doc pub type #id = #t;));
    }

    for (name, asynchronous) in [(&spec.blocking, false), (&spec.nonblocking, true)] {
        let Some(name) = name else { continue };
        let id = ident(name);
        let (module, feature) = if asynchronous {
            (quote!(nonblocking), "client-async")
        } else {
            (quote!(blocking), "client")
        };
        let inner_ty = if spec.tesseract {
            quote!(#k::client::#module::TesseractClient)
        } else {
            quote!(#k::client::#module::Client)
        };
        let http_ty = quote!(#k::client::#module::Client);
        let http_expr = if spec.tesseract {
            quote!(self.inner.http())
        } else {
            quote!(&self.inner)
        };
        let awaited = if asynchronous {
            quote!(.await)
        } else {
            quote!()
        };
        let asyncness = if asynchronous {
            quote!(async)
        } else {
            quote!()
        };
        let mut methods = TokenStream::new();
        let mut method_names = Namer::default();
        for reserved in [
            "new",
            "from_inner",
            "inner",
            "config",
            "encode_options",
            "encoding",
            "http",
        ] {
            method_names.unique_snake(reserved);
        }
        for ep in &spec.endpoints {
            if let EndpointKind::Operation(op) = &ep.kind {
                let name = method_names.unique_snake(&op.name);
                methods.extend(operation::emit_method(op, &name, e, asynchronous));
                continue;
            }
            let mut doc = vec![format!(
                "`{} {}`.",
                if matches!(ep.kind, EndpointKind::Health) {
                    "GET"
                } else {
                    "POST"
                },
                ep.path
            )];
            if !ep.doc.is_empty() {
                doc.push(String::new());
                doc.extend(ep.doc.iter().cloned());
            }
            if matches!(&ep.kind, EndpointKind::Post { endpoint, .. } if endpoint == "abstract_eval")
            {
                doc.push(String::new());
                doc.push("Answered as plain JSON (shapes and dtypes, no arrays).".to_owned());
            }
            let docs = doc_attrs(&doc);
            match &ep.kind {
                EndpointKind::Operation(_) => {}
                EndpointKind::Health => {
                    let m = ident(&names::escape_field(&method_names.unique_snake("health")));
                    methods.extend(quote! {
                        #docs
                        pub #asyncness fn #m(&self) -> Result<#k::client::Health, #k::client::ClientError> {
                            self.inner.health()#awaited
                        }
                    });
                }
                EndpointKind::Post {
                    endpoint,
                    request,
                    inputs_alias,
                    outputs_alias,
                    ..
                } => {
                    let m = ident(&names::escape_field(
                        &method_names.unique_snake(&names::field_name(endpoint)),
                    ));
                    let out_ty = ident(outputs_alias);
                    let (ps, opts) = params(e, defs, *request, inputs_alias);
                    let opts = ident(&names::escape_field(&opts));
                    let abstract_eval = endpoint == "abstract_eval";
                    let only_inputs = ps.len() == 1 && ps[0].wire == "inputs" && !ps[0].optional;
                    let args = ps.iter().map(|p| {
                        let (i, t) = (&p.ident, &p.ty);
                        quote!(#i: #t)
                    });
                    let opts_arg =
                        (!abstract_eval).then(|| quote!(#opts: &#k::client::CallOptions));
                    let all_args: Vec<TokenStream> = args.chain(opts_arg).collect();
                    let many =
                        (all_args.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
                    let call = if only_inputs && endpoint == "apply" {
                        let i = &ps[0].ident;
                        quote!(self.inner.apply(#i, #opts)#awaited)
                    } else {
                        let fields = ps.iter().map(|p| {
                            let (i, t) = (&p.ident, &p.body_ty);
                            let mut serde = Vec::new();
                            if p.plain != p.wire {
                                let w = &p.wire;
                                serde.push(quote!(rename = #w));
                            }
                            if p.optional {
                                serde.push(quote!(skip_serializing_if = "Option::is_none"));
                            }
                            let attr = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
                            quote!(#attr #i: #t,)
                        });
                        let inits = ps.iter().map(|p| &p.ident);
                        let serde_path = format!("{}::serde", k.to_string().replace(' ', ""));
                        let opts_expr = if abstract_eval {
                            quote!(&#k::client::CallOptions::default().response(#k::client::WireFormat::JSON))
                        } else {
                            quote!(#opts)
                        };
                        quote! {
                            #[derive(#k::serde::Serialize)]
                            #[serde(crate = #serde_path)]
                            struct Body<'a> { #(#fields)* }
                            self.inner
                                .call(#endpoint, &Body { #(#inits),* }, #opts_expr)
                                #awaited
                        }
                    };
                    methods.extend(quote! {
                        #docs
                        #many
                        pub #asyncness fn #m(&self, #(#all_args),*) -> Result<#out_ty, #k::client::ClientError> {
                            #call
                        }
                    });
                }
            }
        }
        let (kind, module_name, inner_name) = match (asynchronous, spec.tesseract) {
            (false, true) => ("", "blocking", "TesseractClient"),
            (true, true) => ("async ", "nonblocking", "TesseractClient"),
            (false, false) => ("", "blocking", "Client"),
            (true, false) => ("async ", "nonblocking", "Client"),
        };
        let what = if spec.tesseract {
            "the tesseract API"
        } else {
            "the operations"
        };
        let mut doc = vec![format!(
            "A typed {kind}client for {what} of `{}`: thin glue over \
             `arraymodel::client::{module_name}::{inner_name}` (feature `{feature}`).",
            spec.source,
        )];
        if spec.tesseract {
            doc.push(String::new());
            doc.push(
                "The tesseract endpoints take the endpoint's `inputs` model (the body is wrapped \
                 as `{\"inputs\": ...}`), the array encodings of the request and response come \
                 from the `CallOptions`. The API's other operations are methods too."
                    .to_owned(),
            );
        }
        doc.push(String::new());
        doc.push(
            "Each operation's method takes its path, query and header parameters and its body, \
             and returns the success answer's type, or an `ApiError`: a declared error answer \
             (decoded), an undeclared status (its body kept), or the call's failure. JSON \
             bodies write each array in its family's form (`#[array(form = ..)]`), the others \
             as `encode_options` says (default: tesseract `json+base64`)."
                .to_owned(),
        );
        if !spec.skipped.is_empty() {
            doc.push(String::new());
            doc.push("Operations not generated:".to_owned());
            doc.extend(spec.skipped.iter().map(|s| format!("- {s}")));
        }
        let docs = doc_attrs(&doc);
        let any_operation = spec
            .endpoints
            .iter()
            .any(|ep| matches!(ep.kind, EndpointKind::Operation(_)));
        let http_fn = any_operation.then(|| {
            quote! {
                fn http(&self) -> &#http_ty {
                    #http_expr
                }
            }
        });
        out.extend(quote! {
            #docs
            #[derive(Clone, Debug)]
            pub struct #id {
                inner: #inner_ty,
                encode: #k::EncodeOptions,
            }
            // Method names come from the document's operation ids (`from_file`, `clone`).
            #[allow(clippy::wrong_self_convention, clippy::should_implement_trait)]
            impl #id {
                /// A client with these settings (base URL, timeout, headers, binref folders).
                pub fn new(config: #k::client::ClientConfig) -> Self {
                    Self::from_inner(#inner_ty::new(config))
                }
                /// Wraps an untyped client.
                pub fn from_inner(inner: #inner_ty) -> Self {
                    Self { inner, encode: #k::EncodeOptions::default() }
                }
                /// The untyped client underneath (for operations or options not covered here).
                pub fn inner(&self) -> &#inner_ty {
                    &self.inner
                }
                /// The settings.
                pub fn config(&self) -> &#k::client::ClientConfig {
                    self.inner.config()
                }
                /// How the arrays of JSON request bodies without a form of their own are written.
                pub fn encode_options(mut self, opts: #k::EncodeOptions) -> Self {
                    self.encode = opts;
                    self
                }
                /// How the arrays of JSON request bodies without a form of their own are written.
                pub fn encoding(&self) -> &#k::EncodeOptions {
                    &self.encode
                }
                #http_fn
                #methods
            }
        });
    }
    out
}
