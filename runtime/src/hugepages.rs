//! Transparent huge pages for large arrays, as numpy asks for them.
//!
//! A decoded array is written once into memory the kernel maps on first touch; with
//! 4 KiB pages a 128 MB array takes 32,768 page faults, more time than the decode
//! itself. numpy advises the kernel to back allocations of 4 MiB and more with 2 MiB
//! pages (`madvise(MADV_HUGEPAGE)`); arraymodel does the same for the arrays it
//! decodes, before writing them. The advice changes no memory contents: where huge
//! pages are unavailable or disabled it is ignored, and elsewhere than Linux (or
//! under Miri) it is not given.

/// Arrays from this size up are advised, as numpy does.
const MIN: usize = 4 << 20;

/// Asks for huge pages behind `memory` (initialised or not) if it is large, before
/// it is first written.
pub(crate) fn advise<T>(memory: &mut [T]) {
    if std::mem::size_of_val(memory) < MIN {
        return;
    }
    #[cfg(all(target_os = "linux", not(miri)))]
    crate::ffi::advise_hugepages(memory);
}
