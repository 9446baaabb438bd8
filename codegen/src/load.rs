//! Loading schema documents and resolving `$ref`s between and inside them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::Fetcher;
use crate::document;
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
    /// The URL the document was read from: relative `$ref`s in it are URLs too.
    pub url: Option<String>,
    /// The base URI of its root: its `$id`, else the URL it was read from, else a name
    /// of our own (`https://arraymodel.invalid/doc<i>/`) that only keys the index below.
    pub base: String,
    pub value: Value,
}

/// The `$id`s and `$anchor`s of every document read, so that a `$ref` names the schema
/// that declares its URI (an embedded resource, a bundled document) or anchor.
#[derive(Default)]
struct Ids {
    /// Absolute URI (without fragment) of each schema resource, roots included.
    resources: HashMap<String, Loc>,
    /// (resource URI, anchor) of each `$anchor` (and `$dynamicAnchor`, and draft 7's
    /// `$id: "#name"`).
    anchors: HashMap<(String, String), Loc>,
    /// The base URI of each schema that declares one with `$id`.
    bases: HashMap<Loc, String>,
}

/// Keywords whose values are instances, not schemas: `$id`s in them declare nothing.
const INSTANCE_KEYWORDS: &[&str] = &["enum", "const", "default", "examples", "example"];

/// `reference` resolved against `base` (RFC 3986), or `None` if either is no IRI.
fn join(reference: &str, base: &str) -> Option<String> {
    use iri_string::types::{IriAbsoluteStr, IriReferenceStr};
    let base = base.split_once('#').map_or(base, |(b, _)| b);
    let base = IriAbsoluteStr::new(base).ok()?;
    let reference = IriReferenceStr::new(reference).ok()?;
    let resolved = reference.resolve_against(base);
    Some(resolved.to_string())
}

/// Every document reached so far.
#[derive(Default)]
pub(crate) struct Docs {
    pub docs: Vec<Doc>,
    by_key: HashMap<PathBuf, usize>,
    /// Documents read from URLs, by URL (as text: paths would equate `a//b` and `a/b`).
    by_url: HashMap<String, usize>,
    /// Reads documents named by URL; without one, such `$ref`s are refused.
    pub fetcher: Option<Arc<dyn Fetcher>>,
    /// JSON nodes (values, keys excluded) in all documents read so far.
    pub nodes: usize,
    /// Bytes of all documents read so far (see [`MAX_TOTAL_BYTES`]).
    bytes: usize,
    /// What was read leniently (a `$ref` to a definition under another section).
    pub warnings: Vec<String>,
    ids: Ids,
}

/// The JSON nodes of `v` (every value, containers included).
pub(crate) fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(o) => 1 + o.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// Refuse absurd inputs instead of exhausting memory.
const MAX_DOCUMENTS: usize = 4096;
/// The most all documents of one generation may hold together (files, strings, and
/// documents fetched for `$ref`s, each of which the fetcher limits on its own).
pub(crate) const MAX_TOTAL_BYTES: usize = 256 << 20;

impl Docs {
    pub fn doc(&self, i: usize) -> &Doc {
        &self.docs[i]
    }

    /// Counts `n` more bytes of documents against [`MAX_TOTAL_BYTES`].
    fn charge(&mut self, n: usize, shown: &Path, from: Option<&Loc>) -> Result<()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes <= MAX_TOTAL_BYTES {
            return Ok(());
        }
        let msg = format!(
            "{}: the schema documents hold more than {} MiB in all; refused",
            shown.display(),
            MAX_TOTAL_BYTES >> 20
        );
        Err(match from {
            Some(loc) => self.error(loc, msg),
            None => Error::new(shown, "", msg),
        })
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
        // Read no more than the budget has left (a `$ref` to `/dev/zero` ends there).
        let left = MAX_TOTAL_BYTES.saturating_sub(self.bytes) as u64;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, left + 1), &mut bytes)
            })
            .map_err(|e| fail(format!("cannot read {}: {e}", shown.display())))?;
        self.charge(bytes.len(), shown, from)?;
        let value =
            document::parse(&bytes, from.is_none()).map_err(|e| Error::new(shown, "", e))?;
        let dir = key.parent().map(Path::to_path_buf);
        self.push(
            key.clone(),
            Doc {
                path: shown.to_path_buf(),
                dir,
                file: Some(key),
                url: None,
                base: String::new(),
                value,
            },
        )
    }

    /// Adds a document read from `url` (by the caller, or by the fetcher for a `$ref`):
    /// its relative `$ref`s are resolved by the fetcher against `url`.
    pub fn add_url(&mut self, url: &str, bytes: &[u8], from: Option<&Loc>) -> Result<usize> {
        if let Some(&i) = self.by_url.get(url) {
            return Ok(i);
        }
        self.charge(bytes.len(), Path::new(url), from)?;
        let value = document::parse(bytes, from.is_none()).map_err(|e| match from {
            Some(loc) => self.error(loc, format!("{url}: {e}")),
            None => Error::new(url, "", e),
        })?;
        let i = self.push(
            PathBuf::from(format!("<url {}>", self.docs.len())),
            Doc {
                path: PathBuf::from(url),
                dir: None,
                file: None,
                url: Some(url.to_owned()),
                base: String::new(),
                value,
            },
        )?;
        self.by_url.insert(url.to_owned(), i);
        Ok(i)
    }

    /// Adds an in-memory document. Relative `$ref`s resolve against `base_dir` if given.
    pub fn add_source(
        &mut self,
        name: &Path,
        text: &str,
        base_dir: Option<PathBuf>,
    ) -> Result<usize> {
        self.charge(text.len(), name, None)?;
        let value = document::parse(text.as_bytes(), true).map_err(|e| Error::new(name, "", e))?;
        let key = PathBuf::from(format!("<memory {}>:{}", self.docs.len(), name.display()));
        self.push(
            key,
            Doc {
                path: name.to_path_buf(),
                dir: base_dir,
                file: None,
                url: None,
                base: String::new(),
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
        self.nodes = self.nodes.saturating_add(count_nodes(&doc.value));
        let mut doc = doc;
        let fallback = doc
            .url
            .clone()
            .unwrap_or_else(|| format!("https://arraymodel.invalid/doc{i}/"));
        doc.base = fallback.clone();
        self.docs.push(doc);
        self.by_key.insert(key, i);
        let root = Loc {
            doc: i,
            ptr: String::new(),
        };
        self.ids.resources.insert(fallback.clone(), root.clone());
        let value = std::mem::take(&mut self.docs[i].value);
        self.index(&value, &root, &fallback);
        self.docs[i].value = value;
        if let Some(base) = self.ids.bases.get(&root) {
            self.docs[i].base = base.clone();
        }
        Ok(i)
    }

    /// Records the `$id`s and anchors of the schema `v` at `at`, whose base URI is `base`.
    fn index(&mut self, v: &Value, at: &Loc, base: &str) {
        match v {
            Value::Object(o) => {
                let mut base = base.to_owned();
                if let Some(id) = o.get("$id").and_then(Value::as_str) {
                    if let Some(anchor) = id.strip_prefix('#') {
                        self.anchor(&base, anchor, at);
                    } else if let Some(uri) = join(id, &base) {
                        let uri = uri
                            .split_once('#')
                            .map_or(uri.clone(), |(u, _)| u.to_owned());
                        self.ids
                            .resources
                            .entry(uri.clone())
                            .or_insert_with(|| at.clone());
                        self.ids.bases.insert(at.clone(), uri.clone());
                        base = uri;
                    }
                }
                for key in ["$anchor", "$dynamicAnchor"] {
                    if let Some(anchor) = o.get(key).and_then(Value::as_str) {
                        self.anchor(&base, anchor, at);
                    }
                }
                for (k, child) in o {
                    if !INSTANCE_KEYWORDS.contains(&k.as_str())
                        && (child.is_object() || child.is_array())
                    {
                        self.index(child, &at.child(k), &base);
                    }
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    if child.is_object() || child.is_array() {
                        self.index(child, &at.index(i), base);
                    }
                }
            }
            _ => {}
        }
    }

    fn anchor(&mut self, base: &str, anchor: &str, at: &Loc) {
        self.ids
            .anchors
            .entry((base.to_owned(), anchor.to_owned()))
            .or_insert_with(|| at.clone());
    }

    /// The base URI in effect at `loc`: that of the nearest enclosing schema with an
    /// `$id`, else the document's.
    fn base_at(&self, loc: &Loc) -> String {
        let mut ptr = loc.ptr.as_str();
        loop {
            let here = Loc {
                doc: loc.doc,
                ptr: ptr.to_owned(),
            };
            if let Some(b) = self.ids.bases.get(&here) {
                return b.clone();
            }
            match ptr.rsplit_once('/') {
                Some((parent, _)) => ptr = parent,
                None => break,
            }
        }
        self.docs
            .get(loc.doc)
            .map(|d| d.base.clone())
            .unwrap_or_default()
    }

    /// The schema a `$ref` names through the `$id`s and anchors read so far, if any.
    fn by_id(&self, from: &Loc, reference: &str) -> Option<std::result::Result<Loc, String>> {
        let resolved = join(reference, &self.base_at(from))?;
        let (uri, fragment) = resolved.split_once('#').unwrap_or((&resolved, ""));
        let resource = self.ids.resources.get(uri)?;
        let fragment = percent_decode(fragment)?;
        Some(if fragment.is_empty() {
            Ok(resource.clone())
        } else if fragment.starts_with('/') {
            Ok(Loc {
                doc: resource.doc,
                ptr: format!("{}{fragment}", resource.ptr),
            })
        } else {
            self.ids
                .anchors
                .get(&(uri.to_owned(), fragment.clone()))
                .cloned()
                .ok_or_else(|| format!("no schema declares the anchor {fragment:?}"))
        })
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
        // A schema of the documents read so far that declares the URI (`$id`, a
        // document's own base) or the anchor.
        if let Some(found) = self.by_id(from, reference) {
            let loc = found.map_err(|e| self.error(from, format!("$ref {reference:?}: {e}")))?;
            return self.existing(from, reference, loc);
        }
        let (file, fragment) = match reference.split_once('#') {
            Some((f, frag)) => (f, frag),
            None => (reference, ""),
        };
        let fragment = percent_decode(fragment)
            .ok_or_else(|| self.error(from, format!("$ref {reference:?}: bad percent-encoding")))?;
        let base_url = self.docs.get(from.doc).and_then(|d| d.url.clone());
        // A document without a folder of its own (read from a string) whose `$id` is an
        // http(s) URL: its relative `$ref`s are URLs (a document in a folder reads its
        // neighbours there, whatever its `$id` says).
        let has_dir = self.docs.get(from.doc).is_some_and(|d| d.dir.is_some());
        let by_id_url = join(file, &self.base_at(from))
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .filter(|u| !u.starts_with("https://arraymodel.invalid/"))
            .filter(|_| !has_dir && base_url.is_none() && !file.is_empty());
        let doc = if file.is_empty() {
            from.doc
        } else if file.starts_with("urn:") {
            return Err(self.error(
                from,
                format!("$ref {reference:?}: URNs name no document to read"),
            ));
        } else if file.contains("://") || base_url.is_some() || by_id_url.is_some() {
            let Some(fetcher) = self.fetcher.clone() else {
                return Err(self.error(
                    from,
                    format!(
                        "$ref {reference:?}: remote references are not fetched unless allowed \
                         (`arraymodel generate --remote-refs`, `Generator::remote_refs`); or \
                         download the schema and refer to it by a relative path"
                    ),
                ));
            };
            let url = match &by_id_url {
                Some(u) => fetcher.resolve(None, u),
                None => fetcher.resolve(base_url.as_deref(), file),
            }
            .map_err(|e| self.error(from, format!("$ref {reference:?}: {e}")))?;
            match self.by_url.get(&url) {
                Some(&i) => i,
                None => {
                    let bytes = fetcher
                        .fetch(&url)
                        .map_err(|e| self.error(from, format!("$ref {reference:?}: {e}")))?;
                    self.add_url(&url, &bytes, Some(from))?
                }
            }
        } else {
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
        let loc = if fragment.is_empty() || fragment.starts_with('/') {
            Loc { doc, ptr: fragment }
        } else {
            // An anchor in the document just read.
            let base = self.docs[doc].base.clone();
            match self.ids.anchors.get(&(base, fragment.clone())) {
                Some(l) => l.clone(),
                None => {
                    return Err(self.error(
                        from,
                        format!("$ref {reference:?}: no schema declares the anchor {fragment:?}"),
                    ));
                }
            }
        };
        self.existing(from, reference, loc)
    }

    /// `loc` if it exists, else the definition [`Docs::by_name`] finds (with a warning),
    /// else an error.
    fn existing(&mut self, from: &Loc, reference: &str, loc: Loc) -> Result<Loc> {
        if self.get(&loc).is_err()
            && let Some(found) = self.by_name(&loc)
        {
            let w = self
                .error(
                    from,
                    format!(
                        "$ref {reference:?}: the target does not exist; taken to mean the \
                         definition of that name at {}",
                        found.ptr
                    ),
                )
                .to_string();
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
            return Ok(found);
        }
        self.get(&loc).map_err(|_| {
            self.error(
                from,
                format!("$ref {reference:?}: the target does not exist"),
            )
        })?;
        Ok(loc)
    }

    /// For a pointer to a definition that is not there (`#/components/schemas/X` in a
    /// document whose definitions are under `definitions`), the one definition of that
    /// name under `$defs`, `definitions` or `components/schemas` (as typify finds it).
    fn by_name(&self, missing: &Loc) -> Option<Loc> {
        let (parent, name) = missing.ptr.rsplit_once('/')?;
        if !matches!(
            parent,
            "/$defs" | "/definitions" | "/components/schemas" | "/$definitions"
        ) {
            return None;
        }
        let found: Vec<Loc> = ["/$defs", "/definitions", "/components/schemas"]
            .iter()
            .map(|p| Loc {
                doc: missing.doc,
                ptr: format!("{p}/{name}"),
            })
            .filter(|l| self.get(l).is_ok())
            .collect();
        match found.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Every file read, for rebuild tracking.
    pub fn files(&self) -> Vec<PathBuf> {
        self.docs.iter().filter_map(|d| d.file.clone()).collect()
    }
}

/// `%XX` escapes decoded (RFC 3986); `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("\u{e9}"));
        // Not an escape: kept as it is (RFC 3986 readers are lenient here).
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%FF").as_deref(), None);
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
