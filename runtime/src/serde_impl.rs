//! `Serialize` and `Deserialize` for [`Array`] and [`ArrayView`].
//!
//! **Writing.** In a binary format (`is_human_readable() == false`, e.g. rmp-serde) an
//! array is msgpack-numpy's map. In JSON it is the form chosen by the
//! [`EncodeOptions`](crate::EncodeOptions) of the call that carries them (see
//! [`context`](crate::context)), tesseract `json+base64` for a serializer outside any
//! such call. Inside [`to_json_vec`](crate::to_json_vec) the array's text is written by
//! the codec straight into the output, never as a `serde_json::Value` or element by
//! element.
//!
//! **Reading** recognises every form by its keys, whatever the options say:
//! tesseract's object (with or without `object_type`, `data` as an object or the
//! legacy list), truss's `data_b64` object, pydantic-numpy's `{data_type, data, shape}`,
//! msgpack-numpy's map (bin keys, read as
//! msgpack-numpy reads them; see `wire`), its scalar and complex maps, and plain JSON lists and numbers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::array::{Array, ArrayData, ArrayView};
use crate::codec::{self, tesseract::Buffer};
use crate::context;
use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, ErrorKind, Result};
use crate::options::{Compression, Encoding, JsonStyle};
use crate::shape::{self, Limits, MAX_NDIM};
use crate::wire::{Key, KeyTracker, MsgpackNumpyForm, Spelling};

/// serde_json's private marker for raw values (feature `raw_value`): a struct of this
/// name with one field of this name is written verbatim, and a newtype struct of this
/// name is read as its raw text.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

fn ser_err<E: ser::Error>(e: Error) -> E {
    E::custom(e)
}

pub(crate) fn de_err<E: de::Error>(e: Error) -> E {
    context::to_serde(e, E::custom)
}

// ---------------------------------------------------------------------------------
// Serialize
// ---------------------------------------------------------------------------------

/// The form depends on the serializer:
///
/// - **Binary formats** (`is_human_readable() == false`, e.g. rmp-serde):
///   msgpack-numpy's map, always.
/// - **Inside a call that carries [`EncodeOptions`](crate::EncodeOptions)**
///   ([`to_json_vec`](crate::to_json_vec) and the other entry points, the model
///   methods, [`EncodeOptions::serialize`](crate::EncodeOptions::serialize),
///   [`EncodeOptions::with`](crate::EncodeOptions::with)): the form those options
///   choose. The crate's own entry points write the array's text straight into their
///   output buffer.
/// - **Any other serializer** (`serde_json::to_vec(&array)`, axum's `Json(array)`,
///   outside any such call): tesseract's `json+base64` object, the default of
///   [`EncodeOptions`](crate::EncodeOptions):
///   `{"object_type":"array","shape":[..],"dtype":"..","data":{"buffer":"<base64>","encoding":"base64"}}`.
///   Wrap the value with [`EncodeOptions::with`](crate::EncodeOptions::with) for
///   another form.
///
/// An array that reaches some other serializer *while* such a call runs on the same
/// thread (a serde internally tagged enum, which drops the newtype name the call
/// recognises arrays by; a `Serialize` impl that calls `serde_json` itself) is an
/// error, never silently written in the default form.
///
/// ```
/// use arraymodel::{to_json_vec, Array, EncodeOptions};
/// let a = Array::from_vec(vec![1u8, 2]);
/// assert_eq!(serde_json::to_string(&a).unwrap(),
///     r#"{"object_type":"array","shape":[2],"dtype":"uint8","data":{"buffer":"AQI=","encoding":"base64"}}"#);
/// assert_eq!(to_json_vec(&a, &EncodeOptions::truss()).unwrap(),
///     br#"{"data_b64":"AQI=","shape":[2],"dtype":"uint8"}"#);
/// ```
impl Serialize for Array {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return codec::msgpack::serialize_map(
                self.dtype(),
                ByteOrder::NATIVE,
                self.shape(),
                self.as_bytes(),
                s,
            );
        }
        serialize_json(self, s)
    }
}

/// The JSON side of `Array`'s `Serialize`, kept out of line: the msgpack side, a few
/// calls, is then inlined into the caller's struct as it was before the JSON side grew.
#[inline(never)]
fn serialize_json<S: Serializer>(array: &Array, s: S) -> std::result::Result<S::Ok, S::Error> {
    if context::wrapped_call_active() {
        // The call's wrapper recognises the name and hands the array its state.
        return s.serialize_newtype_struct(context::ARRAY_TOKEN, &Marked(array));
    }
    let default = crate::EncodeOptions::default().style;
    let prepared = prepare(array, default, None).map_err(ser_err)?;
    write_prepared(array, prepared, s)
}

/// An array under [`context::ARRAY_TOKEN`], given the call's state by the wrapper.
struct Marked<'a>(&'a Array);

impl Serialize for Marked<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let array = self.0;
        let plan = context::with_handoff(true, |h| -> std::result::Result<_, S::Error> {
            let Some(h) = h else {
                return Ok(None);
            };
            let Some(out) = h.out.as_mut() else {
                return match prepare(array, h.style, h.binref.as_mut()) {
                    Ok(p) => Ok(Some(Some(p))),
                    Err(e) => Err(h.fail(e)),
                };
            };
            // The crate's own JSON entry points: the text goes straight into the output.
            let r = match h.style {
                JsonStyle::Tesseract {
                    encoding,
                    compression,
                } => codec::tesseract::write_array(
                    array,
                    encoding,
                    compression,
                    h.binref.as_mut(),
                    out,
                ),
                JsonStyle::Truss => {
                    codec::truss::write_array(array, out);
                    Ok(())
                }
                JsonStyle::List => {
                    codec::json::write_buffer(array, out);
                    Ok(())
                }
                JsonStyle::PydanticNumpy => {
                    codec::json::write_pydantic_numpy(array, out);
                    Ok(())
                }
            };
            match r {
                Ok(()) => Ok(Some(None)),
                Err(e) => Err(h.fail(e)),
            }
        })?;
        match plan {
            // Written: serde_json is handed an empty raw value, so it writes nothing more.
            Some(None) => {
                let mut st = s.serialize_struct(RAW_TOKEN, 1)?;
                st.serialize_field(RAW_TOKEN, "")?;
                st.end()
            }
            Some(Some(prepared)) => write_prepared(array, prepared, s),
            None => Err(ser_err(context::unwrapped_inside_call("an array"))),
        }
    }
}

/// The parts of an array's JSON form, for a serializer that is not the crate's own
/// JSON writer.
fn prepare(
    array: &Array,
    style: JsonStyle,
    binref: Option<&mut crate::codec::binref::BinrefWriter>,
) -> Result<Prepared> {
    Ok(match style {
        JsonStyle::Tesseract {
            encoding: Encoding::Json,
            compression: Compression::None,
        } => Prepared::Tesseract {
            buffer: None,
            encoding: Encoding::Json,
            lz4: false,
        },
        JsonStyle::Tesseract {
            encoding,
            compression,
        } => {
            // Reuse the codec for the buffer string, then strip the framing.
            let mut out = Vec::new();
            codec::tesseract::write_array(array, encoding, compression, binref, &mut out)?;
            let text = String::from_utf8(out)
                .map_err(|_| Error::invalid("encoder produced invalid UTF-8"))?;
            let start = text.find(r#""buffer":""#).map_or(0, |i| i + 10);
            let end = text[start..].find('"').map_or(start, |i| start + i);
            Prepared::Tesseract {
                buffer: Some(text[start..end].to_owned()),
                encoding,
                lz4: compression == Compression::Lz4,
            }
        }
        JsonStyle::Truss => {
            let mut b64 = Vec::new();
            codec::base64::encode_into(array.as_bytes(), &mut b64);
            Prepared::Truss(String::from_utf8(b64).unwrap_or_default())
        }
        JsonStyle::List => Prepared::List,
        JsonStyle::PydanticNumpy => Prepared::PydanticNumpy,
    })
}

/// Writes the prepared parts, structurally.
fn write_prepared<S: Serializer>(
    array: &Array,
    prepared: Prepared,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match prepared {
        Prepared::Tesseract {
            buffer,
            encoding,
            lz4,
        } => {
            let mut st = s.serialize_struct("Array", 4)?;
            st.serialize_field("object_type", "array")?;
            st.serialize_field("shape", array.shape())?;
            st.serialize_field("dtype", array.dtype().name())?;
            st.serialize_field(
                "data",
                &DataOut {
                    array,
                    buffer: buffer.as_deref(),
                    encoding,
                    lz4,
                },
            )?;
            st.end()
        }
        Prepared::Truss(b64) => {
            let mut st = s.serialize_struct("NumpyArrayField", 3)?;
            st.serialize_field("data_b64", &b64)?;
            st.serialize_field("shape", array.shape())?;
            st.serialize_field("dtype", array.dtype().name())?;
            st.end()
        }
        Prepared::List => Nested {
            shape: array.shape(),
            data: array.data(),
            offset: 0,
        }
        .serialize(s),
        Prepared::PydanticNumpy => {
            let mut st = s.serialize_struct("NpNDArray", 3)?;
            st.serialize_field("data_type", array.dtype().name())?;
            // A 0-d array's element as a list of one, as the text writer does.
            let shape: &[usize] = if array.ndim() == 0 {
                &[1]
            } else {
                array.shape()
            };
            st.serialize_field(
                "data",
                &Nested {
                    shape,
                    data: array.data(),
                    offset: 0,
                },
            )?;
            st.serialize_field("shape", array.shape())?;
            st.end()
        }
    }
}

enum Prepared {
    Tesseract {
        buffer: Option<String>,
        encoding: Encoding,
        lz4: bool,
    },
    Truss(String),
    /// Nested lists, written element by element.
    List,
    /// pydantic-numpy's object around the nested lists.
    PydanticNumpy,
}

struct DataOut<'a> {
    array: &'a Array,
    buffer: Option<&'a str>,
    encoding: Encoding,
    lz4: bool,
}

impl Serialize for DataOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Data", 2 + usize::from(self.lz4))?;
        match self.buffer {
            Some(b) => st.serialize_field("buffer", b)?,
            None => st.serialize_field(
                "buffer",
                &Nested {
                    shape: self.array.shape(),
                    data: self.array.data(),
                    offset: 0,
                },
            )?,
        }
        st.serialize_field("encoding", self.encoding.as_str())?;
        if self.lz4 {
            st.serialize_field("compression", "lz4")?;
        }
        st.end()
    }
}

/// Nested lists of an array, element by element (the structured `json` path).
struct Nested<'a> {
    shape: &'a [usize],
    data: &'a ArrayData,
    offset: usize,
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let Some((&n, rest)) = self.shape.split_first() else {
            return serialize_element(self.data, self.offset, s);
        };
        let step = shape::element_count(rest).unwrap_or(0);
        let mut seq = s.serialize_seq(Some(n))?;
        for i in 0..n {
            seq.serialize_element(&Nested {
                shape: rest,
                data: self.data,
                offset: self.offset + i * step,
            })?;
        }
        seq.end()
    }
}

fn serialize_element<S: Serializer>(
    data: &ArrayData,
    i: usize,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let float = |x: f64, s: S| {
        if x.is_finite() {
            s.serialize_f64(x)
        } else {
            s.serialize_unit()
        }
    };
    let complex = |re: f64, im: f64, s: S| {
        let mut out = Vec::new();
        codec::json::write_complex(re, im, &mut out);
        let text = String::from_utf8_lossy(&out[1..out.len() - 1]).into_owned();
        s.serialize_str(&text)
    };
    match data {
        ArrayData::Bool(v) => s.serialize_bool(v[i]),
        ArrayData::Int8(v) => s.serialize_i8(v[i]),
        ArrayData::Int16(v) => s.serialize_i16(v[i]),
        ArrayData::Int32(v) => s.serialize_i32(v[i]),
        ArrayData::Int64(v) => s.serialize_i64(v[i]),
        ArrayData::UInt8(v) => s.serialize_u8(v[i]),
        ArrayData::UInt16(v) => s.serialize_u16(v[i]),
        ArrayData::UInt32(v) => s.serialize_u32(v[i]),
        ArrayData::UInt64(v) => s.serialize_u64(v[i]),
        ArrayData::Float16(v) => float(v[i].to_f64(), s),
        ArrayData::Float32(v) => float(f64::from(v[i]), s),
        ArrayData::Float64(v) => float(v[i], s),
        ArrayData::Complex64(v) => complex(f64::from(v[i].re), f64::from(v[i].im), s),
        ArrayData::Complex128(v) => complex(v[i].re, v[i].im, s),
    }
}

impl Serialize for ArrayView<'_> {
    /// Always msgpack-numpy's map in binary formats; in JSON the view is copied
    /// into an [`Array`] first.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return codec::msgpack::serialize_map(
                self.dtype(),
                self.byte_order(),
                self.shape(),
                self.as_bytes(),
                s,
            );
        }
        self.to_array().map_err(ser_err)?.serialize(s)
    }
}

// ---------------------------------------------------------------------------------
// Deserialize
// ---------------------------------------------------------------------------------

impl<'de> Deserialize<'de> for Array {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Array, D::Error> {
        d.deserialize_any(ArrayVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ArrayView<'a> {
    /// Only msgpack-numpy's map from a borrowed input (`from_msgpack_slice`,
    /// `rmp_serde::from_slice`) can be viewed without a copy.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<ArrayView<'a>, D::Error> {
        let parts = d.deserialize_map(PartsVisitor)?;
        codec::msgpack::check_kind(parts.kind.as_deref()).map_err(de_err)?;
        let (Some(true), Some(type_), Some(shape), Some(Data::Bytes(Cow::Borrowed(data)))) =
            (parts.nd, parts.type_.as_deref(), parts.shape, parts.data)
        else {
            return Err(de_err(Error::invalid(
                "a borrowed ArrayView needs a msgpack-numpy map with nd=true, type, shape \
                 and bin data, decoded from a byte slice",
            )));
        };
        codec::msgpack::decode_view(type_, parts.kind.as_deref(), shape, data).map_err(de_err)
    }
}

struct ArrayVisitor;

impl<'de> Visitor<'de> for ArrayVisitor {
    type Value = Array;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an array: a tesseract or truss array object, a msgpack-numpy map, a list or a number",
        )
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Array, E> {
        Ok(Array::scalar(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Array, E> {
        Ok(Array::scalar(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Array, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Array::scalar(i),
            Err(_) => Array::scalar(v),
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Array, E> {
        Ok(Array::scalar(v))
    }

    /// A bare string in pydantic's complex form (`"1+2j"`, `"-0.5j"`: how pydantic, and
    /// [`JsonStyle::List`], write a 0-d complex array) is a 0-d complex128 array, as
    /// such strings are complex elements inside a list. Any other string is refused.
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Array, E> {
        let t = v.trim();
        let t = t
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .map_or(t, str::trim);
        if t.ends_with(['j', 'J'])
            && let Ok((re, im)) = codec::json::parse_complex_str(t)
        {
            return Ok(Array::scalar(num_complex::Complex::new(re, im)));
        }
        Err(E::invalid_type(de::Unexpected::Str(v), &self))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Array, A::Error> {
        codec::list::read_seq(seq, current_limits())?
            .into_array()
            .map(charged)
            .map_err(de_err)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Array, A::Error> {
        let parts = PartsVisitor.visit_map(map)?;
        parts.into_array().map(charged).map_err(de_err)
    }
}

/// The limits for the next array (see `DecodeFrame::limits_now`).
fn current_limits() -> Limits {
    context::with_decode(|f| f.map(|f| f.limits_now()).unwrap_or_default())
}

/// Counts a decoded array against `Limits::max_total_bytes`.
fn charged(a: Array) -> Array {
    context::charge_decoded(a.nbytes(), a.shape());
    a
}

/// A key of an array map as text or bytes (msgpack-numpy writes bin keys), with its
/// spelling, and whether the format is binary (msgpack), where msgpack-numpy writes and
/// recognises only bin keys.
struct MapKey {
    name: Vec<u8>,
    spelling: Spelling,
    binary: bool,
}

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<MapKey, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = (Vec<u8>, Spelling);
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or bytes key")
            }
            fn visit_str<E: de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<(Vec<u8>, Spelling), E> {
                Ok((v.as_bytes().to_vec(), Spelling::Str))
            }
            fn visit_bytes<E: de::Error>(
                self,
                v: &[u8],
            ) -> std::result::Result<(Vec<u8>, Spelling), E> {
                Ok((v.to_vec(), Spelling::Bin))
            }
        }
        let binary = !d.is_human_readable();
        let (name, spelling) = d.deserialize_any(V)?;
        Ok(MapKey {
            name,
            spelling,
            binary,
        })
    }
}

/// Accepts a str or bytes value as bytes.
struct BytesLike;

impl Visitor<'_> for BytesLike {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
}

/// A string value that may arrive as msgpack bin.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Text, D::Error> {
        let bytes = d.deserialize_any(BytesLike)?;
        String::from_utf8(bytes)
            .map(Text)
            .map_err(|_| de::Error::custom("string is not UTF-8"))
    }
}

/// msgpack-numpy's `type`: `dtype.str`, or for structured and object arrays the
/// `dtype.descr` list (kept as its JSON text, so `kind` can refuse it by name).
struct TypeName(String);

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<TypeName, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a dtype string or a dtype descr list")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<String, E> {
                String::from_utf8(v.to_vec()).map_err(|_| E::custom("string is not UTF-8"))
            }
            /// A structured dtype's descr list: skipped, and named so that `kind`
            /// (or the dtype parser) refuses it.
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<String, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok("[structured dtype descr]".to_owned())
            }
        }
        d.deserialize_any(V).map(TypeName)
    }
}

/// Everything any array form may carry.
#[derive(Default)]
struct Parts<'de> {
    object_type: Option<String>,
    shape: Option<Vec<usize>>,
    dtype: Option<String>,
    /// pydantic-numpy's dtype name.
    data_type: Option<String>,
    data: Option<Data<'de>>,
    data_b64: Option<Cow<'de, [u8]>>,
    nd: Option<bool>,
    type_: Option<String>,
    kind: Option<Vec<u8>>,
    complex: Option<bool>,
    /// The array keys present (`wire::Key::bit`), and the first other key's name: the
    /// form decides which are allowed.
    seen: u16,
    other: Option<String>,
}

/// The `data` value, in whichever form it came.
enum Data<'de> {
    /// tesseract `{"buffer","encoding","compression"}`.
    Object {
        buffer: Option<Buffer<'de>>,
        encoding: Option<String>,
        compression: Option<String>,
    },
    /// The legacy tesseract `"data": [..]` from its docs.
    List(codec::list::NestedList),
    /// msgpack-numpy bin data.
    Bytes(Cow<'de, [u8]>),
    /// A string (the repr of a msgpack-numpy complex scalar, or str data from old peers).
    Str(Cow<'de, str>),
}

struct PartsVisitor;

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Parts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Parts<'de>, A::Error> {
        let mut p = Parts::default();
        let mut keys = KeyTracker::default();
        while let Some(MapKey {
            name,
            spelling,
            binary,
        }) = map.next_key()?
        {
            let key = keys
                .see(&name, spelling)
                .map_err(de_err)
                .inspect_err(|_| context::note_key(&name))?;
            // msgpack-numpy (and so truss) looks for the bin keys b"nd" and b"complex"
            // only: a map with a str "nd" stays a plain dict there, and truss refuses it.
            // So do we; in JSON these keys mean nothing (`wire::msgpack_numpy_form`).
            if matches!(key, Key::Nd | Key::Complex) && spelling == Spelling::Str {
                let key = String::from_utf8_lossy(&name);
                let why = if binary {
                    "msgpack-numpy map keys are bin; the str key is not recognised by \
                     msgpack-numpy or truss, which leave such a map a plain dict"
                } else {
                    "msgpack-numpy maps exist only in msgpack, with bin keys"
                };
                return Err(de_err(
                    Error::new(ErrorKind::Refused(format!("key {key:?}: {why}")))
                        .at_field(key.into_owned()),
                ));
            }
            p.read_value(key, &name, &mut map)
                .inspect_err(|_| context::note_key(&name))?;
        }
        Ok(p)
    }
}

impl<'de> Parts<'de> {
    fn read_value<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        name: &[u8],
        map: &mut A,
    ) -> std::result::Result<(), A::Error> {
        let p = self;
        p.seen |= key.bit();
        if key == Key::Other && p.other.is_none() {
            p.other = Some(String::from_utf8_lossy(name).into_owned());
        }
        {
            match key {
                Key::ObjectType => {
                    let v: Option<Text> = map.next_value()?;
                    p.object_type = v.map(|t| t.0);
                }
                Key::Shape => p.shape = Some(map.next_value_seed(ShapeSeed)?),
                Key::DType => p.dtype = Some(map.next_value::<Text>()?.0),
                Key::DataType => p.data_type = Some(map.next_value::<Text>()?.0),
                Key::Data => p.data = Some(map.next_value_seed(DataSeed)?),
                Key::DataB64 => p.data_b64 = Some(map.next_value_seed(Base64TextSeed)?),
                Key::Nd => p.nd = Some(map.next_value::<NdFlag>()?.0),
                Key::Type => p.type_ = Some(map.next_value::<TypeName>()?.0),
                Key::Kind => {
                    let v: Option<ByteValue> = map.next_value()?;
                    p.kind = v.map(|b| b.0);
                }
                Key::Complex => p.complex = Some(map.next_value::<NdFlag>()?.0),
                Key::Other | Key::Buffer | Key::Encoding | Key::Compression => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `nd`/`complex` flags: msgpack-numpy only treats the value `true` as true.
struct NdFlag(bool);

impl<'de> Deserialize<'de> for NdFlag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<NdFlag, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a flag")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<bool, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<bool, E> {
                Ok(false)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<bool, E> {
                Ok(false)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V).map(NdFlag)
    }
}

/// A bytes-or-string value.
struct ByteValue(Vec<u8>);

impl<'de> Deserialize<'de> for ByteValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<ByteValue, D::Error> {
        d.deserialize_any(BytesLike).map(ByteValue)
    }
}

/// A string, borrowed from the input when possible (also the raw text serde_json
/// hands out for its raw-value token).
pub(crate) struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(
        self,
        v: &'de str,
    ) -> std::result::Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
    fn visit_borrowed_bytes<E: de::Error>(
        self,
        v: &'de [u8],
    ) -> std::result::Result<Cow<'de, str>, E> {
        std::str::from_utf8(v)
            .map(Cow::Borrowed)
            .map_err(|_| E::custom("string is not UTF-8"))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Cow<'de, str>, E> {
        String::from_utf8(v.to_vec())
            .map(Cow::Owned)
            .map_err(|_| E::custom("string is not UTF-8"))
    }
}

/// The text of a base64 string (or of a raw JSON value), as bytes: from JSON input
/// with long strings cut out, a long string is handed over without being checked as
/// UTF-8 (the base64 decoder refuses anything that is not ASCII, and the input is
/// checked afterwards for strings that did not decode; see `long_strings`). From any
/// other deserializer, a checked string.
struct Base64TextSeed;

impl<'de> DeserializeSeed<'de> for Base64TextSeed {
    type Value = Cow<'de, [u8]>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Cow<'de, [u8]>, D::Error> {
        d.deserialize_newtype_struct(crate::long_strings::TEXT_TOKEN, Base64TextVisitor)
    }
}

struct Base64TextVisitor;

impl<'de> Visitor<'de> for Base64TextVisitor {
    type Value = Cow<'de, [u8]>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    /// Only the long-string path hands over bytes (other deserializers call
    /// `visit_newtype_struct`, or a string method when they forward to `deserialize_any`).
    fn visit_borrowed_bytes<E: de::Error>(
        self,
        v: &'de [u8],
    ) -> std::result::Result<Cow<'de, [u8]>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_borrowed_str<E: de::Error>(
        self,
        v: &'de str,
    ) -> std::result::Result<Cow<'de, [u8]>, E> {
        Ok(Cow::Borrowed(v.as_bytes()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Cow<'de, [u8]>, E> {
        Ok(Cow::Owned(v.as_bytes().to_vec()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Cow<'de, [u8]>, E> {
        Ok(Cow::Owned(v.into_bytes()))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Cow<'de, [u8]>, D::Error> {
        Ok(match StrSeed.deserialize(d)? {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        })
    }
}

/// A shape: a list of non-negative integers (or a single integer, as truss allows).
struct ShapeSeed;

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = Vec<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<usize>, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Vec<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of non-negative integers")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Vec<usize>, E> {
        Ok(vec![
            usize::try_from(v).map_err(|_| E::custom("dimension too large"))?,
        ])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<usize>, A::Error> {
        let mut dims = Vec::new();
        while let Some(Dim(d)) = seq.next_element()? {
            if dims.len() == MAX_NDIM {
                return Err(de_err(Error::new(ErrorKind::Shape(format!(
                    "more than {MAX_NDIM} dimensions"
                )))));
            }
            dims.push(d);
        }
        Ok(dims)
    }
}

struct Dim(usize);

impl<'de> Deserialize<'de> for Dim {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Dim, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = usize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer dimension")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<usize, E> {
                shape::dim_from_i128(i128::from(v)).map_err(de_err)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<usize, E> {
                shape::dim_from_i128(i128::from(v)).map_err(de_err)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<usize, E> {
                Err(de_err(Error::new(ErrorKind::Shape(format!(
                    "dimension {v} is not an integer"
                )))))
            }
        }
        d.deserialize_any(V).map(Dim)
    }
}

/// The `data` value in any form.
struct DataSeed;

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = Data<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Data<'de>, D::Error> {
        d.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("array data: a {buffer, encoding} object, a list, bytes or a string")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Data<'de>, A::Error> {
        let (mut buffer, mut encoding, mut compression) = (None, None, None);
        let mut keys = KeyTracker::default();
        while let Some(MapKey { name, spelling, .. }) = map.next_key()? {
            // serde_path_to_error already places these inside `data`.
            match keys.see(&name, spelling).map_err(de_err)? {
                Key::Buffer => buffer = Some(map.next_value_seed(BufferSeed)?),
                Key::Encoding => encoding = Some(map.next_value::<Text>()?.0),
                Key::Compression => compression = map.next_value::<Option<Text>>()?.map(|t| t.0),
                _ => {
                    return Err(de_err(Error::new(ErrorKind::UnexpectedKey(
                        String::from_utf8_lossy(&name).into_owned(),
                    ))));
                }
            }
        }
        Ok(Data::Object {
            buffer,
            encoding,
            compression,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Data<'de>, A::Error> {
        codec::list::read_seq(seq, current_limits()).map(Data::List)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> std::result::Result<Data<'de>, E> {
        Ok(Data::Bytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Data<'de>, E> {
        Ok(Data::Bytes(Cow::Owned(v.to_vec())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> std::result::Result<Data<'de>, E> {
        Ok(Data::Bytes(Cow::Owned(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Data<'de>, E> {
        Ok(Data::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Data<'de>, E> {
        Ok(Data::Str(Cow::Owned(v.to_owned())))
    }
}

/// A tesseract buffer: its raw JSON text from serde_json, or a parsed value otherwise.
struct BufferSeed;

impl<'de> DeserializeSeed<'de> for BufferSeed {
    type Value = Buffer<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Buffer<'de>, D::Error> {
        d.deserialize_newtype_struct(RAW_TOKEN, BufferVisitor)
    }
}

struct BufferVisitor;

impl<'de> Visitor<'de> for BufferVisitor {
    type Value = Buffer<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array buffer")
    }
    /// serde_json answers the raw-value token with a one-entry map holding the text.
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Buffer<'de>, A::Error> {
        map.next_key::<IgnoredAny>()?;
        let text = map.next_value_seed(Base64TextSeed)?;
        Ok(Buffer::RawJson(text))
    }
    /// Any other deserializer: a string (base64, binref) or nested lists (json).
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Buffer<'de>, D::Error> {
        d.deserialize_any(BufferValueVisitor)
    }
}

struct BufferValueVisitor;

impl<'de> Visitor<'de> for BufferValueVisitor {
    type Value = Buffer<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array buffer: a string or nested lists")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Buffer<'de>, E> {
        Ok(Buffer::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Buffer<'de>, E> {
        Ok(Buffer::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Buffer<'de>, E> {
        Ok(Buffer::Text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Buffer<'de>, A::Error> {
        codec::list::read_seq(seq, current_limits()).map(Buffer::List)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Buffer<'de>, E> {
        scalar_buffer(serde::de::value::BoolDeserializer::new(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Buffer<'de>, E> {
        scalar_buffer(serde::de::value::I64Deserializer::new(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Buffer<'de>, E> {
        scalar_buffer(serde::de::value::U64Deserializer::new(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Buffer<'de>, E> {
        scalar_buffer(serde::de::value::F64Deserializer::new(v))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Buffer<'de>, E> {
        scalar_buffer(serde::de::value::UnitDeserializer::new())
    }
}

/// A 0-d `json` buffer (`"buffer": 3.5`) from a deserializer without raw text.
fn scalar_buffer<'de, E: de::Error, D: Deserializer<'de, Error = E>>(
    d: D,
) -> std::result::Result<Buffer<'de>, E> {
    codec::list::read(d, current_limits()).map(Buffer::List)
}

impl Parts<'_> {
    fn into_array(self) -> Result<Array> {
        let limits = current_limits();
        // The form, decided as `wire::msgpack_numpy_form` and `document::detect` decide
        // it: msgpack-numpy's bin `nd`, then its bin `complex` (only bin keys reach
        // here as `nd`/`complex`), then truss's `data_b64`, then tesseract.
        let unexpected = |allowed: &[Key]| -> Result<()> {
            if let Some(name) = &self.other {
                return Err(ErrorKind::UnexpectedKey(name.clone()).into());
            }
            match Key::ALL
                .iter()
                .find(|k| self.seen & k.bit() != 0 && !allowed.contains(k))
            {
                Some(k) => Err(ErrorKind::UnexpectedKey(k.name().to_owned()).into()),
                None => Ok(()),
            }
        };
        match crate::wire::msgpack_numpy_form(self.nd, self.complex.is_some()) {
            Some(MsgpackNumpyForm::Array | MsgpackNumpyForm::Scalar) => {
                // msgpack-numpy ignores keys it does not read, and unpickles before it
                // reads anything but `kind` and `data`.
                codec::msgpack::check_kind(self.kind.as_deref())?;
                let type_ = self.type_.ok_or(ErrorKind::MissingKey("type"))?;
                // `np.ndarray(buffer=...)` and `np.frombuffer` take bytes only: a str
                // `data` is a TypeError to msgpack-numpy, so it is refused here too.
                let data: Cow<'_, [u8]> = match self.data {
                    Some(Data::Bytes(b)) => b,
                    Some(_) => {
                        return Err(Error::invalid(
                            "msgpack-numpy data must be bin (msgpack-numpy refuses a str)",
                        )
                        .at_field("data"));
                    }
                    None => return Err(ErrorKind::MissingKey("data").into()),
                };
                let shape = if self.nd == Some(true) {
                    self.shape.ok_or(ErrorKind::MissingKey("shape"))?
                } else {
                    Vec::new() // numpy scalar: {nd: false, type, data}
                };
                return codec::msgpack::decode(&type_, self.kind.as_deref(), shape, &data, &limits);
            }
            // msgpack-numpy's map for a Python complex: {complex: .., data: "(1+2j)"}.
            Some(MsgpackNumpyForm::Complex) => {
                let s: Cow<'_, str> = match self.data {
                    Some(Data::Str(s)) => s,
                    Some(Data::Bytes(b)) => {
                        Cow::Owned(String::from_utf8(b.into_owned()).map_err(|_| {
                            Error::invalid("complex data is not UTF-8").at_field("data")
                        })?)
                    }
                    Some(_) => {
                        return Err(
                            Error::invalid("complex data must be a string").at_field("data")
                        );
                    }
                    None => return Err(ErrorKind::MissingKey("data").into()),
                };
                let (re, im) =
                    codec::json::parse_complex_str(&s).map_err(|e| e.at_field("data"))?;
                return Ok(Array::scalar(num_complex::Complex::new(re, im)));
            }
            None => {}
        }
        // truss NumpyArrayField.
        if let Some(b64) = self.data_b64 {
            unexpected(&[Key::DataB64, Key::Shape, Key::DType])?;
            let dtype = self.dtype.ok_or(ErrorKind::MissingKey("dtype"))?;
            let shape = self.shape.ok_or(ErrorKind::MissingKey("shape"))?;
            let array = codec::truss::decode(&b64, &dtype, shape, &limits)?;
            // It decoded as base64: `long_strings` need not check the text again.
            crate::long_strings::note_base64(&b64);
            return Ok(array);
        }
        // pydantic-numpy: {"data_type", "data": [..], "shape"} (shape optional).
        if let Some(data_type) = self.data_type {
            unexpected(&[Key::DataType, Key::Data, Key::Shape])?;
            let list = match self.data {
                Some(Data::List(list)) => list,
                Some(_) => {
                    return Err(
                        Error::invalid("pydantic-numpy data must be a list").at_field("data")
                    );
                }
                None => return Err(ErrorKind::MissingKey("data").into()),
            };
            return codec::list::pydantic_numpy(list, &data_type, self.shape);
        }
        // tesseract.
        let Some(data) = self.data else {
            return Err(Error::invalid(
                "not an array object: expected tesseract's {shape, dtype, data}, truss's \
                 {data_b64, shape, dtype} or msgpack-numpy's {nd, type, shape, data}",
            ));
        };
        unexpected(&[Key::ObjectType, Key::Shape, Key::DType, Key::Data])?;
        if let Some(ot) = self.object_type.as_deref().filter(|t| *t != "array") {
            return Err(
                Error::invalid(format!("object_type is {ot:?}, expected \"array\""))
                    .at_field("object_type"),
            );
        }
        let dtype_text = self.dtype.ok_or(ErrorKind::MissingKey("dtype"))?;
        let (dtype, order) =
            DType::parse(&dtype_text).map_err(|e| Error::from(e).at_field("dtype"))?;
        let shape = self.shape.ok_or(ErrorKind::MissingKey("shape"))?;
        let (buffer, encoding, compression) = match data {
            Data::Object {
                buffer,
                encoding,
                compression,
            } => (
                buffer
                    .ok_or_else(|| Error::new(ErrorKind::MissingKey("buffer")).at_field("data"))?,
                encoding.ok_or_else(|| {
                    Error::new(ErrorKind::MissingKey("encoding")).at_field("data")
                })?,
                compression,
            ),
            Data::List(list) => {
                return list
                    .into_array_as(dtype, &shape)
                    .map_err(|e| e.at_field("data"));
            }
            Data::Bytes(_) | Data::Str(_) => {
                return Err(
                    Error::invalid("data must be an object {buffer, encoding}").at_field("data")
                );
            }
        };
        let (mut array, checked) = context::with_decode(|f| {
            codec::tesseract::decode_data_checked(
                buffer,
                &encoding,
                compression.as_deref(),
                dtype,
                shape,
                f.and_then(|f| f.binref.as_ref()),
                &limits,
            )
        })?;
        if let Some(text) = checked {
            crate::long_strings::note_base64_range(text);
        }
        if order != ByteOrder::NATIVE && encoding != "json" {
            array.swap_bytes();
        }
        Ok(array)
    }
}
