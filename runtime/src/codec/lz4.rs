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

/// Checks, without decompressing or allocating, that `frame` is exactly one LZ4
/// frame (no trailing bytes) that can decompress to `size` bytes: its declared
/// content size, if any, must be `size`, and `size` must not exceed what its blocks
/// can produce (each block at most its maximum block size, and a compressed block at
/// most 255 bytes per input byte). Call it before allocating `size` bytes.
///
/// ```
/// let mut frame = Vec::new();
/// arraymodel::codec::lz4::compress_into(&[0u8; 45], &mut frame).unwrap();
/// assert!(arraymodel::codec::lz4::check_frame(&frame, 45).is_ok());
/// assert!(arraymodel::codec::lz4::check_frame(&frame, 8_000_000_000).is_err());
/// frame.push(0);
/// assert!(arraymodel::codec::lz4::check_frame(&frame, 45).is_err());
/// ```
pub fn check_frame(frame: &[u8], size: usize) -> Result<()> {
    if let Some(declared) = declared_size(frame)? {
        if declared != size as u64 {
            return Err(err(format!(
                "frame declares {declared} bytes but the shape needs {size}"
            )));
        }
    }
    let flg = frame[4];
    if flg & 0x02 != 0 {
        return Err(err("reserved bit set in the FLG byte"));
    }
    let bd = frame[5];
    let block_max: u64 = match (bd >> 4) & 0x07 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        _ => return Err(err(format!("invalid block size in BD byte {bd:#04x}"))),
    };
    let block_checksum = flg & 0x10 != 0;
    let content_checksum = flg & 0x04 != 0;
    let header =
        4 + 2 + if flg & 0x08 != 0 { 8 } else { 0 } + if flg & 0x01 != 0 { 4 } else { 0 } + 1;
    let truncated = || err("frame is truncated");
    let mut pos = header;
    let mut capacity: u64 = 0;
    loop {
        let word = frame.get(pos..pos + 4).ok_or_else(truncated)?;
        let word = u32::from_le_bytes(word.try_into().expect("4 bytes"));
        pos += 4;
        if word == 0 {
            break;
        }
        let len = u64::from(word & 0x7FFF_FFFF);
        if len > block_max {
            return Err(err(format!(
                "block of {len} bytes exceeds the frame's maximum block size {block_max}"
            )));
        }
        let produced = if word & 0x8000_0000 != 0 {
            len
        } else {
            block_max.min(len.saturating_mul(255))
        };
        capacity = capacity.saturating_add(produced);
        pos = pos
            .checked_add(len as usize + if block_checksum { 4 } else { 0 })
            .filter(|&p| p <= frame.len())
            .ok_or_else(truncated)?;
    }
    if content_checksum {
        pos += 4;
    }
    match pos.cmp(&frame.len()) {
        std::cmp::Ordering::Greater => return Err(truncated()),
        std::cmp::Ordering::Less => {
            return Err(err(format!(
                "{} trailing bytes after the frame",
                frame.len() - pos
            )));
        }
        std::cmp::Ordering::Equal => {}
    }
    if size as u64 > capacity {
        return Err(err(format!(
            "a frame of {} bytes cannot hold the {size} bytes the shape needs",
            frame.len()
        )));
    }
    Ok(())
}

/// Decompresses one frame into `dst`, which must be exactly the decompressed size.
/// Trailing bytes after the frame, a declared size that differs from `dst.len()`, or
/// output shorter or longer than `dst` are errors.
pub fn decompress_into(frame: &[u8], dst: &mut [u8]) -> Result<()> {
    check_frame(frame, dst.len())?;
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
