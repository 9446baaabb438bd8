//! The engine behind `arraymodel generate`, the build.rs API and `import_schema!`:
//! JSON Schema (2020-12, draft-07) and OpenAPI (3.0, 3.1) documents in, one Rust
//! module of `#[derive(ArrayModel)]` models out.
//!
//! The pipeline: load and bundle `$ref`s (other files by relative path, cycles
//! allowed) -> convert to a type space, recognising array schemas (tesseract's
//! `EncodedArrayModel__*`, truss `NumpyArrayField`, numpydantic, pydantic-numpy) ->
//! fix up (box recursive fields, break alias cycles, check defaults) -> emit tokens
//! -> format (prettyplease, then rustfmt when one is installed; see [`Generator::rustfmt`]).
//!
//! The generated code names only documented public items of the runtime crate
//! (`arraymodel::{Array, ArrayModel, serde, schemars, serde_json, f16, Complex, client}`);
//! its header states the generator version and the runtime versions it needs, with the
//! runtime's feature `schema` (the models and their helper types derive `JsonSchema`).
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
mod constraints;
mod convert;
mod document;
mod emit;
mod error;
mod ir;
mod load;
mod names;
mod operations;
mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    Url {
        url: String,
        bytes: Vec<u8>,
    },
}

/// Reads the documents that `$ref`s name by URL, for [`Generator::remote_refs`]: the
/// generator itself makes no network requests (and has no HTTP dependency); whoever
/// allows remote references says how they are resolved and fetched, with which limits.
/// Each URL is fetched once per generation.
///
/// ```
/// use arraymodel_codegen::{Fetcher, Generator};
///
/// /// Serves one in-memory document (a real fetcher would use an HTTP client).
/// struct One;
/// impl Fetcher for One {
///     fn resolve(&self, base: Option<&str>, reference: &str) -> Result<String, String> {
///         assert_eq!(base, None);
///         Ok(reference.to_owned())
///     }
///     fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
///         assert_eq!(url, "https://example.org/defs.yaml");
///         Ok(b"$defs:\n  Label: {type: string}\n".to_vec())
///     }
/// }
/// let schema = r#"{"title": "In", "type": "object", "required": ["l"],
///   "properties": {"l": {"$ref": "https://example.org/defs.yaml#/$defs/Label"}}}"#;
/// let code = Generator::new().schema_str("in.json", schema).remote_refs(One).generate().unwrap();
/// assert!(code.source().contains("pub type Label = String;"));
/// assert!(code.source().contains("pub l: Label,"));
/// // Without a fetcher the reference is refused, naming how to allow it.
/// let err = Generator::new().schema_str("in.json", schema).generate().unwrap_err();
/// assert!(err.message().contains("remote references are not fetched unless allowed"));
/// ```
pub trait Fetcher: Send + Sync {
    /// The absolute URL `reference` (a `$ref` without its `#fragment`) names, resolved
    /// against `base`, the URL of the document the `$ref` is in (`None` for a file or
    /// text), or why it names none (or none this fetcher reads).
    fn resolve(&self, base: Option<&str>, reference: &str) -> std::result::Result<String, String>;

    /// The bytes of the document at `url` (as [`Fetcher::resolve`] returned it): JSON or
    /// YAML, or why they cannot be read.
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, String>;
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
    server: bool,
    rustfmt: bool,
    fetcher: Option<Arc<dyn Fetcher>>,
    derives: Vec<String>,
    replacements: Vec<(String, String)>,
    fill_defaults: bool,
    uuid: bool,
    chrono: bool,
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
    sources: Vec<(String, String)>,
    rustfmt: bool,
    warnings: Vec<String>,
}

impl Generated {
    /// What the caller asked for and did not get, one line each (the CLI prints them on
    /// standard error): for example a client asked of a document without operations.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The formatted Rust source: a header comment (generator version, schema files,
    /// the runtime versions the code needs), then the module.
    ///
    /// With rustfmt found (see [`Generator::rustfmt`]) this is rustfmt's output with
    /// default settings for edition 2024 (`rustfmt --check --edition 2024` passes), the
    /// same bytes on every machine; otherwise it is prettyplease's, which has the same
    /// tokens and differs only in layout.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether [`Generated::source`] was formatted by rustfmt (`false`: prettyplease only).
    pub fn formatted_by_rustfmt(&self) -> bool {
        self.rustfmt
    }

    /// How `current` (the text of a previously generated file) differs from this module,
    /// comparing tokens: whitespace, line breaks, comments, trailing commas and the
    /// spelling of literals and doc comments (`///` or `#[doc = ...]`) do not count, so a
    /// file reformatted by `cargo fmt` with any `rustfmt.toml` is still current. Doc
    /// comments count (they are attributes), and so does every other change.
    ///
    /// Empty when `current` is current; otherwise one line per difference (at most ten),
    /// naming the item and member, e.g. ``struct `Inputs`: field `a` is generated but not
    /// in the file``. This is what `arraymodel generate --check` runs.
    ///
    /// ```
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema_str("inputs.json", r#"{"title": "Inputs", "type": "object",
    ///         "properties": {"label": {"type": "string"}}, "required": ["label"]}"#)
    ///     .generate()
    ///     .unwrap();
    /// let squeezed = code.source().replace("\n    ", " ").replace("// @generated", "// was");
    /// assert!(code.differences(&squeezed).is_empty());
    /// let renamed = code.source().replace("pub label:", "pub name:");
    /// assert_eq!(
    ///     code.differences(&renamed),
    ///     ["struct `Inputs`: field `label` is generated but not in the file",
    ///      "struct `Inputs`: field `name` is in the file but not generated"]
    /// );
    /// ```
    pub fn differences(&self, current: &str) -> Vec<String> {
        compare::differences(&self.source, current)
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

    /// Each generated model, enum or alias with the schema it came from, `file#pointer`
    /// (the schema's name as given, then its JSON pointer: `api.json#/components/schemas/Pet`),
    /// in output order. For tools that map a schema location to its Rust type.
    ///
    /// ```
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema_str("s.json", r##"{"title": "T", "type": "object",
    ///         "properties": {"id": {"$ref": "#/$defs/Id"}}, "$defs": {"Id": {"type": "integer"}}}"##)
    ///     .generate()
    ///     .unwrap();
    /// let sources: Vec<(&str, &str)> = code.type_sources().collect();
    /// assert_eq!(sources, [("T", "s.json#"), ("Id", "s.json#/$defs/Id")]);
    /// ```
    pub fn type_sources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources.iter().map(|(n, s)| (n.as_str(), s.as_str()))
    }
}

impl Generator {
    /// A generator with no schemas yet.
    pub fn new() -> Generator {
        Generator {
            sources: Vec::new(),
            crate_path: "::arraymodel".into(),
            map_type: "::std::collections::BTreeMap".into(),
            fill_defaults: true,
            uuid: false,
            chrono: false,
            rerun_if_changed: false,
            client: false,
            async_client: false,
            server: false,
            rustfmt: true,
            fetcher: None,
            derives: Vec::new(),
            replacements: Vec::new(),
        }
    }

    /// Adds a schema file: JSON Schema or OpenAPI, as JSON or YAML (told by the content,
    /// not the extension; see [`Generator::schema_str`]).
    pub fn schema(mut self, path: impl AsRef<Path>) -> Generator {
        self.sources.push(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// Adds a schema given as text; `name` is used in errors and for the root type's
    /// name when it has no title. Relative `$ref`s to files are refused.
    ///
    /// The text is JSON when its first character that is not blank is `{` or `[`, YAML
    /// otherwise (YAML's scalar keys, like `200:` under `responses`, become strings).
    /// YAML aliases may expand a document to at most 4 × its size plus 64 Ki nodes and
    /// bytes of text ("billion laughs" documents are an error). A payload given where a
    /// schema belongs, or an object with no schema keyword, is an error saying so:
    ///
    /// ```
    /// use arraymodel_codegen::Generator;
    ///
    /// let yaml = "title: Point\ntype: object\nproperties:\n  x: {type: number}\n";
    /// let code = Generator::new().schema_str("point.yaml", yaml).generate().unwrap();
    /// assert!(code.source().contains("pub struct Point {"));
    ///
    /// let payload = r#"{"a": {"object_type": "array", "shape": [1], "dtype": "int8",
    ///                         "data": {"buffer": [1], "encoding": "json"}}}"#;
    /// let err = Generator::new().schema_str("request.json", payload).generate().unwrap_err();
    /// assert!(err.message().starts_with("this looks like a tesseract payload"));
    /// ```
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

    /// Adds a schema read from `url` by the caller (`bytes`: JSON or YAML). Relative
    /// `$ref`s in it are URLs, read only through [`Generator::remote_refs`].
    pub fn schema_url(mut self, url: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Generator {
        self.sources.push(Source::Url {
            url: url.into(),
            bytes: bytes.into(),
        });
        self
    }

    /// Follows `$ref`s to URLs (and relative ones in documents read from a URL) by
    /// asking `fetcher`. Without it (the default) they are errors: a schema cannot make
    /// the generator send requests to the hosts it names.
    pub fn remote_refs(mut self, fetcher: impl Fetcher + 'static) -> Generator {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// Adds a derive to every generated struct and enum (`"Hash"`, `"Eq"`,
    /// `"PartialOrd"`, `"::my_crate::MyDerive"`); derives the generator already writes
    /// are not repeated. The types must support it: `Eq` on a struct with an `f64` field
    /// does not compile.
    ///
    /// ```
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema_str("s.json", r#"{"title": "Kind", "enum": ["a", "b"]}"#)
    ///     .derive("PartialOrd")
    ///     .derive("Hash")
    ///     .generate()
    ///     .unwrap();
    /// assert!(code.source().contains("Hash,\n    PartialEq,\n    PartialOrd,\n"));
    /// ```
    pub fn derive(mut self, path: impl Into<String>) -> Generator {
        self.derives.push(path.into());
        self
    }

    /// Uses the Rust type at `path` for the generated type `name` (as typify's
    /// `--replace`): the module says `pub type {name} = {path};` instead of defining it,
    /// and every use of it follows. The schema extension `x-rust-type`
    /// (`{"x-rust-type": {"crate": "..", "version": "..", "path": "my_crate::Id"}}`) does
    /// the same from inside a schema.
    ///
    /// ```
    /// let schema = r##"{"title": "Event", "type": "object", "required": ["at"],
    ///   "properties": {"at": {"$ref": "#/$defs/Stamp"}},
    ///   "$defs": {"Stamp": {"type": "string"}}}"##;
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema_str("s.json", schema)
    ///     .replace("Stamp", "::std::time::SystemTime")
    ///     .generate()
    ///     .unwrap();
    /// assert!(code.source().contains("pub type Stamp = ::std::time::SystemTime;"));
    /// assert!(code.source().contains("pub at: Stamp,"));
    /// ```
    pub fn replace(mut self, name: impl Into<String>, path: impl Into<String>) -> Generator {
        self.replacements.push((name.into(), path.into()));
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

    /// Whether an optional field with a schema `default` reads an absent key as the
    /// default (`true`, the default: the field is `T` with `#[serde(default = ...)]`, as
    /// pydantic, typify and progenitor do, and the default is written back), or keeps it
    /// absent (`false`: `Option<T>`, `None` left out of the output, the default named in
    /// the field's docs), so a value read from a server that leaves defaults out is
    /// written back as it came. CLI: `--absent-defaults`.
    ///
    /// ```
    /// use arraymodel_codegen::Generator;
    /// let schema = r#"{"title": "Page", "type": "object", "properties": {"per_page": {"type": "integer", "default": 30}}}"#;
    /// let filled = Generator::new().schema_str("page.json", schema).generate().unwrap();
    /// assert!(filled.source().contains("pub per_page: i64,"));
    /// let kept = Generator::new().schema_str("page.json", schema).fill_defaults(false).generate().unwrap();
    /// assert!(kept.source().contains("pub per_page: Option<i64>,"));
    /// ```
    pub fn fill_defaults(mut self, yes: bool) -> Generator {
        self.fill_defaults = yes;
        self
    }

    /// `format: uuid` strings as `::uuid::Uuid` (the crate every Rust UUID user has;
    /// typify and progenitor map it the same way). The generated code then needs `uuid`
    /// with feature `serde` in your Cargo.toml, and with arraymodel's feature `schema`,
    /// schemars' feature `uuid1`. A malformed UUID is refused on decode. CLI: `--uuid`.
    ///
    /// ```
    /// use arraymodel_codegen::Generator;
    /// let schema = r#"{"title": "Job", "type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}, "required": ["id"]}"#;
    /// let code = Generator::new().schema_str("job.json", schema).uuid(true).generate().unwrap();
    /// assert!(code.source().contains("pub id: ::uuid::Uuid,"));
    /// ```
    pub fn uuid(mut self, yes: bool) -> Generator {
        self.uuid = yes;
        self
    }

    /// `format: date-time` strings as `::chrono::DateTime<::chrono::FixedOffset>` and
    /// `format: date` as `::chrono::NaiveDate`. chrono, because typify and progenitor
    /// map these formats to it, so their users' code takes these models as they are;
    /// `FixedOffset` rather than their `Utc`, so the offset a value was written with is
    /// the offset it is written back with (`Utc` turns `+02:00` into `Z`). What changes
    /// on the way back: chrono writes a zero offset as `Z` (`+00:00` in), and fractions
    /// of a second in groups of three digits (`.5` as `.500`). Needs `chrono` with
    /// feature `serde`, and with
    /// arraymodel's feature `schema`, schemars' feature `chrono04`. CLI: `--chrono`.
    ///
    /// ```
    /// use arraymodel_codegen::Generator;
    /// let schema = r#"{"title": "Run", "type": "object", "required": ["at", "on"], "properties": {
    ///     "at": {"type": "string", "format": "date-time"}, "on": {"type": "string", "format": "date"}}}"#;
    /// let code = Generator::new().schema_str("run.json", schema).chrono(true).generate().unwrap();
    /// assert!(code.source().contains("pub at: ::chrono::DateTime<::chrono::FixedOffset>,"));
    /// assert!(code.source().contains("pub on: ::chrono::NaiveDate,"));
    /// ```
    pub fn chrono(mut self, yes: bool) -> Generator {
        self.chrono = yes;
        self
    }

    /// Also generates a typed blocking client, `Client`, from each OpenAPI document's
    /// `paths` (OpenAPI 3.0 or 3.1, JSON or YAML): one method per operation, named from its
    /// `operationId` (FastAPI's generated ids shortened to the function's name where that
    /// stays unique), else from the method and path. A method takes the path, query,
    /// header and cookie parameters (typed; optional ones as `Option`), then the body by
    /// its media type (a model as JSON, arrays in their family's form; msgpack with
    /// msgpack-numpy arrays for `application/msgpack` or a model under
    /// `application/octet-stream`; raw bytes; text), and returns the success answer's type
    /// or an `arraymodel::client::ApiError` holding a generated enum of the declared error
    /// answers (FastAPI's 422 `HTTPValidationError`, declared 404 models), an undeclared
    /// status with its body, or the call's failure. Thin glue over
    /// `arraymodel::client::blocking::Client` (feature `client`).
    ///
    /// A tesseract API (one with `POST /apply`) keeps tesseract's protocol for its
    /// endpoints (`apply`, `jacobian`, `jacobian_vector_product`,
    /// `vector_jacobian_product`, `abstract_eval`, `health`: the `inputs` model, array
    /// encodings chosen per call through `CallOptions`), over
    /// `arraymodel::client::blocking::TesseractClient`. Operations that cannot be typed
    /// are listed in a `SKIPPED_OPERATIONS` constant instead.
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
    /// `arraymodel::client::nonblocking::Client` (a tesseract API's over
    /// `nonblocking::TesseractClient`; feature `client-async`).
    pub fn async_client(mut self, yes: bool) -> Generator {
        self.async_client = yes;
        self
    }

    /// Also generates, from a tesseract API's `openapi.json` (one with `POST /apply`), a
    /// trait `Tesseract` with one method per endpoint the document publishes (`apply`, and
    /// `jacobian`, `jacobian_vector_product`, `vector_jacobian_product`, `abstract_eval`
    /// when present) over the document's models, and `Server<T>`, which serves an
    /// implementation with `arraymodel::server` (feature `server`): a Python tesseract
    /// ported to Rust keeps its models, endpoints and `openapi.json` structure.
    ///
    /// ```
    /// let code = arraymodel_codegen::Generator::new()
    ///     .schema("../schemas/tesseract_vectoradd.openapi.json")
    ///     .server(true)
    ///     .generate()
    ///     .unwrap();
    /// assert!(code.source().contains("pub trait Tesseract: Send + Sync + 'static {"));
    /// assert!(code.source().contains("impl<T: Tesseract> ::arraymodel::server::Tesseract for Server<T> {"));
    /// ```
    pub fn server(mut self, yes: bool) -> Generator {
        self.server = yes;
        self
    }

    /// Formats the source with rustfmt when one runs (default `true`): `$RUSTFMT` when
    /// set (set and empty: never), else `rustfmt` on `PATH`. It runs with `--edition 2024`
    /// and an empty configuration file of its own, so no `rustfmt.toml` of the project,
    /// the user or the machine applies: rustfmt's default style for edition 2024 is
    /// stable, which makes the source the same bytes wherever rustfmt is installed.
    ///
    /// Without a rustfmt that runs (or with `false`), the source is prettyplease's text:
    /// the same tokens in a different layout, which `arraymodel generate --check` and
    /// [`Generated::differences`] accept. `import_schema!` turns this off (it uses the tokens).
    pub fn rustfmt(mut self, yes: bool) -> Generator {
        self.rustfmt = yes;
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
        let (defs, files, clients, warnings) = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("arraymodel-codegen".into())
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, || self.convert())
                .map(|h| h.join())
        })
        .map_err(|e| Error::new("", "", format!("cannot start the generator thread: {e}")))?
        .map_err(|_| Error::new("", "", "internal: the generator thread panicked"))??;
        self.emit(defs, files, clients, warnings)
    }

    /// Load, bundle and convert to the type space.
    fn convert(&self) -> Result<Converted> {
        let mut docs = load::Docs::default();
        docs.fetcher = self.fetcher.clone();
        let mut roots = Vec::new();
        for s in &self.sources {
            roots.push(match s {
                Source::File(p) => docs.load_file(p, p, None)?,
                Source::Text {
                    name,
                    text,
                    base_dir,
                } => docs.add_source(name, text, base_dir.clone())?,
                Source::Url { url, bytes } => docs.add_url(url, bytes, None)?,
            });
        }
        if roots.is_empty() {
            return Err(Error::new("", "", "no schema given"));
        }
        let mut conv = convert::Converter::new(&mut docs);
        conv.fill_defaults = self.fill_defaults;
        conv.uuid = self.uuid;
        conv.chrono = self.chrono;
        for &r in &roots {
            conv.add_roots(r)?;
        }
        for &r in &roots {
            conv.add_operation_types(r)?;
        }
        let mut clients = Vec::new();
        let mut warnings = Vec::new();
        if self.client || self.async_client || self.server {
            let wanted = client::Wanted {
                blocking: self.client,
                nonblocking: self.async_client,
                server: self.server,
            };
            for &r in &roots {
                match client::analyze(&mut conv, r, wanted)? {
                    Some(c) => {
                        if self.server
                            && let Some(why) = server::unservable(&c)
                        {
                            warnings.push(format!("{}: {why}", c.source));
                        }
                        clients.push(c)
                    }
                    None => warnings.push(format!(
                        "{}: no client generated: the document is no OpenAPI document with \
                         `paths` (operations)",
                        conv.docs.doc(r).path.display()
                    )),
                }
            }
            client::name_constants(&mut clients);
        }
        conv.fill_checks()?;
        warnings.append(&mut conv.docs.warnings);
        warnings.append(&mut conv.warnings);
        let defs = std::mem::take(&mut conv.defs);
        Ok((defs, docs.files(), clients, warnings))
    }

    /// Fix up, emit tokens, format.
    fn emit(
        &self,
        mut defs: Vec<Def>,
        files: Vec<PathBuf>,
        clients: Vec<client::ClientSpec>,
        warnings: Vec<String>,
    ) -> Result<Generated> {
        let krate = parse_path(&self.crate_path, "crate_path")?;
        let map = parse_path(&self.map_type, "map_type")?;
        let derives = self
            .derives
            .iter()
            .map(|d| parse_path(d, "derive"))
            .collect::<Result<Vec<_>>>()?;
        for (name, path) in &self.replacements {
            plain_type_path(path).map_err(|e| {
                Error::new(
                    "",
                    "",
                    format!("replace {path:?} is not a Rust type path: {e}"),
                )
            })?;
            let Some(def) = defs.iter_mut().find(|d| d.name == *name) else {
                return Err(Error::new(
                    "",
                    "",
                    format!("replace: no generated type is called {name:?}"),
                ));
            };
            def.kind = Kind::External(path.clone(), Vec::new());
        }
        let paths = emit::Paths {
            krate,
            map,
            derives,
        };
        fixup(&mut defs, &paths);

        let emitter = emit::Emitter {
            defs: &defs,
            paths: &paths,
        };
        let mut default_fns = Vec::new();
        let body = emitter.defs(&mut default_fns);
        let clients_tokens: TokenStream = clients
            .iter()
            .map(|c| {
                let mut t = client::emit(c, &emitter, &defs);
                t.extend(server::emit(c, &emitter));
                t
            })
            .collect();
        let defaults = (!default_fns.is_empty()).then(|| {
            quote! {
                /// Default values of the generated fields (`#[serde(default = "...")]`).
                pub mod defaults {
                    #(#default_fns)*
                }
            }
        });
        let fields = || {
            defs.iter().flat_map(|d| match &d.kind {
                Kind::Struct(s) => s.fields.as_slice(),
                _ => &[],
            })
        };
        let k = &paths.krate;
        let required_fn = fields().any(|f| f.required_nullable).then(|| {
            quote! {
                /// `deserialize_with` for a field the schema requires and allows `null` in:
                /// a missing key is an error, where a plain `Option` field reads it as `None`.
                pub fn required<'de, D, T>(deserializer: D) -> ::std::result::Result<Option<T>, D::Error>
                where
                    D: #k::serde::Deserializer<'de>,
                    T: #k::serde::Deserialize<'de>,
                {
                    <Option<T> as #k::serde::Deserialize<'de>>::deserialize(deserializer)
                }
            }
        });
        let optional_fn = fields().any(|f| f.optional_nullable).then(|| {
            quote! {
                /// `deserialize_with` (with `default`) for an optional field whose value may
                /// be null: an `Option<Option<T>>` (absent `None`, null `Some(None)`) or an
                /// `Option<serde_json::Value>` (null `Some(Value::Null)`); written back,
                /// `None` is left out and null stays null.
                pub fn present<'de, D, T>(deserializer: D) -> ::std::result::Result<Option<T>, D::Error>
                where
                    D: #k::serde::Deserializer<'de>,
                    T: #k::serde::Deserialize<'de>,
                {
                    <T as #k::serde::Deserialize<'de>>::deserialize(deserializer).map(Some)
                }
            }
        });
        let required = (required_fn.is_some() || optional_fn.is_some()).then(|| {
            quote! {
                /// How the generated fields that allow `null` are read.
                pub mod nullable {
                    #required_fn
                    #optional_fn
                }
            }
        });
        let tokens = quote!(#body #clients_tokens #defaults #required);
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
                Source::Url { url, .. } => url.clone(),
            })
            .collect();
        shown.dedup();
        let pretty = format!("{}\n{}", header(&shown), prettyplease::unparse(&file));
        let formatted = if self.rustfmt {
            emit::rustfmt(&pretty).filter(|f| compare::differences(&pretty, f).is_empty())
        } else {
            None
        };
        let rustfmt = formatted.is_some();
        let source = formatted.unwrap_or(pretty);
        if self.rerun_if_changed {
            for f in &files {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        let sources = defs
            .iter()
            .map(|d| (d.name.clone(), d.source.clone()))
            .collect();
        let mut types: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
        for c in &clients {
            types.extend(c.blocking.iter().chain(&c.nonblocking).cloned());
            types.extend(c.server.iter().flat_map(|(t, s)| [t.clone(), s.clone()]));
        }
        Ok(Generated {
            tokens,
            source,
            files,
            types,
            sources,
            rustfmt,
            warnings,
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

/// The comment the source starts with: generator version, schema files, the runtime
/// versions the code needs (semver-compatible with the generator's own version: the
/// crates are released together, and the code names only documented runtime items).
fn header(schemas: &[String]) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let major: u64 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0);
    let minor: u64 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0);
    let below = if major == 0 {
        format!("0.{}.0", minor + 1)
    } else {
        format!("{}.0.0", major + 1)
    };
    format!(
        "// @generated by arraymodel-codegen {version} from {}. Do not edit.\n\
         // Needs the arraymodel runtime >={version}, <{below} with feature `schema` (its documented public items only).\n\
         // `arraymodel generate --check` compares tokens: reformatting this file keeps it current.\n",
        schemas.join(", ")
    )
}

/// What conversion produces: the type space, the files read, the clients' specs.
type Converted = (Vec<Def>, Vec<PathBuf>, Vec<client::ClientSpec>, Vec<String>);

/// The generator thread's stack: room for [`convert`]'s depth limit in debug builds.
const STACK_SIZE: usize = 256 * 1024 * 1024;

/// `text` as a type path that names a type and does nothing else: plain segments whose
/// generic arguments are such paths again (or lifetimes). A path from a schema
/// (`x-rust-type`) is pasted into the generated code, so no const blocks, array lengths,
/// `impl`/`dyn` bounds or macros.
pub(crate) fn plain_type_path(text: &str) -> std::result::Result<syn::Path, String> {
    fn check_path(p: &syn::Path, depth: usize) -> bool {
        depth < 16
            && p.segments.iter().all(|seg| match &seg.arguments {
                syn::PathArguments::None => true,
                syn::PathArguments::AngleBracketed(a) => a.args.iter().all(|arg| match arg {
                    syn::GenericArgument::Lifetime(_) => true,
                    syn::GenericArgument::Type(t) => check_type(t, depth + 1),
                    _ => false,
                }),
                syn::PathArguments::Parenthesized(_) => false,
            })
    }
    fn check_type(t: &syn::Type, depth: usize) -> bool {
        match t {
            syn::Type::Path(tp) => tp.qself.is_none() && check_path(&tp.path, depth),
            syn::Type::Reference(r) => r.mutability.is_none() && check_type(&r.elem, depth + 1),
            syn::Type::Tuple(t) => t.elems.iter().all(|e| check_type(e, depth + 1)),
            _ => false,
        }
    }
    let p: syn::Path = syn::parse_str(text).map_err(|e| e.to_string())?;
    if check_path(&p, 0) {
        Ok(p)
    } else {
        Err("only type paths, with generic arguments that are type paths or lifetimes".into())
    }
}

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
        if let Kind::Alias(t) = &defs[id].kind
            && alias_reaches(defs, t, id, &mut vec![false; defs.len()])
        {
            let t = t.clone();
            defs[id].kind = Kind::Newtype(t);
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
                    if let Some(v) = &f.default
                        && emitter.default_expr(&f.ty, v).is_none()
                    {
                        changes.push((id, i));
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
        Kind::StringEnum(_) | Kind::Pending | Kind::External(..) => {}
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

/// `--check`: a file and the generated module compared as tokens.
mod compare {
    use proc_macro2::{Delimiter, TokenStream, TokenTree};
    use quote::ToTokens;
    use syn::{Fields, ImplItem, Item};

    /// At most this many differences are listed.
    const MAX: usize = 10;

    /// One token as compared: no spans, no spacing, string literals by value.
    #[derive(PartialEq, Eq)]
    enum Tok {
        Open(Delimiter),
        Close(Delimiter),
        Ident(String),
        Punct(char),
        Str(String),
        Lit(String),
    }

    fn normalize(tokens: TokenStream) -> Vec<Tok> {
        let mut all = Vec::new();
        push(tokens, &mut all);
        // Trailing commas (rustfmt adds or drops them with the layout): before a closing
        // delimiter or a generic argument list's `>` (never valid Rust otherwise), and
        // after a `}` (a match arm's block; `match_block_trailing_comma`).
        let mut out: Vec<Tok> = Vec::with_capacity(all.len());
        for t in all {
            if matches!(t, Tok::Close(_) | Tok::Punct('>')) && out.last() == Some(&Tok::Punct(','))
            {
                out.pop();
            }
            if t == Tok::Punct(',') && out.last() == Some(&Tok::Close(Delimiter::Brace)) {
                continue;
            }
            out.push(t);
        }
        out
    }

    fn push(tokens: TokenStream, out: &mut Vec<Tok>) {
        for tree in tokens {
            match tree {
                TokenTree::Group(g) => {
                    let d = g.delimiter();
                    let visible = d != Delimiter::None;
                    if visible {
                        out.push(Tok::Open(d));
                    }
                    push(g.stream(), out);
                    if visible {
                        out.push(Tok::Close(d));
                    }
                }
                TokenTree::Punct(p) => out.push(Tok::Punct(p.as_char())),
                TokenTree::Ident(id) => out.push(Tok::Ident(id.to_string())),
                TokenTree::Literal(l) => out.push(match syn::Lit::new(l) {
                    syn::Lit::Str(s) => Tok::Str(s.value()),
                    other => Tok::Lit(other.to_token_stream().to_string()),
                }),
            }
        }
    }

    /// An item or member: what it is called, its tokens, its attributes, its members.
    struct Node {
        label: String,
        tokens: Vec<Tok>,
        attrs: Vec<Tok>,
        children: Vec<Node>,
    }

    fn attrs_of(attrs: &[syn::Attribute]) -> Vec<Tok> {
        normalize(attrs.iter().map(ToTokens::to_token_stream).collect())
    }

    fn leaf(label: String, tokens: TokenStream, attrs: &[syn::Attribute]) -> Node {
        Node {
            label,
            tokens: normalize(tokens),
            attrs: attrs_of(attrs),
            children: Vec::new(),
        }
    }

    fn text(t: &impl ToTokens) -> String {
        t.to_token_stream().to_string().replace(' ', "")
    }

    fn fields(f: &Fields) -> Vec<Node> {
        f.iter()
            .enumerate()
            .map(|(i, f)| {
                let label = match &f.ident {
                    Some(id) => format!("field `{id}`"),
                    None => format!("field {i}"),
                };
                leaf(label, f.to_token_stream(), &f.attrs)
            })
            .collect()
    }

    fn item(it: &Item) -> Node {
        let (label, attrs, children): (String, &[syn::Attribute], Vec<Node>) = match it {
            Item::Struct(s) => (format!("struct `{}`", s.ident), &s.attrs, fields(&s.fields)),
            Item::Enum(e) => {
                let vs = e.variants.iter().map(|v| {
                    leaf(
                        format!("variant `{}`", v.ident),
                        v.to_token_stream(),
                        &v.attrs,
                    )
                });
                (format!("enum `{}`", e.ident), &e.attrs, vs.collect())
            }
            Item::Type(t) => (format!("type `{}`", t.ident), &t.attrs, Vec::new()),
            Item::Fn(f) => (format!("fn `{}`", f.sig.ident), &f.attrs, Vec::new()),
            Item::Const(c) => (format!("const `{}`", c.ident), &c.attrs, Vec::new()),
            Item::Static(s) => (format!("static `{}`", s.ident), &s.attrs, Vec::new()),
            Item::Mod(m) => {
                let items = m.content.as_ref().map_or(&[][..], |(_, items)| items);
                (
                    format!("mod `{}`", m.ident),
                    &m.attrs,
                    items.iter().map(item).collect(),
                )
            }
            Item::Impl(i) => {
                let label = match &i.trait_ {
                    Some((t, _)) => format!("impl `{}` for `{}`", text(t), text(&i.self_ty)),
                    None => format!("impl `{}`", text(&i.self_ty)),
                };
                let members = i.items.iter().map(|m| match m {
                    ImplItem::Fn(f) => leaf(
                        format!("fn `{}`", f.sig.ident),
                        f.to_token_stream(),
                        &f.attrs,
                    ),
                    other => leaf("an item".into(), other.to_token_stream(), &[]),
                });
                (label, &i.attrs, members.collect())
            }
            Item::Use(u) => (format!("use `{}`", text(&u.tree)), &u.attrs, Vec::new()),
            Item::Trait(t) => (format!("trait `{}`", t.ident), &t.attrs, Vec::new()),
            other => (format!("item `{}`", text(other)), &[], Vec::new()),
        };
        Node {
            label,
            tokens: normalize(it.to_token_stream()),
            attrs: attrs_of(attrs),
            children,
        }
    }

    /// `label` and, for a repeated label, which occurrence.
    fn keys(nodes: &[Node]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for n in nodes {
            let k = out.iter().filter(|(l, _)| *l == n.label).count();
            out.push((n.label.clone(), k));
        }
        out
    }

    fn shown(key: &(String, usize)) -> String {
        match key.1 {
            0 => key.0.clone(),
            k => format!("{} (#{})", key.0, k + 1),
        }
    }

    fn compare(path: &str, generated: &[Node], file: &[Node], out: &mut Vec<String>) {
        let (gk, fk) = (keys(generated), keys(file));
        let before = out.len();
        for (g, k) in generated.iter().zip(&gk) {
            let Some(f) = fk.iter().position(|x| x == k).map(|i| &file[i]) else {
                out.push(format!(
                    "{path}{} is generated but not in the file",
                    shown(k)
                ));
                continue;
            };
            if g.tokens == f.tokens {
                continue;
            }
            let inner = format!("{path}{}", shown(k));
            let start = out.len();
            if g.attrs != f.attrs {
                out.push(format!("{inner}: its attributes or doc comments differ"));
            }
            compare(&format!("{inner}: "), &g.children, &f.children, out);
            if out.len() == start {
                out.push(format!("{inner} differs"));
            }
        }
        for k in &fk {
            if !gk.contains(k) {
                out.push(format!(
                    "{path}{} is in the file but not generated",
                    shown(k)
                ));
            }
        }
        let same = generated.len() == file.len()
            && generated
                .iter()
                .zip(file)
                .all(|(g, f)| g.tokens == f.tokens);
        if out.len() == before && !same {
            let what = if path.is_empty() { "the file: " } else { path };
            out.push(format!("{what}the same items in a different order"));
        }
    }

    /// See [`crate::Generated::differences`].
    pub(crate) fn differences(generated: &str, current: &str) -> Vec<String> {
        let generated = match syn::parse_file(generated) {
            Ok(f) => f,
            Err(e) => {
                return vec![format!(
                    "internal: the generated module does not parse: {e}"
                )];
            }
        };
        let current = match syn::parse_file(current) {
            Ok(f) => f,
            Err(e) => return vec![format!("the file does not parse as Rust: {e}")],
        };
        if normalize(generated.to_token_stream()) == normalize(current.to_token_stream()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if attrs_of(&generated.attrs) != attrs_of(&current.attrs) {
            out.push("the file's inner attributes (`#![...]`) differ".to_owned());
        }
        let g: Vec<Node> = generated.items.iter().map(item).collect();
        let f: Vec<Node> = current.items.iter().map(item).collect();
        compare("", &g, &f, &mut out);
        if out.is_empty() {
            out.push("the tokens differ".to_owned());
        }
        if out.len() > MAX {
            let more = out.len() - MAX;
            out.truncate(MAX);
            out.push(format!("... and {more} more"));
        }
        out
    }
}
