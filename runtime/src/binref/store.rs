//! binref side files in S3-compatible object storage (feature `binref-store`), through the
//! [`object_store`] crate (Apache Arrow).
//!
//! A [`StoreBase`] is a bucket and a prefix (`s3://bucket/runs/42`). Given to
//! [`DecodeOptions::binref_store`](crate::DecodeOptions::binref_store), binref references
//! resolve to objects under the prefix; given to
//! [`EncodeOptions::binref_store`](crate::EncodeOptions::binref_store), `<uuid4>.bin` objects
//! are written there.
//!
//! **Confinement.** A reference is checked as for a folder before any request is made
//! ([`Reference::parse`](super::Reference::parse)): relative, no `..`, no scheme or `:`,
//! no `\` or NUL; its path becomes a key below the prefix, component by component. So a
//! payload can name neither another bucket, nor another host, nor a key outside the
//! prefix: the only endpoint ever contacted is the store's.
//!
//! **Reading.** Each array is a ranged GET of exactly its bytes (`offset` to `offset +
//! size`, the LZ4 frame's `compressed_size` for a compressed one). Before a JSON payload
//! is decoded, its references are listed (a first pass of the [`Document`] recogniser
//! that reads no array from the store) and fetched concurrently, at most
//! [`max_concurrency`](StoreBase::max_concurrency) requests at a time (an array larger
//! than [`multipart_threshold`](StoreBase::multipart_threshold) in parts of
//! [`part_size`](StoreBase::part_size) bytes); the decode then takes the bytes from
//! memory. Peak memory is the fetched bytes plus the decoded arrays, about twice
//! the arrays.
//!
//! **Writing** follows the folder writer: arrays are appended to a file (an in-memory
//! buffer) rolled over at 100 MiB; each file is uploaded as one object under its final
//! name when it is full or the value is written, with one PUT, or, past
//! [`multipart_threshold`](StoreBase::multipart_threshold), a multipart upload whose
//! parts go up concurrently. S3 makes an object visible only once
//! its PUT or its multipart upload completes, so a failed upload leaves nothing under
//! the name (a failed multipart upload is aborted). Objects of a value whose encoding
//! fails afterwards are deleted.
//!
//! **Errors** are [`crate::ErrorKind::Store`], naming the reference and
//! the problem ([`StoreProblem`]): a missing object, an object shorter than the array,
//! access denied, an endpoint that cannot be reached.
//!
//! [`Document`]: crate::document::Document

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, ErrorKind, Result};

/// What went wrong with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreProblem {
    /// No object has the reference's key.
    Missing,
    /// The object ends before the array does.
    TooShort,
    /// The store refused the credentials or the access.
    AccessDenied,
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    Unreachable(String),
    /// Any other answer of the store.
    Other(String),
}

impl fmt::Display for StoreProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreProblem::Missing => f.write_str("no such object"),
            StoreProblem::TooShort => f.write_str("the object is shorter than the array"),
            StoreProblem::AccessDenied => f.write_str("access denied"),
            StoreProblem::Unreachable(why) => write!(f, "endpoint unreachable: {why}"),
            StoreProblem::Other(why) => f.write_str(why),
        }
    }
}

fn store_error(reference: impl Into<String>, problem: StoreProblem) -> Error {
    Error::new(ErrorKind::Store {
        reference: reference.into(),
        problem,
    })
}

/// The tokio runtime the store's futures run on, shut down without blocking when the
/// last handle goes (a runtime dropped inside another one's task would panic).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The S3 client's TLS (rustls) needs a process-wide crypto provider: if none is
/// installed when the first base is made, ring's becomes the default (this crate builds
/// rustls with ring only; an application that installs another first keeps it).
pub(crate) fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A bucket (or any `object_store` store) and a prefix that binref objects are read from
/// and written to, confined to the prefix. Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use arraymodel::binref::store::StoreBase;
/// use arraymodel::{Array, DecodeOptions, EncodeOptions, Encoding};
///
/// // An in-memory store here; `StoreBase::from_url("s3://bucket/prefix")` for S3.
/// let store = Arc::new(object_store::memory::InMemory::new());
/// let base = StoreBase::new(store, "memory:///runs/1", "runs/1").unwrap();
/// let a = Array::from_vec(vec![1.5f64, 2.5]);
/// let json = arraymodel::to_json_vec(&a, &EncodeOptions::tesseract(Encoding::Binref).binref_store(base.clone())).unwrap();
/// let back: Array = arraymodel::from_json_slice(&json, &DecodeOptions::default().binref_store(base)).unwrap();
/// assert_eq!(back, a);
/// ```
#[derive(Clone)]
pub struct StoreBase {
    store: Arc<dyn ObjectStore>,
    runtime: Arc<Runtime>,
    url: String,
    prefix: Key,
    max_concurrency: usize,
    part_size: usize,
    multipart_threshold: usize,
}

impl fmt::Debug for StoreBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreBase")
            .field("url", &self.url)
            .field("max_concurrency", &self.max_concurrency)
            .field("part_size", &self.part_size)
            .finish()
    }
}

impl PartialEq for StoreBase {
    fn eq(&self, other: &StoreBase) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
            && self.prefix == other.prefix
            && self.max_concurrency == other.max_concurrency
            && self.part_size == other.part_size
    }
}

impl Eq for StoreBase {}

/// Most distinct byte ranges one payload may reference in a store (a payload of many
/// tiny references would otherwise turn into as many requests).
pub const MAX_RANGES: usize = 65_536;

/// Default [`StoreBase::max_concurrency`]: 8 requests.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Default [`StoreBase::part_size`]: 16 MiB (S3's smallest multipart part is 5 MiB).
pub const DEFAULT_PART_SIZE: usize = 16 << 20;
/// Default [`StoreBase::multipart_threshold`]: 256 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: usize = 256 << 20;

impl StoreBase {
    /// A base from a URL: `s3://bucket/prefix` (also `s3a://`), with the credentials,
    /// region and endpoint of the standard AWS environment as `object_store` reads them
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, and `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint such as a
    /// local test server, which is addressed path-style). No request is made here.
    ///
    /// HTTPS endpoints need a TLS backend: enable `object_store`'s `aws` feature in your
    /// `Cargo.toml` (rustls); this crate's feature only brings plain HTTP and request
    /// signing.
    pub fn from_url(url: &str) -> Result<StoreBase> {
        StoreBase::from_url_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`StoreBase::from_url`] with explicit settings over the environment's, by
    /// `object_store`'s configuration keys (`aws_endpoint`, `aws_access_key_id`,
    /// `aws_secret_access_key`, `aws_region`, `aws_allow_http`, ...; the names of the
    /// environment variables, lowercased):
    ///
    /// ```
    /// use arraymodel::binref::store::StoreBase;
    /// let base = StoreBase::from_url_with("s3://bucket/runs", [
    ///     ("aws_endpoint", "http://127.0.0.1:9000"),
    ///     ("aws_allow_http", "true"),
    ///     ("aws_access_key_id", "key"),
    ///     ("aws_secret_access_key", "secret"),
    ///     ("aws_region", "us-east-1"),
    /// ]).unwrap();
    /// assert_eq!(base.url(), "s3://bucket/runs");
    /// assert!(StoreBase::from_url_with("s3://b", [("no_such_key", "x")]).is_err());
    /// ```
    pub fn from_url_with<K: AsRef<str>, V: Into<String>>(
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<StoreBase> {
        install_crypto_provider();
        let Some(rest) = url
            .strip_prefix("s3://")
            .or_else(|| url.strip_prefix("s3a://"))
        else {
            return Err(Error::invalid(format!(
                "{url:?}: only s3:// object stores are supported"
            )));
        };
        let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::invalid(format!("{url:?} names no bucket")));
        }
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
        for (k, v) in options {
            let key: object_store::aws::AmazonS3ConfigKey = k
                .as_ref()
                .parse()
                .map_err(|e| Error::invalid(format!("{url}: option {:?}: {e}", k.as_ref())))?;
            builder = builder.with_config(key, v);
        }
        let store = builder
            .build()
            .map_err(|e| Error::invalid(format!("{url}: {e}")))?;
        StoreBase::new(Arc::new(store), url, path.trim_matches('/'))
    }

    /// A base over any `object_store` store (for explicit credentials or endpoints, or
    /// another backend); `url` names it in messages, `prefix` is the key prefix.
    pub fn new(store: Arc<dyn ObjectStore>, url: &str, prefix: &str) -> Result<StoreBase> {
        install_crypto_provider();
        let prefix =
            Key::parse(prefix).map_err(|e| Error::invalid(format!("prefix {prefix:?}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("arraymodel-store")
            .enable_all()
            .build()
            .map_err(Error::from)?;
        Ok(StoreBase {
            store,
            runtime: Arc::new(Runtime(Some(runtime))),
            url: url.trim_end_matches('/').to_string(),
            prefix,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            part_size: DEFAULT_PART_SIZE,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
        })
    }

    /// How many requests may run at once (default [`DEFAULT_MAX_CONCURRENCY`]).
    pub fn max_concurrency(mut self, n: usize) -> StoreBase {
        self.max_concurrency = n.max(1);
        self
    }

    /// The size of a ranged read's parts and of multipart upload parts (default
    /// [`DEFAULT_PART_SIZE`]; at least 5 MiB, S3's smallest part).
    pub fn part_size(mut self, bytes: usize) -> StoreBase {
        self.part_size = bytes.max(5 << 20);
        self
    }

    /// Files up to this size are uploaded with one PUT, larger ones with a multipart
    /// upload of `part_size` parts; arrays up to this size are read with one ranged GET,
    /// larger ones in `part_size` parts fetched concurrently (default
    /// [`DEFAULT_MULTIPART_THRESHOLD`]; files roll over at 100 MiB, so only a larger
    /// single array goes in parts).
    pub fn multipart_threshold(mut self, bytes: usize) -> StoreBase {
        self.multipart_threshold = bytes;
        self
    }

    /// The URL it was made from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The base one key component further down (`name` must be one plain component).
    pub fn child(&self, name: &str) -> Result<StoreBase> {
        let part = object_store::path::PathPart::parse(name)
            .map_err(|e| Error::invalid(format!("{name:?} is not a key component: {e}")))?;
        let mut out = self.clone();
        out.prefix = self.prefix.clone().join(part);
        out.url = format!("{}/{name}", self.url);
        Ok(out)
    }

    /// Deletes every object under the prefix (best effort: errors are ignored).
    pub fn remove_all(&self) {
        let store = self.store.clone();
        let prefix = self.prefix.clone();
        self.run(async move {
            use futures::StreamExt;
            let keys: Vec<Key> = store
                .list(Some(&prefix))
                .filter_map(|m| async move { m.ok().map(|m| m.location) })
                .collect()
                .await;
            for k in keys {
                let _ = store.delete(&k).await;
            }
        });
    }

    /// The key of a checked reference path: its components below the prefix.
    fn key(&self, path: &str) -> Result<Key> {
        let parts = std::path::Path::new(path)
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(p) => Some(p.to_str().map(str::to_owned)),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| {
                store_error(path, StoreProblem::Other("the path is not UTF-8".into()))
            })?;
        if parts.is_empty() {
            // `.` would name the prefix itself, which is no object below it.
            return Err(Error::new(ErrorKind::Binref(format!(
                "{path:?} names no object below the prefix"
            ))));
        }
        let mut key = self.prefix.clone();
        for p in parts {
            let part = object_store::path::PathPart::parse(&p).map_err(|e| {
                store_error(
                    path,
                    StoreProblem::Other(format!("not a key component: {e}")),
                )
            })?;
            key = key.join(part);
        }
        Ok(key)
    }

    /// Runs a future on the store's runtime and waits for it, from any thread (inside
    /// another runtime's task too, which it blocks meanwhile).
    fn run<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let rt = self.runtime.0.as_ref().expect("a live runtime");
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().expect("the store's runtime ran the request")
    }

    /// Fetches `requests` (keys and byte ranges), in parts, at most `max_concurrency`
    /// requests at a time; each result is exactly its range's bytes. Parts are kept as
    /// they arrive and joined at the end, so memory follows the bytes received, never a
    /// size a payload claims; the first failed part of an array cancels the parts of it
    /// not yet sent.
    fn fetch(
        &self,
        requests: Vec<Planned>,
    ) -> Vec<std::result::Result<bytes::Bytes, StoreProblem>> {
        let store = self.store.clone();
        let (part, conc) = (self.part_size as u64, self.max_concurrency);
        let whole = self.multipart_threshold as u64;
        self.run(async move {
            use futures::StreamExt;
            let mut parts = Vec::new();
            for (i, r) in requests.iter().enumerate() {
                // Each array is one ranged GET of exactly its bytes; only an array larger
                // than the multipart threshold is fetched in parts.
                let len = r.range.end - r.range.start;
                let step = if len <= whole { len.max(1) } else { part };
                let mut at = r.range.start;
                while at < r.range.end {
                    let end = at + step.min(r.range.end - at);
                    parts.push((i, at..end));
                    at = end;
                }
            }
            let n = requests.len();
            let failed: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![false; n]));
            let mut got: Vec<Vec<(u64, bytes::Bytes)>> = vec![Vec::new(); n];
            let mut problems: Vec<Option<StoreProblem>> = vec![None; n];
            let requests = Arc::new(requests);
            let mut stream = futures::stream::iter(parts)
                .map(|(i, range)| {
                    let store = store.clone();
                    let requests = requests.clone();
                    let failed = failed.clone();
                    async move {
                        if failed.lock().expect("not poisoned")[i] {
                            return (i, range, None);
                        }
                        let r = store.get_range(&requests[i].key, range.clone()).await;
                        (i, range, Some(r))
                    }
                })
                .buffer_unordered(conc);
            while let Some((i, range, r)) = stream.next().await {
                match r {
                    None => {}
                    Some(Ok(bytes)) if bytes.len() as u64 == range.end - range.start => {
                        got[i].push((range.start, bytes));
                    }
                    Some(other) => {
                        failed.lock().expect("not poisoned")[i] = true;
                        if problems[i].is_none() {
                            problems[i] = Some(match other {
                                Ok(_) => StoreProblem::TooShort,
                                Err(e) => classify(e),
                            });
                        }
                    }
                }
            }
            got.into_iter()
                .zip(problems)
                .map(|(mut parts, problem)| {
                    if let Some(p) = problem {
                        return Err(p);
                    }
                    if parts.len() == 1 {
                        // One part: the response's bytes as they are, no copy.
                        return Ok(parts.pop().expect("one part").1);
                    }
                    parts.sort_by_key(|(at, _)| *at);
                    let len: usize = parts.iter().map(|(_, b)| b.len()).sum();
                    let mut out = bytes::BytesMut::with_capacity(len);
                    for (_, b) in parts {
                        out.extend_from_slice(&b);
                    }
                    Ok(out.freeze())
                })
                .collect()
        })
    }
}

/// The problem an `object_store` error stands for.
fn classify(e: object_store::Error) -> StoreProblem {
    use object_store::Error as E;
    match &e {
        E::NotFound { .. } => StoreProblem::Missing,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => StoreProblem::AccessDenied,
        _ => {
            let text = e.to_string();
            let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
            let mut unreachable = false;
            let mut chain = text.clone();
            while let Some(s) = source {
                let t = s.to_string();
                if t.contains("connect") || t.contains("dns") || t.contains("timed out") {
                    unreachable = true;
                }
                chain = t;
                source = s.source();
            }
            let lower = text.to_ascii_lowercase();
            if lower.contains("range")
                && (lower.contains("not satisf")
                    || lower.contains("out of bounds")
                    || lower.contains("invalid range"))
            {
                StoreProblem::TooShort
            } else if unreachable || lower.contains("error sending request") {
                StoreProblem::Unreachable(chain)
            } else if lower.contains("access denied") || lower.contains("forbidden") {
                StoreProblem::AccessDenied
            } else {
                StoreProblem::Other(text)
            }
        }
    }
}

/// One array's bytes in the store: its reference (for messages), key and range.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Planned {
    reference: String,
    key: Key,
    range: Range<u64>,
}

/// Bytes fetched before a decode, by key and range (each taken once).
type Fetched = HashMap<(Key, u64, u64), std::result::Result<bytes::Bytes, StoreProblem>>;

/// How a decode reads the store: straight away, only listing references, or from
/// bytes fetched beforehand.
#[derive(Clone, Debug)]
pub(crate) enum Mode {
    Direct,
    Plan(Arc<Mutex<Vec<Planned>>>),
    Prefetched(Arc<Fetched>),
}

/// The reading side: a base and its mode (options compare by their base).
#[derive(Clone, Debug)]
pub(crate) struct StoreReader {
    pub base: StoreBase,
    pub mode: Mode,
}

impl PartialEq for StoreReader {
    fn eq(&self, other: &StoreReader) -> bool {
        self.base == other.base
    }
}

impl Eq for StoreReader {}

impl StoreReader {
    /// Reads (or lists) the array a checked reference points at; `stored` is its size
    /// in the object (the frame's, compressed).
    pub(crate) fn bytes(
        &self,
        reference: &str,
        path: &str,
        offset: u64,
        stored: u64,
    ) -> Result<Option<bytes::Bytes>> {
        let key = self.base.key(path)?;
        let end = offset
            .checked_add(stored)
            .ok_or_else(|| store_error(reference, StoreProblem::TooShort))?;
        let planned = Planned {
            reference: reference.to_string(),
            key,
            range: offset..end,
        };
        match &self.mode {
            Mode::Plan(list) => {
                list.lock().expect("not poisoned").push(planned);
                Ok(None)
            }
            Mode::Prefetched(map) => match map.get(&(planned.key.clone(), offset, stored)) {
                // A reference used twice reads the same bytes (each use is charged to the
                // call's budget by the decode).
                Some(got) => got.clone().map(Some).map_err(|p| store_error(reference, p)),
                None => self.fetch_one(planned).map(Some),
            },
            Mode::Direct => self.fetch_one(planned).map(Some),
        }
    }

    fn fetch_one(&self, planned: Planned) -> Result<bytes::Bytes> {
        let reference = planned.reference.clone();
        self.base
            .fetch(vec![planned])
            .pop()
            .expect("one result per request")
            .map_err(|p| store_error(reference, p))
    }
}

/// Lists the binref references of a JSON payload with the [`Document`] recogniser (no
/// array is read from the store) and fetches them; `None` when the payload holds none,
/// or cannot be read as a document (the decode then reports the problem).
///
/// [`Document`]: crate::document::Document
pub(crate) fn prefetch(
    bytes: &[u8],
    opts: &crate::DecodeOptions,
    base: &StoreBase,
) -> Result<Option<Arc<Fetched>>> {
    let list = Arc::new(Mutex::new(Vec::new()));
    let mut plan = opts.clone();
    plan.binref_store = Some(StoreReader {
        base: base.clone(),
        mode: Mode::Plan(list.clone()),
    });
    match crate::document::Document::from_json_slice(bytes, &plan) {
        Ok(_) => {}
        // A reference that cannot be used is refused before any request.
        Err(e) if matches!(e.kind(), ErrorKind::Binref(_) | ErrorKind::Store { .. }) => {
            return Err(e);
        }
        Err(_) => return Ok(None),
    }
    let mut planned = std::mem::take(&mut *list.lock().expect("not poisoned"));
    if planned.is_empty() {
        return Ok(None);
    }
    planned.sort_by(|a, b| {
        (&a.key, a.range.start, a.range.end).cmp(&(&b.key, b.range.start, b.range.end))
    });
    planned.dedup_by(|a, b| a.key == b.key && a.range == b.range);
    // What the payload would make us fetch is held to the call's limits before anything
    // is requested: the bytes of its arrays, and how many distinct ranges there are.
    let total: u64 = planned
        .iter()
        .map(|p| p.range.end - p.range.start)
        .fold(0u64, u64::saturating_add);
    if total > opts.limits.max_total_bytes {
        return Err(Error::new(ErrorKind::TooLarge {
            bytes: u128::from(total),
            limit: usize::try_from(opts.limits.max_total_bytes).unwrap_or(usize::MAX),
        }));
    }
    if planned.len() > MAX_RANGES {
        return Err(Error::new(ErrorKind::Binref(format!(
            "{} distinct binref ranges in one payload; at most {MAX_RANGES} are fetched",
            planned.len()
        ))));
    }
    let fetched = base.fetch(planned.clone());
    let map = planned
        .into_iter()
        .zip(fetched)
        .map(|(p, got)| ((p.key, p.range.start, p.range.end - p.range.start), got))
        .collect();
    Ok(Some(Arc::new(map)))
}

/// The writing side: files buffered in memory, uploaded whole under their final names.
#[derive(Debug)]
pub(crate) struct StoreWriter {
    base: StoreBase,
    /// Keys uploaded so far (deleted if the writer is dropped unfinished).
    uploaded: Vec<Key>,
}

impl StoreWriter {
    pub(crate) fn new(base: StoreBase) -> StoreWriter {
        StoreWriter {
            base,
            uploaded: Vec::new(),
        }
    }

    /// Uploads one file: one PUT, or a multipart upload of `part_size` parts going up
    /// concurrently (aborted if a part fails).
    pub(crate) fn upload(&mut self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let key = self.base.key(name)?;
        let store = self.base.store.clone();
        let (part, conc) = (self.base.part_size, self.base.max_concurrency);
        let threshold = self.base.multipart_threshold.max(part);
        let k = key.clone();
        let reference = name.to_string();
        self.base.run(async move {
            use futures::StreamExt;
            let payload = bytes::Bytes::from(bytes);
            if payload.len() <= threshold {
                return store
                    .put(&k, payload.into())
                    .await
                    .map(drop)
                    .map_err(|e| store_error(&reference, classify(e)));
            }
            let mut upload = store
                .put_multipart(&k)
                .await
                .map_err(|e| store_error(&reference, classify(e)))?;
            let chunks: Vec<bytes::Bytes> = (0..payload.len())
                .step_by(part)
                .map(|at| payload.slice(at..(at + part).min(payload.len())))
                .collect();
            let parts: Vec<_> = chunks
                .into_iter()
                .map(|c| upload.put_part(c.into()))
                .collect();
            let mut results = futures::stream::iter(parts).buffered(conc);
            while let Some(r) = results.next().await {
                if let Err(e) = r {
                    drop(results);
                    let _ = upload.abort().await;
                    return Err(store_error(&reference, classify(e)));
                }
            }
            drop(results);
            match upload.complete().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = upload.abort().await;
                    Err(store_error(&reference, classify(e)))
                }
            }
        })?;
        self.uploaded.push(key);
        Ok(())
    }

    /// The uploaded objects, named by URL; the writer no longer owns them.
    pub(crate) fn finish(&mut self) -> Vec<std::path::PathBuf> {
        let url = self.base.url.clone();
        let prefix = self.base.prefix.to_string();
        std::mem::take(&mut self.uploaded)
            .into_iter()
            .map(|k| {
                let rest = k
                    .as_ref()
                    .strip_prefix(prefix.as_str())
                    .unwrap_or(k.as_ref());
                std::path::PathBuf::from(format!("{url}/{}", rest.trim_start_matches('/')))
            })
            .collect()
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        // A value that failed to encode leaves no object behind (best effort).
        let keys = std::mem::take(&mut self.uploaded);
        if keys.is_empty() {
            return;
        }
        let store = self.base.store.clone();
        self.base.run(async move {
            for k in keys {
                let _ = store.delete(&k).await;
            }
        });
    }
}
