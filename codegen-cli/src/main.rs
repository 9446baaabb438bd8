//! `arraymodel`: look into and convert tesseract / truss / msgpack-numpy payloads
//! (`convert`, `inspect`), and generate models from schemas (`generate`).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    let code = cli::main();
    // For the memory tests: the peak resident size, as the kernel counted it.
    if std::env::var_os("ARRAYMODEL_REPORT_PEAK_RSS").is_some()
        && let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        eprintln!("peak RSS {}", line.trim_start_matches("VmHWM:").trim());
    }
    code
}
