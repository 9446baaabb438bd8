//! Differentiable paths: which `jac_inputs` / `vjp_outputs` / tangent keys a request may
//! name, and where a named path leads in a request's inputs.
//!
//! A path is tesseract's: fields joined by `.`, `[3]` for a list position, `{key}` for a
//! map key (a `.` inside braces belongs to the key; `\` escapes the next character).

use serde_json::Value;
use serde_json::value::RawValue;

use crate::array::Array;

use super::schema_walk::{ArrayLeaf, Step};

/// One segment of a concrete path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Field(String),
    Index(usize),
    Key(String),
}

/// Splits a concrete path as tesseract's `split_path` and `path_to_index_op` do; `None`
/// if a segment is none of a field name, `[digits]` or `{key}`.
pub(crate) fn split(path: &str) -> Option<Vec<Seg>> {
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut depth = 0i64;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            buf.push(c);
            if let Some(n) = chars.next() {
                buf.push(n);
            }
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == '.' && depth == 0 {
            parts.push(std::mem::take(&mut buf));
        } else {
            buf.push(c);
        }
    }
    parts.push(buf);
    parts.into_iter().map(|p| segment(&p)).collect()
}

fn segment(part: &str) -> Option<Seg> {
    if let Some(inner) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']'))
        && !inner.is_empty()
        && inner.bytes().all(|b| b.is_ascii_digit())
    {
        return inner.parse().ok().map(Seg::Index);
    }
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'))
        && !inner.is_empty()
    {
        // `unescape_dict_key`: a backslash keeps the next character as it is.
        let mut key = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    key.push(n);
                }
            } else {
                key.push(c);
            }
        }
        return Some(Seg::Key(key));
    }
    let mut chars = part.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| Seg::Field(part.to_string()))
}

/// Whether a concrete path fits a leaf's pattern.
pub(crate) fn matches(pattern: &[Step], segs: &[Seg]) -> bool {
    pattern.len() == segs.len()
        && pattern.iter().zip(segs).all(|(p, s)| match (p, s) {
            (Step::Field(a), Seg::Field(b)) => a == b,
            (Step::Index, Seg::Index(_)) | (Step::Key, Seg::Key(_)) => true,
            _ => false,
        })
}

/// The differentiable leaf a concrete path names.
pub(crate) fn find<'a>(leaves: &'a [ArrayLeaf], path: &str) -> Option<&'a ArrayLeaf> {
    let segs = split(path)?;
    leaves.iter().find(|l| matches(&l.path, &segs))
}

/// The value at a concrete path in a JSON value (object keys for fields and map keys).
pub(crate) fn value_at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in split(path)? {
        cur = match seg {
            Seg::Field(k) | Seg::Key(k) => cur.get(k)?,
            Seg::Index(i) => cur.get(i)?,
        };
    }
    Some(cur)
}

/// One parsed level of raw JSON: an object's entries or a list's items (values skipped,
/// not built).
enum Level<'a> {
    Map(std::collections::HashMap<std::borrow::Cow<'a, str>, &'a RawValue>),
    List(Vec<&'a RawValue>),
    Other,
}

/// Looks values up by path in raw JSON, parsing each object or list at most once, however
/// many paths go through it (a request naming 10,000 keys of one map parses the map once).
#[derive(Default)]
pub(crate) struct RawIndex<'a> {
    levels: std::cell::RefCell<std::collections::HashMap<(usize, usize), std::rc::Rc<Level<'a>>>>,
}

impl<'a> RawIndex<'a> {
    fn level(&self, raw: &'a RawValue) -> std::rc::Rc<Level<'a>> {
        let text = raw.get();
        let id = (text.as_ptr() as usize, text.len());
        if let Some(l) = self.levels.borrow().get(&id) {
            return l.clone();
        }
        let parsed = match text.trim_start().as_bytes().first() {
            Some(b'{') => serde_json::from_str(text).map_or(Level::Other, Level::Map),
            Some(b'[') => serde_json::from_str(text).map_or(Level::Other, Level::List),
            _ => Level::Other,
        };
        let l = std::rc::Rc::new(parsed);
        self.levels.borrow_mut().insert(id, l.clone());
        l
    }

    /// The raw JSON at a concrete path below `raw`.
    pub(crate) fn at(&self, raw: &'a RawValue, path: &str) -> Option<&'a RawValue> {
        split(path)?
            .iter()
            .try_fold(raw, |cur, seg| self.child(cur, seg))
    }

    /// The raw JSON one step below `raw`: an object's entry, a list's item.
    pub(crate) fn child(&self, raw: &'a RawValue, seg: &Seg) -> Option<&'a RawValue> {
        match (&*self.level(raw), seg) {
            (Level::Map(m), Seg::Field(k) | Seg::Key(k)) => m.get(k.as_str()).copied(),
            (Level::List(l), Seg::Index(i)) => l.get(*i).copied(),
            _ => None,
        }
    }

    /// Whether `raw` is an object with entry `key`.
    pub(crate) fn has_key(&self, raw: &'a RawValue, key: &str) -> bool {
        matches!(&*self.level(raw), Level::Map(m) if m.contains_key(key))
    }
}

/// A path pattern as tesseract publishes it in a gradient request's schema: a literal
/// (`a`, `nested.x`) or an anchored regular expression for paths through lists and maps
/// (`^weights\.\{(?:[^{}\\]|\\.)+\}$`).
pub(crate) fn pattern(path: &[Step]) -> (bool, String) {
    let literal = path.iter().all(|s| matches!(s, Step::Field(_)));
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Field(f) if literal => f.clone(),
            Step::Field(f) => regex_escape(f),
            Step::Index => r"\[\d+\]".into(),
            Step::Key => r"\{(?:[^{}\\]|\\.)+\}".into(),
        })
        .collect();
    if literal {
        (true, parts.join("."))
    } else {
        (false, format!("^{}$", parts.join(r"\.")))
    }
}

fn regex_escape(s: &str) -> String {
    // Field names are identifiers; nothing in them is special to a regex.
    s.to_string()
}

/// Holds an array to a declared shape (`None`: any rank; `None` inside: any size; a
/// given 1 broadcasts to a fixed size) and dtype (cast by tesseract's rules), as
/// tesseract's `Array[shape, dtype]` validates tangents, cotangents and results.
pub(crate) fn conform(
    array: Array,
    dims: Option<&[Option<u64>]>,
    dtype: Option<&str>,
) -> crate::Result<Array> {
    use crate::error::{Error, ErrorKind};
    let shape = array.shape().to_vec();
    let mut target = shape.clone();
    if let Some(dims) = dims {
        let text = || {
            let parts: Vec<String> = dims
                .iter()
                .map(|d| d.map_or("None".into(), |n| n.to_string()))
                .collect();
            format!(
                "({}{})",
                parts.join(", "),
                if dims.len() == 1 { "," } else { "" }
            )
        };
        if dims.len() != shape.len() {
            return Err(Error::new(ErrorKind::Constraint(format!(
                "expected shape {}, got {shape:?}",
                text()
            ))));
        }
        for (i, d) in dims.iter().enumerate() {
            if let Some(n) = *d {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if shape[i] != n {
                    if shape[i] != 1 {
                        return Err(Error::new(ErrorKind::Constraint(format!(
                            "expected shape {}, got {shape:?}",
                            text()
                        ))));
                    }
                    target[i] = n;
                }
            }
        }
    }
    let mut array = array;
    if let Some(d) = dtype.and_then(crate::DType::from_name)
        && d != array.dtype()
    {
        array = crate::cast::cast(&array, d, crate::cast::Casting::Tesseract)?;
    }
    if target != shape {
        array = crate::cast::broadcast(&array, &target)?;
    }
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conform_broadcasts_and_casts() {
        let a = Array::from_vec(vec![1i32]);
        let c = conform(a, Some(&[Some(3)]), Some("float64")).unwrap();
        assert_eq!(c.as_slice::<f64>().unwrap(), &[1.0, 1.0, 1.0]);
        let two = Array::from_vec(vec![1.0f64, 2.0]);
        assert!(conform(two.clone(), Some(&[Some(3)]), None).is_err());
        assert!(conform(two.clone(), Some(&[None, None]), None).is_err());
        assert!(conform(two, None, Some("int8")).is_err());
    }

    #[test]
    fn paths_split_as_tesseract_does() {
        assert_eq!(
            split("a.{b.c}.[2]").unwrap(),
            vec![
                Seg::Field("a".into()),
                Seg::Key("b.c".into()),
                Seg::Index(2)
            ]
        );
        assert_eq!(split(r"m.{x\}y}").unwrap()[1], Seg::Key("x}y".into()));
        assert!(split("a..b").is_none());
        assert!(split("1a").is_none());
        assert!(split("a.[x]").is_none());
        let pat = [Step::Field("w".into()), Step::Key];
        assert!(matches(&pat, &split("w.{k}").unwrap()));
        assert!(!matches(&pat, &split("w").unwrap()));
        assert_eq!(pattern(&pat).1, r"^w\.\{(?:[^{}\\]|\\.)+\}$");
        let v = serde_json::json!({"w": {"k.1": [1, {"z": 2}]}});
        assert_eq!(value_at(&v, "w.{k.1}.[1].z"), Some(&serde_json::json!(2)));
        let text = v.to_string();
        let raw: &RawValue = serde_json::from_str(&text).unwrap();
        let index = RawIndex::default();
        assert_eq!(index.at(raw, "w.{k.1}.[1].z").unwrap().get(), "2");
        assert!(index.at(raw, "w.{nope}").is_none());
        assert_eq!(index.at(raw, "w.{k.1}.[0]").unwrap().get(), "1");
    }
}
