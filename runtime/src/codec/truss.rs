//! truss `NumpyArrayField` JSON: `{"data_b64":"<base64>","shape":[..],"dtype":"float64"}`.

use crate::array::Array;
use crate::codec::base64;
use crate::codec::tesseract::write_shape;
use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, Result};
use crate::shape::Limits;

/// Appends the truss object to `out`, byte-identical to `model_dump_json()`.
///
/// ```
/// use arraymodel::{codec::truss, Array};
/// let mut out = Vec::new();
/// truss::write_array(&Array::from_vec(vec![1i32, 2, 3]), &mut out);
/// assert_eq!(out, br#"{"data_b64":"AQAAAAIAAAADAAAA","shape":[3],"dtype":"int32"}"#);
/// ```
pub fn write_array(array: &Array, out: &mut Vec<u8>) {
    // Room for the key before the text and for `encode_into`'s own reservation (the
    // text and 64 bytes), so the output grows once, not twice.
    out.reserve(base64::encoded_len(array.nbytes()) + 128);
    out.extend_from_slice(br#"{"data_b64":""#);
    base64::encode_into(array.as_bytes(), out);
    out.extend_from_slice(br#"","shape":"#);
    write_shape(array.shape(), out);
    out.extend_from_slice(br#","dtype":""#);
    out.extend_from_slice(array.dtype().truss_name(ByteOrder::NATIVE).as_bytes());
    out.extend_from_slice(br#""}"#);
}

/// Decodes the parts of a truss object. Any numpy dtype spelling is accepted, and
/// big-endian data (`">f8"`) is swapped to host order. Base64 is decoded strictly.
pub fn decode(
    data_b64: impl AsRef<[u8]>,
    dtype: &str,
    shape: Vec<usize>,
    limits: &Limits,
) -> Result<Array> {
    let (dtype, order): (DType, ByteOrder) =
        DType::parse(dtype).map_err(|e| Error::from(e).at_field("dtype"))?;
    let mut array = base64::decode_array(data_b64.as_ref(), dtype, shape, limits)
        .map_err(|e| e.at_field("data_b64"))?;
    if order != ByteOrder::NATIVE {
        array.swap_bytes();
    }
    Ok(array)
}
