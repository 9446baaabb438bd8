//! `arraymodel generate`: Rust models from JSON Schema / OpenAPI documents.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use arraymodel_codegen::{Fetcher, Generator};
use clap::Args;

use super::CliError;

/// Arguments of `arraymodel generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Schema documents (JSON Schema 2020-12 / draft-07, OpenAPI 3.0 / 3.1), as JSON or
    /// YAML (told by the content): files, `-` for standard input, or `http(s)://` URLs
    /// (a live service's `/openapi.json`; `--timeout`, 64 MiB at most). Their types go
    /// into one module.
    #[arg(required = true, value_name = "SCHEMA")]
    pub schemas: Vec<PathBuf>,
    /// Write the module to FILE instead of standard output (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write nothing; fail (exit 1), naming the items that differ, when FILE does not
    /// hold what would be generated. Compares tokens: a FILE reformatted by `cargo fmt`
    /// (any rustfmt.toml) or with other comments is current; any other edit is not.
    #[arg(long, requires = "output")]
    pub check: bool,
    /// Map type for `additionalProperties` maps without arrays
    /// (e.g. `::indexmap::IndexMap` to keep the wire order).
    #[arg(long, value_name = "PATH")]
    pub map_type: Option<String>,
    /// Path of the runtime crate in the generated code.
    #[arg(long, value_name = "PATH", default_value = "::arraymodel")]
    pub crate_path: String,
    /// Also generate a typed blocking `Client` from each OpenAPI document's `paths`
    /// (one method per operation: typed parameters, bodies and answers; tesseract APIs keep
    /// tesseract's protocol for their endpoints; needs arraymodel's feature `client`).
    #[arg(long)]
    pub client: bool,
    /// Also generate a typed `AsyncClient` (needs arraymodel's feature `client-async`).
    #[arg(long = "async")]
    pub async_client: bool,
    /// Also generate, from a tesseract API's `openapi.json`, a `Tesseract` trait with one
    /// method per endpoint it publishes and `Server<T>`, which serves an implementation
    /// with tesseract's protocol (needs arraymodel's feature `server`): port a Python
    /// tesseract to Rust with its exact models.
    #[arg(long)]
    pub server: bool,
    /// Follow `$ref`s to `http(s)://` URLs, and relative ones in a document read from a
    /// URL, with the same timeout and size limit. Off by default: a schema does not
    /// make this command send requests to the hosts it names.
    #[arg(long)]
    pub remote_refs: bool,
    /// Also derive these on every generated struct and enum (comma-separated, may be
    /// repeated): `--derive Hash,Eq`, `--derive PartialOrd`.
    #[arg(long, value_name = "DERIVES", value_delimiter = ',')]
    pub derive: Vec<String>,
    /// Use an existing Rust type instead of generating one: `--replace Stamp=::chrono::DateTime<::chrono::Utc>`
    /// (may be repeated; the schema extension `x-rust-type` does the same).
    #[arg(long, value_name = "NAME=PATH", value_parser = parse_replacement)]
    pub replace: Vec<(String, String)>,
    /// Keep optional fields with a schema `default` absent when they are absent
    /// (`Option<T>`, left out of the output) instead of reading them as the default and
    /// writing it back (pydantic's, typify's and progenitor's way, and the default).
    #[arg(long)]
    pub absent_defaults: bool,
    /// `format: uuid` strings as `::uuid::Uuid` (your crate then needs `uuid` with
    /// feature `serde`).
    #[arg(long)]
    pub uuid: bool,
    /// `format: date-time` as `::chrono::DateTime<::chrono::FixedOffset>` and `format:
    /// date` as `::chrono::NaiveDate` (your crate then needs `chrono` with feature
    /// `serde`).
    #[arg(long)]
    pub chrono: bool,
    /// Seconds one document read from a URL may take, redirects included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// The most a schema document read from a URL or standard input may hold.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// Reads schema documents over HTTP(S) for the command line: a timeout, a size limit,
/// at most 5 redirects, `http` and `https` only.
struct HttpFetcher {
    agent: ureq::Agent,
    timeout: Duration,
}

impl HttpFetcher {
    fn new(timeout: Duration) -> HttpFetcher {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(5)
            .build()
            .into();
        HttpFetcher { agent, timeout }
    }

    fn get(&self, url: &url::Url) -> Result<Vec<u8>, String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{url}: only http and https URLs are read"));
        }
        if cfg!(not(feature = "https")) && url.scheme() == "https" {
            return Err(format!(
                "{url}: this arraymodel was built without the feature `https`"
            ));
        }
        let mut response = self.agent.get(url.as_str()).call().map_err(|e| match e {
            ureq::Error::Timeout(_) => {
                format!(
                    "{url}: no complete answer within {}s",
                    self.timeout.as_secs()
                )
            }
            e => format!("{url}: {e}"),
        })?;
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_DOCUMENT_BYTES)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    format!("{url}: the document is larger than {MAX_DOCUMENT_BYTES} bytes")
                }
                e => format!("{url}: {e}"),
            })?;
        Ok(body)
    }
}

impl Fetcher for HttpFetcher {
    fn resolve(&self, base: Option<&str>, reference: &str) -> Result<String, String> {
        let url = match base {
            Some(base) => url::Url::parse(base).and_then(|b| b.join(reference)),
            None => url::Url::parse(reference),
        }
        .map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{url}: only http and https URLs are read"));
        }
        Ok(url.into())
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        self.get(&url)
    }
}

fn parse_replacement(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.trim().is_empty() && !path.trim().is_empty() => {
            Ok((name.trim().to_owned(), path.trim().to_owned()))
        }
        _ => Err(format!("expected NAME=PATH, got {s:?}")),
    }
}

fn is_url(s: &std::path::Path) -> bool {
    s.to_str().is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s.starts_with("http://") || s.starts_with("https://")
    })
}

/// Generates, writes or checks the module.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let mut generator = Generator::new()
        .crate_path(args.crate_path.clone())
        .client(args.client)
        .async_client(args.async_client)
        .server(args.server);
    let timeout = Duration::from_secs(args.timeout);
    if args.remote_refs {
        generator = generator.remote_refs(HttpFetcher::new(timeout));
    }
    let mut stdin_read = false;
    for s in &args.schemas {
        if s.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_read, true) {
                return Err(CliError::new("`-` (standard input) given twice"));
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_DOCUMENT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::new(format!("reading standard input: {e}")))?;
            if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
                return Err(CliError::new(format!(
                    "standard input: the document is larger than {MAX_DOCUMENT_BYTES} bytes"
                )));
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::new("standard input: the document is not UTF-8"))?;
            // Relative `$ref`s from standard input resolve against the current folder.
            generator = generator.schema_str_in("<stdin>", text, ".");
        } else if is_url(s) {
            let shown = s.display().to_string();
            let url = url::Url::parse(&shown)
                .map_err(|e| CliError::new(format!("{shown}: not a URL: {e}")))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(CliError::new(
                    "a schema URL with a user or password would be written into the \
                     generated file (its header and doc comments); download the schema and \
                     give the file",
                ));
            }
            let body = HttpFetcher::new(timeout).get(&url).map_err(CliError::new)?;
            generator = generator.schema_url(url, body);
        } else {
            generator = generator.schema(s);
        }
    }
    if let Some(m) = &args.map_type {
        generator = generator.map_type(m.clone());
    }
    for d in &args.derive {
        generator = generator.derive(d.trim());
    }
    for (name, path) in &args.replace {
        generator = generator.replace(name, path);
    }
    generator = generator
        .fill_defaults(!args.absent_defaults)
        .uuid(args.uuid)
        .chrono(args.chrono);
    let generated = generator
        .generate()
        .map_err(|e| CliError::new(e.to_string()))?;
    for w in generated.warnings() {
        eprintln!("arraymodel: warning: {}", super::text::escape(w));
    }
    let source = generated.source();
    let output = args.output.as_ref().filter(|o| o.as_os_str() != "-");
    if args.check && output.is_none() {
        return Err(CliError::new(
            "--check compares with a file: give -o FILE, not -o -",
        ));
    }
    match (output, args.check) {
        (None, _) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(source.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError::new(format!("writing standard output: {e}")))
        }
        (Some(file), true) => {
            let differences = match std::fs::read(file) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => generated.differences(&text),
                    Err(_) => vec!["the file is not UTF-8".to_owned()],
                },
                Err(e) => vec![format!("cannot read it: {e}")],
            };
            if differences.is_empty() {
                Ok(())
            } else {
                let mut command: Vec<String> = args
                    .schemas
                    .iter()
                    .map(|s| s.display().to_string())
                    .collect();
                if args.client {
                    command.push("--client".into());
                }
                if args.async_client {
                    command.push("--async".into());
                }
                if args.server {
                    command.push("--server".into());
                }
                if let Some(m) = &args.map_type {
                    command.push(format!("--map-type {m}"));
                }
                if args.remote_refs {
                    command.push("--remote-refs".into());
                }
                if args.absent_defaults {
                    command.push("--absent-defaults".into());
                }
                if args.uuid {
                    command.push("--uuid".into());
                }
                if args.chrono {
                    command.push("--chrono".into());
                }
                if args.timeout != 30 {
                    command.push(format!("--timeout {}", args.timeout));
                }
                if !args.derive.is_empty() {
                    command.push(format!("--derive {}", args.derive.join(",")));
                }
                for (name, path) in &args.replace {
                    command.push(format!("--replace '{name}={path}'"));
                }
                if args.crate_path != "::arraymodel" {
                    command.push(format!("--crate-path {}", args.crate_path));
                }
                // One line (CliError escapes control characters): what differs, then the fix.
                Err(CliError::new(format!(
                    "{} is stale (formatting and comments aside): {}; regenerate it with \
                     `arraymodel generate {} -o {}`",
                    file.display(),
                    differences.join("; "),
                    command.join(" "),
                    file.display()
                )))
            }
        }
        (Some(file), false) => {
            let current = std::fs::read(file).ok();
            if current.as_deref() == Some(source.as_bytes()) {
                return Ok(());
            }
            std::fs::write(file, source)
                .map_err(|e| CliError::new(format!("{}: cannot write: {e}", file.display())))
        }
    }
}
