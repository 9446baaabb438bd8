//! The command line: argument parsing, the shared input/format helpers, and errors.
//!
//! Each subcommand lives in its own module: [`convert`], [`inspect`] and
//! [`generate`] (the schema code generator).

pub mod convert;
pub mod generate;
pub mod input;
pub mod inspect;
pub mod progress;
pub mod text;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// `arraymodel`: array payloads of tesseract-core and truss from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "arraymodel",
    version,
    about = "Inspect and convert tesseract-core / truss array payloads (JSON, base64, binref, msgpack)",
    long_about = None
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a payload between array formats; everything that is not an array passes through.
    Convert(convert::ConvertArgs),
    /// List every array (dtype, shape, size, encoding, statistics) and bytes field of a payload.
    Inspect(inspect::InspectArgs),
    /// Generate Rust models from JSON Schema / OpenAPI documents (`--check` for CI drift).
    Generate(generate::GenerateArgs),
}

/// A wire format, for `--to` and `--from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// tesseract, arrays as nested JSON lists (`application/json`).
    #[value(name = "json")]
    Json,
    /// tesseract, base64 buffers (`application/json+base64`).
    #[value(name = "json+base64")]
    JsonBase64,
    /// tesseract, buffers in `.bin` side files (`application/json+binref`).
    #[value(name = "json+binref")]
    JsonBinref,
    /// truss `NumpyArrayField` JSON (`{"data_b64","shape","dtype"}`).
    #[value(name = "truss-json")]
    TrussJson,
    /// truss binary mode: msgpack with msgpack-numpy array maps.
    #[value(name = "msgpack")]
    Msgpack,
}

impl Format {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonBase64 => "json+base64",
            Format::JsonBinref => "json+binref",
            Format::TrussJson => "truss-json",
            Format::Msgpack => "msgpack",
        }
    }

    /// The syntax of the format.
    pub fn syntax(self) -> input::Syntax {
        match self {
            Format::Msgpack => input::Syntax::Msgpack,
            _ => input::Syntax::Json,
        }
    }
}

/// A failure: one line for stderr and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The process exit code (1 for bad input or I/O, 2 for usage).
    pub code: u8,
    /// The message, without the `error: ` prefix.
    pub message: String,
}

impl CliError {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
        }
    }

    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// An error of the runtime: `<payload path>: <problem>`, or `<what>: <problem>`
    /// when the problem is with the payload as a whole (malformed JSON or msgpack).
    pub fn payload(what: &str, e: &arraymodel::Error) -> CliError {
        if e.path().is_root() {
            return CliError::new(format!("{what}: {e}"));
        }
        if matches!(e.kind(), arraymodel::ErrorKind::Syntax { .. }) {
            // About the input as a whole; the path only says where (and can be long).
            let path = e.path().to_string();
            let path = match path.char_indices().nth_back(79) {
                Some((i, _)) if i > 0 => format!("...{}", &path[i..]),
                _ => path,
            };
            return CliError::new(format!("{what}: {} (at {path})", e.kind()));
        }
        CliError::new(e.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always exactly one line, and nothing a terminal would act on: the message
        // can quote the payload (keys, references, values), and the payload can hold
        // escape sequences, so every control character is shown escaped.
        f.write_str(&text::escape(self.message.trim_end()))
    }
}

/// Parses the arguments, runs the subcommand, reports a failure as one `error:` line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(args) => convert::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Generate(args) => generate::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code)
        }
    }
}
