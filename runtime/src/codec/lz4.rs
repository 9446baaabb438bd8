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

/// python-lz4's defaults as tesseract uses them: independent 64 KiB blocks, the
/// content size in the header, no checksums.
fn frame_info(len: usize) -> FrameInfo {
    FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_size(Some(len as u64))
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
#[cfg(any(feature = "internals", feature = "binref-store"))] // benchmarks, fuzz targets, object stores
pub fn compress_into(bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
    compress_to(bytes, out).map(drop)
}

/// Writes the frame [`compress_into`] makes to `w`, block by block (the frame never
/// exists whole in memory), and gives `w` back.
pub(crate) fn compress_to<W: Write>(bytes: &[u8], w: W) -> Result<W> {
    let mut enc = FrameEncoder::with_frame_info(frame_info(bytes.len()), w);
    enc.write_all(bytes).map_err(|e| err(e.to_string()))?;
    enc.finish().map_err(|e| err(e.to_string()))
}

/// Appends the base64 text of the frame [`compress_into`] would make, compressing and
/// encoding block by block: the frame never exists whole (tesseract's
/// `json+base64+lz4` buffer costs the array and its text, not a frame besides).
///
/// ```
/// let data = [3u8; 5000];
/// let mut frame = Vec::new();
/// arraymodel::codec::lz4::compress_into(&data, &mut frame).unwrap();
/// let mut text = Vec::new();
/// arraymodel::codec::lz4::compress_base64_into(&data, &mut text).unwrap();
/// let mut expected = Vec::new();
/// arraymodel::codec::base64::encode_into(&frame, &mut expected);
/// assert_eq!(text, expected);
/// ```
pub fn compress_base64_into(bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mut enc = FrameEncoder::with_frame_info(
        frame_info(bytes.len()),
        Base64Writer {
            out,
            pending: ([0; 3], 0),
        },
    );
    enc.write_all(bytes).map_err(|e| err(e.to_string()))?;
    let w = enc.finish().map_err(|e| err(e.to_string()))?;
    let (rest, n) = w.pending;
    super::base64::encode_into(&rest[..n], w.out);
    Ok(())
}

/// Encodes what is written to it as base64, carrying up to two bytes between writes
/// so that the pieces join into one text.
struct Base64Writer<'o> {
    out: &'o mut Vec<u8>,
    pending: ([u8; 3], usize),
}

impl Write for Base64Writer<'_> {
    fn write(&mut self, mut b: &[u8]) -> std::io::Result<usize> {
        let len = b.len();
        let (buf, n) = &mut self.pending;
        if *n > 0 {
            let take = (3 - *n).min(b.len());
            buf[*n..*n + take].copy_from_slice(&b[..take]);
            *n += take;
            b = &b[take..];
            if *n < 3 {
                return Ok(len);
            }
            super::base64::encode_into(&buf[..], self.out);
            *n = 0;
        }
        let whole = b.len() / 3 * 3;
        super::base64::encode_into(&b[..whole], self.out);
        let rest = &b[whole..];
        buf[..rest.len()].copy_from_slice(rest);
        *n = rest.len();
        Ok(len)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
#[cfg(feature = "internals")] // the benchmarks and fuzz targets
pub fn check_frame(frame: &[u8], size: usize) -> Result<()> {
    layout(frame, size).map(|_| ())
}

/// Where a frame's bytes come from: a slice, or base64 text decoded piece by piece
/// ([`Base64Frame`]), so a frame inside a JSON string never has to exist whole.
pub(crate) trait FrameSource {
    /// The frame's length in bytes.
    fn frame_len(&self) -> usize;
    /// The `len` bytes at `pos`, which lie within the frame (decoded or read into
    /// `scratch` if need be).
    fn read<'s>(&'s self, pos: usize, len: usize, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]>;
    /// The `len` bytes at `pos`, or `None` if they run past the end.
    fn bytes<'s>(
        &'s self,
        pos: usize,
        len: usize,
        scratch: &'s mut Vec<u8>,
    ) -> Result<Option<&'s [u8]>> {
        if pos
            .checked_add(len)
            .is_none_or(|end| end > self.frame_len())
        {
            return Ok(None);
        }
        self.read(pos, len, scratch).map(Some)
    }
}

impl FrameSource for [u8] {
    fn frame_len(&self) -> usize {
        self.len()
    }
    fn read<'s>(&'s self, pos: usize, len: usize, _: &'s mut Vec<u8>) -> Result<&'s [u8]> {
        self.get(pos..pos.saturating_add(len))
            .ok_or_else(|| err("frame is truncated"))
    }
}

/// An LZ4 frame given as base64 text (tesseract's `json+base64+lz4` buffer), decoded
/// block by block straight from the text: decompressing never holds the whole frame,
/// only one block of it. Every character is decoded (and so checked) exactly once
/// over a [`check`](FrameSource) and a decompression, except the block headers, which
/// the check reads first.
pub(crate) struct Base64Frame<'t> {
    text: &'t [u8],
    len: usize,
}

impl<'t> Base64Frame<'t> {
    /// Checks the text's length and padding; characters are checked as they are read.
    pub(crate) fn new(text: &'t [u8]) -> Result<Base64Frame<'t>> {
        Ok(Base64Frame {
            text,
            len: super::base64::decoded_len(text)?,
        })
    }
}

impl FrameSource for Base64Frame<'_> {
    fn frame_len(&self) -> usize {
        self.len
    }
    fn read<'s>(&'s self, pos: usize, len: usize, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]> {
        // Whole 4-character groups covering the bytes [pos, pos + len).
        let (g0, g1) = (pos / 3, (pos + len).div_ceil(3));
        let piece = &self.text[4 * g0..(4 * g1).min(self.text.len())];
        let whole = |_| super::base64::describe(self.text);
        let n = super::base64::decoded_len(piece).map_err(whole)?;
        scratch.clear();
        scratch.resize(n, 0);
        super::base64::decode_into(piece, scratch).map_err(whole)?;
        let off = pos - 3 * g0;
        scratch
            .get(off..off + len)
            .ok_or_else(|| err("frame is truncated"))
    }
}

/// The largest an LZ4 frame of `size` bytes can be: its header (at most 19 bytes), every
/// block stored uncompressed with its 4-byte size and a 4-byte checksum (64 KiB blocks
/// are the smallest a frame may declare), the end mark and a content checksum.
#[cfg(feature = "binref-store")]
pub(crate) fn max_frame_len(size: usize) -> u64 {
    let blocks = (size as u64).div_ceil(64 << 10).max(1);
    size as u64 + 8 * blocks + 19 + 4 + 4
}

/// [`check_frame`] for any [`FrameSource`].
pub(crate) fn check_source<F: FrameSource + ?Sized>(frame: &F, size: usize) -> Result<()> {
    layout(frame, size).map(|_| ())
}

fn layout<F: FrameSource + ?Sized>(frame: &F, size: usize) -> Result<Layout> {
    let truncated = || err("frame is truncated");
    let mut scratch = Vec::new();
    let head_len = frame.frame_len().min(15);
    let head = frame
        .bytes(0, head_len, &mut scratch)?
        .ok_or_else(truncated)?
        .to_vec();
    if let Some(declared) = declared_size(&head)?
        && declared != size as u64
    {
        return Err(err(format!(
            "frame declares {declared} bytes but the shape needs {size}"
        )));
    }
    let flg = head[4];
    if flg & 0x02 != 0 {
        return Err(err("reserved bit set in the FLG byte"));
    }
    if flg & 0x01 != 0 {
        return Err(err("frames that need a dictionary are not supported"));
    }
    let bd = head[5];
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
    let hc = *head.get(descriptor_end).ok_or_else(truncated)?;
    if (xxh32(&head[4..descriptor_end]) >> 8) as u8 != hc {
        return Err(err("header checksum mismatch"));
    }
    let header = descriptor_end + 1;
    let mut pos = header;
    let mut capacity: u64 = 0;
    loop {
        let word = frame.bytes(pos, 4, &mut scratch)?.ok_or_else(truncated)?;
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
            .filter(|&p| p <= frame.frame_len())
            .ok_or_else(truncated)?;
    }
    if content_checksum {
        pos += 4;
    }
    match pos.cmp(&frame.frame_len()) {
        std::cmp::Ordering::Greater => return Err(truncated()),
        std::cmp::Ordering::Less => {
            return Err(err(format!(
                "{} trailing bytes after the frame",
                frame.frame_len() - pos
            )));
        }
        std::cmp::Ordering::Equal => {}
    }
    if size as u64 > capacity {
        return Err(err(format!(
            "a frame of {} bytes cannot hold the {size} bytes the shape needs",
            frame.frame_len()
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
#[cfg(any(test, feature = "internals"))] // the benchmarks, fuzz targets and unit tests
pub fn decompress_into(frame: &[u8], dst: &mut [u8]) -> Result<()> {
    decompress_source(frame, dst)
}

/// [`decompress_into`] for any [`FrameSource`]: a base64 frame holds one decoded
/// block at a time.
pub(crate) fn decompress_source<F: FrameSource + ?Sized>(frame: &F, dst: &mut [u8]) -> Result<()> {
    const WINDOW: usize = 64 << 10;
    let l = layout(frame, dst.len())?;
    let size = dst.len();
    let more = || {
        err(format!(
            "frame holds more than the {size} bytes the shape needs"
        ))
    };
    let truncated = || err("frame is truncated");
    let (mut block_buf, mut word_buf) = (Vec::new(), Vec::new());
    let mut word_at = |pos: usize| -> Result<u32> {
        let w = frame.bytes(pos, 4, &mut word_buf)?.ok_or_else(truncated)?;
        Ok(u32::from_le_bytes(w.try_into().expect("4 bytes")))
    };
    let mut pos = l.header_len;
    let mut out = 0usize;
    loop {
        let word = word_at(pos)?;
        pos += 4;
        if word == 0 {
            break;
        }
        let len = (word & 0x7FFF_FFFF) as usize;
        let block = frame
            .bytes(pos, len, &mut block_buf)?
            .ok_or_else(truncated)?;
        pos += len;
        if l.block_checksum {
            let stored = word_at(pos)?;
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
    if l.content_checksum && xxh32(dst) != word_at(pos)? {
        return Err(err("content checksum mismatch"));
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
                            // The same frame as base64 text, decoded block by block.
                            let text = base64_simd::STANDARD.encode_to_string(&f);
                            let src = Base64Frame::new(text.as_bytes()).unwrap();
                            let mut dst = vec![0u8; n];
                            check_source(&src, n).unwrap();
                            decompress_source(&src, &mut dst).unwrap_or_else(|e| {
                                panic!("base64 {n} {mode:?} {size:?} {checks}: {e}")
                            });
                            assert_eq!(dst, data);
                            assert!(check_source(&src, n + 1).is_err() || !sized);
                        }
                    }
                }
            }
        }
    }

    /// A bad character anywhere in a base64 frame is found (each is decoded once,
    /// the block headers by the check and the rest by the decompression), and named
    /// at its offset in the whole text.
    #[test]
    fn base64_frames_check_every_character() {
        let data = sample(200_000);
        let info = FrameInfo::new()
            .block_size(BlockSize::Max64KB)
            .content_size(Some(data.len() as u64));
        let text = base64_simd::STANDARD.encode_to_string(frame(&data, info));
        for at in [0usize, 5, 13, 20, 1000, text.len() / 2, text.len() - 3] {
            let mut bad = text.clone().into_bytes();
            bad[at] = b'*';
            let src = Base64Frame::new(&bad).unwrap();
            let mut dst = vec![0u8; data.len()];
            let e = check_source(&src, data.len())
                .and_then(|()| decompress_source(&src, &mut dst))
                .unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e.kind(), ErrorKind::Base64(_) | ErrorKind::Lz4(_)),
                "{at}: {msg}"
            );
            if matches!(e.kind(), ErrorKind::Base64(_)) {
                assert!(msg.contains(&format!("offset {at}")), "{at}: {msg}");
            }
        }
        // Length and padding are checked up front.
        assert!(Base64Frame::new(&text.as_bytes()[..text.len() - 1]).is_err());
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
