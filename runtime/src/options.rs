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
}

/// Options for writing JSON.
///
/// ```
/// use arraymodel::{EncodeOptions, Encoding};
/// let opts = EncodeOptions::tesseract(Encoding::Base64).lz4();
/// let truss = EncodeOptions::truss();
/// let binref = EncodeOptions::tesseract(Encoding::Binref).binref_dir("/tmp/out");
/// # let _ = (opts, truss, binref);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    pub(crate) style: JsonStyle,
    pub(crate) binref_dir: Option<PathBuf>,
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

    /// Compress base64 and binref buffers with LZ4 (an error for the `json` encoding
    /// and for truss, which have no compression).
    pub fn lz4(mut self) -> EncodeOptions {
        if let JsonStyle::Tesseract { compression, .. } = &mut self.style {
            *compression = Compression::Lz4;
        }
        self
    }

    /// The folder binref files are written to.
    pub fn binref_dir(mut self, dir: impl Into<PathBuf>) -> EncodeOptions {
        self.binref_dir = Some(dir.into());
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
    pub(crate) bytes: BytesStyle,
}

impl DecodeOptions {
    /// The folder binref references are resolved in (and confined to).
    pub fn binref_dir(mut self, dir: impl Into<PathBuf>) -> DecodeOptions {
        self.binref_dir = Some(dir.into());
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
