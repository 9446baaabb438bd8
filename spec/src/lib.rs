//! The facts that [`arraymodel`](https://docs.rs/arraymodel) (the runtime),
//! `arraymodel-macros` (`#[derive(ArrayModel)]`) and `arraymodel-codegen` (the code
//! generator) must agree on, each written once:
//!
//! - [`DTYPES`]: the 14 numpy dtypes arraymodel carries — name, kind, type character,
//!   item size, `dtype.str`, every other numpy spelling, and the Rust element type;
//! - [`MAX_DIMS`]: numpy's dimension limit;
//! - [`title`]: tesseract's `EncodedArrayModel__<shape>__<dtype>__<flags>` schema
//!   titles, written by the runtime and read back by the generator;
//! - [`infer_dtype`]: the dtype numpy gives a list of Python scalars.
//!
//! The crate has no dependencies and is `no_std`, so depending on it costs a derive
//! user nothing measurable.
//!
//! ```
//! use arraymodel_spec::{DTYPES, MAX_DIMS, lookup};
//! let f8 = lookup("double").unwrap();
//! assert_eq!((f8.name, f8.itemsize, f8.kind, f8.descr), ("float64", 8, 'f', "<f8"));
//! assert_eq!(DTYPES[f8.index()].rust, "f64");
//! assert_eq!(MAX_DIMS, 64);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod title;

/// The README's example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// numpy's maximum number of dimensions (`numpy.MAXDIMS` since numpy 2.0), and the
/// most any arraymodel array, shape attribute or schema may have.
pub const MAX_DIMS: usize = 64;

/// What arraymodel knows about one numpy dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DTypeInfo {
    /// numpy's `dtype.name`, as tesseract and truss write it: `"float64"`.
    pub name: &'static str,
    /// The variant of the runtime's `arraymodel::DType`: `"Float64"`.
    pub variant: &'static str,
    /// numpy's `dtype.kind`: `b`, `i`, `u`, `f` or `c`.
    pub kind: char,
    /// numpy's `dtype.char` on a 64-bit Linux host: `d`.
    pub char: char,
    /// The size of one element in bytes.
    pub itemsize: usize,
    /// numpy's `dtype.str` for little-endian data (`"<f8"`, `"|b1"`): what
    /// msgpack-numpy writes as `type`.
    pub descr: &'static str,
    /// Every other spelling numpy accepts for the dtype (besides [`name`](Self::name),
    /// [`descr`](Self::descr) with or without its byte-order character, and
    /// [`char`](Self::char)): Python and C type names, type codes.
    pub aliases: &'static [&'static str],
    /// The Rust element type as `arraymodel` names it (`f64`, `f16`, `Complex<f32>`).
    pub rust: &'static str,
    /// Other spellings of the Rust element type the derive recognises in source text
    /// (`num_complex`'s aliases `Complex32`, `Complex64`).
    pub rust_aliases: &'static [&'static str],
}

impl DTypeInfo {
    /// The position in [`DTYPES`], which is also the discriminant of the runtime's
    /// `arraymodel::DType` variant.
    pub const fn index(&self) -> usize {
        position(self.name)
    }

    /// Whether `spelling` (without a byte-order character) names this dtype: the
    /// name, the type code (`f8`), the character (`d`) or an alias (`double`).
    pub fn is_spelled(&self, spelling: &str) -> bool {
        spelling == self.name
            || spelling == &self.descr[1..]
            || (spelling.len() == self.char.len_utf8() && spelling.starts_with(self.char))
            || self.aliases.contains(&spelling)
    }

    /// Whether `ty`, Rust type text without spaces, names this element type.
    pub fn is_rust_type(&self, ty: &str) -> bool {
        ty == self.rust || self.rust_aliases.contains(&ty)
    }
}

const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! dtype {
    ($name:literal, $variant:literal, $kind:literal, $char:literal, $size:literal, $descr:literal,
     [$($alias:literal),*], $rust:literal, [$($ralias:literal),*]) => {
        DTypeInfo {
            name: $name,
            variant: $variant,
            kind: $kind,
            char: $char,
            itemsize: $size,
            descr: $descr,
            aliases: &[$($alias),*],
            rust: $rust,
            rust_aliases: &[$($ralias),*],
        }
    };
}

/// The 14 dtypes, in the order of the runtime's `arraymodel::DType` variants.
#[rustfmt::skip]
pub const DTYPES: [DTypeInfo; 14] = [
    //     name          variant       kind char size descr   aliases                                                         rust            rust aliases
    dtype!("bool",       "Bool",       'b', '?', 1,  "|b1",  ["bool_"],                                                       "bool",         []),
    dtype!("int8",       "Int8",       'i', 'b', 1,  "|i1",  ["byte"],                                                        "i8",           []),
    dtype!("int16",      "Int16",      'i', 'h', 2,  "<i2",  ["short"],                                                       "i16",          []),
    dtype!("int32",      "Int32",      'i', 'i', 4,  "<i4",  ["intc"],                                                        "i32",          []),
    dtype!("int64",      "Int64",      'i', 'l', 8,  "<i8",  ["q", "long", "longlong", "int", "int_", "intp", "p"],           "i64",          []),
    dtype!("uint8",      "UInt8",      'u', 'B', 1,  "|u1",  ["ubyte"],                                                       "u8",           []),
    dtype!("uint16",     "UInt16",     'u', 'H', 2,  "<u2",  ["ushort"],                                                      "u16",          []),
    dtype!("uint32",     "UInt32",     'u', 'I', 4,  "<u4",  ["uintc"],                                                       "u32",          []),
    dtype!("uint64",     "UInt64",     'u', 'L', 8,  "<u8",  ["Q", "ulong", "ulonglong", "uint", "uintp", "P"],               "u64",          []),
    dtype!("float16",    "Float16",    'f', 'e', 2,  "<f2",  ["half"],                                                        "f16",          []),
    dtype!("float32",    "Float32",    'f', 'f', 4,  "<f4",  ["single"],                                                      "f32",          []),
    dtype!("float64",    "Float64",    'f', 'd', 8,  "<f8",  ["double", "float", "float_"],                                   "f64",          []),
    dtype!("complex64",  "Complex64",  'c', 'F', 8,  "<c8",  ["csingle"],                                                     "Complex<f32>", ["Complex32"]),
    dtype!("complex128", "Complex128", 'c', 'D', 16, "<c16", ["cdouble", "complex", "complex_"],                              "Complex<f64>", ["Complex64"]),
];

/// The numpy names of [`DTYPES`], in the same order.
pub const NAMES: [&str; 14] = {
    let mut out = [""; 14];
    let mut i = 0;
    while i < DTYPES.len() {
        out[i] = DTYPES[i].name;
        i += 1;
    }
    out
};

/// numpy's spellings of the object (pickle) dtype, which arraymodel refuses: decoding
/// one would run code.
pub const OBJECT_SPELLINGS: [&str; 4] = ["O", "O8", "object", "object_"];

/// The dtype with exactly this numpy name (`"float64"`), as tesseract requires.
///
/// ```
/// assert_eq!(arraymodel_spec::by_name("int8").unwrap().itemsize, 1);
/// assert!(arraymodel_spec::by_name("i1").is_none());
/// ```
pub fn by_name(name: &str) -> Option<&'static DTypeInfo> {
    DTYPES.iter().find(|d| d.name == name)
}

/// The dtype of any numpy spelling without a byte-order character: a name
/// (`float64`), a type code (`f8`), a type character (`d`) or an alias (`double`).
///
/// ```
/// use arraymodel_spec::lookup;
/// assert_eq!(lookup("f8").unwrap().name, "float64");
/// assert_eq!(lookup("?").unwrap().name, "bool");
/// assert_eq!(lookup("b").unwrap().name, "int8"); // numpy's `b` is a signed byte
/// assert!(lookup("<f8").is_none()); // the caller strips the byte order
/// assert!(lookup("object").is_none());
/// ```
pub fn lookup(spelling: &str) -> Option<&'static DTypeInfo> {
    // Names and type codes first: what the wire carries almost always.
    DTYPES
        .iter()
        .find(|d| d.name == spelling || &d.descr[1..] == spelling)
        .or_else(|| DTYPES.iter().find(|d| d.is_spelled(spelling)))
}

/// The dtype of a Rust element type written as source text without spaces
/// (`f64`, `Complex<f32>`, `Complex64`), if it is one of arraymodel's.
///
/// ```
/// assert_eq!(arraymodel_spec::by_rust_type("Complex64").unwrap().name, "complex128");
/// assert!(arraymodel_spec::by_rust_type("usize").is_none());
/// ```
pub fn by_rust_type(ty: &str) -> Option<&'static DTypeInfo> {
    DTYPES.iter().find(|d| d.is_rust_type(ty))
}

/// One Python scalar of a list, as far as numpy's dtype discovery cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `True` / `False`.
    Bool,
    /// An integer below zero (it fits `int64`).
    NegativeInt,
    /// An integer from 0 to `i64::MAX`.
    Int,
    /// An integer above `i64::MAX` (it fits `uint64`).
    BigInt,
    /// A float.
    Float,
    /// A complex number.
    Complex,
}

/// The dtype `numpy.asarray` gives a list of these scalars: `bool` for booleans alone;
/// `int64` for integers (booleans among numbers count as integers); `uint64` if one is
/// above `i64::MAX` and none is negative, `float64` if both; `float64` if any float;
/// `complex128` if any complex; `float64` for an empty list.
///
/// ```
/// use arraymodel_spec::{infer_dtype, Scalar::*};
/// assert_eq!(infer_dtype([Int, Float]).name, "float64");
/// assert_eq!(infer_dtype([Float, Int]).name, "float64");
/// assert_eq!(infer_dtype([Bool, Bool]).name, "bool");
/// assert_eq!(infer_dtype([Bool, Int]).name, "int64");
/// assert_eq!(infer_dtype([Int, BigInt]).name, "uint64");
/// assert_eq!(infer_dtype([NegativeInt, BigInt]).name, "float64");
/// assert_eq!(infer_dtype([Int, Complex]).name, "complex128");
/// assert_eq!(infer_dtype([]).name, "float64");
/// ```
pub fn infer_dtype(scalars: impl IntoIterator<Item = Scalar>) -> &'static DTypeInfo {
    let (mut any, mut all_bool, mut negative, mut big, mut float, mut complex) =
        (false, true, false, false, false, false);
    for s in scalars {
        any = true;
        all_bool &= s == Scalar::Bool;
        match s {
            Scalar::Bool | Scalar::Int => {}
            Scalar::NegativeInt => negative = true,
            Scalar::BigInt => big = true,
            Scalar::Float => float = true,
            Scalar::Complex => complex = true,
        }
    }
    const BOOL: usize = position("bool");
    const INT64: usize = position("int64");
    const UINT64: usize = position("uint64");
    const FLOAT64: usize = position("float64");
    const COMPLEX128: usize = position("complex128");
    let i = if !any {
        FLOAT64
    } else if complex {
        COMPLEX128
    } else if all_bool {
        BOOL
    } else if float || (big && negative) {
        FLOAT64
    } else if big {
        UINT64
    } else {
        INT64
    };
    &DTYPES[i]
}

/// The index of the dtype named `name`; a compile error in a constant if none is.
const fn position(name: &str) -> usize {
    let mut i = 0;
    while i < DTYPES.len() {
        if eq(DTYPES[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("not a dtype name")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling names one dtype, and none is the object dtype's.
    #[test]
    fn spellings_are_unique() {
        for (i, d) in DTYPES.iter().enumerate() {
            assert_eq!(d.index(), i);
            assert_eq!(d.descr[1..].chars().next(), Some(d.kind));
            assert_eq!(d.descr[2..].parse::<usize>().unwrap(), d.itemsize);
            let mut buf = [0u8; 4];
            let c: &str = d.char.encode_utf8(&mut buf);
            for s in [d.name, &d.descr[1..], c].iter().chain(d.aliases) {
                let named = DTYPES.iter().filter(|o| o.is_spelled(s)).count();
                assert_eq!(named, 1, "{s}");
                assert!(!OBJECT_SPELLINGS.contains(s));
                assert_eq!(lookup(s), Some(d), "{s}");
            }
            assert_eq!(by_name(d.name), Some(d));
            assert_eq!(by_rust_type(d.rust), Some(d));
            for r in d.rust_aliases {
                assert_eq!(by_rust_type(r), Some(d));
            }
        }
        assert_eq!(NAMES[11], "float64");
        assert!(lookup("O").is_none() && lookup("").is_none() && lookup("float128").is_none());
    }
}
