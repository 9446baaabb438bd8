//! `arraymodel convert`: transcode a payload, every array object in it re-encoded in
//! the target format, everything else passed through in order.

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use arraymodel::{BytesStyle, EncodeOptions, Encoding, ErrorKind};
use clap::{Args, ValueEnum};

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
    /// The input format (default: detected: msgpack or JSON by the first byte, each array by its keys);
    /// every array must then be in this form.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,
    /// Compress array buffers with LZ4 (json+base64 and json+binref only).
    #[arg(long)]
    pub lz4: bool,
    /// Folder binref buffers of the input are read from, and confined to (default: the input's
    /// folder; standard input has none), or an object store prefix `s3://bucket/prefix`
    /// (credentials and endpoint from the AWS environment variables: `AWS_ENDPOINT_URL`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub binref_in: Option<PathBuf>,
    /// Folder the `.bin` files of json+binref output are written to (required for json+binref),
    /// or an object store prefix `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub binref_out: Option<PathBuf>,
    /// How bytes values (msgpack `bin`) are written in JSON output: `utf8` as text, as
    /// tesseract and truss do (bytes that are not UTF-8 are an error), or `base64`
    /// (URL-safe, pydantic's `ser_json_bytes="base64"`).
    #[arg(long, value_enum, value_name = "STYLE")]
    pub bytes: Option<BytesArg>,
    /// Where to write, or `-` for standard output. A file is written under a temporary
    /// name beside it and renamed into place on success; a device, FIFO or
    /// /proc/self/fd/N is written to as it is.
    #[arg(short = 'o', long, default_value = "-", value_name = "OUTPUT")]
    pub output: String,
}

/// `--bytes`: how bytes values are written in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BytesArg {
    /// UTF-8 text (tesseract's and truss's default); other bytes are an error.
    #[value(name = "utf8")]
    Utf8,
    /// URL-safe base64 with padding.
    #[value(name = "base64")]
    Base64,
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
    if args.bytes.is_some() && args.to == Format::Msgpack {
        return Err(CliError::usage(
            "--bytes applies to JSON output only; msgpack keeps bytes as bin",
        ));
    }
    let opts = match args.to {
        Format::Json => EncodeOptions::tesseract(Encoding::Json),
        Format::JsonBase64 => EncodeOptions::tesseract(Encoding::Base64),
        Format::JsonBinref => {
            let dir = args.binref_out.as_ref().ok_or_else(|| {
                CliError::usage("--to json+binref needs --binref-out DIR for the .bin files")
            })?;
            match input::store_url(dir) {
                #[cfg(feature = "s3")]
                Some(url) => {
                    EncodeOptions::tesseract(Encoding::Binref).binref_store(input::store(url)?)
                }
                #[cfg(not(feature = "s3"))]
                Some(url) => match input::store(url)? {},
                None => EncodeOptions::tesseract(Encoding::Binref).binref_dir(dir),
            }
        }
        Format::TrussJson => EncodeOptions::truss(),
        Format::Msgpack => return Ok(None),
    };
    let opts = match args.bytes {
        Some(BytesArg::Base64) => opts.bytes_style(BytesStyle::Base64Url),
        Some(BytesArg::Utf8) | None => opts,
    };
    Ok(Some(if args.lz4 { opts.lz4() } else { opts }))
}

/// Runs the conversion.
pub fn run(args: &ConvertArgs) -> Result<(), CliError> {
    let mut opts = encode_options(args)?;
    let binary_to_terminal = args.to == Format::Msgpack && args.output == "-";
    if binary_to_terminal && io::stdout().is_terminal() {
        return Err(CliError::usage(
            "refusing to write msgpack to a terminal; use -o FILE or a pipe",
        ));
    }
    // Where the output goes is settled before the input is read: a directory fails now.
    let target = Target::of(&args.output)?;
    let input = input::read(&args.input)?;
    let (doc, _) = input::decode(&input, args.from, args.binref_in.as_deref())?;
    let (name, show_progress) = (input.name.clone(), input.show_progress);
    // The document owns its arrays: the input can go before the output is written,
    // and the output streams to its destination rather than being built whole.
    drop(input);
    // json+binref: the .bin files are written into a private folder inside
    // --binref-out and moved out only once the output is complete, so a failed run
    // leaves none behind (the folder goes when `staging` is dropped).
    // (Objects in a store are complete when they appear: no staging.)
    let staging = match (&mut opts, &args.binref_out) {
        (Some(o), Some(dir))
            if args.to == Format::JsonBinref && input::store_url(dir).is_none() =>
        {
            let s = Staging::new(dir)?;
            *o = o.clone().binref_dir(s.dir.path());
            Some(s)
        }
        _ => None,
    };
    let _stage = Stage::start("encoding", show_progress);
    let encode = |w: &mut dyn Write| match &opts {
        Some(o) => arraymodel::to_json_writer(&doc, o, w),
        None => arraymodel::to_msgpack_writer(&doc, BufWriter::with_capacity(1 << 16, w)),
    };
    let fail = |dest: &str, e: arraymodel::Error| match e.kind() {
        ErrorKind::Io(io) => CliError::new(format!("{dest}: {io}")),
        _ => CliError::payload(&name, &bytes_advice(e)),
    };
    let publish = || staging.as_ref().map_or(Ok(Vec::new()), Staging::publish);
    match target {
        Target::Stdout => {
            let stdout = io::stdout();
            let newline = opts.is_some() && stdout.is_terminal();
            let mut lock = stdout.lock();
            let r = encode(&mut lock).and_then(|()| {
                if newline {
                    lock.write_all(b"\n")?;
                }
                Ok(lock.flush()?)
            });
            match r {
                Ok(()) => {}
                // A closed pipe (`| head`) is not worth an error, nor .bin files.
                Err(e)
                    if matches!(e.kind(), ErrorKind::Io(io)
                        if io.kind() == io::ErrorKind::BrokenPipe) =>
                {
                    return Ok(());
                }
                Err(e) => return Err(fail("<stdout>", e)),
            }
            publish().map(drop)
        }
        Target::Through { mut file } => {
            let out = &args.output;
            if args.to == Format::Msgpack && file.is_terminal() {
                return Err(CliError::usage(
                    "refusing to write msgpack to a terminal; use -o FILE or a pipe",
                ));
            }
            encode(&mut file).map_err(|e| fail(out, e))?;
            publish().map(drop)
        }
        Target::Replace { dest, existing } => {
            let out = &args.output;
            let io_fail = |e: io::Error| CliError::new(format!("{out}: {e}"));
            let mut tmp = temp_beside(&dest, existing.as_ref()).map_err(io_fail)?;
            encode(tmp.as_file_mut()).map_err(|e| fail(out, e))?;
            // The output is complete: the .bin files it refers to go into place first,
            // then the output itself; if that fails, the .bin files go again.
            let published = publish()?;
            if let Err(e) = tmp.persist(&dest) {
                for f in published {
                    let _ = fs::remove_file(f);
                }
                return Err(io_fail(e.error));
            }
            Ok(())
        }
    }
}

/// The runtime's advice for bytes that are not UTF-8 names its Rust API; on the
/// command line, the flags that do the same.
fn bytes_advice(e: arraymodel::Error) -> arraymodel::Error {
    match e.kind() {
        ErrorKind::Unrepresentable(msg) if msg.contains("UTF-8") => {
            let msg = if msg.contains("BytesStyle::Base64Url") {
                msg.replace("use msgpack or", "use --to msgpack or")
                    .replace("BytesStyle::Base64Url", "--bytes base64")
            } else if msg.contains("--bytes") {
                msg.clone()
            } else {
                format!("{msg} (use --to msgpack, or --bytes base64)")
            };
            let path = e.path().clone();
            arraymodel::Error::new(ErrorKind::Unrepresentable(msg)).at_path(&path)
        }
        _ => e,
    }
}

/// Where `-o` writes.
#[derive(Debug)]
enum Target {
    /// `-`.
    Stdout,
    /// A regular file, or a path that does not exist: written under a temporary name
    /// in the same folder and renamed over `dest` on success. `existing` is the
    /// metadata of the file replaced (its mode and owner are kept).
    Replace {
        dest: PathBuf,
        existing: Option<fs::Metadata>,
    },
    /// Anything else that exists (a character device such as /dev/null, a FIFO, a
    /// symbolic link to one, /proc/self/fd/N): opened for writing when `-o` is
    /// checked (before the input is read), never replaced. A regular file reached
    /// through /proc (a redirected stdout) is appended to.
    Through { file: fs::File },
}

impl Target {
    fn of(output: &str) -> Result<Target, CliError> {
        if output == "-" {
            return Ok(Target::Stdout);
        }
        let path = Path::new(output);
        let io_fail = |e: io::Error| CliError::new(format!("{output}: {e}"));
        let is_dir = || CliError::new(format!("{output}: is a directory"));
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Target::Replace {
                    dest: path.to_path_buf(),
                    existing: None,
                });
            }
            Err(e) => return Err(io_fail(e)),
        };
        if meta.is_dir() {
            return Err(is_dir());
        }
        if meta.is_file() {
            return Ok(Target::Replace {
                dest: path.to_path_buf(),
                existing: Some(meta),
            });
        }
        if !meta.file_type().is_symlink() {
            return through(output, false);
        }
        let to = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CliError::new(format!(
                    "{output}: a symbolic link to a file that does not exist; \
                     name the file itself"
                )));
            }
            Err(e) => return Err(io_fail(e)),
        };
        if to.is_dir() {
            return Err(is_dir());
        }
        if !to.is_file() {
            return through(output, false);
        }
        if through_proc(path) {
            return through(output, true);
        }
        // A link to a regular file: the file is replaced, the link kept.
        Ok(Target::Replace {
            dest: path.canonicalize().map_err(io_fail)?,
            existing: Some(to),
        })
    }
}

/// Opens an `-o` that is written through, at once, and checks what was opened: the
/// path was looked at a moment before, and a node swapped in since (a symbolic link to
/// someone's file where a FIFO was) must not be written into in place. Only a regular
/// file reached through /proc (`append`, a redirected stdout) may be a regular file.
fn through(output: &str, append: bool) -> Result<Target, CliError> {
    let io_fail = |e: io::Error| CliError::new(format!("{output}: {e}"));
    let file = OpenOptions::new()
        .write(true)
        .append(append)
        .open(output)
        .map_err(io_fail)?;
    let meta = file.metadata().map_err(io_fail)?;
    if meta.is_dir() || (meta.is_file() && !append) {
        return Err(CliError::new(format!(
            "{output}: changed while it was being opened (it is now a {}); not written",
            if meta.is_dir() {
                "directory"
            } else {
                "regular file"
            }
        )));
    }
    Ok(Target::Through { file })
}

/// Whether following the symbolic links of `path` passes through /proc
/// (`/proc/self/fd/1`, `/dev/stdout`, `/dev/fd/3`): such a link names an open file
/// of the process, not a place to put a new one.
fn through_proc(path: &Path) -> bool {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if parent.canonicalize().is_ok_and(|d| d.starts_with("/proc")) {
            return true;
        }
        match fs::read_link(&p) {
            Ok(t) => p = parent.join(t),
            Err(_) => return false,
        }
    }
    false
}

/// A new file beside `dest`, created exclusively under an unpredictable name (so no
/// file or link planted in the folder is written through), with the mode and owner
/// of the file it will replace, or the usual mode for a new file.
fn temp_beside(
    dest: &Path,
    existing: Option<&fs::Metadata>,
) -> io::Result<tempfile::NamedTempFile> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = dest
        .file_name()
        .map_or_else(|| "output".to_owned(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".arraymodel.tmp");
    #[cfg(unix)]
    if existing.is_none() {
        // As File::create would: 0o666 less the umask.
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    let tmp = b.tempfile_in(dir)?;
    if let Some(m) = existing {
        // The replaced file's owner (where we may set it) and mode bits.
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))?;
        }
        // Elsewhere the one permission std knows: read-only.
        #[cfg(not(unix))]
        tmp.as_file().set_permissions(m.permissions())?;
    }
    Ok(tmp)
}

/// The private folder json+binref output is written into before it is complete.
struct Staging {
    /// `--binref-out`.
    out: PathBuf,
    /// `<out>/.arraymodel-binref-XXXXXX`, removed with everything in it when dropped.
    dir: tempfile::TempDir,
    /// Whether `out` was created for this run (and is removed again if still empty).
    created: bool,
}

impl Staging {
    fn new(out: &Path) -> Result<Staging, CliError> {
        let io_fail = |e: io::Error| CliError::new(format!("{}: {e}", out.display()));
        let created = !out.exists();
        fs::create_dir_all(out).map_err(io_fail)?;
        let dir = tempfile::Builder::new()
            .prefix(".arraymodel-binref-")
            .tempdir_in(out)
            .map_err(io_fail)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            created,
        })
    }

    /// Moves the finished `.bin` files into `--binref-out` (all or none); returns them.
    fn publish(&self) -> Result<Vec<PathBuf>, CliError> {
        let mut moved = Vec::new();
        let r = (|| -> io::Result<()> {
            for entry in fs::read_dir(self.dir.path())? {
                let entry = entry?;
                let name = entry.file_name();
                if !name.to_string_lossy().ends_with(".bin") || !entry.file_type()?.is_file() {
                    continue;
                }
                let dest = self.out.join(&name);
                fs::rename(entry.path(), &dest)?;
                moved.push(dest);
            }
            Ok(())
        })();
        match r {
            Ok(()) => Ok(moved),
            Err(e) => {
                for f in moved {
                    let _ = fs::remove_file(f);
                }
                Err(CliError::new(format!("{}: {e}", self.out.display())))
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(self.dir.path());
        if self.created {
            // Only if empty: a failed run leaves no folder it made either.
            let _ = fs::remove_dir(&self.out);
        }
    }
}

// Unix only: the case needs a symlink and a FIFO-like write-through target.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Class: output node swapped between the check and the open (found by review):
    /// `-o` was classified as a FIFO, then reopened by name after the input was read,
    /// and a symbolic link to someone's file planted meanwhile was written into in
    /// place. The node is now opened when it is checked, and what was opened is
    /// checked again: a regular file where a FIFO or device was expected is refused.
    #[test]
    fn a_regular_file_opened_as_a_write_through_target_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "VICTIM").unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = through(link.to_str().unwrap(), false).unwrap_err();
        assert!(
            e.to_string().contains("changed while it was being opened"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&victim).unwrap(), "VICTIM");
        // A character device is what such a target is for.
        assert!(matches!(
            through("/dev/null", false),
            Ok(Target::Through { .. })
        ));
    }
}
