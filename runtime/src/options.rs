//! Per-call choices: which JSON form to write, where binref files go, limits.

use std::path::PathBuf;

use crate::shape::Limits;

/// tesseract's buffer encodings (the `encoding` key of an array's `data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Nested JSON lists (`arr.tolist()`); lossy for NaN/Inf, which become `null`.
    Json,
    /// Standard base64 of the raw bytes.
    Base64,
    /// A `path:offset` reference into a side file.
    Binref,
}

impl Encoding {
    /// The wire name: `json`, `base64` or `binref`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Base64 => "base64",
            Encoding::Binref => "binref",
        }
    }

    /// The media type tesseract negotiates for this encoding:
    /// `application/json`, `application/json+base64`, `application/json+binref`.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Base64 => "application/json+base64",
            Encoding::Binref => "application/json+binref",
        }
    }
}

/// Compression of array buffers (tesseract allows it for base64 and binref).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Raw bytes.
    #[default]
    None,
    /// One LZ4 frame per array.
    Lz4,
}

/// How raw `bytes` fields are written in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BytesStyle {
    /// As a UTF-8 string, pydantic's default (`ser_json_bytes="utf8"`), used by tesseract
    /// and truss. Bytes that are not UTF-8 are an error, never silently altered.
    #[default]
    Utf8,
    /// URL-safe base64 with padding (pydantic `ser_json_bytes="base64"`).
    Base64Url,
}

/// The JSON form of arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonStyle {
    /// `{"object_type":"array","shape","dtype","data":{"buffer","encoding"[,"compression"]}}`.
    Tesseract {
        /// The buffer encoding.
        encoding: Encoding,
        /// LZ4 for base64 and binref.
        compression: Compression,
    },
    /// truss `NumpyArrayField`: `{"data_b64","shape","dtype"}`.
    Truss,
    /// Plain nested JSON lists, `ndarray.tolist()` as pydantic writes it: the JSON of a
    /// numpydantic `NDArray` field (`[[1.0,2.0],[3.0,4.0]]`), with the same element
    /// writer as tesseract's `json` buffer encoding. (pydantic-numpy wraps such lists in
    /// an object of its own, `{"data_type","data","shape"}`, which this form does not
    /// write.)
    ///
    /// - A 0-d array is a bare value (`2.5`, `true`), as `tolist()` gives it (numpydantic
    ///   writes a one-element list, `[2.5]`, instead); an empty dimension is `[]`
    ///   (`[2, 0]` is `[[],[]]`).
    /// - Integers are exact over the whole int64 and uint64 range (`u64::MAX` is
    ///   `18446744073709551615`, never a float); booleans are `true`/`false`.
    /// - Floats are the shortest text that reads back as the same `f64`; float16 and
    ///   float32 are widened to `f64` first, so float32 `0.1` is `0.10000000149011612`,
    ///   which numpy (and this crate) reads back into the same float32 bits. The
    ///   notation is pydantic's and orjson's (`1.0`, `1e-7`, `0.00001`, `1e+16`): the
    ///   whole text is byte for byte what FastAPI (pydantic 2) writes for a numpydantic
    ///   field of one or more dimensions. Python's `json.dumps` spells the same digits
    ///   differently between `1e-9` and `1e-4` (`1e-07`, `1e-05`).
    /// - NaN and ±infinity are written as `null`, as pydantic writes them: lossy (a
    ///   `null` inside a list reads back as NaN; a bare `null` is no array). Use truss or
    ///   tesseract `base64` to keep them.
    /// - Complex elements are strings in pydantic's form (`"1+2j"`, `"-0.5j"`); they
    ///   read back as complex numbers (a 0-d complex array is a bare string such as
    ///   `"1+2j"`, also read back as one). A real part of zero is not written, as
    ///   pydantic does, so `-0.0` there comes back as `0.0`.
    ///
    /// The form carries no dtype and, for empty arrays, not the whole shape: a reader
    /// infers them as `np.asarray` does (int64, uint64, float64, bool or complex128;
    /// `[]` is float64) unless the field declares them
    /// (`#[array(dtype = "float32", shape = [None, 2])]` converts the values back, an
    /// empty list becomes an empty array of the declared dtype). The dimensions after
    /// the first 0 are lost, as with numpy's `tolist()`: `[2, 0, 3]` is written
    /// `[[],[]]` and read back as `[2, 0]`. binref folders and LZ4 do not apply.
    ///
    /// ```
    /// use arraymodel::{to_json_vec, Array, EncodeOptions};
    /// let a = Array::new(vec![2, 2], vec![1.0f32, 0.1, -0.0, 1e-45]).unwrap();
    /// assert_eq!(to_json_vec(&a, &EncodeOptions::list()).unwrap(),
    ///     b"[[1.0,0.10000000149011612],[-0.0,1.401298464324817e-45]]");
    /// assert_eq!(to_json_vec(&Array::scalar(u64::MAX), &EncodeOptions::list()).unwrap(),
    ///     b"18446744073709551615");
    /// ```
    List,
    /// pydantic-numpy's `{"data_type","data","shape"}`: the dtype name, the elements as
    /// nested lists (as [`JsonStyle::List`] writes them) and the shape. pydantic-numpy
    /// itself writes every number through float64 (`astype(float)`), which loses int64
    /// and uint64 values past 2^53; here integers stay integers, which
    /// `np.array(data, dtype=data_type)` reads exactly.
    ///
    /// ```
    /// use arraymodel::{to_json_vec, Array, EncodeOptions};
    /// let a = Array::new(vec![2], vec![9007199254740993i64, -1]).unwrap();
    /// assert_eq!(to_json_vec(&a, &EncodeOptions::pydantic_numpy()).unwrap(),
    ///     br#"{"data_type":"int64","data":[9007199254740993,-1],"shape":[2]}"#);
    /// ```
    PydanticNumpy,
}

/// Options for writing JSON.
///
/// ```
/// use arraymodel::{EncodeOptions, Encoding};
/// let opts = EncodeOptions::tesseract(Encoding::Base64).lz4();
/// let truss = EncodeOptions::truss();
/// let lists = EncodeOptions::list();
/// let binref = EncodeOptions::tesseract(Encoding::Binref).binref_dir("/tmp/out");
/// # let _ = (opts, truss, lists, binref);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    pub(crate) style: JsonStyle,
    pub(crate) binref_dir: Option<PathBuf>,
    #[cfg(feature = "binref-store")]
    pub(crate) binref_store: Option<crate::binref::store::StoreBase>,
    pub(crate) binref_prefix: String,
    pub(crate) bytes: BytesStyle,
}

impl Default for EncodeOptions {
    /// tesseract `json+base64`: lossless and fast.
    fn default() -> Self {
        EncodeOptions::tesseract(Encoding::Base64)
    }
}

impl EncodeOptions {
    /// tesseract's array object with the given buffer encoding.
    pub fn tesseract(encoding: Encoding) -> EncodeOptions {
        EncodeOptions {
            style: JsonStyle::Tesseract {
                encoding,
                compression: Compression::None,
            },
            binref_dir: None,
            #[cfg(feature = "binref-store")]
            binref_store: None,
            binref_prefix: String::new(),
            bytes: BytesStyle::Utf8,
        }
    }

    /// truss's `{"data_b64","shape","dtype"}` object.
    pub fn truss() -> EncodeOptions {
        EncodeOptions {
            style: JsonStyle::Truss,
            ..EncodeOptions::default()
        }
    }

    /// Plain nested JSON lists for every array ([`JsonStyle::List`]): what numpydantic's
    /// `NDArray` fields are in JSON.
    ///
    /// ```
    /// use arraymodel::{to_json_vec, Array, EncodeOptions};
    /// let a = Array::new(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(to_json_vec(&a, &EncodeOptions::list()).unwrap(), b"[[1.0,2.0],[3.0,4.0]]");
    /// ```
    pub fn list() -> EncodeOptions {
        EncodeOptions {
            style: JsonStyle::List,
            ..EncodeOptions::default()
        }
    }

    /// pydantic-numpy's `{"data_type","data","shape"}` for every array
    /// ([`JsonStyle::PydanticNumpy`]).
    pub fn pydantic_numpy() -> EncodeOptions {
        EncodeOptions {
            style: JsonStyle::PydanticNumpy,
            ..EncodeOptions::default()
        }
    }

    /// Compress base64 and binref buffers with LZ4 (an error for the `json` encoding;
    /// no effect on the truss and list forms, which have no compression).
    pub fn lz4(mut self) -> EncodeOptions {
        if let JsonStyle::Tesseract { compression, .. } = &mut self.style {
            *compression = Compression::Lz4;
        }
        self
    }

    /// The folder binref files are written to.
    pub fn binref_dir(mut self, dir: impl Into<PathBuf>) -> EncodeOptions {
        self.binref_dir = Some(dir.into());
        #[cfg(feature = "binref-store")]
        {
            self.binref_store = None;
        }
        self
    }

    /// The object store prefix binref objects are written to, instead of a folder
    /// (feature `binref-store`; see [`binref::store`](crate::binref::store)).
    #[cfg(feature = "binref-store")]
    pub fn binref_store(mut self, base: crate::binref::store::StoreBase) -> EncodeOptions {
        self.binref_store = Some(base);
        self.binref_dir = None;
        self
    }

    /// A prefix for binref references, e.g. `run_<id>/` as tesseract's server writes.
    pub fn binref_prefix(mut self, prefix: impl Into<String>) -> EncodeOptions {
        self.binref_prefix = prefix.into();
        self
    }

    /// How `bytes` fields are written.
    pub fn bytes_style(mut self, style: BytesStyle) -> EncodeOptions {
        self.bytes = style;
        self
    }

    /// The array form these options write.
    pub fn style(&self) -> JsonStyle {
        self.style
    }
}

/// Options for decoding.
///
/// ```
/// use arraymodel::{DecodeOptions, Limits};
/// let opts = DecodeOptions::default()
///     .binref_dir("/srv/inputs")
///     .limits(Limits { max_array_bytes: 1 << 30, ..Limits::default() });
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    pub(crate) limits: Limits,
    pub(crate) binref_dir: Option<PathBuf>,
    #[cfg(feature = "binref-store")]
    pub(crate) binref_store: Option<crate::binref::store::StoreReader>,
    pub(crate) bytes: BytesStyle,
}

impl DecodeOptions {
    /// The folder binref references are resolved in (and confined to).
    pub fn binref_dir(mut self, dir: impl Into<PathBuf>) -> DecodeOptions {
        self.binref_dir = Some(dir.into());
        #[cfg(feature = "binref-store")]
        {
            self.binref_store = None;
        }
        self
    }

    /// The object store prefix binref references are resolved in (and confined to),
    /// instead of a folder (feature `binref-store`; see
    /// [`binref::store`](crate::binref::store)).
    #[cfg(feature = "binref-store")]
    pub fn binref_store(mut self, base: crate::binref::store::StoreBase) -> DecodeOptions {
        self.binref_store = Some(crate::binref::store::StoreReader {
            base,
            mode: crate::binref::store::Mode::Direct,
        });
        self.binref_dir = None;
        self
    }

    /// Size limits.
    pub fn limits(mut self, limits: Limits) -> DecodeOptions {
        self.limits = limits;
        self
    }

    /// How `bytes` fields are read from JSON strings.
    pub fn bytes_style(mut self, style: BytesStyle) -> DecodeOptions {
        self.bytes = style;
        self
    }
}
