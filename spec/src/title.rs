//! tesseract's array schema titles: `EncodedArrayModel__<shape>__<dtype>__<flags>`.
//!
//! tesseract-core names the pydantic model of every array field after its constraints;
//! the runtime writes these titles into the JSON Schemas of derived models, and the
//! generator reads them back to recognise array fields.
//!
//! | part | values |
//! |---|---|
//! | shape | `anyrank` (any rank), `scalar` (0-d), or the dimensions joined by `_`, each a size or `any` (`3_any`) |
//! | dtype | a numpy name (`float64`), or `None` for any dtype |
//! | flags | `DIFFERENTIABLE` or `noflags` |
//!
//! ```
//! use arraymodel_spec::title::{ArrayTitle, Dim};
//! let mut s = String::new();
//! arraymodel_spec::title::write(&mut s, Some([Dim::Fixed(3), Dim::Any]), Some("float64"), true).unwrap();
//! assert_eq!(s, "EncodedArrayModel__3_any__float64__DIFFERENTIABLE");
//!
//! let t = ArrayTitle::parse(&s).unwrap();
//! assert_eq!(t.dtype.unwrap().name, "float64");
//! assert!(t.differentiable);
//! assert_eq!(t.dims().unwrap().collect::<Vec<_>>(), [Dim::Fixed(3), Dim::Any]);
//! assert!(ArrayTitle::parse("EncodedArrayModel__anyrank__None__noflags").unwrap().dims().is_none());
//! assert!(ArrayTitle::parse("EncodedArrayModel__x__float64__noflags").is_none());
//! ```

use core::fmt::{self, Write};

use crate::{DTypeInfo, MAX_DIMS, by_name};

/// The first part of every title.
pub const PREFIX: &str = "EncodedArrayModel";
/// What separates the parts.
pub const SEPARATOR: &str = "__";
/// The shape part of an array of any rank.
pub const ANY_RANK: &str = "anyrank";
/// The shape part of a 0-d array.
pub const SCALAR: &str = "scalar";
/// A dimension of any size.
pub const ANY_DIM: &str = "any";
/// What separates the dimensions of the shape part.
pub const DIM_SEPARATOR: char = '_';
/// The dtype part when any dtype is accepted (Python's `None`).
pub const ANY_DTYPE: &str = "None";
/// The flags part of a differentiable array (also the `array_flags` entry).
pub const DIFFERENTIABLE: &str = "DIFFERENTIABLE";
/// The flags part otherwise.
pub const NO_FLAGS: &str = "noflags";

/// One dimension of a title's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// Any size (`any`, Python's `None`).
    Any,
    /// Exactly this size.
    Fixed(u64),
}

/// Writes a title. `dims`: `None` for any rank, empty for a scalar; `dtype`: a numpy
/// name, `None` for any.
pub fn write<W: Write, I: IntoIterator<Item = Dim>>(
    out: &mut W,
    dims: Option<I>,
    dtype: Option<&str>,
    differentiable: bool,
) -> fmt::Result {
    out.write_str(PREFIX)?;
    out.write_str(SEPARATOR)?;
    match dims {
        None => out.write_str(ANY_RANK)?,
        Some(dims) => {
            let mut first = true;
            for d in dims {
                if !first {
                    out.write_char(DIM_SEPARATOR)?;
                }
                first = false;
                match d {
                    Dim::Any => out.write_str(ANY_DIM)?,
                    Dim::Fixed(n) => write!(out, "{n}")?,
                }
            }
            if first {
                out.write_str(SCALAR)?;
            }
        }
    }
    out.write_str(SEPARATOR)?;
    out.write_str(dtype.unwrap_or(ANY_DTYPE))?;
    out.write_str(SEPARATOR)?;
    out.write_str(if differentiable {
        DIFFERENTIABLE
    } else {
        NO_FLAGS
    })
}

/// A parsed title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayTitle<'a> {
    /// The shape part, checked by [`ArrayTitle::parse`].
    shape: &'a str,
    /// The dtype, if the dtype part is a known numpy name (`None` for `None` and for
    /// names arraymodel does not carry).
    pub dtype: Option<&'static DTypeInfo>,
    /// Whether the flags part is `DIFFERENTIABLE`.
    pub differentiable: bool,
}

impl<'a> ArrayTitle<'a> {
    /// Parses `EncodedArrayModel__<shape>__<dtype>__<flags>`; `None` if the text is not
    /// one or its shape is malformed or has more than [`MAX_DIMS`] dimensions.
    pub fn parse(title: &'a str) -> Option<ArrayTitle<'a>> {
        let mut parts = title.split(SEPARATOR);
        let (prefix, shape, dtype, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if prefix != PREFIX || shape.is_empty() || parts.next().is_some() {
            return None;
        }
        let t = ArrayTitle {
            shape,
            dtype: by_name(dtype),
            differentiable: flags == DIFFERENTIABLE,
        };
        if let Some(mut dims) = t.raw_dims() {
            let mut n = 0;
            for d in &mut dims {
                if d != ANY_DIM && d.parse::<u64>().is_err() {
                    return None;
                }
                n += 1;
            }
            if n > MAX_DIMS {
                return None;
            }
        }
        Some(t)
    }

    fn raw_dims(&self) -> Option<impl Iterator<Item = &'a str> + 'a> {
        let shape = self.shape;
        (shape != ANY_RANK).then(|| {
            let body = if shape == SCALAR { "" } else { shape };
            body.split(DIM_SEPARATOR).filter(move |_| !body.is_empty())
        })
    }

    /// The dimensions; `None` for any rank, empty for a scalar.
    pub fn dims(&self) -> Option<impl Iterator<Item = Dim> + 'a> {
        self.raw_dims().map(|dims| {
            dims.map(|d| match d.parse::<u64>() {
                Ok(n) => Dim::Fixed(n),
                Err(_) => Dim::Any,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Buf {
        bytes: [u8; 512],
        len: usize,
    }

    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            self.bytes
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    fn title(dims: Option<&[Dim]>, dtype: Option<&str>, diff: bool) -> Buf {
        let mut b = Buf {
            bytes: [0; 512],
            len: 0,
        };
        write(&mut b, dims.map(|d| d.iter().copied()), dtype, diff).unwrap();
        b
    }

    #[test]
    fn round_trips() {
        type Case<'a> = (Option<&'a [Dim]>, Option<&'a str>, bool, &'a str);
        let cases: [Case<'_>; 4] = [
            (
                None,
                None,
                false,
                "EncodedArrayModel__anyrank__None__noflags",
            ),
            (
                Some(&[]),
                Some("int8"),
                true,
                "EncodedArrayModel__scalar__int8__DIFFERENTIABLE",
            ),
            (
                Some(&[Dim::Any]),
                Some("float64"),
                false,
                "EncodedArrayModel__any__float64__noflags",
            ),
            (
                Some(&[Dim::Fixed(2), Dim::Any, Dim::Fixed(0)]),
                Some("bool"),
                false,
                "EncodedArrayModel__2_any_0__bool__noflags",
            ),
        ];
        for (dims, dtype, diff, text) in cases {
            let b = title(dims, dtype, diff);
            let s = core::str::from_utf8(&b.bytes[..b.len]).unwrap();
            assert_eq!(s, text);
            let t = ArrayTitle::parse(s).unwrap();
            assert_eq!(t.dtype.map(|d| d.name), dtype);
            assert_eq!(t.differentiable, diff);
            match (t.dims(), dims) {
                (None, None) => {}
                (Some(got), Some(want)) => assert!(got.eq(want.iter().copied())),
                _ => panic!("{s}"),
            }
        }
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "EncodedArrayModel__3__float64",
            "EncodedArrayModel__3__float64__noflags__x",
            "Other__3__float64__noflags",
            "EncodedArrayModel__3_x__float64__noflags",
            "EncodedArrayModel__-1__float64__noflags",
            "EncodedArrayModel____float64__noflags",
        ] {
            assert!(ArrayTitle::parse(bad).is_none(), "{bad}");
        }
        let dims = [Dim::Any; 65];
        let b = title(Some(&dims), None, false);
        assert!(ArrayTitle::parse(core::str::from_utf8(&b.bytes[..b.len]).unwrap()).is_none());
        let b = title(Some(&dims[..64]), None, false);
        assert!(ArrayTitle::parse(core::str::from_utf8(&b.bytes[..b.len]).unwrap()).is_some());
        // A dtype arraymodel does not carry: the shape still counts.
        let t = ArrayTitle::parse("EncodedArrayModel__3__float128__noflags").unwrap();
        assert!(t.dtype.is_none());
    }
}
