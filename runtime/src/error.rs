//! The one error type of the crate: a problem, and where in the payload it was found.

use std::fmt;

use crate::dtype::DTypeError;

/// Where in a payload something went wrong: `inputs.a.data.buffer`, `items[2]`.
///
/// ```
/// use arraymodel::Path;
/// let mut p = Path::root();
/// p.push_field("inputs");
/// p.push_field("items");
/// p.push_index(2);
/// assert_eq!(p.to_string(), "inputs.items[2]");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Path(Vec<Segment>);

/// One step of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object key or struct field.
    Field(String),
    /// A list position.
    Index(usize),
}

impl Path {
    /// The empty path (the payload itself).
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// Appends an object key.
    pub fn push_field(&mut self, name: impl Into<String>) {
        self.0.push(Segment::Field(name.into()));
    }

    /// Appends a list index.
    pub fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    fn prepend(&mut self, outer: impl IntoIterator<Item = Segment>) {
        let mut v: Vec<Segment> = outer.into_iter().collect();
        v.append(&mut self.0);
        self.0 = v;
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Field(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Segment::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not well-formed JSON or msgpack.
    #[error("malformed {format}: {message}")]
    Syntax {
        /// `"JSON"` or `"msgpack"`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A dtype string that is refused or unknown.
    #[error(transparent)]
    DType(#[from] DTypeError),
    /// An array object lacks a required key.
    #[error("missing key {0:?}")]
    MissingKey(&'static str),
    /// An array object carries a key the format does not allow.
    #[error("unexpected key {0:?}")]
    UnexpectedKey(String),
    /// A value of the wrong JSON/msgpack type or an unknown enumeration value.
    #[error("{0}")]
    Invalid(String),
    /// A shape that is negative, not an integer list, has too many dimensions, or
    /// whose element count overflows.
    #[error("bad shape: {0}")]
    Shape(String),
    /// The array would exceed the configured size limit.
    #[error("array of {bytes} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Bytes the payload claims.
        bytes: u128,
        /// The configured limit ([`crate::Limits::max_array_bytes`]).
        limit: usize,
    },
    /// The data holds a different number of bytes than the shape and dtype need.
    #[error("data holds {found} bytes but shape {shape:?} of {dtype} needs exactly {expected}")]
    SizeMismatch {
        /// Bytes the shape and dtype imply.
        expected: usize,
        /// Bytes found.
        found: usize,
        /// The declared shape.
        shape: Vec<usize>,
        /// The declared dtype.
        dtype: crate::DType,
    },
    /// Nested lists whose lengths disagree, or whose depth does not match the shape.
    #[error("nested lists do not match shape {shape:?}: {detail}")]
    Ragged {
        /// The declared shape.
        shape: Vec<usize>,
        /// What did not fit.
        detail: String,
    },
    /// An element value that cannot be stored in the dtype.
    #[error("{0}")]
    Value(String),
    /// Invalid base64 text.
    #[error("invalid base64: {0}")]
    Base64(String),
    /// An LZ4 frame that is malformed or decompresses to the wrong size.
    #[error("invalid lz4 frame: {0}")]
    Lz4(String),
    /// A binref buffer string or file that cannot be used.
    #[error("binref: {0}")]
    Binref(String),
    /// A binref object in an object store that cannot be read or written (feature
    /// `binref-store`).
    #[cfg(feature = "binref-store")]
    #[error("binref object {reference:?}: {problem}")]
    Store {
        /// The reference (or object name) concerned.
        reference: String,
        /// What went wrong.
        problem: crate::binref::store::StoreProblem,
    },
    /// A payload that is refused for safety (pickled object arrays, structured dtypes).
    #[error("refused: {0}")]
    Refused(String),
    /// A value that the target format cannot represent (for example non-UTF-8 bytes in JSON).
    #[error("cannot represent: {0}")]
    Unrepresentable(String),
    /// An array that breaks a model's declared shape or dtype.
    #[error("{0}")]
    Constraint(String),
    /// An I/O error reading or writing side files.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other problem reported through serde.
    #[error("{0}")]
    Custom(String),
}

/// A problem and the payload path where it was found.
///
/// Displays as `path: problem`, for example
/// `inputs.a.data.buffer: invalid base64: invalid character at offset 4`.
///
/// ```
/// use arraymodel::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::MissingKey("shape")).at_field("a").at_field("inputs");
/// assert_eq!(e.to_string(), "inputs.a: missing key \"shape\"");
/// assert!(matches!(e.kind(), ErrorKind::MissingKey("shape")));
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    path: Path,
    kind: ErrorKind,
}

impl Error {
    /// An error at the root path.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner {
            path: Path::root(),
            kind,
        }))
    }

    /// Shorthand for [`ErrorKind::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid(msg.into()))
    }

    /// The problem.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Consumes the error, returning the problem.
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// Where the problem is.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Places the error one object key deeper from the caller's point of view:
    /// `e.at_field("a")` turns `data.buffer: ...` into `a.data.buffer: ...`.
    pub fn at_field(mut self, name: impl Into<String>) -> Error {
        self.0.path.prepend([Segment::Field(name.into())]);
        self
    }

    /// Like [`Error::at_field`], for a list index.
    pub fn at_index(mut self, index: usize) -> Error {
        self.0.path.prepend([Segment::Index(index)]);
        self
    }

    /// Prefixes a whole path.
    pub fn at_path(mut self, outer: &Path) -> Error {
        self.0.path.prepend(outer.0.iter().cloned());
        self
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl From<DTypeError> for Error {
    fn from(e: DTypeError) -> Error {
        Error::new(ErrorKind::DType(e))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// Control characters from the payload (key names in the path, references, dtypes)
/// are escaped ([`crate::text`]): an error can be printed to a terminal or a log as it
/// is.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if self.0.path.is_root() {
            self.0.kind.to_string()
        } else {
            format!("{}: {}", self.0.path, self.0.kind)
        };
        crate::text::write_escaped(f, &text)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("path", &self.0.path.to_string())
            .field("kind", &self.0.kind)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::DType(e) => Some(e),
            _ => None,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
