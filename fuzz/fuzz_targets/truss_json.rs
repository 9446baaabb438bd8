#![no_main]
//! See `arraymodel_fuzz::truss_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::truss_json(data);
});
