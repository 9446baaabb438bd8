//! LZ4 frames, one per array, as tesseract writes them with `lz4.frame.compress`.
//!
//! The frame header carries the content size; decompression writes into a buffer
//! of exactly the size the shape implies and fails if the frame claims or produces
//! anything else, so a small frame cannot make the decoder allocate more.

use std::io::Write;

use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};

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

/// The parts of a checked frame that decompression needs.
struct Layout {
    /// Offset of the first block header.
    header_len: usize,
    /// The frame's maximum block size.
    block_max: usize,
    /// Blocks may refer to the previous 64 KiB of output.
    linked: bool,
    block_checksum: bool,
    content_checksum: bool,
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
    layout(frame, size).map(|_| ())
}

fn layout(frame: &[u8], size: usize) -> Result<Layout> {
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
    if flg & 0x01 != 0 {
        return Err(err("frames that need a dictionary are not supported"));
    }
    let bd = frame[5];
    if bd & 0x8F != 0 {
        return Err(err(format!("reserved bit set in the BD byte {bd:#04x}")));
    }
    let block_max: u64 = match (bd >> 4) & 0x07 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        _ => return Err(err(format!("invalid block size in BD byte {bd:#04x}"))),
    };
    let block_checksum = flg & 0x10 != 0;
    let content_checksum = flg & 0x04 != 0;
    let descriptor_end = 4 + 2 + if flg & 0x08 != 0 { 8 } else { 0 };
    let truncated = || err("frame is truncated");
    let hc = *frame.get(descriptor_end).ok_or_else(truncated)?;
    if (xxh32(&frame[4..descriptor_end]) >> 8) as u8 != hc {
        return Err(err("header checksum mismatch"));
    }
    let header = descriptor_end + 1;
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
    Ok(Layout {
        header_len: header,
        block_max: block_max as usize,
        linked: flg & 0x20 == 0,
        block_checksum,
        content_checksum,
    })
}

/// Decompresses one frame into `dst`, which must be exactly the decompressed size.
/// Trailing bytes after the frame, a declared size that differs from `dst.len()`,
/// output shorter or longer than `dst`, and wrong header, block or content checksums
/// are errors.
///
/// Blocks are decompressed straight into `dst` (linked blocks use the output before
/// them as their dictionary), so decoding allocates nothing: a frame that declares
/// 4 MiB blocks costs no more than the bytes it really produces.
pub fn decompress_into(frame: &[u8], dst: &mut [u8]) -> Result<()> {
    const WINDOW: usize = 64 << 10;
    let l = layout(frame, dst.len())?;
    let size = dst.len();
    let more = || {
        err(format!(
            "frame holds more than the {size} bytes the shape needs"
        ))
    };
    let mut pos = l.header_len;
    let mut out = 0usize;
    loop {
        // `layout` has checked every block header and length against the frame.
        let word = u32::from_le_bytes(frame[pos..pos + 4].try_into().expect("4 bytes"));
        pos += 4;
        if word == 0 {
            break;
        }
        let len = (word & 0x7FFF_FFFF) as usize;
        let block = &frame[pos..pos + len];
        pos += len;
        if l.block_checksum {
            let stored = u32::from_le_bytes(frame[pos..pos + 4].try_into().expect("4 bytes"));
            pos += 4;
            if xxh32(block) != stored {
                return Err(err("block checksum mismatch"));
            }
        }
        let room = dst.len() - out;
        if word & 0x8000_0000 != 0 {
            if len > room {
                return Err(more());
            }
            dst[out..out + len].copy_from_slice(block);
            out += len;
            continue;
        }
        let (head, tail) = dst.split_at_mut(out);
        let target = &mut tail[..room.min(l.block_max)];
        let written = if l.linked {
            let dict = &head[head.len().saturating_sub(WINDOW)..];
            lz4_flex::block::decompress_into_with_dict(block, target, dict)
        } else {
            lz4_flex::block::decompress_into(block, target)
        };
        out += match written {
            Ok(n) => n,
            Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) if room <= l.block_max => {
                return Err(more());
            }
            Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) => {
                return Err(err(
                    "a block decompresses to more than the maximum block size",
                ));
            }
            Err(e) => return Err(err(e.to_string())),
        };
    }
    if out != dst.len() {
        return Err(err(format!(
            "frame holds fewer than the {} bytes the shape needs",
            dst.len()
        )));
    }
    if l.content_checksum {
        let stored = u32::from_le_bytes(frame[pos..pos + 4].try_into().expect("4 bytes"));
        if xxh32(dst) != stored {
            return Err(err("content checksum mismatch"));
        }
    }
    Ok(())
}

/// xxHash32 with seed 0, the checksum of LZ4 frames.
fn xxh32(data: &[u8]) -> u32 {
    const P1: u32 = 2_654_435_761;
    const P2: u32 = 2_246_822_519;
    const P3: u32 = 3_266_489_917;
    const P4: u32 = 668_265_263;
    const P5: u32 = 374_761_393;
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let round = |acc: u32, x: u32| {
        acc.wrapping_add(x.wrapping_mul(P2))
            .rotate_left(13)
            .wrapping_mul(P1)
    };
    let mut chunks = data.chunks_exact(16);
    let mut h = if data.len() >= 16 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u32.wrapping_sub(P1)];
        for c in &mut chunks {
            for (i, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, word(&c[4 * i..]));
            }
        }
        v[0].rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18))
    } else {
        P5
    };
    h = h.wrapping_add(data.len() as u32);
    let rest = if data.len() >= 16 {
        chunks.remainder()
    } else {
        data
    };
    let mut words = rest.chunks_exact(4);
    for w in &mut words {
        h = h
            .wrapping_add(word(w).wrapping_mul(P3))
            .rotate_left(17)
            .wrapping_mul(P4);
    }
    for &b in words.remainder() {
        h = h
            .wrapping_add(u32::from(b).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};

    fn frame(bytes: &[u8], info: FrameInfo) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = FrameEncoder::with_frame_info(info, &mut out);
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap();
        out
    }

    /// Data with repeats across block boundaries (so linked blocks use the dictionary).
    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (((i / 7) % 251) ^ (i % 13)) as u8).collect()
    }

    #[test]
    fn xxh32_known_values() {
        assert_eq!(xxh32(b""), 0x02CC_5D05);
        assert_eq!(xxh32(b"a"), 0x550D_7456);
        assert_eq!(xxh32(b"abc"), 0x32D1_53FF);
        assert_eq!(
            xxh32(b"Nobody inspects the spammish repetition"),
            0xE229_3B2F
        );
    }

    /// Every frame lz4_flex writes — both block modes, every block size, with and
    /// without checksums and content size — decodes to the same bytes.
    #[test]
    fn decodes_every_frame_kind() {
        for n in [0usize, 1, 100, 70_000, 300_000] {
            let data = sample(n);
            for mode in [BlockMode::Independent, BlockMode::Linked] {
                for size in [BlockSize::Max64KB, BlockSize::Max256KB, BlockSize::Max4MB] {
                    for checks in [false, true] {
                        for sized in [false, true] {
                            let info = FrameInfo::new()
                                .block_mode(mode)
                                .block_size(size)
                                .block_checksums(checks)
                                .content_checksum(checks)
                                .content_size(sized.then_some(n as u64));
                            let f = frame(&data, info);
                            let mut dst = vec![0u8; n];
                            decompress_into(&f, &mut dst)
                                .unwrap_or_else(|e| panic!("{n} {mode:?} {size:?} {checks}: {e}"));
                            assert_eq!(dst, data);
                            let mut short = vec![0u8; n.saturating_sub(1)];
                            if n > 0 {
                                assert!(decompress_into(&f, &mut short).is_err());
                            }
                            let mut long = vec![0u8; n + 1];
                            assert!(decompress_into(&f, &mut long).is_err());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn checksums_are_verified() {
        let data = sample(1000);
        let info = FrameInfo::new()
            .block_checksums(true)
            .content_checksum(true);
        let good = frame(&data, info);
        let mut dst = vec![0u8; 1000];
        decompress_into(&good, &mut dst).unwrap();
        // Header checksum; block checksum (before the end mark); content checksum.
        for at in [6, good.len() - 9, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x55;
            let e = decompress_into(&bad, &mut dst).unwrap_err();
            assert!(e.to_string().contains("checksum"), "{at}: {e}");
        }
    }
}
