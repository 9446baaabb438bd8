#![no_main]
//! See `arraymodel_fuzz::differential`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::differential(data);
});
