//! The crate's only `unsafe`: calls into foreign code, each behind a safe function
//! taking slices, each with its `// SAFETY:` argument. Miri cannot run foreign code, so
//! under Miri (and without the `simdutf` feature, or off Linux) neither is compiled and
//! the callers use their safe fallbacks; the base64 call is instead checked by property
//! tests against base64-simd (`codec::base64`'s tests) and by the fuzz targets.
#![allow(unsafe_code)]

/// simdutf's base64 decoder (AVX-512/AVX2 chosen at run time; 2.2x base64-simd on the
/// reference machine), made as strict as base64-simd: decodes `text` into `dst` and
/// says whether it was strict base64 filling `dst` exactly.
///
/// simdutf's decoder is WHATWG's forgiving one; `Strict` last-chunk handling refuses
/// missing padding and non-zero padding bits, as base64-simd does. The one thing it
/// still forgives, ASCII whitespace, is caught by the length: callers pass a `dst` of
/// exactly the length `text`'s length and padding give, so each skipped whitespace
/// byte would leave `dst` short, and a short write is refused.
#[cfg(all(feature = "simdutf", not(miri)))]
pub(crate) fn simdutf_base64_exact(text: &[u8], dst: &mut [u8]) -> bool {
    // SAFETY: `dst` is a live slice (non-null and aligned for u8 even when empty),
    // writable for its length; a `&[u8]` cannot overlap a `&mut [u8]`.
    unsafe { strict_base64_decode(text, dst.as_mut_ptr(), dst.len()) }
}

/// [`simdutf_base64_exact`] into a new vector of `n` elements, which is not
/// zero-filled first (on reused heap memory the zero-fill was ~15% of a base64
/// decode); `None` unless `text` is strict base64 of exactly `n` elements' bytes.
/// Large vectors are advised onto huge pages before they are written.
#[cfg(all(feature = "simdutf", not(miri)))]
pub(crate) fn simdutf_base64_new<T: bytemuck::Pod>(text: &[u8], n: usize) -> Option<Vec<T>> {
    let nbytes = n.checked_mul(std::mem::size_of::<T>())?;
    let mut v = Vec::<T>::with_capacity(n);
    let spare = &mut v.spare_capacity_mut()[..n];
    crate::hugepages::advise(spare);
    // SAFETY: `spare` (non-null and aligned for `T`, so for u8) is the new vector's
    // capacity, writable for `n` elements, `nbytes` bytes; `text` cannot overlap it.
    if !unsafe { strict_base64_decode(text, spare.as_mut_ptr().cast::<u8>(), nbytes) } {
        return None;
    }
    // SAFETY: success means simdutf wrote exactly `nbytes` bytes, the first `n`
    // elements, within the capacity; any bytes are a valid `T: Pod`.
    unsafe { v.set_len(n) };
    Some(v)
}

/// The one call of simdutf's decoder: strict base64 `text` into `len` bytes at `dst`;
/// true only if it succeeded and wrote exactly `len` bytes.
///
/// # Safety
/// `dst` must be non-null and valid for writes of `len` bytes, and must not overlap
/// `text`. simdutf's `_safe` entry point never writes more than the length it is given
/// (it reports OUTPUT_BUFFER_TOO_SMALL instead).
#[cfg(all(feature = "simdutf", not(miri)))]
unsafe fn strict_base64_decode(text: &[u8], dst: *mut u8, len: usize) -> bool {
    use simdutf::{Base64Options, ErrorCode, LastChunkHandlingOptions};
    let mut written = len;
    // SAFETY: `text` is readable for `text.len()` bytes; the caller guarantees `dst`
    // is writable for `written` = `len` bytes and does not overlap `text`.
    let r = unsafe {
        simdutf::base64_to_binary_safe(
            text.as_ptr(),
            text.len(),
            dst,
            &mut written,
            Base64Options::Default,
            LastChunkHandlingOptions::Strict,
            false,
        )
    };
    r.error == ErrorCode::Success && written == len
}

/// Appends the standard padded base64 of `bytes` to `out` with simdutf's encoder
/// (1.6-2.2x base64-simd on the reference machine), writing straight into `out`'s
/// spare capacity rather than zero-filling it first.
#[cfg(all(feature = "simdutf", not(miri)))]
pub(crate) fn simdutf_base64_append(bytes: &[u8], out: &mut Vec<u8>) {
    use simdutf::Base64Options;
    let n = simdutf::base64_length_from_binary(bytes.len(), Base64Options::Default);
    out.reserve(n);
    let spare = out.spare_capacity_mut();
    assert!(spare.len() >= n, "reserve gave less than asked");
    // SAFETY: `bytes` is readable for `bytes.len()` bytes; `spare` (non-null and
    // aligned for u8) is writable for at least `n` bytes, exactly the
    // `base64_length_from_binary` that `binary_to_base64` writes; `bytes` cannot overlap
    // `out`'s spare capacity (a shared borrow beside a unique one).
    let written = unsafe {
        simdutf::binary_to_base64(
            bytes.as_ptr(),
            bytes.len(),
            spare.as_mut_ptr().cast::<u8>(),
            Base64Options::Default,
        )
    };
    assert!(written <= n, "simdutf wrote past the base64 length");
    // SAFETY: `binary_to_base64` initialized the `written` bytes after `out.len()`
    // (it returns the count it wrote), all within the capacity reserved above.
    unsafe { out.set_len(out.len() + written) };
}

/// `madvise(MADV_HUGEPAGE)` over the whole pages inside `memory` (see `hugepages`),
/// initialised or not. Any refusal by the kernel is ignored: the advice is only a hint.
#[cfg(all(target_os = "linux", not(miri)))]
pub(crate) fn advise_hugepages<T>(memory: &mut [T]) {
    // The base page size (4 KiB on x86-64, up to 64 KiB on some arm64 and ppc64 kernels).
    // SAFETY: sysconf reads a constant of the running system; it has no preconditions.
    let Ok(page) = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) else {
        return;
    };
    if !page.is_power_of_two() {
        return;
    }
    let start = memory.as_mut_ptr() as usize;
    let (Some(from), Some(end)) = (
        start.checked_next_multiple_of(page),
        start.checked_add(std::mem::size_of_val(memory)),
    ) else {
        return;
    };
    let to = end & !(page - 1);
    if to > from {
        // SAFETY: [from, to) lies inside `memory`, memory this process owns and has
        // mapped; MADV_HUGEPAGE only sets how the kernel backs the range and never
        // changes its contents (a kernel without transparent huge pages refuses with
        // EINVAL, ignored like any other refusal).
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
        }
    }
}
