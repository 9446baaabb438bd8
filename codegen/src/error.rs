//! The generator's one error type: which file, which part of it (a JSON pointer), why.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a schema could not be turned into Rust, and where.
///
/// The `Display` form is `FILE#POINTER: message`, for example
/// `schemas/api.json#/components/schemas/Model/properties/a: $ref target
/// #/$defs/Missing does not exist`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    file: PathBuf,
    pointer: String,
    message: String,
}

impl Error {
    pub(crate) fn new(
        file: impl Into<PathBuf>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            file: file.into(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// The schema file (as given, or as reached through a relative `$ref`).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The JSON pointer of the part that could not be generated (`""` = the whole file).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.as_os_str().is_empty() && self.pointer.is_empty() {
            // About the options, not a schema.
            return f.write_str(&self.message);
        }
        write!(
            f,
            "{}#{}: {}",
            self.file.display(),
            self.pointer,
            self.message
        )
    }
}

impl std::error::Error for Error {}

/// The generator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
