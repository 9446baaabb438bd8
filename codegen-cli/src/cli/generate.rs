//! `arraymodel generate`: Rust models from JSON Schema / OpenAPI documents.

use std::path::PathBuf;

use arraymodel_codegen::Generator;
use clap::Args;

use super::CliError;

/// Arguments of `arraymodel generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Schema files (JSON Schema 2020-12 / draft-07, OpenAPI 3.0 / 3.1); their types
    /// go into one module.
    #[arg(required = true, value_name = "SCHEMA")]
    pub schemas: Vec<PathBuf>,
    /// Write the module here instead of standard output.
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
    /// (one method per tesseract endpoint; needs arraymodel's feature `client`).
    #[arg(long)]
    pub client: bool,
    /// Also generate a typed `AsyncClient` (needs arraymodel's feature `client-async`).
    #[arg(long = "async")]
    pub async_client: bool,
}

/// Generates, writes or checks the module.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    let mut generator = Generator::new()
        .crate_path(args.crate_path.clone())
        .client(args.client)
        .async_client(args.async_client);
    for s in &args.schemas {
        generator = generator.schema(s);
    }
    if let Some(m) = &args.map_type {
        generator = generator.map_type(m.clone());
    }
    let generated = generator
        .generate()
        .map_err(|e| CliError::new(e.to_string()))?;
    let source = generated.source();
    match (&args.output, args.check) {
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
                if let Some(m) = &args.map_type {
                    command.push(format!("--map-type {m}"));
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
