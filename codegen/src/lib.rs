//! The engine behind `arraymodel generate`, the build.rs API and `import_schema!`:
//! JSON Schema (2020-12, draft-07) and OpenAPI (3.0, 3.1) documents in, one Rust
//! module of `#[derive(ArrayModel)]` models out.
//!
//! The pipeline: load and bundle `$ref`s (other files by relative path, cycles
//! allowed) -> convert to a type space, recognising array schemas (tesseract's
//! `EncodedArrayModel__*`, truss `NumpyArrayField`, numpydantic, pydantic-numpy) ->
//! fix up (box recursive fields, break alias cycles, check defaults) -> emit tokens
//! -> format with prettyplease.
//!
//! ```
//! use arraymodel_codegen::Generator;
//!
//! let schema = r#"{
//!   "title": "Inputs",
//!   "type": "object",
//!   "properties": {"label": {"type": "string"}, "type": {"type": "integer", "default": 3}},
//!   "required": ["label"]
//! }"#;
//! let code = Generator::new().schema_str("inputs.json", schema).generate().unwrap();
//! assert!(code.source().contains("pub struct Inputs {"));
//! assert!(code.source().contains("pub r#type: i64,"));
//! ```
//!
//! Errors name the file and the JSON pointer of the part that failed, and never panic:
//!
//! ```
//! use arraymodel_codegen::Generator;
//! let err = Generator::new()
//!     .schema_str("bad.json", r##"{"properties": {"a": {"$ref": "#/$defs/Nope"}}}"##)
//!     .generate()
//!     .unwrap_err();
//! assert_eq!(err.to_string(), r##"bad.json#/properties/a: $ref "#/$defs/Nope": the target does not exist"##);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod convert;
mod emit;
mod error;
mod ir;
mod load;
mod names;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;

pub use error::{Error, Result};

use ir::{Def, DefId, Kind, Ty};

enum Source {
    File(PathBuf),
    Text {
        name: PathBuf,
        text: String,
        base_dir: Option<PathBuf>,
    },
}

/// Generates Rust models from schema files: the library API for `build.rs`.
///
/// ```no_run
/// // build.rs
/// let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("models.rs");
/// arraymodel_codegen::Generator::new()
///     .schema("schemas/tesseract_vectoradd.openapi.json")
///     .generate_to_file(&out)
///     .unwrap();
/// // then in src/lib.rs: include!(concat!(env!("OUT_DIR"), "/models.rs"));
/// ```
pub struct Generator {
    sources: Vec<Source>,
    crate_path: String,
    map_type: String,
    rerun_if_changed: bool,
    client: bool,
    async_client: bool,
}

impl Default for Generator {
    fn default() -> Self {
        Generator::new()
    }
}

/// The generated module.
#[derive(Clone, Debug)]
pub struct Generated {
    tokens: TokenStream,
    source: String,
    files: Vec<PathBuf>,
    types: Vec<String>,
}

impl Generated {
    /// The formatted Rust source (rustfmt-clean, deterministic byte for byte).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The same code as tokens (what `import_schema!` expands to).
    pub fn tokens(&self) -> &TokenStream {
        &self.tokens
    }

    /// Every schema file read, including files reached through `$ref`.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The names of the generated types, in output order.
    pub fn type_names(&self) -> &[String] {
        &self.types
    }
}

impl Generator {
    /// A generator with no schemas yet.
    pub fn new() -> Generator {
        Generator {
            sources: Vec::new(),
            crate_path: "::arraymodel".into(),
            map_type: "::std::collections::BTreeMap".into(),
            rerun_if_changed: false,
            client: false,
            async_client: false,
        }
    }

    /// Adds a schema file (JSON Schema or OpenAPI; `.json`).
    pub fn schema(mut self, path: impl AsRef<Path>) -> Generator {
        self.sources.push(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// Adds a schema given as text; `name` is used in errors and for the root type's
    /// name when it has no title. Relative `$ref`s to files are refused.
    pub fn schema_str(mut self, name: impl AsRef<Path>, text: impl Into<String>) -> Generator {
        self.sources.push(Source::Text {
            name: name.as_ref().to_path_buf(),
            text: text.into(),
            base_dir: None,
        });
        self
    }

    /// Like [`Generator::schema_str`], resolving relative `$ref`s against `dir`.
    pub fn schema_str_in(
        mut self,
        name: impl AsRef<Path>,
        text: impl Into<String>,
        dir: impl AsRef<Path>,
    ) -> Generator {
        self.sources.push(Source::Text {
            name: name.as_ref().to_path_buf(),
            text: text.into(),
            base_dir: Some(dir.as_ref().to_path_buf()),
        });
        self
    }

    /// The path of the runtime crate in the generated code (default `::arraymodel`),
    /// for a dependency renamed in Cargo.toml.
    pub fn crate_path(mut self, path: impl Into<String>) -> Generator {
        self.crate_path = path.into();
        self
    }

    /// The map type for `additionalProperties` maps that hold no arrays (default
    /// `::std::collections::BTreeMap`; `::indexmap::IndexMap` keeps the wire order).
    /// Maps of arrays always use `BTreeMap`, which the runtime's array checks cover.
    pub fn map_type(mut self, path: impl Into<String>) -> Generator {
        self.map_type = path.into();
        self
    }

    /// Also generates a typed blocking client, `Client`, from each OpenAPI document's
    /// `paths`: one method per tesseract endpoint (`apply`, `jacobian`,
    /// `jacobian_vector_product`, `vector_jacobian_product`, `abstract_eval`,
    /// `health`), taking and returning the generated models; thin glue over
    /// `arraymodel::client::blocking::TesseractClient` (feature `client`).
    /// Operations that cannot be typed (and documents that are no tesseract API) are
    /// listed in a `SKIPPED_OPERATIONS` constant instead.
    ///
    /// ```
    /// // The shape of a tesseract `openapi.json`, cut down to one endpoint.
    /// let openapi = r##"{
    ///   "openapi": "3.1.0",
    ///   "paths": {"/apply": {"post": {
    ///     "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplyInputSchema"}}}},
    ///     "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplyOutputSchema"}}}}}
    ///   }}},
    ///   "components": {"schemas": {
    ///     "ApplyInputSchema": {"type": "object", "required": ["inputs"],
    ///       "properties": {"inputs": {"$ref": "#/components/schemas/Apply_InputSchema"}}},
    ///     "Apply_InputSchema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
    ///     "ApplyOutputSchema": {"type": "object", "required": ["m"], "properties": {"m": {"type": "integer"}}}
    ///   }}
    /// }"##;
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema_str("openapi.json", openapi)
    ///     .client(true)
    ///     .generate()
    ///     .unwrap();
    /// assert!(code.source().contains("pub struct Client {"));
    /// assert!(code.source().contains("pub fn apply(\n        &self,\n        inputs: &ApplyInputs,"));
    /// ```
    pub fn client(mut self, yes: bool) -> Generator {
        self.client = yes;
        self
    }

    /// Also generates `AsyncClient`, the same methods `async` over
    /// `arraymodel::client::nonblocking::TesseractClient` (feature `client-async`).
    pub fn async_client(mut self, yes: bool) -> Generator {
        self.async_client = yes;
        self
    }

    /// Prints `cargo:rerun-if-changed=` for every schema file read (for build.rs).
    pub fn cargo_rerun_if_changed(mut self, yes: bool) -> Generator {
        self.rerun_if_changed = yes;
        self
    }

    /// Generates the module.
    pub fn generate(&self) -> Result<Generated> {
        // Deeply nested schemas recurse deeply; convert them on a thread with a known,
        // large stack rather than whatever the caller has (test threads get 2 MiB).
        // Only the conversion runs there: inside a proc macro, token streams belong to
        // the compiler's thread.
        let (defs, files, clients) = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("arraymodel-codegen".into())
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, || self.convert())
                .map(|h| h.join())
        })
        .map_err(|e| Error::new("", "", format!("cannot start the generator thread: {e}")))?
        .map_err(|_| Error::new("", "", "internal: the generator thread panicked"))??;
        self.emit(defs, files, clients)
    }

    /// Load, bundle and convert to the type space.
    fn convert(&self) -> Result<Converted> {
        let mut docs = load::Docs::default();
        let mut roots = Vec::new();
        for s in &self.sources {
            roots.push(match s {
                Source::File(p) => docs.load_file(p, p, None)?,
                Source::Text {
                    name,
                    text,
                    base_dir,
                } => docs.add_source(name, text, base_dir.clone())?,
            });
        }
        if roots.is_empty() {
            return Err(Error::new("", "", "no schema given"));
        }
        let mut conv = convert::Converter::new(&mut docs);
        for &r in &roots {
            conv.add_roots(r)?;
        }
        let mut clients = Vec::new();
        if self.client || self.async_client {
            let wanted = client::Wanted {
                blocking: self.client,
                nonblocking: self.async_client,
            };
            for &r in &roots {
                clients.extend(client::analyze(&mut conv, r, wanted)?);
            }
            client::name_constants(&mut clients);
        }
        let defs = std::mem::take(&mut conv.defs);
        Ok((defs, docs.files(), clients))
    }

    /// Fix up, emit tokens, format.
    fn emit(
        &self,
        mut defs: Vec<Def>,
        files: Vec<PathBuf>,
        clients: Vec<client::ClientSpec>,
    ) -> Result<Generated> {
        let krate = parse_path(&self.crate_path, "crate_path")?;
        let map = parse_path(&self.map_type, "map_type")?;
        let paths = emit::Paths { krate, map };
        fixup(&mut defs, &paths);

        let emitter = emit::Emitter {
            defs: &defs,
            paths: &paths,
        };
        let mut default_fns = Vec::new();
        let body = emitter.defs(&mut default_fns);
        let clients_tokens: TokenStream = clients
            .iter()
            .map(|c| client::emit(c, &emitter, &defs))
            .collect();
        let defaults = (!default_fns.is_empty()).then(|| {
            quote! {
                /// Default values of the generated fields (`#[serde(default = "...")]`).
                pub mod defaults {
                    #(#default_fns)*
                }
            }
        });
        let tokens = quote!(#body #clients_tokens #defaults);
        let file: syn::File = syn::parse2(tokens.clone()).map_err(|e| {
            Error::new(
                "",
                "",
                format!("internal: generated code does not parse: {e}"),
            )
        })?;
        let mut shown: Vec<String> = self
            .sources
            .iter()
            .map(|s| match s {
                Source::File(p) | Source::Text { name: p, .. } => p.display().to_string(),
            })
            .collect();
        shown.dedup();
        let source = format!(
            "// @generated by arraymodel-codegen from {}. Do not edit.\n\n{}",
            shown.join(", "),
            prettyplease::unparse(&file)
        );
        if self.rerun_if_changed {
            for f in &files {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        let mut types: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
        for c in &clients {
            types.extend(c.blocking.iter().chain(&c.nonblocking).cloned());
        }
        Ok(Generated {
            tokens,
            source,
            files,
            types,
        })
    }

    /// Generates and writes `path`, leaving the file untouched when it is current
    /// (so builds depending on its timestamp do not rerun).
    pub fn generate_to_file(&self, path: impl AsRef<Path>) -> Result<Generated> {
        let path = path.as_ref();
        let generated = self.generate()?;
        let current = std::fs::read(path).ok();
        if current.as_deref() != Some(generated.source.as_bytes()) {
            std::fs::write(path, &generated.source)
                .map_err(|e| Error::new(path, "", format!("cannot write: {e}")))?;
        }
        Ok(generated)
    }
}

/// What conversion produces: the type space, the files read, the clients' specs.
type Converted = (Vec<Def>, Vec<PathBuf>, Vec<client::ClientSpec>);

/// The generator thread's stack: room for [`convert`]'s depth limit in debug builds.
const STACK_SIZE: usize = 256 * 1024 * 1024;

fn parse_path(text: &str, what: &str) -> Result<TokenStream> {
    let p: syn::Path = syn::parse_str(text)
        .map_err(|e| Error::new("", "", format!("{what} {text:?} is not a Rust path: {e}")))?;
    Ok(quote!(#p))
}

/// After conversion: alias cycles become newtypes, recursive fields get a `Box`,
/// defaults that cannot be written as Rust become optional fields.
fn fixup(defs: &mut [Def], paths: &emit::Paths) {
    // 1. `type A = Vec<A>` is not allowed: make such aliases newtypes.
    for id in 0..defs.len() {
        if let Kind::Alias(t) = &defs[id].kind {
            if alias_reaches(defs, t, id, &mut vec![false; defs.len()]) {
                let t = t.clone();
                defs[id].kind = Kind::Newtype(t);
            }
        }
    }
    // 2. Box what a type holds directly when that leads back to it.
    let edges: Vec<Vec<DefId>> = defs.iter().map(direct_edges).collect();
    #[allow(clippy::needless_range_loop)] // `id` is also the graph node
    for id in 0..defs.len() {
        let back = |t: &Ty| {
            let mut ns = Vec::new();
            t.direct_named(&mut ns);
            ns.iter().any(|&n| reaches(&edges, n, id))
        };
        let mut kind = std::mem::replace(&mut defs[id].kind, Kind::Pending);
        match &mut kind {
            Kind::Struct(s) => {
                for f in &mut s.fields {
                    if back(&f.ty) {
                        f.ty = f.ty.clone().boxed();
                    }
                }
            }
            Kind::Newtype(t) if back(t) => *t = t.clone().boxed(),
            Kind::Tagged { variants, .. } | Kind::Untagged(variants) => {
                for t in variants.iter_mut().filter_map(|v| v.ty.as_mut()) {
                    if back(t) {
                        *t = t.clone().boxed();
                    }
                }
            }
            _ => {}
        }
        defs[id].kind = kind;
    }
    // 3. Defaults we cannot write become `Option` + skip when absent.
    let mut changes = Vec::new();
    {
        let emitter = emit::Emitter { defs, paths };
        for (id, d) in defs.iter().enumerate() {
            if let Kind::Struct(s) = &d.kind {
                for (i, f) in s.fields.iter().enumerate() {
                    if let Some(v) = &f.default {
                        if emitter.default_expr(&f.ty, v).is_none() {
                            changes.push((id, i));
                        }
                    }
                }
            }
        }
    }
    for (id, i) in changes {
        if let Kind::Struct(s) = &mut defs[id].kind {
            let f = &mut s.fields[i];
            f.default = None;
            f.default_empty = true;
            if !matches!(f.ty, Ty::Option(_)) {
                f.ty = Ty::Option(Box::new(f.ty.clone()));
                f.skip_none = true;
            }
        }
    }
}

fn alias_reaches(defs: &[Def], t: &Ty, target: DefId, seen: &mut [bool]) -> bool {
    let mut stack = Vec::new();
    t.all_named(&mut stack);
    while let Some(n) = stack.pop() {
        if n == target {
            return true;
        }
        if std::mem::replace(&mut seen[n], true) {
            continue;
        }
        if let Kind::Alias(inner) = &defs[n].kind {
            inner.all_named(&mut stack);
        }
    }
    false
}

fn direct_edges(d: &Def) -> Vec<DefId> {
    let mut out = Vec::new();
    match &d.kind {
        Kind::Struct(s) => s.fields.iter().for_each(|f| f.ty.direct_named(&mut out)),
        Kind::Alias(t) | Kind::Newtype(t) => t.direct_named(&mut out),
        Kind::Tagged { variants, .. } | Kind::Untagged(variants) => {
            for v in variants {
                if let Some(t) = &v.ty {
                    t.direct_named(&mut out);
                }
            }
        }
        Kind::StringEnum(_) | Kind::Pending => {}
    }
    out
}

fn reaches(edges: &[Vec<DefId>], from: DefId, to: DefId) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if std::mem::replace(&mut seen[n], true) {
            continue;
        }
        stack.extend(edges[n].iter().copied());
    }
    false
}
