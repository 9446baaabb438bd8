//! tesseract's `binref` encoding: array bytes in side files, referenced as
//! `path[:offset[:compressed_size]]`.
//!
//! **Reading is confined to a base folder.** tesseract joins the path to its input
//! folder without any check and also opens absolute paths and URLs through fsspec
//! (`../../x.bin`, `/etc/...`, `file://`, `s3://`, `http://` all work there). The
//! [`BinrefReader`] refuses absolute paths, `..` components, URL schemes (any `:` in
//! the path), backslashes and NUL, then resolves and opens the path in one step
//! relative to a handle on the base folder that no symlink can lead out of (see
//! [`BinrefReader`]), checks on the open file that it is a regular file long enough
//! before allocating, and reads exactly the bytes the shape needs (or the compressed
//! size) at the offset. Someone who can write into the base folder (an HTTP server
//! writing the folder a client reads) and swaps directories for symlinks meanwhile
//! cannot make a read leave it, nor hang it with a FIFO.
//!
//! **Writing** appends arrays in serialization order to `<uuid4>.bin` in an output
//! folder and starts a new file when the current one is already larger than 100 MiB,
//! like tesseract. Files are written under a temporary name and renamed into place by
//! [`BinrefWriter::finish`], so a reference never points at a half-written file. The
//! folder is opened once; every file is created, renamed and removed relative to that
//! handle, so moving the folder or swapping a symlink into its path does not redirect
//! the writes.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use self::dir::Dir;

use crate::array::{Array, ArrayView};
use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, ErrorKind, Result};
use crate::shape::{self, Limits};

/// tesseract's `MAX_BINREF_BUFFER_SIZE`: a new file is started once the current one
/// is larger than this.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Binref(msg.into()))
}

/// A parsed buffer reference `path[:offset[:compressed_size]]`.
///
/// ```
/// use arraymodel::binref::Reference;
/// let r = Reference::parse("run_1/ab.bin:40:12").unwrap();
/// assert_eq!((r.path, r.offset, r.compressed_size), ("run_1/ab.bin", 40, Some(12)));
/// assert_eq!(Reference::parse("sub/s.bin").unwrap().offset, 0);
/// assert!(Reference::parse("../x.bin:0").is_err());
/// assert!(Reference::parse("/etc/passwd:0").is_err());
/// assert!(Reference::parse("file:///tmp/x.bin:0").is_err());
/// assert!(Reference::parse("ab.bin:-8").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    /// Relative path of the file under the base folder.
    pub path: &'a str,
    /// Byte offset of the array (or of its LZ4 frame) in the file.
    pub offset: u64,
    /// Size of the LZ4 frame, present when the array is compressed.
    pub compressed_size: Option<u64>,
}

impl<'a> Reference<'a> {
    /// Parses and checks a reference. The path must be relative, free of `..`,
    /// URL schemes, `:`, `\` and NUL.
    pub fn parse(s: &'a str) -> Result<Reference<'a>> {
        fn number(t: &str) -> Option<u64> {
            if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().ok()
            } else {
                None
            }
        }
        let mut parts = s.rsplitn(3, ':');
        let last = parts.next().unwrap_or_default();
        let mid = parts.next();
        let first = parts.next();
        let (path, offset, compressed_size) = match (first, mid, number(last)) {
            (Some(p), Some(m), Some(size)) if number(m).is_some() => {
                (p, number(m).unwrap_or(0), Some(size))
            }
            (_, Some(_), Some(off)) => (&s[..s.len() - last.len() - 1], off, None),
            _ => (s, 0, None),
        };
        check_relative(path)?;
        Ok(Reference {
            path,
            offset,
            compressed_size,
        })
    }
}

fn check_relative(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(err("empty file path"));
    }
    if path.contains(':') {
        return Err(err(format!(
            "{path:?} is not a relative file path (URL schemes and ':' are refused; \
             the offset must be a non-negative integer)"
        )));
    }
    if path.contains('\0') || path.contains('\\') {
        return Err(err(format!("{path:?} contains NUL or a backslash")));
    }
    let p = Path::new(path);
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(err(format!(
                    "{path:?} contains '..'; paths must stay inside the base folder"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(err(format!(
                    "{path:?} is absolute; only paths relative to the base folder are allowed"
                )));
            }
        }
    }
    Ok(())
}

/// Reads binref arrays from files under one base folder, confined to it.
///
/// The base folder is opened once, by [`BinrefReader::new`]. Each file is then
/// resolved and opened in one step relative to that handle, never by a path checked
/// first and opened later: cap-std's `Dir::open_with`, which on Linux 5.6+ is one
/// `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` (the kernel refuses `..`
/// above the folder, absolute paths, absolute symlinks, symlinks that lead out and
/// `/proc` magic links, all during the one lookup) and elsewhere a walk of the path
/// one component at a time from the handle with the same refusals. A directory of the
/// base folder replaced by a symlink to elsewhere while a reference is read therefore
/// gives an error or a file inside the folder, never one outside. The file is opened
/// non-blocking (a FIFO cannot hang the `open`), and its type and length are taken
/// from the open handle (`fstat`), then the bytes are read from it with `pread`.
///
/// Symlinks inside the base folder that stay inside keep working, absolute ones
/// included: the one-step open refuses an absolute symlink whatever its target, so a
/// refused path is resolved once more by name, and when the result lies inside the
/// folder, the remainder is opened relative to the handle with the same confinement.
/// A swap at that moment can make that second open fail, not leave the folder.
#[derive(Clone, Debug)]
pub struct BinrefReader {
    /// The base folder as given.
    given: PathBuf,
    /// The canonical base folder and its handle, or why it is unusable: opened when a
    /// reference is first read (or by [`BinrefReader::new`]), then kept, so every
    /// reference of a call is read below the same handle and a call without binref
    /// buffers touches no file.
    opened: std::sync::OnceLock<std::result::Result<(PathBuf, Arc<Dir>), String>>,
    /// Objects in a store instead of files in a folder.
    #[cfg(feature = "binref-store")]
    store: Option<crate::binref::store::StoreReader>,
}

impl BinrefReader {
    /// A reader for files under `base` (which must exist).
    pub fn new(base: impl AsRef<Path>) -> Result<BinrefReader> {
        let reader = BinrefReader::deferred(base);
        if let Err(why) = reader.opened() {
            return Err(err(why.clone()));
        }
        Ok(reader)
    }

    /// Like [`BinrefReader::new`], but the base folder is only opened when a reference
    /// is actually read, and a missing one is only an error then (payloads without
    /// binref buffers never need it, and cost no system call).
    pub fn deferred(base: impl AsRef<Path>) -> BinrefReader {
        BinrefReader {
            given: base.as_ref().to_path_buf(),
            opened: std::sync::OnceLock::new(),
            #[cfg(feature = "binref-store")]
            store: None,
        }
    }

    /// A reader of objects under a store's prefix.
    #[cfg(feature = "binref-store")]
    pub(crate) fn from_store(store: crate::binref::store::StoreReader) -> BinrefReader {
        BinrefReader {
            given: PathBuf::from(store.base.url()),
            opened: std::sync::OnceLock::new(),
            store: Some(store),
        }
    }

    fn opened(&self) -> &std::result::Result<(PathBuf, Arc<Dir>), String> {
        self.opened.get_or_init(|| {
            let base = &self.given;
            let unusable = |e: io::Error| format!("base folder {}: {e}", base.display());
            let canonical = base.canonicalize().map_err(unusable)?;
            let dir = dir::open(&canonical).map_err(unusable)?;
            Ok((canonical, Arc::new(dir)))
        })
    }

    /// The canonical base folder (the folder as given if it cannot be opened).
    pub fn base(&self) -> &Path {
        match self.opened() {
            Ok((canonical, _)) => canonical,
            Err(_) => &self.given,
        }
    }

    /// Opens the file of a reference, refusing anything that resolves outside the
    /// base, and returns it with its length, both from the open handle.
    fn open(&self, r: &Reference<'_>) -> Result<(File, u64)> {
        let (_, dir) = self.opened().as_ref().map_err(|why| err(why.clone()))?;
        let file = match open_beneath(dir, Path::new(r.path)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(open_error(r, &e)),
            Err(e) => self.open_resolved(dir, r, &e)?,
        };
        let meta = file.metadata().map_err(|e| open_error(r, &e))?;
        if !meta.is_file() {
            return Err(err(format!("{} is not a regular file", r.path)));
        }
        Ok((file, meta.len()))
    }

    /// The second chance after the one-step open refused `r`: resolve the path by name
    /// (following absolute symlinks too), and if that stays inside the base folder,
    /// open what is below the base relative to the handle, confined as the first open.
    fn open_resolved(&self, dir: &Dir, r: &Reference<'_>, first: &io::Error) -> Result<File> {
        let Ok(resolved) = self.base().join(r.path).canonicalize() else {
            return Err(open_error(r, first));
        };
        let Ok(below) = resolved.strip_prefix(self.base()) else {
            return Err(outside(r));
        };
        if below.as_os_str().is_empty() {
            return Err(err(format!("{} is not a regular file", r.path)));
        }
        open_beneath(dir, below).map_err(|e| open_error(r, &e))
    }

    /// Reads the array a reference points at. `compressed` says whether the array
    /// object declared `"compression": "lz4"`.
    pub fn read(
        &self,
        reference: &str,
        dtype: DType,
        shape: Vec<usize>,
        compressed: bool,
        limits: &Limits,
    ) -> Result<Array> {
        let r = Reference::parse(reference)?;
        let nbytes = shape::checked_nbytes(&shape, dtype, limits)?;
        let stored = match (compressed, r.compressed_size) {
            (true, Some(size)) => size,
            (true, None) => {
                return Err(err(
                    "compressed_size is required in the buffer reference when compression is set",
                ));
            }
            (false, _) => nbytes as u64,
        };
        #[cfg(feature = "binref-store")]
        if let Some(store) = &self.store {
            // Nothing is requested for a frame larger than any LZ4 frame of the array
            // could be (the folder reader has the file's length to check against).
            if compressed && stored > super::lz4::max_frame_len(nbytes) {
                return Err(err(format!(
                    "compressed_size {stored} is larger than any LZ4 frame of {nbytes} bytes"
                )));
            }
            let Some(bytes) = store.bytes(reference, r.path, r.offset, stored)? else {
                // Listing references only: an empty stand-in.
                return Array::zeros(dtype, vec![0]);
            };
            let bytes: &[u8] = &bytes;
            if bytes.len() as u64 != stored {
                return Err(err("the store returned a different number of bytes"));
            }
            return if compressed {
                super::lz4::check_source(bytes, nbytes)?;
                Array::try_fill(dtype, shape, limits, |dst| {
                    super::lz4::decompress_source(bytes, dst)
                })
            } else {
                Array::try_fill(dtype, shape, limits, |dst| {
                    dst.copy_from_slice(bytes);
                    Ok(())
                })
            };
        }
        let (file, len) = self.open(&r)?;
        let end = r
            .offset
            .checked_add(stored)
            .ok_or_else(|| err("offset plus size overflows"))?;
        if end > len {
            // The file's length is not told: it is none of the payload's business.
            return Err(err(format!(
                "{} is too small: the reference needs {stored} bytes at offset {}, \
                 past the end of the file",
                r.path, r.offset
            )));
        }
        if compressed {
            // The frame is read from the file block by block, never whole; a shape it
            // cannot fill is refused before anything is allocated for the shape.
            let frame = FileFrame {
                file: &file,
                offset: r.offset,
                len: stored as usize,
            };
            super::lz4::check_source(&frame, nbytes)?;
            Array::try_fill(dtype, shape, limits, |dst| {
                super::lz4::decompress_source(&frame, dst)
            })
        } else {
            Array::try_fill(dtype, shape, limits, |dst| {
                read_exact_at(&file, dst, r.offset).map_err(Error::from)
            })
        }
    }
}

/// Opens `path` for reading relative to `dir`, resolving it in one step that cannot
/// leave `dir` (see [`BinrefReader`]).
fn open_beneath(dir: &Dir, path: &Path) -> io::Result<File> {
    dir::open_read_beneath(dir, path)
}

/// The folder handle binref files are opened beneath. With the `binref` feature it is
/// cap-std's `Dir`; without it there is no handle at all (an uninhabited type), so no
/// side file is ever opened, read or written, and the first binref buffer of a payload
/// is an error saying which feature reads it.
#[cfg(feature = "binref")]
mod dir {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    pub(super) use cap_std::fs::Dir;
    use cap_std::fs::OpenOptions;

    /// Opens a folder by its path.
    pub(super) fn open(path: &Path) -> io::Result<Dir> {
        Dir::open_ambient_dir(path, cap_std::ambient_authority())
    }

    pub(super) fn open_read_beneath(dir: &Dir, path: &Path) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true);
        // Unix only: there a FIFO (or a device) can sit in a folder, and opening a FIFO
        // for reading blocks until a writer appears. O_NONBLOCK makes the open return at
        // once; the caller then refuses anything but a regular file (on which O_NONBLOCK
        // changes nothing). O_NOCTTY: a terminal opened here never becomes the process's
        // controlling terminal. Windows has no such files in folders.
        #[cfg(unix)]
        {
            use cap_std::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        Ok(dir.open_with(path, &options)?.into_std())
    }

    /// Creates the folder `path` if needed and opens it.
    pub(super) fn create_and_open(path: &Path) -> io::Result<Dir> {
        std::fs::create_dir_all(path)?;
        open(path)
    }

    /// A new `<uuid4>.bin` in `dir`, created for writing under its temporary name
    /// `.<uuid4>.bin.partial` (an existing file of that name is an error): the file, its
    /// name and its temporary name.
    pub(super) fn new_file(dir: &Dir) -> io::Result<(File, String, String)> {
        let name = format!("{}.bin", uuid::Uuid::new_v4());
        let tmp = format!(".{name}.partial");
        let file = dir
            .open_with(&tmp, OpenOptions::new().write(true).create_new(true))?
            .into_std();
        Ok((file, name, tmp))
    }
}

#[cfg(not(feature = "binref"))]
mod dir {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// No folder handle can exist without the feature.
    #[derive(Debug)]
    pub(super) enum Dir {}

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "binref side files are read and written with arraymodel's `binref` feature, \
             which this build does not enable",
        )
    }

    pub(super) fn open(_: &Path) -> io::Result<Dir> {
        Err(unsupported())
    }

    pub(super) fn open_read_beneath(dir: &Dir, _: &Path) -> io::Result<File> {
        match *dir {}
    }

    pub(super) fn create_and_open(_: &Path) -> io::Result<Dir> {
        Err(unsupported())
    }

    pub(super) fn new_file(dir: &Dir) -> io::Result<(File, String, String)> {
        match *dir {}
    }

    impl Dir {
        pub(super) fn rename(&self, _: &str, _: &Dir, _: &str) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn remove_file(&self, _: &str) -> io::Result<()> {
            match *self {}
        }
    }
}

/// Whether cap-std refused a path for leading outside its folder (its own error, with
/// no OS error code, unlike a plain "permission denied").
fn is_escape(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

fn outside(r: &Reference<'_>) -> Error {
    err(format!(
        "{} resolves (through a symlink) to a file outside the base folder",
        r.path
    ))
}

/// The error for a reference that could not be opened, naming it as given.
fn open_error(r: &Reference<'_>, e: &io::Error) -> Error {
    if is_escape(e) {
        outside(r)
    } else {
        err(format!("{}: {e}", r.path))
    }
}

/// Fills `buf` from `file` at `offset` (`pread`), without moving a shared cursor.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Fills `buf` from `file` at `offset` (Windows spells positioned reads `seek_read`).
#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An LZ4 frame stored in a file at `offset` (`len` bytes, checked to be in the file),
/// read piece by piece as decompression asks for it: reading a compressed binref
/// buffer holds one block of the frame at a time, not the whole frame.
struct FileFrame<'f> {
    file: &'f File,
    offset: u64,
    len: usize,
}

impl super::lz4::FrameSource for FileFrame<'_> {
    fn frame_len(&self) -> usize {
        self.len
    }
    fn read<'s>(&'s self, pos: usize, len: usize, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]> {
        scratch.clear();
        scratch.resize(len, 0);
        read_exact_at(self.file, scratch, self.offset + pos as u64)?;
        Ok(scratch)
    }
}

/// A zero-copy view of an uncompressed binref array inside the bytes of its file
/// (for example a file the caller has read or mapped once for many arrays).
///
/// ```
/// use arraymodel::{codec::binref, DType, Limits};
/// let file = [0u8, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40];
/// let v = binref::view(&file, 8, DType::Float64, vec![1], &Limits::default()).unwrap();
/// assert_eq!(v.to_array().unwrap().as_slice::<f64>().unwrap(), &[2.0]);
/// ```
pub fn view<'a>(
    file: &'a [u8],
    offset: u64,
    dtype: DType,
    shape: Vec<usize>,
    limits: &Limits,
) -> Result<ArrayView<'a>> {
    let nbytes = shape::checked_nbytes(&shape, dtype, limits)?;
    let start = usize::try_from(offset).map_err(|_| err("offset out of range"))?;
    let bytes = start
        .checked_add(nbytes)
        .and_then(|end| file.get(start..end))
        .ok_or_else(|| {
            err(format!(
                "file is too small: the reference needs {nbytes} bytes at offset {offset}, \
                 past the end of the file"
            ))
        })?;
    ArrayView::new(dtype, ByteOrder::NATIVE, shape, bytes)
}

/// Appends arrays to `<uuid>.bin` files in an output folder.
///
/// The folder is created if need be and opened when the first array is appended;
/// from then on every file is created (`create_new`, under a hidden temporary name),
/// renamed into place and, by a writer dropped unfinished, removed relative to that
/// handle, never through the folder's path again: a folder moved away, or a path
/// whose parent someone swaps for a symlink to elsewhere, does not redirect a write.
///
/// ```
/// use arraymodel::{codec::binref::{BinrefReader, BinrefWriter}, Array, DType, Limits};
/// let dir = std::env::temp_dir().join(format!("binref-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let mut w = BinrefWriter::new(&dir, "");
/// let a = w.append(&[1, 2, 3], false).unwrap();
/// let b = w.append(&[4], false).unwrap();
/// assert!(a.ends_with(".bin:0") && b.ends_with(".bin:3"));
/// w.finish().unwrap();
/// let r = BinrefReader::new(&dir).unwrap();
/// let x = r.read(&b, DType::UInt8, vec![1], false, &Limits::default()).unwrap();
/// assert_eq!(x.as_slice::<u8>().unwrap(), &[4]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct BinrefWriter {
    dir: PathBuf,
    /// `dir`, opened (and created if need be) by the first file; every file is
    /// created, renamed and removed relative to it, never by a path through `dir`.
    handle: Option<Dir>,
    prefix: String,
    max_file_bytes: u64,
    current: Option<OpenFile>,
    /// Files written and closed: (temporary name, final name), both in `handle`.
    done: Vec<(String, String)>,
    /// Objects in a store instead: the uploader and the file being filled.
    #[cfg(feature = "binref-store")]
    store: Option<(crate::binref::store::StoreWriter, Option<MemFile>)>,
}

/// A file being filled in memory for an object store: its name and bytes.
#[cfg(feature = "binref-store")]
type MemFile = (String, Vec<u8>);

#[derive(Debug)]
struct OpenFile {
    file: File,
    name: String,
    tmp: String,
    len: u64,
}

impl BinrefWriter {
    /// A writer into `dir`; references are written as `prefix + name:offset`
    /// (tesseract's HTTP server uses `run_<id>/` as prefix, its CLI none).
    pub fn new(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> BinrefWriter {
        BinrefWriter {
            dir: dir.into(),
            handle: None,
            prefix: prefix.into(),
            max_file_bytes: MAX_FILE_BYTES,
            current: None,
            done: Vec::new(),
            #[cfg(feature = "binref-store")]
            store: None,
        }
    }

    /// A writer of `<uuid4>.bin` objects under a store's prefix; references are
    /// `prefix + name:offset` as for a folder.
    #[cfg(feature = "binref-store")]
    pub(crate) fn to_store(
        base: crate::binref::store::StoreBase,
        prefix: impl Into<String>,
    ) -> BinrefWriter {
        let mut w = BinrefWriter::new(base.url(), prefix);
        w.store = Some((crate::binref::store::StoreWriter::new(base), None));
        w
    }

    /// Appends to the store's current file (uploading the previous one when it is
    /// full); `lz4` compresses into it. Returns the reference.
    #[cfg(feature = "binref-store")]
    fn store_append(&mut self, bytes: &[u8], lz4: bool) -> Option<Result<String>> {
        let max = self.max_file_bytes;
        let prefix = self.prefix.clone();
        let (uploader, current) = self.store.as_mut()?;
        Some((|| {
            if current.as_ref().is_none_or(|(_, b)| b.len() as u64 > max) {
                if let Some((name, buf)) = current.take() {
                    uploader.upload(&name, buf)?;
                }
                *current = Some((format!("{}.bin", uuid::Uuid::new_v4()), Vec::new()));
            }
            let (name, buf) = current.as_mut().expect("a current file");
            let offset = buf.len();
            if lz4 {
                super::lz4::compress_into(bytes, buf)?;
                Ok(format!("{prefix}{name}:{offset}:{}", buf.len() - offset))
            } else {
                buf.extend_from_slice(bytes);
                Ok(format!("{prefix}{name}:{offset}"))
            }
        })())
    }

    /// Changes the roll-over size (tesseract: 100 MiB).
    pub fn with_max_file_bytes(mut self, max: u64) -> BinrefWriter {
        self.max_file_bytes = max;
        self
    }

    /// Appends `bytes` (an LZ4 frame when `compressed`) and returns the reference.
    pub fn append(&mut self, bytes: &[u8], compressed: bool) -> Result<String> {
        #[cfg(feature = "binref-store")]
        if let Some(r) = self.store_append(bytes, false) {
            return r.map(|r| {
                if compressed {
                    format!("{r}:{}", bytes.len())
                } else {
                    r
                }
            });
        }
        self.open()?;
        let f = self.current.as_mut().ok_or_else(|| err("no open file"))?;
        let offset = f.len;
        // Reserving the blocks first spares ext4 allocating them one by one during the
        // write: 8 MB into a new file 5.4 -> 6.2-6.6 GB/s on the reference machine. A
        // hint only: where the file system cannot, the write allocates as usual.
        #[cfg(all(target_os = "linux", feature = "binref"))]
        let _ = rustix::fs::fallocate(
            &f.file,
            rustix::fs::FallocateFlags::empty(),
            offset,
            bytes.len() as u64,
        );
        f.file.write_all(bytes)?;
        f.len += bytes.len() as u64;
        let mut r = format!("{}{}:{offset}", self.prefix, f.name);
        if compressed {
            r.push_str(&format!(":{}", bytes.len()));
        }
        Ok(r)
    }

    /// Appends one LZ4 frame of `bytes` (independent 64 KiB blocks, the content size, no
    /// checksums: python-lz4's frame as tesseract writes it) and returns the reference. The frame is compressed block by block
    /// straight into the file, so it never exists whole in memory: a 128 MB array
    /// costs no 128 MB frame buffer, grown and faulted in on every encode.
    ///
    /// ```
    /// use arraymodel::binref::{BinrefReader, BinrefWriter};
    /// use arraymodel::{DType, Limits};
    /// let dir = std::env::temp_dir().join(format!("am-doc-lz4-{}", std::process::id()));
    /// let mut w = BinrefWriter::new(&dir, "");
    /// let r = w.append_lz4(&[5u8; 3000]).unwrap();
    /// w.finish().unwrap();
    /// let x = BinrefReader::new(&dir).unwrap()
    ///     .read(&r, DType::UInt8, vec![3000], true, &Limits::default()).unwrap();
    /// assert_eq!(x.as_slice::<u8>().unwrap(), &[5u8; 3000][..]);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn append_lz4(&mut self, bytes: &[u8]) -> Result<String> {
        #[cfg(feature = "binref-store")]
        if let Some(r) = self.store_append(bytes, true) {
            return r;
        }
        self.open()?;
        let f = self.current.as_mut().ok_or_else(|| err("no open file"))?;
        let offset = f.len;
        let counted = Counted {
            inner: std::io::BufWriter::with_capacity(1 << 20, &mut f.file),
            written: 0,
        };
        let mut counted = super::lz4::compress_to(bytes, counted)?;
        counted.inner.flush()?;
        let len = counted.written;
        f.len += len;
        Ok(format!("{}{}:{offset}:{len}", self.prefix, f.name))
    }

    /// Opens a file to write to if none is, or rolls over to a new one when it is full.
    fn open(&mut self) -> Result<()> {
        if self
            .current
            .as_ref()
            .is_none_or(|f| f.len > self.max_file_bytes)
        {
            self.roll()?;
        }
        Ok(())
    }

    fn roll(&mut self) -> Result<()> {
        self.close_current()?;
        let dir = match &mut self.handle {
            Some(dir) => dir,
            None => self.handle.insert(dir::create_and_open(&self.dir)?),
        };
        let (file, name, tmp) = dir::new_file(dir)?;
        self.current = Some(OpenFile {
            file,
            name,
            tmp,
            len: 0,
        });
        Ok(())
    }

    fn close_current(&mut self) -> Result<()> {
        if let Some(f) = self.current.take() {
            self.done.push((f.tmp, f.name));
        }
        Ok(())
    }

    /// Flushes and renames every file into place; returns the files written, named
    /// by the folder path given to [`BinrefWriter::new`]. The renames happen in the
    /// folder opened by the first file, wherever it is now.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        #[cfg(feature = "binref-store")]
        if let Some((uploader, current)) = self.store.as_mut() {
            if let Some((name, buf)) = current.take() {
                uploader.upload(&name, buf)?;
            }
            return Ok(uploader.finish());
        }
        self.close_current()?;
        let mut out = Vec::new();
        if let Some(dir) = &self.handle {
            while let Some((tmp, name)) = self.done.first() {
                dir.rename(tmp, dir, name)?;
                out.push(self.dir.join(name));
                self.done.remove(0);
            }
        }
        Ok(out)
    }
}

/// A writer that counts the bytes it passes on.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for BinrefWriter {
    fn drop(&mut self) {
        // Unfinished writers leave nothing behind.
        let Some(dir) = &self.handle else { return };
        if let Some(f) = self.current.take() {
            let _ = dir.remove_file(&f.tmp);
        }
        for (tmp, _) in self.done.drain(..) {
            let _ = dir.remove_file(&tmp);
        }
    }
}

#[cfg(all(test, feature = "binref"))]
mod tests {
    use super::*;

    /// A FIFO inside the base folder is refused without blocking (opening one for
    /// reading blocks until a writer appears; it is opened non-blocking, and refused
    /// by the type of the open handle).
    #[test]
    fn fifo_is_refused_without_blocking() {
        let dir =
            std::env::temp_dir().join(format!("arraymodel-binref-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("p.bin"))
            .status()
            .is_ok_and(|s| s.success());
        if made {
            let reader = BinrefReader::new(&dir).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let r = reader.read(
                    "p.bin:0",
                    DType::Float64,
                    vec![1],
                    false,
                    &Limits::default(),
                );
                let _ = tx.send(r.map(|_| ()).map_err(|e| e.to_string()));
            });
            let r = rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("reading a FIFO blocked");
            let e = r.unwrap_err();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The one-step open itself (below `Reference::parse`'s lexical checks) refuses
    /// every way out of the folder: `..` above it, absolute paths, relative and
    /// absolute symlinks leading out, and `/proc` magic links; symlinks that stay
    /// inside are followed.
    #[cfg(target_os = "linux")]
    #[test]
    fn one_step_open_refuses_every_way_out() {
        let root =
            std::env::temp_dir().join(format!("arraymodel-binref-beneath-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let base = root.join("base");
        std::fs::create_dir_all(base.join("sub")).unwrap();
        std::fs::write(base.join("a.bin"), [1u8; 8]).unwrap();
        std::fs::write(root.join("secret.bin"), [9u8; 8]).unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, base.join(name)).unwrap()
        };
        link(Path::new("../secret.bin"), "up.bin");
        link(Path::new("../../secret.bin"), "sub/up.bin");
        link(&root.join("secret.bin"), "abs.bin");
        link(Path::new(".."), "parent");
        link(Path::new("a.bin"), "rel-inside.bin");
        link(Path::new("sub/../a.bin"), "rel-inside2.bin");
        let dir = Dir::open_ambient_dir(&base, cap_std::ambient_authority()).unwrap();
        for path in [
            "../secret.bin",
            "sub/../../secret.bin",
            "/etc/passwd",
            "up.bin",
            "sub/up.bin",
            "abs.bin",
            "parent/secret.bin",
        ] {
            let e = open_beneath(&dir, Path::new(path)).expect_err(path);
            assert!(is_escape(&e), "{path}: {e}");
        }
        for path in ["a.bin", "./a.bin", "rel-inside.bin", "rel-inside2.bin"] {
            open_beneath(&dir, Path::new(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        // Magic links: /proc/self/root and /proc/self/fd/N jump anywhere (refused as
        // escapes, or with ELOOP by RESOLVE_NO_MAGICLINKS).
        let secret = File::open(root.join("secret.bin")).unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&secret);
        let proc_self = Dir::open_ambient_dir("/proc/self", cap_std::ambient_authority()).unwrap();
        for path in [
            format!("root{}", root.join("secret.bin").display()),
            format!("fd/{fd}"),
            "cwd/Cargo.toml".to_string(),
        ] {
            let e = open_beneath(&proc_self, Path::new(&path)).expect_err(&path);
            assert!(
                is_escape(&e) || e.raw_os_error() == Some(libc::ELOOP),
                "{path}: {e}"
            );
        }
        // Through the reader: the escapes are Binref errors naming the outside.
        let reader = BinrefReader::new(&base).unwrap();
        for r in ["up.bin", "sub/up.bin", "abs.bin", "parent/secret.bin"] {
            let e = reader
                .read(r, DType::UInt8, vec![8], false, &Limits::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains("outside the base folder"), "{r}: {e}");
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    /// A missing base folder is reported when a reference is read, once prefixed.
    #[test]
    fn missing_base_folder_is_reported_on_read() {
        let missing = std::env::temp_dir().join("arraymodel-binref-no-such-folder");
        let e = BinrefReader::deferred(&missing)
            .read("a.bin", DType::UInt8, vec![1], false, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("binref: base folder "), "{e}");
    }
}

#[cfg(all(test, not(feature = "binref")))]
mod without_the_feature {
    use super::*;

    /// Without the `binref` feature nothing is opened: the first binref buffer, and the
    /// first array written as binref, are errors that name the feature.
    #[test]
    fn binref_buffers_are_an_error_naming_the_feature() {
        let base = std::env::temp_dir();
        let e = BinrefReader::deferred(&base)
            .read("x.bin:0", DType::UInt8, vec![1], false, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`binref` feature"), "{e}");
        assert!(BinrefReader::new(&base).is_err());
        let mut w = BinrefWriter::new(&base, "");
        let e = w.append(b"x", false).unwrap_err().to_string();
        assert!(e.contains("`binref` feature"), "{e}");
    }
}
