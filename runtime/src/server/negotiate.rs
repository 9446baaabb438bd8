//! The response encoding from the `Accept` header, as tesseract-runtime 1.15 resolves it
//! (`tesseract_core/runtime/serve.py`, `negotiate_encoding`).

use serde_json::{Value, json};

use crate::options::{Compression, Encoding};

/// What a response is written in: the buffer encoding and its compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Negotiated {
    pub encoding: Encoding,
    pub compression: Compression,
}

/// The output formats this server offers, in tesseract's order (`json+binref` only when
/// an output folder is configured).
pub(crate) fn formats(binref: bool) -> Vec<&'static str> {
    let mut out = vec!["json", "json+base64"];
    if binref {
        out.push("json+binref");
    }
    out
}

pub(crate) const GPU_TRANSPORTS: [&str; 1] = ["none"];
pub(crate) const COMPRESSIONS: [&str; 2] = ["none", "lz4"];

fn format_encoding(name: &str) -> Option<Encoding> {
    match name {
        "json" => Some(Encoding::Json),
        "json+base64" => Some(Encoding::Base64),
        "json+binref" => Some(Encoding::Binref),
        _ => None,
    }
}

/// A media range's parameters: `(name, value)`.
type Params = Vec<(String, String)>;

/// One media range: its type (lowercased) and parameters (names lowercased, quotes
/// removed), as `parse_media_range` splits it.
fn parse_range(range: &str) -> (String, Params) {
    let mut parts = range.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .collect();
    (media, params)
}

/// Resolves `accept` to an encoding this server offers, or the 406 body.
///
/// Ranges are tried by descending `q` (a `q` that is no number counts 0, and equal ones
/// keep the client's order); `*/*` and `application/*` mean the default format; a
/// range's `compression` and `gpu_transport` parameters must be offered too. No header
/// means the defaults.
pub(crate) fn negotiate(
    accept: Option<&str>,
    default: Negotiated,
    binref: bool,
) -> Result<Negotiated, Value> {
    let accept = match accept {
        None | Some("") => return Ok(default),
        Some(a) => a,
    };
    let offered = formats(binref);
    let default_format = match default.encoding {
        Encoding::Json => "json",
        Encoding::Base64 => "json+base64",
        Encoding::Binref => "json+binref",
    };
    let default_compression = match default.compression {
        Compression::None => "none",
        Compression::Lz4 => "lz4",
    };
    let mut ranges: Vec<(f64, String, Params)> = accept
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            let (media, params) = parse_range(r);
            let q = params
                .iter()
                .find(|(k, _)| k == "q")
                .map_or(1.0, |(_, v)| v.trim().parse::<f64>().unwrap_or(0.0));
            // NaN sorts as 0, as Python's sort would not move it.
            (if q.is_nan() { 0.0 } else { q }, media, params)
        })
        .collect();
    // Stable: equal qualities keep the client's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, media, params) in &ranges {
        let format = if media == "*/*" || media == "application/*" {
            default_format
        } else {
            media.rsplit_once('/').map_or(media.as_str(), |(_, f)| f)
        };
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let transport = param("gpu_transport").unwrap_or("none");
        let compression = param("compression").unwrap_or(default_compression);
        if offered.contains(&format)
            && GPU_TRANSPORTS.contains(&transport)
            && COMPRESSIONS.contains(&compression)
        {
            return Ok(Negotiated {
                encoding: format_encoding(format).expect("an offered format"),
                compression: if compression == "lz4" {
                    Compression::Lz4
                } else {
                    Compression::None
                },
            });
        }
    }
    Err(json!({
        "message": format!("Cannot produce any encoding accepted by {}", python_repr(accept)),
        "available_formats": offered,
        "available_gpu_transports": GPU_TRANSPORTS,
        "available_compressions": COMPRESSIONS,
    }))
}

/// Python's `repr` of a str, as the peer's 406 message quotes the header.
pub(crate) fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Negotiated = Negotiated {
        encoding: Encoding::Json,
        compression: Compression::None,
    };

    #[test]
    fn ranges_by_quality_with_parameters() {
        let n = |a| negotiate(Some(a), JSON, true);
        assert_eq!(
            n("application/json+base64").unwrap().encoding,
            Encoding::Base64
        );
        let lz = n("application/json+binref; compression=\"lz4\"").unwrap();
        assert_eq!(
            (lz.encoding, lz.compression),
            (Encoding::Binref, Compression::Lz4)
        );
        let q = n("application/json;q=0.1, application/json+base64;q=0.9").unwrap();
        assert_eq!(q.encoding, Encoding::Base64);
        assert_eq!(n("*/*").unwrap(), JSON);
        assert_eq!(
            n("text/html, application/json").unwrap().encoding,
            Encoding::Json
        );
        let e = n("application/json+base64; compression=gzip").unwrap_err();
        assert_eq!(
            e["message"],
            "Cannot produce any encoding accepted by 'application/json+base64; compression=gzip'"
        );
        assert_eq!(e["available_compressions"], json!(["none", "lz4"]));
        // No output folder: binref is not offered.
        assert!(negotiate(Some("application/json+binref"), JSON, false).is_err());
        assert_eq!(negotiate(None, JSON, false).unwrap(), JSON);
    }
}
