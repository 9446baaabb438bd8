//! `arraymodel inspect`: every array (path, dtype, shape, size, input encoding and
//! compression, min, max, mean, NaN and Inf counts) and every bytes field of a payload,
//! as a table or as JSON (`--json`).

use std::path::PathBuf;

use arraymodel::document::Document;
use arraymodel::{Array, ArrayData};
use clap::Args;
use serde::Serialize;

use super::{CliError, Format, input, text};

/// Arguments of `arraymodel inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The payload to read, or `-` for standard input.
    #[arg(default_value = "-", value_name = "INPUT")]
    pub input: String,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The input format (default: detected); every array must then be in this form.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,
    /// Folder binref buffers are read from, and confined to (default: the input's folder;
    /// standard input has none), or an object store prefix `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub binref_in: Option<PathBuf>,
}

/// The report printed by `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The input's name (`<stdin>` for standard input).
    pub input: String,
    /// `json` or `msgpack`.
    pub syntax: &'static str,
    /// Every array, in document order.
    pub arrays: Vec<ArrayInfo>,
    /// Every bytes value (msgpack `bin`; JSON has none), in document order.
    pub bytes: Vec<BytesInfo>,
}

/// One array.
#[derive(Debug, Serialize)]
pub struct ArrayInfo {
    /// Payload path (`inputs.a`, `items[2]`; empty for the root).
    pub path: String,
    /// numpy dtype name.
    pub dtype: String,
    /// Shape (`[]` for 0-d).
    pub shape: Vec<usize>,
    /// Bytes of element data.
    pub bytes: usize,
    /// Element count.
    pub count: usize,
    /// How it was encoded in the input: `json`, `base64`, `binref`, `truss`, `msgpack`, ...
    pub encoding: &'static str,
    /// `lz4` or `none`.
    pub compression: &'static str,
    /// Smallest value ignoring NaN (null for complex and empty arrays).
    pub min: Option<Num>,
    /// Largest value ignoring NaN.
    pub max: Option<Num>,
    /// Mean ignoring NaN: a number, or `[re, im]` for complex arrays.
    pub mean: Option<Mean>,
    /// NaN elements (complex: either part).
    pub nan: usize,
    /// ±Inf elements (complex: either part, and not NaN).
    pub inf: usize,
}

/// One bytes value.
#[derive(Debug, Serialize)]
pub struct BytesInfo {
    /// Payload path.
    pub path: String,
    /// Length in bytes.
    pub bytes: usize,
}

/// A statistic: exact for integers; non-finite floats as the strings `nan`, `inf`, `-inf`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// An integer (or bool as 0/1).
    Int(i128),
    /// A float.
    Float(f64),
}

/// A mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mean {
    /// Of a real array.
    Real(f64),
    /// Of a complex array.
    Complex(f64, f64),
}

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Num::Int(i) => match i64::try_from(i) {
                Ok(v) => s.serialize_i64(v),
                Err(_) => s.serialize_u64(u64::try_from(i).unwrap_or(u64::MAX)),
            },
            Num::Float(f) => float(f, s),
        }
    }
}

impl Serialize for Mean {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Mean::Real(f) => float(f, s),
            Mean::Complex(re, im) => {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element(&Num::Float(re))?;
                seq.serialize_element(&Num::Float(im))?;
                seq.end()
            }
        }
    }
}

fn float<S: serde::Serializer>(f: f64, s: S) -> Result<S::Ok, S::Error> {
    if f.is_finite() {
        s.serialize_f64(f)
    } else {
        s.serialize_str(&fmt_f64(f))
    }
}

/// Min, max, mean, NaN and Inf counts of an array.
pub fn stats(a: &Array) -> (Option<Num>, Option<Num>, Option<Mean>, usize, usize) {
    fn ints(it: impl Iterator<Item = i128> + Clone) -> (Option<Num>, Option<Num>, Option<Mean>) {
        let (mut n, mut sum) = (0usize, 0i128);
        let (mut lo, mut hi): (Option<i128>, Option<i128>) = (None, None);
        for v in it {
            n += 1;
            sum = sum.saturating_add(v);
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
        let mean = (n > 0).then(|| Mean::Real(sum as f64 / n as f64));
        (lo.map(Num::Int), hi.map(Num::Int), mean)
    }
    /// The mean of the non-NaN values; when finite values overflow the plain sum
    /// (near `f64::MAX`), a second pass sums `v / n` instead.
    fn mean_of(it: impl Iterator<Item = f64> + Clone, n: usize, sum: f64, inf: usize) -> f64 {
        if sum.is_finite() || inf > 0 {
            return sum / n as f64;
        }
        let n = n as f64;
        it.filter(|v| !v.is_nan()).map(|v| v / n).sum()
    }
    fn floats(
        it: impl Iterator<Item = f64> + Clone,
    ) -> (Option<Num>, Option<Num>, Option<Mean>, usize, usize) {
        let (mut n, mut sum, mut nan, mut inf) = (0usize, 0.0f64, 0usize, 0usize);
        let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
        for v in it.clone() {
            if v.is_nan() {
                nan += 1;
                continue;
            }
            if v.is_infinite() {
                inf += 1;
            }
            n += 1;
            sum += v;
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
        let mean = (n > 0).then(|| Mean::Real(mean_of(it, n, sum, inf)));
        (lo.map(Num::Float), hi.map(Num::Float), mean, nan, inf)
    }
    fn complex(
        it: impl Iterator<Item = (f64, f64)> + Clone,
    ) -> (Option<Num>, Option<Num>, Option<Mean>, usize, usize) {
        let (mut n, mut re_sum, mut im_sum, mut nan, mut inf) = (0usize, 0.0, 0.0, 0, 0);
        for (re, im) in it.clone() {
            if re.is_nan() || im.is_nan() {
                nan += 1;
                continue;
            }
            if re.is_infinite() || im.is_infinite() {
                inf += 1;
            }
            n += 1;
            re_sum += re;
            im_sum += im;
        }
        let finite = it.filter(|(re, im)| !re.is_nan() && !im.is_nan());
        let mean = (n > 0).then(|| {
            Mean::Complex(
                mean_of(finite.clone().map(|c| c.0), n, re_sum, inf),
                mean_of(finite.map(|c| c.1), n, im_sum, inf),
            )
        });
        (None, None, mean, nan, inf)
    }
    let int = |r: (Option<Num>, Option<Num>, Option<Mean>)| (r.0, r.1, r.2, 0, 0);
    match a.data() {
        ArrayData::Bool(v) => int(ints(v.iter().map(|&x| i128::from(u8::from(x))))),
        ArrayData::Int8(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::Int16(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::Int32(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::Int64(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::UInt8(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::UInt16(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::UInt32(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::UInt64(v) => int(ints(v.iter().map(|&x| i128::from(x)))),
        ArrayData::Float16(v) => floats(v.iter().map(|x| x.to_f64())),
        ArrayData::Float32(v) => floats(v.iter().map(|&x| f64::from(x))),
        ArrayData::Float64(v) => floats(v.iter().copied()),
        ArrayData::Complex64(v) => complex(v.iter().map(|c| (f64::from(c.re), f64::from(c.im)))),
        ArrayData::Complex128(v) => complex(v.iter().map(|c| (c.re, c.im))),
    }
}

/// Builds the report of a document.
pub fn report(name: &str, syntax: input::Syntax, doc: &Document) -> Report {
    let mut arrays = Vec::new();
    for (path, node) in doc.walk() {
        if let Document::Array(a, form) = node {
            let (min, max, mean, nan, inf) = stats(a);
            arrays.push(ArrayInfo {
                path: path.to_string(),
                dtype: a.dtype().name().to_owned(),
                shape: a.shape().to_vec(),
                bytes: a.nbytes(),
                count: a.len(),
                encoding: form.encoding_name(),
                compression: form.compression_name(),
                min,
                max,
                mean,
                nan,
                inf,
            });
        }
    }
    // msgpack `bin` values, packed or not, without expanding packed ones into nodes.
    let bytes = doc
        .bytes_fields()
        .into_iter()
        .map(|(path, bytes)| BytesInfo { path, bytes })
        .collect();
    Report {
        input: name.to_owned(),
        syntax: syntax.name(),
        arrays,
        bytes,
    }
}

/// A float as text: shortest round-trip digits, exponent form when very large or small.
pub fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x == 0.0 || (1e-5..1e16).contains(&x.abs()) {
        let s = format!("{x}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        format!("{x:e}")
    }
}

/// A mean to six significant digits.
fn fmt_mean(x: f64) -> String {
    if !x.is_finite() {
        return fmt_f64(x);
    }
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    if (1e-4..1e6).contains(&rounded.abs()) || rounded == 0.0 {
        fmt_f64(rounded)
    } else {
        format!("{rounded:e}")
    }
}

fn fmt_num(n: Option<Num>) -> String {
    match n {
        None => "-".into(),
        Some(Num::Int(i)) => i.to_string(),
        Some(Num::Float(f)) => fmt_f64(f),
    }
}

/// The table. Paths and the input's name are payload (or file system) text: their
/// control characters are shown escaped, never sent to the terminal.
pub fn table(r: &Report) -> String {
    let arrays = if r.arrays.len() == 1 {
        "array"
    } else {
        "arrays"
    };
    let fields = if r.bytes.len() == 1 {
        "field"
    } else {
        "fields"
    };
    let mut out = format!(
        "{} ({}): {} {arrays}, {} bytes {fields}\n",
        text::escape(&r.input),
        r.syntax,
        r.arrays.len(),
        r.bytes.len()
    );
    let show_path = |p: &str| {
        if p.is_empty() {
            "(root)".to_owned()
        } else {
            text::escape(p).into_owned()
        }
    };
    if !r.arrays.is_empty() {
        let mut rows = vec![
            [
                "PATH",
                "DTYPE",
                "SHAPE",
                "BYTES",
                "ENCODING",
                "COMPRESSION",
                "MIN",
                "MAX",
                "MEAN",
                "NAN",
                "INF",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for a in &r.arrays {
            let shape = a
                .shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let mean = match a.mean {
                None => "-".into(),
                Some(Mean::Real(m)) => fmt_mean(m),
                Some(Mean::Complex(re, im)) => {
                    format!("{}{}j", fmt_mean(re), signed(fmt_mean(im)))
                }
            };
            rows.push(vec![
                show_path(&a.path),
                a.dtype.clone(),
                format!("[{shape}]"),
                a.bytes.to_string(),
                a.encoding.to_owned(),
                a.compression.to_owned(),
                fmt_num(a.min),
                fmt_num(a.max),
                mean,
                a.nan.to_string(),
                a.inf.to_string(),
            ]);
        }
        out.push_str(&render(&rows, &[3, 9, 10]));
    }
    if !r.bytes.is_empty() {
        out.push('\n');
        let mut rows = vec![vec!["BYTES FIELD".to_owned(), "BYTES".to_owned()]];
        for b in &r.bytes {
            rows.push(vec![show_path(&b.path), b.bytes.to_string()]);
        }
        out.push_str(&render(&rows, &[1]));
    }
    out
}

/// `+x` or `-x`.
fn signed(s: String) -> String {
    if s.starts_with('-') {
        s
    } else {
        format!("+{s}")
    }
}

/// Aligned columns, two spaces apart; the columns in `right` are right-aligned.
fn render(rows: &[Vec<String>], right: &[usize]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c] - cell.chars().count();
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if c + 1 < cols {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<(), CliError> {
    let input = input::read(&args.input)?;
    let (doc, syntax) = input::decode(&input, args.from, args.binref_in.as_deref())?;
    let r = report(&input.name, syntax, &doc);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&r)
            .map_err(|e| CliError::new(format!("writing the report: {e}")))?;
        s.push('\n');
        // serde_json escapes C0 controls; DEL, C1 and bidi controls it leaves as they are.
        text::escape_json(s)
    } else {
        table(&r)
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(format!("<stdout>: {e}"))),
    }
}
