//! msgpack-numpy's array map, as truss's binary mode writes it.
//!
//! ```text
//! 85                        map of 5, in this order
//!   c4 02 "nd"    c3        keys are msgpack bin; nd = true
//!   c4 04 "type"  a3 "<f8"  numpy dtype.str as a msgpack str
//!   c4 04 "kind"  c4 00     empty bin
//!   c4 05 "shape" 92 02 03  array of the smallest unsigned ints
//!   c4 04 "data"  c4 30 ..  bin with the smallest header, C-order bytes
//! ```
//!
//! Decoding is lenient the way the peers are (str or bin keys and `type`, any key
//! order, missing `kind`, a dtype-kind character in `kind`, extra keys ignored) and
//! strict where they are unsafe: `kind` `O` (a pickle, which msgpack-numpy would
//! unpickle) and `V` (structured) are refused, and the data length must equal the
//! shape's byte size exactly (msgpack-numpy silently truncates longer data).

use serde::ser::{SerializeMap, Serializer};
use serde_bytes::Bytes;

use crate::array::{Array, ArrayView};
use crate::dtype::{ByteOrder, DType};
use crate::error::{Error, ErrorKind, Result};
use crate::shape::Limits;

/// Serializes the 5-entry map with any serde serializer (rmp-serde writes the bytes
/// above). `order` is the byte order the data is in (host order for an [`Array`]).
pub fn serialize_map<S: Serializer>(
    dtype: DType,
    order: ByteOrder,
    shape: &[usize],
    data: &[u8],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(5))?;
    map.serialize_entry(Bytes::new(b"nd"), &true)?;
    map.serialize_entry(Bytes::new(b"type"), &dtype.descr_in(order))?;
    map.serialize_entry(Bytes::new(b"kind"), Bytes::new(b""))?;
    map.serialize_entry(Bytes::new(b"shape"), shape)?;
    map.serialize_entry(Bytes::new(b"data"), Bytes::new(data))?;
    map.end()
}

/// Checks `kind` and parses `type` of a numpy map.
pub fn check_type(type_: &str, kind: Option<&[u8]>) -> Result<(DType, ByteOrder)> {
    check_kind(kind)?;
    DType::parse(type_).map_err(|e| Error::from(e).at_field("type"))
}

/// Refuses the kinds msgpack-numpy does not read as plain data: `O` (a pickle) and `V`
/// (structured). Checked before anything else of the map, as msgpack-numpy unpickles
/// `data` without asking for `type` or `shape`.
pub fn check_kind(kind: Option<&[u8]>) -> Result<()> {
    match kind {
        None | Some(b"") => {}
        Some(b"O") => {
            return Err(Error::new(ErrorKind::Refused(
                "msgpack-numpy object array (kind 'O') is a pickle; decoding it would run code"
                    .into(),
            ))
            .at_field("kind"));
        }
        Some(b"V") => {
            return Err(Error::new(ErrorKind::Refused(
                "structured arrays (kind 'V') are not supported".into(),
            ))
            .at_field("kind"));
        }
        Some([k]) if b"biufc".contains(k) => {}
        Some(other) => {
            return Err(Error::invalid(format!(
                "unknown kind {:?}",
                String::from_utf8_lossy(other)
            ))
            .at_field("kind"));
        }
    }
    Ok(())
}

/// Builds an owned array from the parts of a numpy map (one copy, swapped to host order).
pub fn decode(
    type_: &str,
    kind: Option<&[u8]>,
    shape: Vec<usize>,
    data: &[u8],
    limits: &Limits,
) -> Result<Array> {
    let (dtype, order) = check_type(type_, kind)?;
    Array::from_bytes(dtype, shape, data, order, limits).map_err(|e| e.at_field("data"))
}

/// Builds a zero-copy view from the parts of a numpy map.
pub fn decode_view<'a>(
    type_: &str,
    kind: Option<&[u8]>,
    shape: Vec<usize>,
    data: &'a [u8],
) -> Result<ArrayView<'a>> {
    let (dtype, order) = check_type(type_, kind)?;
    ArrayView::new(dtype, order, shape, data).map_err(|e| e.at_field("data"))
}
