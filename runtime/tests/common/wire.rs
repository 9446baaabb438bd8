//! Test payload pieces made with the third-party crates directly, as the Python peers
//! make them (python-lz4's frame defaults as tesseract uses them; standard base64), not
//! with the runtime's own encoders: the tests then check the runtime against an
//! independent writer.

use std::io::Write;

use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};

/// Standard base64 with padding.
#[allow(dead_code)]
pub fn b64(bytes: &[u8]) -> String {
    base64_simd::STANDARD.encode_to_string(bytes)
}

/// One LZ4 frame of `bytes`: independent 64 KiB blocks, the content size in the header,
/// no checksums.
#[allow(dead_code)]
pub fn lz4_frame(bytes: &[u8]) -> Vec<u8> {
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_size(Some(bytes.len() as u64));
    let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}
