//! Reading the input: a file or stdin, its syntax, and decoding it to a [`Document`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use arraymodel::document::{ArrayForm, Document};
use arraymodel::{DecodeOptions, Encoding, ErrorKind};

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
    /// `JSON` or `msgpack`, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Syntax::Json => "JSON",
            Syntax::Msgpack => "msgpack",
        }
    }

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
    /// The default binref folder: the file's folder. Standard input has none: its
    /// binref buffers are read only from a folder `--binref-in` names (never from the
    /// working directory, which holds whatever the user happens to be in).
    pub dir: Option<PathBuf>,
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
            dir: None,
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
        dir: Some(dir),
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

/// The URL of an object-store base (`s3://bucket/prefix`) given where a folder may be.
pub fn store_url(p: &Path) -> Option<&str> {
    p.to_str()
        .filter(|s| s.starts_with("s3://") || s.starts_with("s3a://"))
}

/// An object-store base from its URL, with the credentials and endpoint of the AWS
/// environment variables.
#[cfg(feature = "s3")]
pub fn store(url: &str) -> Result<arraymodel::binref::store::StoreBase, CliError> {
    arraymodel::binref::store::StoreBase::from_url(url).map_err(|e| CliError::usage(e.to_string()))
}

/// Without the `s3` feature an object-store URL is a usage error.
#[cfg(not(feature = "s3"))]
pub fn store(url: &str) -> Result<std::convert::Infallible, CliError> {
    Err(CliError::usage(format!(
        "{url}: this build of arraymodel reads no object stores (feature `s3`)"
    )))
}

/// Decodes the input to a document: syntax detected unless `from` is given, binref
/// buffers read from `binref_in` or the input's folder, confined to it. Every array
/// form is recognised; with `from`, an array in another form is an error naming its
/// path and both forms (rather than passing it through unconverted).
pub fn decode(
    input: &Input,
    from: Option<Format>,
    binref_in: Option<&Path>,
) -> Result<(Document, Syntax), CliError> {
    if input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CliError::new(format!("{}: empty input", input.name)));
    }
    let sniffed = sniff(&input.bytes);
    let syntax = from.map_or(sniffed, Format::syntax);
    let folder = binref_in.or(input.dir.as_deref());
    let mut opts = DecodeOptions::default();
    if let Some(url) = binref_in.and_then(store_url) {
        #[cfg(feature = "s3")]
        {
            opts = opts.binref_store(store(url)?);
        }
        #[cfg(not(feature = "s3"))]
        match store(url)? {}
    } else if let Some(dir) = folder {
        opts = opts.binref_dir(dir);
    }
    let _stage = Stage::start("decoding", input.show_progress);
    let doc = match syntax {
        Syntax::Json => Document::from_json_slice(&input.bytes, &opts),
        Syntax::Msgpack => Document::from_msgpack_slice(&input.bytes, &opts),
    }
    .map_err(|e| {
        decode_error(
            input,
            &e,
            from,
            sniffed,
            syntax,
            folder,
            binref_in.is_some(),
        )
    })?;
    if let Some(from) = from {
        check_forms(&doc, from)?;
    }
    Ok((doc, syntax))
}

/// A decoding error, with what the runtime cannot know: whether the bytes looked like
/// JSON or msgpack at all, and which binref folder was used (or that there was none).
fn decode_error(
    input: &Input,
    e: &arraymodel::Error,
    from: Option<Format>,
    sniffed: Syntax,
    syntax: Syntax,
    folder: Option<&Path>,
    folder_given: bool,
) -> CliError {
    match e.kind() {
        ErrorKind::Syntax { .. } if from.is_none() && syntax == Syntax::Msgpack => {
            if let Some(why) = not_msgpack(&input.bytes) {
                return CliError::new(format!("{}: neither JSON nor msgpack: {why}", input.name));
            }
        }
        ErrorKind::Syntax { .. } if sniffed != syntax => {
            let mut err = CliError::payload(&input.name, e);
            err.message.push_str(&format!(
                " (--from reads the input as {}, but it looks like {})",
                syntax.title(),
                sniffed.title()
            ));
            return err;
        }
        ErrorKind::Binref(_) => {
            let at = if e.path().is_root() {
                input.name.clone()
            } else {
                e.path().to_string()
            };
            return CliError::new(match folder {
                None => format!(
                    "{at}: a binref buffer, but {} has no folder to read .bin files from; \
                     name one with --binref-in DIR",
                    input.name
                ),
                Some(dir) => {
                    let shown = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
                    if folder_given {
                        format!("{e} (binref folder {})", shown.display())
                    } else {
                        format!(
                            "{e} (binref folder {}, the input's folder; \
                             --binref-in DIR reads them from another)",
                            shown.display()
                        )
                    }
                }
            });
        }
        _ => {}
    }
    CliError::payload(&input.name, e)
}

/// Why bytes that are not msgpack are not JSON either, when they are plainly text (a
/// msgpack payload starts with a map or array marker, never with printable text).
fn not_msgpack(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        let next = rest.iter().find(|b| !b.is_ascii_whitespace());
        if next.is_some_and(|b| sniff(std::slice::from_ref(b)) == Syntax::Json) {
            return Some(
                "it starts with a UTF-8 byte order mark, which JSON does not allow; remove it"
                    .into(),
            );
        }
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let texty = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}');
    if text.is_empty() || !text.chars().all(texty) {
        return None;
    }
    let start: String = text.trim_start().chars().take(24).collect();
    let start = start.trim_end();
    Some(format!(
        "it is text that does not start like a JSON value (an object, list, string, \
         number, true, false or null): {start:?}..."
    ))
}

/// The `--from` format an array form belongs to.
fn form_format(form: &ArrayForm) -> Option<Format> {
    match form {
        ArrayForm::Tesseract { encoding, .. } => Some(match encoding {
            Encoding::Json => Format::Json,
            Encoding::Base64 => Format::JsonBase64,
            Encoding::Binref => Format::JsonBinref,
        }),
        ArrayForm::Truss => Some(Format::TrussJson),
        ArrayForm::PydanticNumpy => None,
        ArrayForm::MsgpackNumpy | ArrayForm::MsgpackScalar | ArrayForm::PythonComplex => {
            Some(Format::Msgpack)
        }
        ArrayForm::Native => None,
    }
}

/// Every array was read in the form `--from` declares.
fn check_forms(doc: &Document, from: Format) -> Result<(), CliError> {
    for (path, node) in doc.walk() {
        if let Document::Array(_, form) = node
            && let Some(found) = form_format(form)
            && found != from
        {
            let path = path.to_string();
            let path = if path.is_empty() {
                "(root)".into()
            } else {
                path
            };
            return Err(CliError::new(format!(
                "{path}: --from {} was given, but this array is in {} form; \
                 leave out --from to take each array as it comes",
                from.name(),
                found.name(),
            )));
        }
    }
    Ok(())
}
