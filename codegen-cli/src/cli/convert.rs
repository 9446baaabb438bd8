//! `arraymodel convert`: transcode a payload, every array object in it re-encoded in
//! the target format, everything else passed through in order.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use arraymodel::{EncodeOptions, Encoding};
use clap::Args;

use super::progress::Stage;
use super::{CliError, Format, input};

/// Arguments of `arraymodel convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The payload to read, or `-` for standard input.
    #[arg(default_value = "-", value_name = "INPUT")]
    pub input: String,
    /// The format to write.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Format,
    /// The input format (default: detected: msgpack or JSON by the first byte, each array by its keys).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,
    /// Compress array buffers with LZ4 (json+base64 and json+binref only).
    #[arg(long)]
    pub lz4: bool,
    /// Folder binref buffers of the input are read from, and confined to (default: the input's folder).
    #[arg(long, value_name = "DIR")]
    pub binref_in: Option<PathBuf>,
    /// Folder the `.bin` files of json+binref output are written to (required for json+binref).
    #[arg(long, value_name = "DIR")]
    pub binref_out: Option<PathBuf>,
    /// Where to write, or `-` for standard output.
    #[arg(short = 'o', long, default_value = "-", value_name = "OUTPUT")]
    pub output: String,
}

/// The encode options for a JSON target, after checking the flags that go with it.
fn encode_options(args: &ConvertArgs) -> Result<Option<EncodeOptions>, CliError> {
    if args.lz4 && !matches!(args.to, Format::JsonBase64 | Format::JsonBinref) {
        return Err(CliError::usage(format!(
            "--lz4 applies to json+base64 and json+binref only, not {}",
            args.to.name()
        )));
    }
    if args.binref_out.is_some() && args.to != Format::JsonBinref {
        return Err(CliError::usage(format!(
            "--binref-out is only used with --to json+binref, not {}",
            args.to.name()
        )));
    }
    let opts = match args.to {
        Format::Json => EncodeOptions::tesseract(Encoding::Json),
        Format::JsonBase64 => EncodeOptions::tesseract(Encoding::Base64),
        Format::JsonBinref => {
            let dir = args.binref_out.as_ref().ok_or_else(|| {
                CliError::usage("--to json+binref needs --binref-out DIR for the .bin files")
            })?;
            EncodeOptions::tesseract(Encoding::Binref).binref_dir(dir)
        }
        Format::TrussJson => EncodeOptions::truss(),
        Format::Msgpack => return Ok(None),
    };
    Ok(Some(if args.lz4 { opts.lz4() } else { opts }))
}

/// Runs the conversion.
pub fn run(args: &ConvertArgs) -> Result<(), CliError> {
    let opts = encode_options(args)?;
    let binary_to_terminal = args.to == Format::Msgpack && args.output == "-";
    if binary_to_terminal && io::stdout().is_terminal() {
        return Err(CliError::usage(
            "refusing to write msgpack to a terminal; use -o FILE or a pipe",
        ));
    }
    let input = input::read(&args.input)?;
    let (doc, _) = input::decode(&input, args.from, args.binref_in.as_deref())?;
    let (name, show_progress) = (input.name.clone(), input.show_progress);
    // The document owns its arrays: the input can go before the output is written,
    // and the output streams to its destination rather than being built whole.
    drop(input);
    let _stage = Stage::start("encoding", show_progress);
    let encode = |w: &mut dyn Write| match &opts {
        Some(o) => arraymodel::to_json_writer(&doc, o, w),
        None => arraymodel::to_msgpack_writer(&doc, BufWriter::with_capacity(1 << 16, w)),
    };
    write_output(&args.output, encode, opts.is_some(), &name)
}

/// Streams the output to a file (through a temporary sibling renamed into place on
/// success, so a failed conversion leaves an existing file untouched) or to stdout
/// (with a final newline for a person at a terminal).
fn write_output(
    output: &str,
    encode: impl FnOnce(&mut dyn Write) -> arraymodel::Result<()>,
    text: bool,
    input_name: &str,
) -> Result<(), CliError> {
    let fail = |dest: &str, e: arraymodel::Error| match e.kind() {
        arraymodel::ErrorKind::Io(io) => CliError::new(format!("{dest}: {io}")),
        _ => CliError::payload(input_name, &e),
    };
    if output == "-" {
        let stdout = io::stdout();
        let newline = text && stdout.is_terminal();
        let mut lock = stdout.lock();
        let r = encode(&mut lock).and_then(|()| {
            if newline {
                lock.write_all(b"\n")?;
            }
            Ok(lock.flush()?)
        });
        return match r {
            Ok(()) => Ok(()),
            // A closed pipe (`| head`) is not worth an error.
            Err(e)
                if matches!(e.kind(), arraymodel::ErrorKind::Io(io)
                    if io.kind() == io::ErrorKind::BrokenPipe) =>
            {
                Ok(())
            }
            Err(e) => Err(fail("<stdout>", e)),
        };
    }
    let path = Path::new(output);
    let tmp = path.with_file_name(format!(
        ".{}.arraymodel-{}.tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let io_fail = |e: io::Error| CliError::new(format!("{output}: {e}"));
    let mut file = File::create(&tmp).map_err(io_fail)?;
    let r = encode(&mut file)
        .map_err(|e| fail(output, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io_fail));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}
