//! What `#[derive(ArrayModel)]` builds on: array constraints checked on decode, the
//! typed [`NdArray`], the [`ArrayModel`] trait, and tesseract-style JSON Schemas
//! (feature `schema`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::marker::PhantomData;

#[cfg(feature = "schema")]
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
#[cfg(feature = "schema")]
use serde_json::{Value, json};

use crate::array::{Array, Element};
use crate::cast::{self, Casting};
use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};
use crate::options::{DecodeOptions, EncodeOptions};

/// One dimension of a [`ShapeSpec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// Any size (`None` in tesseract's `Array[(None,), ...]`).
    Any,
    /// Exactly this size; a given size 1 is broadcast to it, as tesseract does.
    Fixed(usize),
}

/// The shape a field accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShapeSpec {
    /// Any rank and size (tesseract's `...`).
    AnyRank,
    /// Exactly this rank (`[]` is a scalar).
    Dims(&'static [Dim]),
}

/// Which peer's JSON Schema an array field publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SchemaStyle {
    /// tesseract's `EncodedArrayModel__<shape>__<dtype>__<flags>` object.
    #[default]
    Tesseract,
    /// truss's `NumpyArrayField` object — with the key the wire really uses (`data_b64`;
    /// truss's own schema says `data`) and no `minItems` on `shape` (0-d arrays exist).
    Truss,
}

/// The constraints of one array field.
///
/// ```
/// use arraymodel::model::{ArraySpec, Dim, SchemaStyle, ShapeSpec};
/// use arraymodel::{cast::Casting, Array, DType};
/// const SPEC: ArraySpec = ArraySpec {
///     shape: ShapeSpec::Dims(&[Dim::Fixed(3)]),
///     dtype: Some(DType::Float64),
///     casting: Casting::Tesseract,
///     differentiable: false,
///     schema: SchemaStyle::Tesseract,
/// };
/// // An int32 [1] becomes float64 [3]: cast, then broadcast, as tesseract does.
/// let a = SPEC.conform(Array::from_vec(vec![7i32])).unwrap();
/// assert_eq!(a.as_slice::<f64>().unwrap(), &[7.0, 7.0, 7.0]);
/// assert!(SPEC.conform(Array::from_vec(vec![1.0f64, 2.0])).is_err());
/// assert_eq!(SPEC.title(), "EncodedArrayModel__3__float64__noflags");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArraySpec {
    /// Accepted shapes.
    pub shape: ShapeSpec,
    /// The dtype the field holds (`None`: any).
    pub dtype: Option<DType>,
    /// Which other input dtypes are converted to it.
    pub casting: Casting,
    /// tesseract's `Differentiable[...]` marker (schema `array_flags`).
    pub differentiable: bool,
    /// The JSON Schema form.
    pub schema: SchemaStyle,
}

impl ArraySpec {
    /// Any array.
    pub const ANY: ArraySpec = ArraySpec {
        shape: ShapeSpec::AnyRank,
        dtype: None,
        casting: Casting::Tesseract,
        differentiable: false,
        schema: SchemaStyle::Tesseract,
    };

    /// Checks (and if allowed converts) a decoded array: dtype cast with range checks,
    /// rank, fixed dimensions, broadcast of a given 1.
    ///
    /// A cast or broadcast builds a new array: it is checked against the limits of the
    /// decode in progress (what is left of `max_array_bytes`, `max_total_bytes` and
    /// `max_empty_lists`, see [`Limits`](crate::Limits)) before it is built, so a given 1
    /// broadcast to a fixed 1,000,000 cannot multiply a small input past them.
    ///
    /// An empty float64 array is taken as an empty array of the field's dtype, whatever
    /// the casting rule: that is what a list without elements (`[]`, `[[], []]`) reads as
    /// (lists carry no dtype, and numpy calls an empty one float64), and it holds no
    /// value to convert.
    ///
    /// ```
    /// use arraymodel::model::ArraySpec;
    /// use arraymodel::{cast::Casting, Array, DType};
    /// let spec = ArraySpec { dtype: Some(DType::Int8), casting: Casting::Exact, ..ArraySpec::ANY };
    /// let empty: Array = serde_json::from_str("[[], []]").unwrap();
    /// let a = spec.conform(empty).unwrap();
    /// assert_eq!((a.dtype(), a.shape()), (DType::Int8, &[2, 0][..]));
    /// ```
    pub fn conform(&self, array: Array) -> Result<Array> {
        let shape = array.shape();
        let target = match self.shape {
            ShapeSpec::AnyRank => shape.to_vec(),
            ShapeSpec::Dims(dims) => {
                if shape.len() != dims.len() {
                    return Err(Error::new(ErrorKind::Constraint(format!(
                        "expected {} dimension(s) {}, got shape {shape:?}",
                        dims.len(),
                        self.shape_text()
                    ))));
                }
                let mut target = shape.to_vec();
                for (i, d) in dims.iter().enumerate() {
                    if let Dim::Fixed(n) = *d {
                        if shape[i] == n {
                            continue;
                        }
                        if shape[i] != 1 {
                            return Err(Error::new(ErrorKind::Constraint(format!(
                                "expected shape {}, got {shape:?} (dimension {i} must be {n} or 1)",
                                self.shape_text()
                            ))));
                        }
                        target[i] = n;
                    }
                }
                target
            }
        };
        let dtype = self.dtype.unwrap_or(array.dtype());
        if dtype == array.dtype() && target == shape {
            return Ok(array);
        }
        crate::context::charge_conformed(array.nbytes(), shape, &target, dtype)?;
        let array = if dtype == array.dtype() {
            array
        } else if array.is_empty() && array.dtype() == DType::Float64 {
            Array::zeros(dtype, array.shape().to_vec())?
        } else {
            cast::cast(&array, dtype, self.casting)?
        };
        if target == array.shape() {
            Ok(array)
        } else {
            cast::broadcast(&array, &target)
        }
    }

    fn shape_text(&self) -> String {
        match self.shape {
            ShapeSpec::AnyRank => "...".into(),
            ShapeSpec::Dims(dims) => {
                let parts: Vec<String> = dims
                    .iter()
                    .map(|d| match d {
                        Dim::Any => "None".into(),
                        Dim::Fixed(n) => n.to_string(),
                    })
                    .collect();
                format!(
                    "({}{})",
                    parts.join(", "),
                    if dims.len() == 1 { "," } else { "" }
                )
            }
        }
    }

    /// tesseract's model title: `EncodedArrayModel__<shape>__<dtype>__<flags>`
    /// ([`arraymodel_spec::title`], which the generator parses).
    pub fn title(&self) -> String {
        use arraymodel_spec::title::{self, Dim as TitleDim};
        let dims = match self.shape {
            ShapeSpec::AnyRank => None,
            ShapeSpec::Dims(dims) => Some(dims.iter().map(|d| match *d {
                Dim::Any => TitleDim::Any,
                Dim::Fixed(n) => TitleDim::Fixed(n as u64),
            })),
        };
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = title::write(
            &mut out,
            dims,
            self.dtype.map(DType::name),
            self.differentiable,
        );
        out
    }

    /// truss's `NumpyArrayField` schema, as the wire really is.
    #[cfg(feature = "schema")]
    fn truss_schema(&self) -> Schema {
        let mut dtype = json!({"type": "string", "title": "Dtype"});
        if let Some(d) = self.dtype {
            let names: Vec<&str> = self
                .casting
                .accepted(d)
                .into_iter()
                .map(DType::name)
                .collect();
            dtype["enum"] = json!(names);
        }
        let schema = json!({
            "properties": {
                "data_b64": {"type": "string", "contentEncoding": "base64", "title": "Data B64"},
                "shape": {"items": {"type": "integer", "minimum": 0}, "type": "array", "title": "Shape"},
                "dtype": dtype,
            },
            "required": ["data_b64", "shape", "dtype"],
            "type": "object",
            "title": "NumpyArrayField",
        });
        Schema::try_from(schema).expect("an object is a schema")
    }

    /// The JSON Schema the peer publishes for such a field: tesseract's
    /// `EncodedArrayModel__...` or truss's `NumpyArrayField` object ([`ArraySpec::schema`]).
    #[cfg(feature = "schema")]
    pub fn json_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        if self.schema == SchemaStyle::Truss {
            return self.truss_schema();
        }
        let defs = generator.settings().definitions_path.to_string();
        let prefix = format!("#{defs}/");
        let data_defs = [
            ("BinrefArrayData", binref_data_schema()),
            ("Base64ArrayData", base64_data_schema()),
            ("JsonArrayData", json_data_schema()),
        ];
        for (name, schema) in &data_defs {
            generator
                .definitions_mut()
                .entry(name.to_string())
                .or_insert_with(|| schema.clone());
        }
        let shape = match self.shape {
            ShapeSpec::AnyRank => json!({"items": {"type": "integer"}, "type": "array"}),
            ShapeSpec::Dims(dims) => {
                let items: Vec<Value> = dims
                    .iter()
                    .map(|d| match d {
                        Dim::Any => json!({"type": "integer", "minimum": 0}),
                        Dim::Fixed(1) => json!({"const": 1, "type": "integer"}),
                        Dim::Fixed(n) => json!({"type": "integer", "enum": [1, n]}),
                    })
                    .collect();
                let n = dims.len();
                let mut s = json!({"type": "array", "maxItems": n, "minItems": n});
                if n > 0 {
                    s["prefixItems"] = Value::Array(items);
                }
                s["title"] = "Shape".into();
                s["description"] = "Shape of the array".into();
                s
            }
        };
        let dtypes: Vec<&str> = match self.dtype {
            Some(d) => self
                .casting
                .accepted(d)
                .into_iter()
                .map(DType::name)
                .collect(),
            None => cast::TESSERACT_ORDER.iter().map(|d| d.name()).collect(),
        };
        let dtype = if dtypes.len() == 1 {
            json!({"type": "string", "const": dtypes[0], "title": "Dtype", "description": "Data type of the array"})
        } else {
            json!({"type": "string", "enum": dtypes, "title": "Dtype", "description": "Data type of the array"})
        };
        let mapping: serde_json::Map<String, Value> = [
            ("base64", "Base64ArrayData"),
            ("binref", "BinrefArrayData"),
            ("json", "JsonArrayData"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(format!("{prefix}{v}"))))
        .collect();
        let one_of: Vec<Value> = data_defs
            .iter()
            .map(|(name, _)| json!({"$ref": format!("{prefix}{name}")}))
            .collect();
        let schema = json!({
            "properties": {
                "object_type": {"type": "string", "const": "array", "title": "Object Type",
                    "description": "Indicates that this dict can be parsed to an array.", "default": "array"},
                "shape": shape,
                "dtype": dtype,
                "data": {"oneOf": one_of, "title": "Data",
                    "discriminator": {"propertyName": "encoding", "mapping": mapping}},
            },
            "additionalProperties": false,
            "type": "object",
            "required": ["shape", "dtype", "data"],
            "title": self.title(),
            "array_flags": if self.differentiable { json!([arraymodel_spec::title::DIFFERENTIABLE]) } else { json!([]) },
        });
        Schema::try_from(schema).expect("an object is a schema")
    }
}

#[cfg(feature = "schema")]
fn compression_schema() -> Value {
    json!({"anyOf": [{"type": "string", "const": "lz4"}, {"type": "null"}], "title": "Compression", "default": null})
}

#[cfg(feature = "schema")]
fn base64_data_schema() -> Value {
    json!({"properties": {"buffer": {"type": "string", "title": "Buffer"},
        "encoding": {"type": "string", "const": "base64", "title": "Encoding"},
        "compression": compression_schema()},
        "additionalProperties": false, "type": "object", "required": ["buffer", "encoding"], "title": "Base64ArrayData"})
}

#[cfg(feature = "schema")]
fn binref_data_schema() -> Value {
    json!({"properties": {"buffer": {"type": "string", "pattern": "^.+?(\\:\\d+(\\:\\d+)?)?$", "title": "Buffer"},
        "encoding": {"type": "string", "const": "binref", "title": "Encoding"},
        "compression": compression_schema()},
        "additionalProperties": false, "type": "object", "required": ["buffer", "encoding"], "title": "BinrefArrayData"})
}

#[cfg(feature = "schema")]
fn json_data_schema() -> Value {
    json!({"properties": {"buffer": {"title": "Buffer"},
        "encoding": {"type": "string", "const": "json", "title": "Encoding"},
        "compression": {"type": "null", "title": "Compression", "default": null}},
        "additionalProperties": false, "type": "object", "required": ["buffer", "encoding"], "title": "JsonArrayData"})
}

/// A field type that holds arrays: [`Array`], [`NdArray`], and `Option`, `Vec`, `Box`
/// and maps of them. The derive calls it for fields with `#[array(...)]`.
pub trait ArrayField {
    /// The dtype every array of the field holds if the type fixes one (`NdArray<T>`
    /// and ndarray arrays: `T`'s; the containers: their element's), `None` if any.
    ///
    /// The derive checks `#[array(dtype = ...)]` against it at compile time, whatever
    /// the type is spelled (see [`field_dtype_conflict`]).
    const DTYPE: Option<DType> = None;
    /// Applies `spec` to every array in the field; errors name the position
    /// (`[2]`, a map key) inside the field.
    fn conform(&mut self, spec: &ArraySpec) -> Result<()>;
    /// The field's JSON Schema under `spec` (feature `schema`). The default is `spec`'s
    /// own schema ([`ArraySpec::json_schema`]), right for a type that holds one array;
    /// containers override it.
    #[cfg(feature = "schema")]
    fn array_schema(generator: &mut SchemaGenerator, spec: &ArraySpec) -> Schema {
        spec.json_schema(generator)
    }
}

/// A field's `#[array(dtype = ...)]` that contradicts the element type of its Rust
/// type, found at compile time by [`field_dtype_conflict`]; [`message`](Self::message)
/// says so.
#[derive(Clone, Copy, Debug)]
pub struct DTypeConflict {
    text: [u8; CONFLICT_TEXT],
    len: usize,
}

const CONFLICT_TEXT: usize = 512;

impl DTypeConflict {
    const fn push(mut self, s: &str) -> DTypeConflict {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < CONFLICT_TEXT {
            self.text[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// What is wrong and how to fix it.
    pub const fn message(&self) -> &str {
        let (text, _) = self.text.split_at(self.len);
        match std::str::from_utf8(text) {
            Ok(s) => s,
            // A field or type name cut inside a character by the length limit.
            Err(_) => "#[array(dtype = ...)] contradicts the element type of the field's type",
        }
    }
}

/// Compares a field's declared dtype with the one its type `F` fixes
/// ([`ArrayField::DTYPE`]): `Some` conflict if they differ.
///
/// `#[derive(ArrayModel)]` evaluates it in a constant for every field with
/// `#[array(dtype = ...)]` and panics with the conflict's message, so a contradiction
/// is a compile error however the type is written (`NdArray<f64>`, an alias of it,
/// `Option<Alias>`, `ndarray::Array1<f64>`), not a field that decodes into something
/// its type cannot hold. `field` and `ty` only name the field and its type in the
/// message. Generated code may call it; it is a stable part of the API.
///
/// ```
/// use arraymodel::model::field_dtype_conflict;
/// use arraymodel::{DType, NdArray};
/// type V = Option<NdArray<f64>>;
/// const C: Option<&str> = match &field_dtype_conflict::<V>(DType::Float32, "v", "V") {
///     Some(c) => Some(c.message()),
///     None => None,
/// };
/// assert!(C.unwrap().contains("holds float64"));
/// assert!(field_dtype_conflict::<V>(DType::Float64, "v", "V").is_none());
/// assert!(field_dtype_conflict::<arraymodel::Array>(DType::Int8, "a", "Array").is_none());
/// ```
pub const fn field_dtype_conflict<F: ArrayField + ?Sized>(
    declared: DType,
    field: &str,
    ty: &str,
) -> Option<DTypeConflict> {
    let Some(held) = F::DTYPE else {
        return None;
    };
    if held as usize == declared as usize {
        return None;
    }
    Some(
        DTypeConflict {
            text: [0; CONFLICT_TEXT],
            len: 0,
        }
        .push("#[array(dtype = \"")
        .push(declared.name())
        .push("\")] contradicts the type of field `")
        .push(field)
        .push("`: `")
        .push(ty)
        .push("` holds ")
        .push(held.name())
        .push(" arrays; write dtype = \"")
        .push(held.name())
        .push("\" or change the element type"),
    )
}

impl ArrayField for Array {
    fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
        let taken = std::mem::replace(self, Array::scalar(false));
        *self = spec.conform(taken)?;
        Ok(())
    }
}

impl<T: Element> ArrayField for NdArray<T> {
    const DTYPE: Option<DType> = Some(T::DTYPE);

    /// Refuses a `spec` whose dtype is not `T`'s (the derive makes that a compile
    /// error; this is the same rule for other callers): an `NdArray<T>` always holds `T`.
    fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
        if let Some(d) = spec.dtype.filter(|&d| d != T::DTYPE) {
            return Err(Error::new(ErrorKind::Constraint(format!(
                "the field's dtype {d} contradicts its element type {}",
                T::DTYPE
            ))));
        }
        // What an error leaves behind still holds `T`.
        let taken = std::mem::replace(&mut self.inner, Array::from_vec(Vec::<T>::new()));
        let conformed = spec.conform(taken)?;
        if conformed.dtype() != T::DTYPE {
            return Err(Error::new(ErrorKind::Constraint(format!(
                "dtype {} where the element type {} was expected",
                conformed.dtype(),
                T::DTYPE
            ))));
        }
        self.inner = conformed;
        Ok(())
    }
}

impl<A: ArrayField> ArrayField for Option<A> {
    const DTYPE: Option<DType> = A::DTYPE;

    fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
        self.as_mut().map_or(Ok(()), |a| a.conform(spec))
    }
    #[cfg(feature = "schema")]
    fn array_schema(generator: &mut SchemaGenerator, spec: &ArraySpec) -> Schema {
        let inner = A::array_schema(generator, spec).to_value();
        Schema::try_from(json!({"anyOf": [inner, {"type": "null"}]})).expect("object")
    }
}

impl<A: ArrayField> ArrayField for Box<A> {
    const DTYPE: Option<DType> = A::DTYPE;

    fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
        (**self).conform(spec)
    }
    #[cfg(feature = "schema")]
    fn array_schema(generator: &mut SchemaGenerator, spec: &ArraySpec) -> Schema {
        A::array_schema(generator, spec)
    }
}

impl<A: ArrayField> ArrayField for Vec<A> {
    const DTYPE: Option<DType> = A::DTYPE;

    fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
        for (i, a) in self.iter_mut().enumerate() {
            a.conform(spec).map_err(|e| e.at_index(i))?;
        }
        Ok(())
    }
    #[cfg(feature = "schema")]
    fn array_schema(generator: &mut SchemaGenerator, spec: &ArraySpec) -> Schema {
        let inner = A::array_schema(generator, spec).to_value();
        Schema::try_from(json!({"type": "array", "items": inner})).expect("object")
    }
}

/// `ArrayField` for a map of arrays: each value under its key's path.
macro_rules! map_field {
    ($map:ident<K, A $(, $extra:ident)*>) => {
        impl<K: Display, A: ArrayField $(, $extra)*> ArrayField for $map<K, A $(, $extra)*> {
            const DTYPE: Option<DType> = A::DTYPE;

            fn conform(&mut self, spec: &ArraySpec) -> Result<()> {
                for (k, a) in self.iter_mut() {
                    a.conform(spec).map_err(|e| e.at_field(k.to_string()))?;
                }
                Ok(())
            }
            #[cfg(feature = "schema")]
            fn array_schema(generator: &mut SchemaGenerator, spec: &ArraySpec) -> Schema {
                let inner = A::array_schema(generator, spec).to_value();
                Schema::try_from(json!({"type": "object", "additionalProperties": inner})).expect("object")
            }
        }
    };
}
map_field!(HashMap<K, A, S>);
map_field!(BTreeMap<K, A>);

#[cfg(feature = "schema")]
impl JsonSchema for Array {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ArraySpec::ANY.title().into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        ArraySpec::ANY.json_schema(generator)
    }
}

/// An array whose element type is fixed at compile time: decoding converts other
/// dtypes to `T` with tesseract's rules (ints into floats, narrower ints, range
/// checked) and refuses the rest.
///
/// ```
/// use arraymodel::{from_json_slice, model::NdArray, DecodeOptions};
/// let a: NdArray<f64> = from_json_slice(br#"{"data_b64":"AQAAAAIAAAA=","shape":[2],"dtype":"int32"}"#,
///     &DecodeOptions::default()).unwrap();
/// assert_eq!(a.as_slice(), &[1.0, 2.0]);
/// let bad = from_json_slice::<NdArray<i8>>(br#"[1.5]"#, &DecodeOptions::default());
/// assert!(bad.is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray<T: Element> {
    inner: Array,
    _t: PhantomData<T>,
}

/// Every way to build or change an `NdArray<T>` (`new`, `try_from_array`, decoding,
/// [`ArrayField::conform`]) checks that it holds `T`, so the accessors cannot fail.
const HOLDS_T: &str = "an NdArray<T> holds T: its constructors and conform check it";

impl<T: Element> NdArray<T> {
    /// An array of `shape` holding `data` in C order.
    pub fn new(shape: impl Into<Vec<usize>>, data: Vec<T>) -> Result<NdArray<T>> {
        Array::new(shape, data).map(|inner| NdArray {
            inner,
            _t: PhantomData,
        })
    }

    /// Converts a dynamic array under tesseract's rules.
    pub fn try_from_array(a: Array) -> Result<NdArray<T>> {
        let inner = if a.dtype() == T::DTYPE {
            a
        } else {
            cast::cast(&a, T::DTYPE, Casting::Tesseract)?
        };
        Ok(NdArray {
            inner,
            _t: PhantomData,
        })
    }

    /// The elements in C order.
    pub fn as_slice(&self) -> &[T] {
        self.inner.as_slice().expect(HOLDS_T)
    }

    /// The elements, mutably.
    pub fn as_slice_mut(&mut self) -> &mut [T] {
        self.inner.as_slice_mut().expect(HOLDS_T)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.inner.shape()
    }

    /// The dynamic array.
    pub fn as_array(&self) -> &Array {
        &self.inner
    }

    /// Consumes into the dynamic array.
    pub fn into_array(self) -> Array {
        self.inner
    }

    /// Consumes into the elements.
    pub fn into_vec(self) -> Vec<T> {
        self.inner.into_vec().expect(HOLDS_T)
    }
}

impl<T: Element> From<NdArray<T>> for Array {
    fn from(a: NdArray<T>) -> Array {
        a.inner
    }
}

impl<T: Element> Serialize for NdArray<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.inner.serialize(s)
    }
}

impl<'de, T: Element> Deserialize<'de> for NdArray<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<NdArray<T>, D::Error> {
        let a = Array::deserialize(d)?;
        NdArray::try_from_array(a)
            .map_err(|e| crate::context::to_serde(e, serde::de::Error::custom))
    }
}

#[cfg(feature = "schema")]
impl<T: Element> JsonSchema for NdArray<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        let spec = ArraySpec {
            dtype: Some(T::DTYPE),
            ..ArraySpec::ANY
        };
        spec.title().into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        ArraySpec {
            dtype: Some(T::DTYPE),
            ..ArraySpec::ANY
        }
        .json_schema(generator)
    }
}

/// Metadata of one field of a derived model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// The Rust field name.
    pub name: &'static str,
    /// The name on the wire (after `rename` / `rename_all`).
    pub wire_name: &'static str,
    /// The array constraints, for fields marked `#[array(...)]`.
    pub array: Option<ArraySpec>,
    /// Whether the field holds raw bytes (`#[bytes]`).
    pub bytes: bool,
    /// The doc comment.
    pub description: Option<&'static str>,
}

/// `schemars::JsonSchema` with feature `schema`; no requirement without it.
///
/// The supertrait through which [`ArrayModel`] requires `JsonSchema` exactly when the
/// feature is on (the pattern of wgpu's `WasmNotSend`), and the bound
/// `#[derive(ArrayModel)]` puts on a generic model's type parameters. It is implemented
/// for every type that meets it; there is nothing to implement.
///
/// Features unify across a build: if any crate in it enables `schema`, every derived
/// model in it derives `JsonSchema`, so its other field types must implement
/// `JsonSchema` then. A library whose models may share a build with the feature keeps
/// its field types `JsonSchema` (e.g. behind a feature of its own that enables
/// `arraymodel/schema`).
#[cfg(feature = "schema")]
pub trait MaybeJsonSchema: JsonSchema {}
#[cfg(feature = "schema")]
impl<T: JsonSchema + ?Sized> MaybeJsonSchema for T {}

/// `schemars::JsonSchema` with feature `schema`; no requirement without it (this build:
/// implemented for every type).
///
/// The supertrait through which [`ArrayModel`] requires `JsonSchema` exactly when the
/// feature is on, and the bound `#[derive(ArrayModel)]` puts on a generic model's type
/// parameters.
#[cfg(not(feature = "schema"))]
pub trait MaybeJsonSchema {}
#[cfg(not(feature = "schema"))]
impl<T: ?Sized> MaybeJsonSchema for T {}

/// The derive's gate for what it writes only with feature `schema` (the model's
/// `JsonSchema` impl): `#[derive(ArrayModel)]` cannot see the runtime's features, so it
/// wraps those items in `arraymodel::__private::schema_items! { ... }`, which passes
/// them through with the feature and drops them without. Not a public API.
#[cfg(feature = "schema")]
#[doc(hidden)]
#[macro_export]
macro_rules! __arraymodel_schema_items {
    ($($items:tt)*) => { $($items)* };
}

/// Without feature `schema`: drops the derive's schema items (see the other definition).
#[cfg(not(feature = "schema"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __arraymodel_schema_items {
    ($($items:tt)*) => {};
}

/// A struct with array and bytes fields, derived with `#[derive(ArrayModel)]`.
///
/// Deriving it also derives serde's `Serialize` and `Deserialize` (honouring
/// `#[serde(...)]` attributes) with the array constraints checked on decode, and with
/// feature `schema` schemars' `JsonSchema` in tesseract's form (the supertrait
/// [`MaybeJsonSchema`] is `JsonSchema` then, and no requirement without the feature).
pub trait ArrayModel: Serialize + DeserializeOwned + MaybeJsonSchema {
    /// The fields, in declaration order.
    const FIELDS: &'static [FieldInfo];

    /// Checks and converts the constrained array fields and checks the `#[check(...)]`
    /// constraints (the derived `Deserialize` calls this; call it on a value you built
    /// to hold it to the same rules). Errors carry the field's wire name. Nested models
    /// are checked when they are decoded, not again here.
    fn conform(&mut self) -> Result<()>;

    /// JSON in the form `opts` chooses.
    fn to_json(&self, opts: &EncodeOptions) -> Result<Vec<u8>> {
        crate::to_json_vec(self, opts)
    }

    /// Decodes JSON in any array form.
    fn from_json(bytes: &[u8], opts: &DecodeOptions) -> Result<Self> {
        crate::from_json_slice(bytes, opts)
    }

    /// msgpack as truss's binary mode writes it.
    fn to_msgpack(&self) -> Result<Vec<u8>> {
        crate::to_msgpack_vec(self)
    }

    /// Decodes msgpack.
    fn from_msgpack(bytes: &[u8], opts: &DecodeOptions) -> Result<Self> {
        crate::from_msgpack_slice(bytes, opts)
    }

    /// tesseract's request body: `{"inputs": <self>}`.
    fn to_tesseract_request(&self, opts: &EncodeOptions) -> Result<Vec<u8>> {
        #[derive(Serialize)]
        struct Wrap<'a, M> {
            inputs: &'a M,
        }
        crate::to_json_vec(&Wrap { inputs: self }, opts)
    }

    /// Decodes tesseract's request body `{"inputs": ...}`; errors start with `inputs.`.
    fn from_tesseract_request(bytes: &[u8], opts: &DecodeOptions) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wrap<M> {
            inputs: M,
        }
        crate::from_json_slice::<Wrap<Self>>(bytes, opts).map(|w| w.inputs)
    }

    /// The JSON Schema of the model, draft 2020-12, with `$defs` (feature `schema`).
    #[cfg(feature = "schema")]
    fn json_schema_value() -> Value {
        schemars::schema_for!(Self).to_value()
    }
}

/// Raises a model error through serde, keeping its kind and path for the top-level call.
pub fn de_error<E: serde::de::Error>(e: Error) -> E {
    crate::context::to_serde(e, E::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecodeOptions, from_json_slice};

    const FLOAT32: ArraySpec = ArraySpec {
        dtype: Some(DType::Float32),
        ..ArraySpec::ANY
    };

    /// A spec whose dtype contradicts `T` is an error (it used to cast the array, and
    /// `as_slice` then panicked); the error carries the field path, and what is left
    /// still holds `T`.
    #[test]
    fn ndarray_refuses_a_contradicting_dtype() {
        let mut a = NdArray::<f64>::new([2], vec![1.0, 2.0]).unwrap();
        let err = ArrayField::conform(&mut a, &FLOAT32).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Constraint(_)), "{err}");
        assert!(err.to_string().contains("float32"), "{err}");
        assert_eq!(a.as_slice().len(), a.shape().iter().product::<usize>());

        let mut nested: Vec<Option<NdArray<f64>>> =
            vec![None, Some(NdArray::new([1], vec![1.0]).unwrap())];
        let err = ArrayField::conform(&mut nested, &FLOAT32)
            .map_err(|e| e.at_field("v"))
            .unwrap_err();
        assert_eq!(err.path().to_string(), "v[1]");

        let same = ArraySpec {
            dtype: Some(DType::Float64),
            shape: ShapeSpec::Dims(&[Dim::Fixed(3)]),
            ..ArraySpec::ANY
        };
        let mut b = NdArray::<f64>::new([1], vec![4.0]).unwrap();
        ArrayField::conform(&mut b, &same).unwrap();
        assert_eq!(b.as_slice(), &[4.0, 4.0, 4.0]);
    }

    #[test]
    fn field_types_fix_their_dtype() {
        assert_eq!(<Array as ArrayField>::DTYPE, None);
        assert_eq!(<NdArray<i8> as ArrayField>::DTYPE, Some(DType::Int8));
        assert_eq!(
            <Option<Vec<Box<NdArray<crate::f16>>>> as ArrayField>::DTYPE,
            Some(DType::Float16)
        );
        assert_eq!(
            <HashMap<String, NdArray<u64>> as ArrayField>::DTYPE,
            Some(DType::UInt64)
        );
        assert_eq!(<BTreeMap<String, Vec<Array>> as ArrayField>::DTYPE, None);
        #[cfg(feature = "ndarray")]
        assert_eq!(
            <Option<ndarray::Array2<f32>> as ArrayField>::DTYPE,
            Some(DType::Float32)
        );
        let c = field_dtype_conflict::<Vec<NdArray<bool>>>(DType::Int8, "flags", "Vec<B>");
        assert_eq!(
            c.unwrap().message(),
            "#[array(dtype = \"int8\")] contradicts the type of field `flags`: `Vec<B>` holds \
             bool arrays; write dtype = \"bool\" or change the element type"
        );
        // A name cut inside a character by the length limit still gives a message.
        let long = "é".repeat(400);
        let c = field_dtype_conflict::<NdArray<bool>>(DType::Int8, &long, "B").unwrap();
        assert!(c.message().contains("contradicts"));
    }

    /// Without feature `schema` (`scripts/test.sh` runs the default-feature lib tests):
    /// the derive's `JsonSchema` impl is dropped by the `schema_items!` gate, so a model
    /// whose field type has no `JsonSchema` compiles, and every wire form still works.
    #[cfg(not(feature = "schema"))]
    #[test]
    fn derive_without_the_schema_feature() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct NoSchema {
            label: String,
        }
        #[derive(crate::ArrayModel, Debug)]
        struct M<T> {
            #[array(shape = [None], dtype = "float64")]
            a: Array,
            meta: NoSchema,
            extra: T,
        }
        let body = br#"{"a": [1, 2], "meta": {"label": "x"}, "extra": 3}"#;
        let m: M<u8> = M::from_json(body, &DecodeOptions::default()).unwrap();
        assert_eq!(m.a.as_slice::<f64>().unwrap(), &[1.0, 2.0]);
        let back = M::<u8>::from_msgpack(&m.to_msgpack().unwrap(), &DecodeOptions::default());
        let back = back.unwrap();
        assert_eq!(back.meta, m.meta);
        assert_eq!(back.extra, 3);
        let json = m.to_json(&EncodeOptions::truss()).unwrap();
        assert!(json.starts_with(br#"{"a":{"data_b64":"#), "{json:?}");
    }

    /// A generic model: the dtype check is an inline constant, and a matching
    /// instantiation decodes with the cast.
    #[test]
    fn generic_field_with_a_dtype() {
        #[derive(crate::ArrayModel, Debug)]
        struct Typed<T: Element> {
            #[array(shape = [None], dtype = "float64")]
            values: Option<NdArray<T>>,
        }
        let m: Typed<f64> =
            from_json_slice(br#"{"values": [1, 2]}"#, &DecodeOptions::default()).unwrap();
        assert_eq!(m.values.unwrap().as_slice(), &[1.0, 2.0]);
    }
}
