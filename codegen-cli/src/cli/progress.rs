//! Progress on stderr, only when stderr is a terminal and the input is large.

use std::io::{self, IsTerminal, Read};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Inputs smaller than this show no progress at all.
pub const MIN_BYTES: u64 = 8 << 20;

/// Whether progress may be drawn (stderr is a terminal).
pub fn enabled() -> bool {
    io::stderr().is_terminal()
}

/// Reads `reader` to the end, with a byte progress bar when `show` (a bar of `len`
/// bytes when the size is known, a counting spinner otherwise).
pub fn read_all(mut reader: impl Read, len: Option<u64>, show: bool) -> io::Result<Vec<u8>> {
    let bar = show.then(|| match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "reading {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} reading {bytes} ({bytes_per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    });
    let mut out = Vec::with_capacity(len.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                return Err(e);
            }
        };
        out.extend_from_slice(&chunk[..n]);
        if let Some(b) = &bar {
            b.inc(n as u64);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(out)
}

/// A spinner naming the current stage (`decoding`, `encoding`), cleared on drop.
pub struct Stage(Option<ProgressBar>);

impl Stage {
    /// Starts a spinner when `show`.
    pub fn start(message: &'static str, show: bool) -> Stage {
        Stage(show.then(|| {
            let s = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            s.set_message(message);
            s.enable_steady_tick(Duration::from_millis(120));
            s
        }))
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.finish_and_clear();
        }
    }
}
