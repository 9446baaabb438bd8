//! LZ4 frames, one per array, as tesseract writes them with `lz4.frame.compress`.
//!
//! The frame header carries the content size; decompression writes into a buffer
//! of exactly the size the shape implies and fails if the frame claims or produces
//! anything else, so a small frame cannot make the decoder allocate more.

use std::io::{Read, Write};

use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

use crate::error::{Error, ErrorKind, Result};

const MAGIC: [u8; 4] = [0x04, 0x22, 0x4D, 0x18];

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Lz4(msg.into()))
}

/// Appends one LZ4 frame holding `bytes` to `out`: independent 64 KiB blocks,
/// content size in the header, no checksums (python-lz4's defaults as tesseract uses them).
///
/// ```
/// let mut frame = Vec::new();
/// arraymodel::codec::lz4::compress_into(&[7u8; 1000], &mut frame).unwrap();
/// let mut back = vec![0u8; 1000];
/// arraymodel::codec::lz4::decompress_into(&frame, &mut back).unwrap();
/// assert_eq!(back, vec![7u8; 1000]);
/// ```
pub fn compress_into(bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_size(Some(bytes.len() as u64));
    let mut enc = FrameEncoder::with_frame_info(info, out);
    enc.write_all(bytes).map_err(|e| err(e.to_string()))?;
    enc.finish().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// The content size a frame header declares, if it declares one.
pub fn declared_size(frame: &[u8]) -> Result<Option<u64>> {
    if frame.len() < 7 || frame[..4] != MAGIC {
        return Err(err("not an LZ4 frame (bad magic number)"));
    }
    let flg = frame[4];
    if flg >> 6 != 0b01 {
        return Err(err(format!(
            "unsupported frame version in FLG byte {flg:#04x}"
        )));
    }
    if flg & 0x08 == 0 {
        return Ok(None);
    }
    let size = frame
        .get(6..14)
        .ok_or_else(|| err("frame header is truncated"))?;
    Ok(Some(u64::from_le_bytes(size.try_into().expect("8 bytes"))))
}

/// Decompresses one frame into `dst`, which must be exactly the decompressed size.
/// Trailing bytes after the frame, a declared size that differs from `dst.len()`, or
/// output shorter or longer than `dst` are errors.
pub fn decompress_into(frame: &[u8], dst: &mut [u8]) -> Result<()> {
    if let Some(size) = declared_size(frame)? {
        if size != dst.len() as u64 {
            return Err(err(format!(
                "frame declares {size} bytes but the shape needs {}",
                dst.len()
            )));
        }
    }
    let mut dec = FrameDecoder::new(frame);
    dec.read_exact(dst).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            err(format!(
                "frame holds fewer than the {} bytes the shape needs",
                dst.len()
            ))
        } else {
            err(e.to_string())
        }
    })?;
    let mut extra = [0u8; 1];
    match dec.read(&mut extra) {
        Ok(0) => {}
        Ok(_) => {
            return Err(err(format!(
                "frame holds more than the {} bytes the shape needs",
                dst.len()
            )));
        }
        Err(e) => return Err(err(e.to_string())),
    }
    Ok(())
}
