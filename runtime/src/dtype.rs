//! The 14 element types and their numpy spellings.

use std::fmt;

/// Byte order of array data on the wire.
///
/// In memory an [`Array`](crate::Array) is always in the host's (little-endian) order;
/// big-endian input is swapped on decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (numpy `<`, and `|` / `=` on the hosts we support).
    Little,
    /// Most significant byte first (numpy `>`).
    Big,
}

impl ByteOrder {
    /// The host's byte order.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
}

/// One of the 14 element types tesseract-core and truss exchange.
///
/// ```
/// use arraymodel::{DType, ByteOrder};
/// assert_eq!(DType::parse("<f8").unwrap(), (DType::Float64, ByteOrder::Little));
/// assert_eq!(DType::parse(">i4").unwrap(), (DType::Int32, ByteOrder::Big));
/// assert_eq!(DType::parse("bool").unwrap().0, DType::Bool);
/// assert_eq!(DType::Complex64.name(), "complex64");
/// assert_eq!(DType::Float16.descr(), "<f2");
/// assert!(DType::parse("|O").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte, 0 or 1.
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `float16` (IEEE half, [`half::f16`]).
    Float16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: two `f32`, real then imaginary ([`num_complex::Complex<f32>`]).
    Complex64,
    /// `complex128`: two `f64` ([`num_complex::Complex<f64>`]).
    Complex128,
}

/// Why a dtype string was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DTypeError {
    /// numpy object arrays are pickled Python objects; decoding one would run code.
    #[error(
        "dtype {0:?} is an object (pickle) dtype; refused because decoding it would execute code"
    )]
    Object(String),
    /// A dtype numpy knows but arraymodel does not carry (strings, datetimes, structs, float128, ...).
    #[error("dtype {0:?} is not supported (supported: {list})", list = DType::NAMES.join(", "))]
    Unsupported(String),
}

impl DType {
    /// All 14 dtypes, in tesseract's order of `AllowedDtypes`-like listing by kind.
    pub const ALL: [DType; 14] = [
        DType::Bool,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int64,
        DType::UInt8,
        DType::UInt16,
        DType::UInt32,
        DType::UInt64,
        DType::Float16,
        DType::Float32,
        DType::Float64,
        DType::Complex64,
        DType::Complex128,
    ];

    /// The numpy names of [`DType::ALL`], in the same order.
    pub const NAMES: [&'static str; 14] = arraymodel_spec::NAMES;

    /// What the shared table ([`arraymodel_spec::DTYPES`]) says about this dtype.
    pub(crate) const fn info(self) -> &'static arraymodel_spec::DTypeInfo {
        &Self::TABLE[self as usize]
    }

    /// [`arraymodel_spec::DTYPES`] as a static, so [`DType::info`] can lend it out.
    const TABLE: &'static [arraymodel_spec::DTypeInfo; 14] = &arraymodel_spec::DTYPES;

    /// numpy's `dtype.name`, as tesseract and truss write it (`"float64"`).
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        self.info().itemsize
    }

    /// numpy's kind character: `b`, `i`, `u`, `f` or `c`.
    pub const fn kind(self) -> char {
        self.info().kind
    }

    /// Whether the dtype is `float16`, `float32` or `float64`.
    pub const fn is_float(self) -> bool {
        matches!(self.kind(), 'f')
    }

    /// Whether the dtype is a signed or unsigned integer.
    pub const fn is_integer(self) -> bool {
        matches!(self.kind(), 'i' | 'u')
    }

    /// Whether the dtype is complex.
    pub const fn is_complex(self) -> bool {
        matches!(self.kind(), 'c')
    }

    /// numpy's `dtype.str` for data in the host's order: `"|b1"`, `"<f8"`, `"<c16"`.
    ///
    /// This is what msgpack-numpy writes as `type`.
    pub const fn descr(self) -> &'static str {
        self.info().descr
    }

    /// Parses any numpy spelling of a supported dtype: names (`float64`, `bool`),
    /// type codes with or without byte order (`<f8`, `f8`, `>i4`, `|b1`, `d`, `?`)
    /// and the Python aliases numpy accepts (`float`, `int`, `complex`, `double`);
    /// the spellings are those of [`arraymodel_spec::lookup`].
    ///
    /// Returns the dtype and the byte order of data that comes with it. Object
    /// dtypes (`O`, `object`) are refused with [`DTypeError::Object`].
    pub fn parse(s: &str) -> Result<(DType, ByteOrder), DTypeError> {
        let (order, body) = match s.as_bytes().first() {
            Some(b'<') => (Some(ByteOrder::Little), &s[1..]),
            Some(b'>') => (Some(ByteOrder::Big), &s[1..]),
            Some(b'=' | b'|') => (Some(ByteOrder::NATIVE), &s[1..]),
            _ => (None, s),
        };
        let Some(info) = arraymodel_spec::lookup(body) else {
            if arraymodel_spec::OBJECT_SPELLINGS.contains(&body) {
                return Err(DTypeError::Object(s.to_owned()));
            }
            return Err(DTypeError::Unsupported(s.to_owned()));
        };
        let dtype = Self::ALL[info.index()];
        // A name carries no byte order: it means native. One-byte types have none.
        let order = if dtype.itemsize() == 1 {
            ByteOrder::NATIVE
        } else {
            order.unwrap_or(ByteOrder::NATIVE)
        };
        Ok((dtype, order))
    }

    /// The dtype string truss (`str(np.dtype)`) writes for data in `order`:
    /// the numpy name for host order or one-byte types, `dtype.str` (`">f8"`) otherwise.
    pub fn truss_name(self, order: ByteOrder) -> String {
        if order == ByteOrder::NATIVE || self.itemsize() == 1 {
            self.name().to_owned()
        } else {
            self.descr_in(order)
        }
    }

    /// numpy's `dtype.str` for data in `order` (`">f8"`, `"|u1"`).
    pub fn descr_in(self, order: ByteOrder) -> String {
        let native = self.descr();
        if self.itemsize() == 1 || order == ByteOrder::NATIVE {
            return native.to_owned();
        }
        let mut s = String::with_capacity(native.len());
        s.push(match order {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
        });
        s.push_str(&native[1..]);
        s
    }

    /// Looks up a dtype by its exact numpy name (`"float64"`), as tesseract requires.
    pub fn from_name(name: &str) -> Option<DType> {
        arraymodel_spec::by_name(name).map(|d| Self::ALL[d.index()])
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DType {
    type Err = DTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DType::parse(s).map(|(d, _)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enum and the shared table agree: same order, same variant names.
    #[test]
    fn enum_matches_the_shared_table() {
        assert_eq!(DType::ALL.len(), arraymodel_spec::DTYPES.len());
        for (i, d) in DType::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i);
            assert_eq!(format!("{d:?}"), arraymodel_spec::DTYPES[i].variant);
            assert_eq!(d.info(), &arraymodel_spec::DTYPES[i]);
        }
    }

    #[test]
    fn names_and_descr_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::parse(d.name()).unwrap(), (d, ByteOrder::Little));
            assert_eq!(DType::parse(d.descr()).unwrap(), (d, ByteOrder::Little));
            assert_eq!(DType::from_name(d.name()), Some(d));
            assert_eq!(d.descr()[1..].chars().next(), Some(d.kind()));
        }
    }

    #[test]
    fn big_endian_and_aliases() {
        assert_eq!(
            DType::parse(">c16").unwrap(),
            (DType::Complex128, ByteOrder::Big)
        );
        assert_eq!(
            DType::parse(">u1").unwrap(),
            (DType::UInt8, ByteOrder::Little)
        );
        assert_eq!(DType::parse("d").unwrap().0, DType::Float64);
        assert_eq!(DType::parse("=f4").unwrap().0, DType::Float32);
        assert_eq!(DType::Float64.truss_name(ByteOrder::Big), ">f8");
        assert_eq!(DType::Int8.truss_name(ByteOrder::Big), "int8");
        assert!(matches!(DType::parse("|O"), Err(DTypeError::Object(_))));
        assert!(matches!(
            DType::parse("<U3"),
            Err(DTypeError::Unsupported(_))
        ));
        assert!(DType::parse("float128").is_err());
        assert!(DType::parse("").is_err());
    }
}
