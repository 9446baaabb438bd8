#![no_main]
//! See `arraymodel_fuzz::json_value`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::json_value(data);
});
