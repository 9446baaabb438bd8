#![no_main]
//! See `arraymodel_fuzz::model_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::model_json(data);
});
