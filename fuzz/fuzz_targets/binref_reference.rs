#![no_main]
//! See `arraymodel_fuzz::binref_reference`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::binref_reference(data);
});
