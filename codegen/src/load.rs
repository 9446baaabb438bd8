//! Loading schema documents and resolving `$ref`s between and inside them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// A place in a loaded document: which document, which JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub doc: usize,
    pub ptr: String,
}

impl Loc {
    pub fn child(&self, segment: &str) -> Loc {
        let escaped = segment.replace('~', "~0").replace('/', "~1");
        Loc {
            doc: self.doc,
            ptr: format!("{}/{escaped}", self.ptr),
        }
    }

    pub fn index(&self, i: usize) -> Loc {
        Loc {
            doc: self.doc,
            ptr: format!("{}/{i}", self.ptr),
        }
    }

    /// The last pointer segment, unescaped (`""` for a document root).
    pub fn last_segment(&self) -> Option<String> {
        let (_, last) = self.ptr.rsplit_once('/')?;
        Some(last.replace("~1", "/").replace("~0", "~"))
    }
}

pub(crate) struct Doc {
    /// The path shown in errors (as given, or joined from a relative `$ref`).
    pub path: PathBuf,
    /// Where relative `$ref`s of this document are resolved; `None`: they are refused.
    pub dir: Option<PathBuf>,
    /// The file's real location, when it is a file (for rebuild tracking).
    pub file: Option<PathBuf>,
    pub value: Value,
}

/// Every document reached so far.
#[derive(Default)]
pub(crate) struct Docs {
    pub docs: Vec<Doc>,
    by_key: HashMap<PathBuf, usize>,
}

/// Refuse absurd inputs instead of exhausting memory.
const MAX_DOCUMENTS: usize = 4096;

impl Docs {
    pub fn doc(&self, i: usize) -> &Doc {
        &self.docs[i]
    }

    pub fn error(&self, loc: &Loc, message: impl Into<String>) -> Error {
        let path = self
            .docs
            .get(loc.doc)
            .map_or_else(PathBuf::new, |d| d.path.clone());
        Error::new(path, loc.ptr.clone(), message)
    }

    /// Loads a file (once; later loads of the same file return the same index).
    pub fn load_file(&mut self, path: &Path, shown: &Path, from: Option<&Loc>) -> Result<usize> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(&i) = self.by_key.get(&key) {
            return Ok(i);
        }
        let fail = |msg: String| match from {
            Some(loc) => self.error(loc, msg),
            None => Error::new(shown, "", msg),
        };
        let bytes = std::fs::read(path)
            .map_err(|e| fail(format!("cannot read {}: {e}", shown.display())))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(shown, "", format!("not valid JSON: {e}")))?;
        let dir = key.parent().map(Path::to_path_buf);
        self.push(
            key.clone(),
            Doc {
                path: shown.to_path_buf(),
                dir,
                file: Some(key),
                value,
            },
        )
    }

    /// Adds an in-memory document. Relative `$ref`s resolve against `base_dir` if given.
    pub fn add_source(
        &mut self,
        name: &Path,
        text: &str,
        base_dir: Option<PathBuf>,
    ) -> Result<usize> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::new(name, "", format!("not valid JSON: {e}")))?;
        let key = PathBuf::from(format!("<memory {}>:{}", self.docs.len(), name.display()));
        self.push(
            key,
            Doc {
                path: name.to_path_buf(),
                dir: base_dir,
                file: None,
                value,
            },
        )
    }

    fn push(&mut self, key: PathBuf, doc: Doc) -> Result<usize> {
        if self.docs.len() >= MAX_DOCUMENTS {
            return Err(Error::new(
                &doc.path,
                "",
                format!("more than {MAX_DOCUMENTS} schema documents"),
            ));
        }
        let i = self.docs.len();
        self.docs.push(doc);
        self.by_key.insert(key, i);
        Ok(i)
    }

    /// The schema at `loc`.
    pub fn get(&self, loc: &Loc) -> Result<&Value> {
        let doc = self
            .docs
            .get(loc.doc)
            .ok_or_else(|| Error::new("", loc.ptr.clone(), "internal: unknown document"))?;
        doc.value
            .pointer(&loc.ptr)
            .ok_or_else(|| self.error(loc, "no such location in the document"))
    }

    /// Resolves `reference` (the value of a `$ref` found at `from`) to a location,
    /// loading the referenced file if it is another one.
    pub fn resolve(&mut self, from: &Loc, reference: &str) -> Result<Loc> {
        let (file, fragment) = match reference.split_once('#') {
            Some((f, frag)) => (f, frag),
            None => (reference, ""),
        };
        let fragment = percent_decode(fragment)
            .ok_or_else(|| self.error(from, format!("$ref {reference:?}: bad percent-encoding")))?;
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(self.error(
                from,
                format!("$ref {reference:?}: only JSON-pointer fragments (#/...) are supported, not anchors"),
            ));
        }
        let doc = if file.is_empty() {
            from.doc
        } else {
            if file.contains("://") || file.starts_with("urn:") {
                return Err(self.error(
                    from,
                    format!(
                        "$ref {reference:?}: remote references are not fetched; \
                         download the schema and refer to it by a relative path"
                    ),
                ));
            }
            let file = percent_decode(file).ok_or_else(|| {
                self.error(from, format!("$ref {reference:?}: bad percent-encoding"))
            })?;
            let Some(dir) = self.docs.get(from.doc).and_then(|d| d.dir.clone()) else {
                return Err(self.error(
                    from,
                    format!("$ref {reference:?}: this schema has no directory to resolve a relative file against"),
                ));
            };
            let shown_base = self
                .docs
                .get(from.doc)
                .and_then(|d| d.path.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            let path = dir.join(&file);
            let shown = shown_base.join(&file);
            self.load_file(&path, &shown, Some(from))?
        };
        let loc = Loc { doc, ptr: fragment };
        self.get(&loc).map_err(|_| {
            self.error(
                from,
                format!("$ref {reference:?}: the target does not exist"),
            )
        })?;
        Ok(loc)
    }

    /// Every file read, for rebuild tracking.
    pub fn files(&self) -> Vec<PathBuf> {
        self.docs.iter().filter_map(|d| d.file.clone()).collect()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("a%2").as_deref(), None);
        assert_eq!(percent_decode("%zz").as_deref(), None);
    }

    #[test]
    fn segments() {
        let l = Loc {
            doc: 0,
            ptr: String::new(),
        }
        .child("a/b~c");
        assert_eq!(l.ptr, "/a~1b~0c");
        assert_eq!(l.last_segment().as_deref(), Some("a/b~c"));
    }
}
