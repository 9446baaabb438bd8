//! Shapes: checked element counts and the limits every decoder enforces.

use crate::dtype::DType;
use crate::error::{Error, ErrorKind, Result};

/// numpy's maximum number of dimensions, and ours ([`arraymodel_spec::MAX_DIMS`], which
/// the derive and the generator check too).
pub const MAX_NDIM: usize = arraymodel_spec::MAX_DIMS;

/// Limits applied by every decoder before it allocates.
///
/// ```
/// use arraymodel::Limits;
/// let small = Limits { max_array_bytes: 1 << 20, ..Limits::default() };
/// assert_eq!(small.max_ndim, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest array, in bytes of element data, that a decoder will build.
    /// Default: 8 GiB.
    pub max_array_bytes: usize,
    /// Most dimensions an array may have (at most [`MAX_NDIM`]). Default: 64.
    pub max_ndim: usize,
    /// Most empty lists the arrays with a zero dimension of one call may stand for in
    /// all: an array's count is the product of its dimensions before the first zero.
    /// Such an array holds no data, but its tesseract `json` text holds one `[]` per
    /// list, so `[268435456, 0]` (87 bytes of base64 input) would be 805 MB of output,
    /// and 300 arrays of `[1048576, 0]` (24 KB) 944 MB. Default: 1,048,576 (about 3 MB
    /// of text).
    pub max_empty_lists: usize,
    /// Most bytes of array data one call decodes in all (every array of a document,
    /// a model or a response together), checked before each array is built: the
    /// remaining budget is that array's limit when it is below `max_array_bytes`. A
    /// binref file referenced 1,000 times, or many LZ4 frames, cannot multiply a small
    /// input past it. Default: 8 GiB.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_array_bytes: 8 << 30,
            max_ndim: MAX_NDIM,
            max_empty_lists: 1 << 20,
            max_total_bytes: 8 << 30,
        }
    }
}

/// The number of elements of `shape`, or `None` if the product overflows `usize`
/// (`[2, 0, 4]` has 0, `[]` has 1).
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Checks `shape` against `limits` and returns the byte size of an array of `dtype`.
///
/// Zero-sized dimensions make the whole product zero, whatever the other
/// dimensions claim, exactly as numpy does; the product is still checked for
/// overflow first so that `[0, 2**63, 2**63]` is refused rather than accepted.
pub(crate) fn checked_nbytes(shape: &[usize], dtype: DType, limits: &Limits) -> Result<usize> {
    if shape.len() > limits.max_ndim.min(MAX_NDIM) {
        return Err(Error::new(ErrorKind::Shape(format!(
            "{} dimensions, at most {} allowed",
            shape.len(),
            limits.max_ndim.min(MAX_NDIM)
        ))));
    }
    // Overflow check over the non-zero dims, so a zero cannot hide an absurd claim.
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
        .and_then(|n| n.checked_mul(dtype.itemsize() as u128));
    let Some(nonzero_bytes) = nonzero.filter(|&b| b <= usize::MAX as u128) else {
        return Err(Error::new(ErrorKind::Shape(format!(
            "element count of {shape:?} overflows"
        ))));
    };
    // The limit applies to the non-zero dimensions too: `[2**40, 0]` holds no data but
    // would still make a nested-list writer emit 2**40 empty lists.
    if nonzero_bytes > limits.max_array_bytes as u128 {
        return Err(Error::new(ErrorKind::TooLarge {
            bytes: nonzero_bytes,
            limit: limits.max_array_bytes,
        }));
    }
    {
        // Cannot overflow: these dimensions are a part of the non-zero product above.
        let lists = empty_lists(shape);
        if lists > limits.max_empty_lists as u128 {
            return Err(Error::new(ErrorKind::Shape(format!(
                "an empty array of shape {shape:?} stands for {lists} empty lists, at most {} \
                 allowed (Limits::max_empty_lists)",
                limits.max_empty_lists
            ))));
        }
    }
    let bytes = if shape.contains(&0) { 0 } else { nonzero_bytes };
    if bytes > limits.max_array_bytes as u128 {
        return Err(Error::new(ErrorKind::TooLarge {
            bytes,
            limit: limits.max_array_bytes,
        }));
    }
    Ok(bytes as usize)
}

/// The empty lists an array of `shape` stands for in nested-list text: the product of
/// its dimensions before the first zero, or 0 when no dimension is zero.
pub(crate) fn empty_lists(shape: &[usize]) -> u128 {
    match shape.iter().position(|&d| d == 0) {
        Some(first_zero) => shape[..first_zero]
            .iter()
            .try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
            .unwrap_or(u128::MAX),
        None => 0,
    }
}

/// Converts wire dimensions (which may be negative or huge in hostile input) to `usize`.
pub(crate) fn dim_from_i128(d: i128) -> Result<usize> {
    usize::try_from(d)
        .map_err(|_| Error::new(ErrorKind::Shape(format!("dimension {d} is not a size"))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn element_counts_and_empty_lists() {
        use super::{element_count, empty_lists};
        assert_eq!(element_count(&[2, 0, 4]), Some(0));
        assert_eq!(element_count(&[]), Some(1));
        assert_eq!(element_count(&[1 << 40, 1 << 40]), None);
        assert_eq!(empty_lists(&[3, 2, 0, 5]), 6);
        assert_eq!(empty_lists(&[0]), 1);
        assert_eq!(empty_lists(&[4]), 0);
    }

    use super::*;

    #[test]
    fn overflow_and_limits() {
        let l = Limits::default();
        assert_eq!(checked_nbytes(&[2, 3], DType::Float64, &l).unwrap(), 48);
        assert_eq!(checked_nbytes(&[], DType::Complex128, &l).unwrap(), 16);
        assert_eq!(checked_nbytes(&[2, 0, 4], DType::Int32, &l).unwrap(), 0);
        assert!(checked_nbytes(&[0, usize::MAX, usize::MAX], DType::Int8, &l).is_err());
        assert!(checked_nbytes(&[1 << 40, 1 << 40], DType::Int8, &l).is_err());
        assert!(matches!(
            checked_nbytes(&[1 << 34], DType::Float64, &l)
                .unwrap_err()
                .kind(),
            ErrorKind::TooLarge { .. }
        ));
        assert!(checked_nbytes(&[1; 65], DType::Int8, &l).is_err());
        assert!(checked_nbytes(&[1; 64], DType::Int8, &l).is_ok());
        assert!(dim_from_i128(-1).is_err());
    }
}
