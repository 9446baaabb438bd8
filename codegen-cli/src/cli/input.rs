//! Reading the input: a file or stdin, its syntax, and decoding it to a [`Document`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use arraymodel::DecodeOptions;
use arraymodel::document::{Document, Forms};

use super::progress::{self, Stage};
use super::{CliError, Format};

/// The two syntaxes a payload can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// JSON text.
    Json,
    /// msgpack.
    Msgpack,
}

impl Syntax {
    /// `json` or `msgpack`.
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Json => "json",
            Syntax::Msgpack => "msgpack",
        }
    }
}

/// The whole input.
pub struct Input {
    /// How to name the input in messages: the path, or `<stdin>`.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The default binref folder: the file's folder, or the working directory for stdin.
    pub dir: PathBuf,
    /// Whether progress is shown for the later stages too.
    pub show_progress: bool,
}

/// Reads `path` (`-` for stdin) whole, with a progress bar on a terminal.
pub fn read(path: &str) -> Result<Input, CliError> {
    let tty = progress::enabled();
    if path == "-" {
        let bytes = progress::read_all(io::stdin().lock(), None, tty)
            .map_err(|e| CliError::new(format!("<stdin>: {e}")))?;
        let show_progress = tty && bytes.len() as u64 >= progress::MIN_BYTES;
        return Ok(Input {
            name: "<stdin>".into(),
            bytes,
            dir: PathBuf::from("."),
            show_progress,
        });
    }
    let fail = |e: io::Error| CliError::new(format!("{path}: {e}"));
    let file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(CliError::new(format!("{path}: is a directory")));
    }
    let len = meta.len();
    let show_progress = tty && len >= progress::MIN_BYTES;
    let bytes = progress::read_all(file, Some(len), show_progress).map_err(fail)?;
    let dir = match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Input {
        name: path.to_owned(),
        bytes,
        dir,
        show_progress,
    })
}

/// JSON when the first non-blank byte can start a JSON value, msgpack otherwise.
pub fn sniff(bytes: &[u8]) -> Syntax {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => Syntax::Json,
        _ => Syntax::Msgpack,
    }
}

/// Decodes the input to a document: syntax detected unless `from` is given (which
/// also limits the array forms recognised), binref buffers read from `binref_in` or
/// the input's folder, confined to it.
pub fn decode(
    input: &Input,
    from: Option<Format>,
    binref_in: Option<&Path>,
) -> Result<(Document, Syntax), CliError> {
    if input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CliError::new(format!("{}: empty input", input.name)));
    }
    let syntax = from.map_or_else(|| sniff(&input.bytes), Format::syntax);
    let forms = from.map_or(Forms::ALL, Format::forms);
    let opts = DecodeOptions::default().binref_dir(binref_in.unwrap_or(&input.dir));
    let _stage = Stage::start("decoding", input.show_progress);
    let doc = forms
        .scope(|| match syntax {
            Syntax::Json => Document::from_json_slice(&input.bytes, &opts),
            Syntax::Msgpack => Document::from_msgpack_slice(&input.bytes, &opts),
        })
        .map_err(|e| CliError::payload(&input.name, &e))?;
    Ok((doc, syntax))
}
