//! The type space: what the schemas mean, before any Rust is written.

use serde_json::Value;

/// Index into [`TypeSpace::defs`].
pub(crate) type DefId = usize;

/// An array field's constraints (what `#[array(...)]` says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArraySpec {
    /// `None`: any rank; `Some(dims)`: exactly this rank, `None` dims are any size.
    pub shape: Option<Vec<Option<u64>>>,
    /// A numpy dtype name (`float64`), or `None` for any.
    pub dtype: Option<String>,
    pub differentiable: bool,
    /// Which schema family it was recognised from (for docs).
    pub family: Family,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Tesseract,
    Truss,
    Numpydantic,
    PydanticNumpy,
}

impl Family {
    pub fn describe(self) -> &'static str {
        match self {
            Family::Tesseract => "tesseract array",
            Family::Truss => "truss NumpyArrayField (`data_b64` on the wire)",
            Family::Numpydantic => "numpydantic NDArray (nested lists on the wire)",
            Family::PydanticNumpy => "pydantic-numpy array",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Int {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

/// A Rust type, before naming.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Array(ArraySpec),
    Bytes,
    String,
    Bool,
    Int(Int),
    F32,
    F64,
    /// JSON `null` only (`()`).
    Null,
    /// Any JSON value.
    Value,
    Named(DefId),
    Option(Box<Ty>),
    Vec(Box<Ty>),
    /// A map with string keys; `ordered` picks the configured map type.
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    Box(Box<Ty>),
    /// A type of another crate for a string `format` (`::uuid::Uuid`), when asked for.
    Extern(String),
}

impl Ty {
    /// The array spec if this is arrays inside `Option`/`Vec`/`Map`/`Box` only, which
    /// the runtime's `ArrayField` covers.
    pub fn array_field(&self) -> Option<&ArraySpec> {
        match self {
            Ty::Array(s) => Some(s),
            Ty::Option(t) | Ty::Vec(t) | Ty::Map(t) | Ty::Box(t) => t.array_field(),
            _ => None,
        }
    }

    /// `Vec<u8>` or `Option<Vec<u8>>`: what `#[bytes]` takes.
    pub fn is_bytes_field(&self) -> bool {
        match self {
            Ty::Bytes => true,
            Ty::Option(t) => matches!(**t, Ty::Bytes),
            _ => false,
        }
    }

    pub fn contains_array(&self) -> bool {
        match self {
            Ty::Array(_) => true,
            Ty::Option(t) | Ty::Vec(t) | Ty::Map(t) | Ty::Box(t) => t.contains_array(),
            Ty::Tuple(ts) => ts.iter().any(Ty::contains_array),
            _ => false,
        }
    }

    /// Named types this one holds without indirection (what makes a type infinitely sized).
    pub fn direct_named(&self, out: &mut Vec<DefId>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::Option(t) => t.direct_named(out),
            Ty::Tuple(ts) => ts.iter().for_each(|t| t.direct_named(out)),
            _ => {}
        }
    }

    /// Every named type mentioned.
    pub fn all_named(&self, out: &mut Vec<DefId>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::Option(t) | Ty::Vec(t) | Ty::Map(t) | Ty::Box(t) => t.all_named(out),
            Ty::Tuple(ts) => ts.iter().for_each(|t| t.all_named(out)),
            _ => {}
        }
    }

    /// Puts the directly held named types behind a `Box`.
    pub fn boxed(self) -> Ty {
        match self {
            Ty::Named(_) | Ty::Tuple(_) => Ty::Box(Box::new(self)),
            Ty::Option(t) => Ty::Option(Box::new(t.boxed())),
            other => other,
        }
    }
}

/// A field's value constraints (`#[check(...)]`): JSON Schema's validation keywords,
/// gathered through `$ref`s and `allOf` members. Bounds keep the schema's numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Check {
    pub minimum: Option<serde_json::Number>,
    pub maximum: Option<serde_json::Number>,
    pub exclusive_minimum: Option<serde_json::Number>,
    pub exclusive_maximum: Option<serde_json::Number>,
    pub multiple_of: Option<serde_json::Number>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    /// Keys a map must hold (`required` of an object without properties).
    pub required_keys: Vec<String>,
    /// The allowed values, as a JSON array's text.
    pub json_enum: Option<String>,
    pub items: Option<Box<Check>>,
    pub values: Option<Box<Check>>,
    pub keys: Option<Box<Check>>,
}

impl Check {
    pub fn is_empty(&self) -> bool {
        *self == Check::default()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    /// The Rust identifier (escaped).
    pub ident: String,
    pub wire: String,
    pub ty: Ty,
    pub doc: Vec<String>,
    pub default: Option<Value>,
    /// Serde `default` without a function (missing means `None` / empty).
    pub default_empty: bool,
    /// Leave it out of the output when `None` (absent on the wire).
    pub skip_none: bool,
    /// Required but nullable: `Option` that must be present (serde reads a missing
    /// `Option` field as `None` unless told otherwise).
    pub required_nullable: bool,
    /// Optional and nullable (OpenAPI 3.0 `Option<Option<T>>`, or any value
    /// `Option<Value>`): absent `None`, null `Some(None)` / `Some(Value::Null)`, so each
    /// is written back as it came.
    pub optional_nullable: bool,
    /// Value constraints checked on decode (filled in once every type is known, from
    /// `check_at`).
    pub check: Option<Check>,
    /// Where the field's schema is.
    pub check_at: Option<crate::load::Loc>,
}

#[derive(Clone, Debug)]
pub(crate) struct Struct {
    pub fields: Vec<Field>,
    pub deny_unknown: bool,
    /// `additionalProperties` schema next to `properties`: a flattened map.
    pub extra: Option<Ty>,
}

#[derive(Clone, Debug)]
pub(crate) struct Variant {
    pub ident: String,
    /// The wire value (string enums, tags).
    pub wire: String,
    pub ty: Option<Ty>,
    pub doc: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Being converted (a `$ref` cycle in progress).
    Pending,
    Struct(Struct),
    /// Unit variants with wire names.
    StringEnum(Vec<Variant>),
    /// `#[serde(tag = "...")]`; each variant holds a struct.
    Tagged {
        tag: String,
        variants: Vec<Variant>,
    },
    /// `#[serde(untagged)]`.
    Untagged(Vec<Variant>),
    /// `pub type Name = ...;`
    Alias(Ty),
    /// `pub struct Name(pub T)` with `#[serde(transparent)]` (breaks alias cycles).
    Newtype(Ty),
    /// `pub type Name = path<params>;`: a type of the user's (`x-rust-type` with its
    /// `parameters`, `--replace`).
    External(String, Vec<Ty>),
}

#[derive(Clone, Debug)]
pub(crate) struct Def {
    pub name: String,
    /// `file#/pointer` it came from.
    pub source: String,
    pub doc: Vec<String>,
    pub kind: Kind,
}
