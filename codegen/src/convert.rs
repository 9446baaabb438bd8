//! Schema -> type space: `$ref`s, nullability, objects, unions, enums, and the
//! array schemas of tesseract, truss, numpydantic and pydantic-numpy.

use std::collections::HashMap;

use serde_json::{Map, Value};

use arraymodel_spec::title::{ArrayTitle, Dim as TitleDim};

use crate::error::Result;
use crate::ir::{ArraySpec, Def, DefId, Family, Field, Int, Kind, Struct, Ty, Variant};
use crate::load::{Docs, Loc};
use crate::names::{self, Namer};

/// numpy dtype names the runtime knows (the shared table of `arraymodel-spec`).
pub(crate) const DTYPES: [&str; 14] = arraymodel_spec::NAMES;

/// The dtype of an array default without a declared dtype: what `numpy.asarray` gives
/// the scalar or flat list (`[1, 2.5]` and `[2.5, 1]` are both float64; booleans alone
/// are bool). `None` for anything else (strings, objects, nested lists).
pub(crate) fn default_dtype(v: &Value) -> Option<&'static str> {
    use arraymodel_spec::Scalar;
    let scalar = |v: &Value| match v {
        Value::Bool(_) => Some(Scalar::Bool),
        Value::Number(n) => Some(if let Some(i) = n.as_i64() {
            if i < 0 {
                Scalar::NegativeInt
            } else {
                Scalar::Int
            }
        } else if n.is_u64() {
            Scalar::BigInt
        } else {
            Scalar::Float
        }),
        _ => None,
    };
    let scalars = match v {
        Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>()?,
        other => vec![scalar(other)?],
    };
    Some(arraymodel_spec::infer_dtype(scalars).name)
}

/// Keywords that only annotate; a `$ref` next to them is still just the reference.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "example",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$schema",
    "$id",
    // Definitions and names of places define things for `$ref`s; they say nothing of
    // the value here.
    "$defs",
    "definitions",
    "$anchor",
    "$dynamicAnchor",
    "$vocabulary",
    "differentiable_arrays",
    "field_order",
    "externalDocs",
    "xml",
];

/// Keywords that constrain values without changing their Rust type (or, `nullable`, that
/// the caller applies): a `$ref` or a single `allOf` member next to only these and
/// annotations is that type, not a new struct.
const CONSTRAINTS: &[&str] = &[
    "nullable",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "contentEncoding",
    "contentMediaType",
];

/// Whether `key` neither annotates nor only constrains (see [`ANNOTATIONS`],
/// [`CONSTRAINTS`]).
fn is_structural(key: &str) -> bool {
    !ANNOTATIONS.contains(&key) && !CONSTRAINTS.contains(&key) && !key.starts_with("x-")
}

/// How much of the documents conversion may read, per node they hold. GitHub's REST API
/// description reads 4.5x its size, nexus 4.8x, tesseract's features API 11.6x.
const WORK_PER_NODE: usize = 64;
/// ... plus this many nodes, for small documents.
const WORK_BASE: usize = 1 << 20;

/// Deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 256;

pub(crate) struct Converter<'a> {
    /// Nodes copied out of the documents so far (see `schema`).
    work: std::cell::Cell<usize>,
    pub docs: &'a mut Docs,
    pub defs: Vec<Def>,
    by_loc: HashMap<(Loc, Option<String>), DefId>,
    namer: Namer,
    depth: usize,
    /// What the output does not hold to (a pattern regex-lite cannot compile, ...).
    pub warnings: Vec<String>,
    /// An absent optional field with a `default` reads as the default (else `None`).
    pub fill_defaults: bool,
    /// `format: uuid` is `::uuid::Uuid`.
    pub uuid: bool,
    /// `format: date-time` / `date` are chrono's `DateTime<FixedOffset>` / `NaiveDate`.
    pub chrono: bool,
}

fn obj(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn is_null_schema(v: &Value) -> bool {
    obj(v).is_some_and(|o| {
        o.get("type").and_then(Value::as_str) == Some("null")
            || o.get("const").is_some_and(Value::is_null)
            || o.get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.len() == 1 && e[0].is_null())
    })
}

/// A schema's own documentation: description, else nothing (pydantic titles just
/// repeat the name); plus examples.
/// Docstring lines as Python's `inspect.cleandoc` leaves them, with at most three
/// spaces of indentation kept (list continuations survive; nothing becomes an
/// indented code block, which rustdoc would compile as a doctest).
pub(crate) fn clean_doc(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let l = if i == 0 {
                l.trim_start()
            } else {
                l.get(indent..).unwrap_or(l.trim_start())
            };
            let rest = l.trim_start();
            let keep = (l.len() - rest.len()).min(3);
            format!("{}{}", " ".repeat(keep), rest.trim_end())
        })
        .collect()
}

fn doc_lines(o: &Map<String, Value>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(d) = o.get("description").and_then(Value::as_str) {
        lines.extend(clean_doc(d));
    }
    if let Some(ex) = o
        .get("examples")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let text = serde_json::to_string(ex).unwrap_or_default();
        if text.len() <= 200 {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.push(format!("Examples: `{text}`"));
        }
    }
    lines
}

impl<'a> Converter<'a> {
    pub fn new(docs: &'a mut Docs) -> Converter<'a> {
        Converter {
            docs,
            defs: Vec::new(),
            by_loc: HashMap::new(),
            namer: Namer::default(),
            depth: 0,
            warnings: Vec::new(),
            fill_defaults: true,
            uuid: false,
            chrono: false,
            work: std::cell::Cell::new(0),
        }
    }

    /// A type name not taken yet (for the client's items, after the schema's types).
    pub fn reserve_name(&mut self, base: &str) -> String {
        self.namer.unique(base)
    }

    /// The schema at `loc`, copied. Every copy is charged to a budget of
    /// [`WORK_PER_NODE`] × the nodes of the documents read + [`WORK_BASE`]: a schema whose
    /// `$ref`s reuse large parts many times is an error, not an hour of work.
    pub(crate) fn schema(&self, loc: &Loc) -> Result<Value> {
        let v = self.docs.get(loc)?;
        let spent = self.work.get().saturating_add(crate::load::count_nodes(v));
        self.work.set(spent);
        if spent
            > self
                .docs
                .nodes
                .saturating_mul(WORK_PER_NODE)
                .saturating_add(WORK_BASE)
        {
            return Err(self.docs.error(
                loc,
                format!(
                    "converting the schema reads more than {WORK_PER_NODE} times its own size \
                     (its $refs reuse large parts of it very often); refused rather than \
                     running for hours"
                ),
            ));
        }
        Ok(v.clone())
    }

    fn source(&self, loc: &Loc) -> String {
        format!("{}#{}", self.docs.doc(loc.doc).path.display(), loc.ptr)
    }

    /// The name a definition location gives its type (`$defs/X`, `definitions/X`,
    /// `components/schemas/X`, or a document root's title or file stem).
    fn def_name(&self, loc: &Loc) -> Option<String> {
        if loc.ptr.is_empty() {
            let doc = self.docs.doc(loc.doc);
            if let Some(t) = doc.value.get("title").and_then(Value::as_str) {
                return Some(names::type_name(t));
            }
            let stem = doc.path.file_stem()?.to_string_lossy().into_owned();
            let stem = stem.split('.').next().unwrap_or_default().to_owned();
            return Some(names::type_name(&stem));
        }
        let (parent, _) = loc.ptr.rsplit_once('/')?;
        let container = parent.rsplit('/').next().unwrap_or_default();
        if matches!(container, "$defs" | "definitions" | "schemas") {
            return loc.last_segment().map(|s| names::type_name(&s));
        }
        None
    }

    /// Registers a type for every top-level definition first, so their names do not
    /// depend on what inline types are met while converting.
    pub fn add_roots(&mut self, doc: usize) -> Result<Vec<DefId>> {
        let root = Loc {
            doc,
            ptr: String::new(),
        };
        let value = self.schema(&root)?;
        let Some(o) = obj(&value) else {
            return Err(self
                .docs
                .error(&root, "a schema document must be a JSON object"));
        };
        let mut locs = Vec::new();
        if o.contains_key("openapi") || o.contains_key("swagger") {
            let comps = root.child("components").child("schemas");
            if let Some(m) = value.pointer("/components/schemas") {
                let Some(m) = obj(m) else {
                    return Err(self
                        .docs
                        .error(&comps, "components.schemas must be an object"));
                };
                locs.extend(m.keys().map(|k| comps.child(k)));
            }
            if let Some(m) = o.get("definitions").and_then(Value::as_object) {
                locs.extend(m.keys().map(|k| root.child("definitions").child(k)));
            }
        } else {
            let structural = o.keys().any(|k| {
                !matches!(
                    k.as_str(),
                    "$defs"
                        | "definitions"
                        | "$schema"
                        | "$id"
                        | "title"
                        | "description"
                        | "$comment"
                )
            });
            if structural {
                locs.push(root.clone());
            }
            for key in ["$defs", "definitions"] {
                if let Some(m) = o.get(key) {
                    let Some(m) = obj(m) else {
                        return Err(self
                            .docs
                            .error(&root.child(key), format!("{key} must be an object")));
                    };
                    locs.extend(m.keys().map(|k| root.child(key).child(k)));
                }
            }
        }
        let mut ids = Vec::new();
        for loc in &locs {
            let name = self.def_name(loc).unwrap_or_else(|| "Root".into());
            ids.push(self.reserve_def(loc, None, &name));
        }
        for (loc, id) in locs.iter().zip(&ids) {
            self.fill_def(loc, None, *id)?;
        }
        Ok(ids)
    }

    /// The schema at `loc` is the type `id` (an identical inline schema of the same name).
    pub(crate) fn alias_loc(&mut self, loc: &Loc, id: DefId) {
        self.by_loc.entry((loc.clone(), None)).or_insert(id);
    }

    fn reserve_def(&mut self, loc: &Loc, exclude: Option<&str>, name: &str) -> DefId {
        let key = (loc.clone(), exclude.map(str::to_owned));
        if let Some(&id) = self.by_loc.get(&key) {
            return id;
        }
        let id = self.defs.len();
        let name = self.namer.unique(name);
        self.defs.push(Def {
            name,
            source: self.source(loc),
            doc: Vec::new(),
            kind: Kind::Pending,
        });
        self.by_loc.insert(key, id);
        id
    }

    fn fill_def(&mut self, loc: &Loc, exclude: Option<&str>, id: DefId) -> Result<()> {
        if !matches!(self.defs[id].kind, Kind::Pending) {
            return Ok(());
        }
        self.depth += 1;
        let r = self.fill_def_inner(loc, exclude, id);
        self.depth -= 1;
        r
    }

    fn fill_def_inner(&mut self, loc: &Loc, exclude: Option<&str>, id: DefId) -> Result<()> {
        if self.depth > MAX_DEPTH {
            return Err(self.docs.error(
                loc,
                format!("$ref chain or nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        // Mark it so a cycle back to it stops here.
        self.defs[id].kind = Kind::Alias(Ty::Value);
        let value = self.schema(loc)?;
        if let Some(o) = obj(&value) {
            self.defs[id].doc = doc_lines(o);
            // typify's extension: `{"x-rust-type": {"crate", "version", "path"}}` names
            // the Rust type that already models this schema.
            if let Some(path) = o
                .get("x-rust-type")
                .and_then(|x| x.get("path"))
                .and_then(Value::as_str)
            {
                if let Err(e) = crate::plain_type_path(path) {
                    return Err(self.docs.error(
                        &loc.child("x-rust-type"),
                        format!("x-rust-type path {path:?} is not a Rust type path: {e}"),
                    ));
                }
                // typify's `parameters`: schemas of the type's generic arguments.
                let mut params = Vec::new();
                let at = loc.child("x-rust-type").child("parameters");
                let n = o["x-rust-type"]
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                for i in 0..n {
                    params.push(
                        self.ty_at(&at.index(i), &format!("{}Param{i}", self.defs[id].name))?,
                    );
                }
                self.defs[id].kind = Kind::External(path.to_owned(), params);
                return Ok(());
            }
        }
        let name = self.defs[id].name.clone();
        let kind = match exclude {
            Some(tag) => {
                // Inline types inside keep the names the definition gives them.
                let base = self.def_name(loc).unwrap_or(name);
                Kind::Struct(self.object(loc, &base, Some(tag))?)
            }
            None => match self.body(loc, &name, true)? {
                Body::Kind(k) => k,
                Body::Ty(t) => Kind::Alias(t),
            },
        };
        self.defs[id].kind = kind;
        Ok(())
    }

    /// The named type at `loc` (a `$ref` target or an inline object/enum/union).
    fn def_at(&mut self, loc: &Loc, hint: &str, exclude: Option<&str>) -> Result<DefId> {
        let key = (loc.clone(), exclude.map(str::to_owned));
        if let Some(&id) = self.by_loc.get(&key) {
            return Ok(id);
        }
        let name = match exclude {
            Some(_) => hint.to_owned(),
            None => self.def_name(loc).unwrap_or_else(|| hint.to_owned()),
        };
        let id = self.reserve_def(loc, exclude, &name);
        self.fill_def(loc, exclude, id)?;
        Ok(id)
    }

    /// The Rust type for the schema at `loc`; `hint` names inline types.
    pub fn ty_at(&mut self, loc: &Loc, hint: &str) -> Result<Ty> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self
                .docs
                .error(loc, format!("schema nested deeper than {MAX_DEPTH} levels")));
        }
        let r = self.ty_inner(loc, hint);
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self, loc: &Loc, hint: &str) -> Result<Ty> {
        match self.body(loc, hint, false)? {
            Body::Ty(t) => Ok(t),
            Body::Kind(_) => {
                // `body` with `as_def = false` returns kinds only through `def_at`.
                Err(self.docs.error(loc, "internal: unexpected definition"))
            }
        }
    }

    /// Follows `$ref`-only schemas to what they point at.
    fn follow(&mut self, loc: &Loc) -> Result<Loc> {
        let mut loc = loc.clone();
        for _ in 0..64 {
            let value = self.schema(&loc)?;
            let Some(o) = obj(&value) else { return Ok(loc) };
            let Some(r) = o.get("$ref") else {
                return Ok(loc);
            };
            let Some(r) = r.as_str() else {
                return Err(self.docs.error(&loc.child("$ref"), "$ref must be a string"));
            };
            loc = self.docs.resolve(&loc, r)?;
        }
        Err(self.docs.error(&loc, "$ref chain longer than 64 or cyclic"))
    }

    /// What the schema at `loc` becomes. With `as_def`, objects, enums and unions
    /// are returned as a [`Kind`] for the definition being filled; otherwise they
    /// become a named type.
    fn body(&mut self, loc: &Loc, hint: &str, as_def: bool) -> Result<Body> {
        let body = self.body_inner(loc, hint, as_def)?;
        // OpenAPI 3.0 `nullable: true` (a definition itself stays the plain type).
        let nullable = self
            .schema(loc)?
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(match body {
            Body::Ty(t) if nullable => Body::Ty(option(t)),
            other => other,
        })
    }

    /// The named type for a part of the schema at `loc` (`key` makes it distinct from
    /// the definition at `loc` itself when that is being filled).
    fn inner_def(
        &mut self,
        loc: &Loc,
        key: &str,
        hint: &str,
        as_def: bool,
        build: impl FnOnce(&mut Self, &str) -> Result<Kind>,
    ) -> Result<Ty> {
        let (at, name) = if as_def {
            (loc.child(key), format!("{hint}Inner"))
        } else {
            (loc.clone(), hint.to_owned())
        };
        self.def_at_with(&at, &name, build).map(Ty::Named)
    }

    fn body_inner(&mut self, loc: &Loc, hint: &str, as_def: bool) -> Result<Body> {
        let value = self.schema(loc)?;
        let o = match &value {
            Value::Bool(_) => return Ok(Body::Ty(Ty::Value)),
            Value::Object(o) => o,
            _ => {
                return Err(self
                    .docs
                    .error(loc, "a schema must be an object or a boolean"));
            }
        };

        if let Some(spec) = self.recognise(loc, o)? {
            return Ok(Body::Ty(Ty::Array(spec)));
        }

        if let Some(r) = o.get("$ref") {
            let Some(r) = r.as_str() else {
                return Err(self.docs.error(&loc.child("$ref"), "$ref must be a string"));
            };
            let structural = o.keys().any(|k| k != "$ref" && is_structural(k));
            if !structural {
                let target = self.docs.resolve(loc, r)?;
                let t = self.ref_ty(&target, hint)?;
                // A definition marked `nullable` (OpenAPI 3.0) stays its plain type; every
                // use of it through `$ref` may be null.
                let nullable = self.nullable_target(&target);
                return Ok(Body::Ty(if nullable { option(t) } else { t }));
            }
            // `$ref` with siblings (2020-12): both apply; treat as allOf.
            return self.defined(loc, hint, as_def, |c, name| {
                c.object(loc, name, None).map(Kind::Struct)
            });
        }

        // Nullable unions: anyOf/oneOf with a null member.
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = o.get(key) {
                let Some(members) = members.as_array() else {
                    return Err(self
                        .docs
                        .error(&loc.child(key), format!("{key} must be an array")));
                };
                if members.is_empty() {
                    return Err(self
                        .docs
                        .error(&loc.child(key), format!("{key} must not be empty")));
                }
                let mut non_null = Vec::new();
                let mut has_null = false;
                for (i, m) in members.iter().enumerate() {
                    let mloc = loc.child(key).index(i);
                    let resolved = self.follow(&mloc)?;
                    if is_null_schema(m) || is_null_schema(&self.schema(&resolved)?) {
                        has_null = true;
                    } else {
                        non_null.push(mloc);
                    }
                }
                let inner = if non_null.is_empty() {
                    Body::Ty(Ty::Null)
                } else if non_null.len() == 1 {
                    Body::Ty(self.ty_at(&non_null[0], hint)?)
                } else if has_null {
                    Body::Ty(self.inner_def(loc, key, hint, as_def, |c, name| {
                        c.union(loc, key, &non_null, name)
                    })?)
                } else {
                    return self.defined(loc, hint, as_def, |c, name| {
                        c.union(loc, key, &non_null, name)
                    });
                };
                return Ok(match inner {
                    Body::Ty(t) if has_null => Body::Ty(option(t)),
                    other => other,
                });
            }
        }

        if let Some(all) = o.get("allOf") {
            let Some(all) = all.as_array() else {
                return Err(self
                    .docs
                    .error(&loc.child("allOf"), "allOf must be an array"));
            };
            let own_structure = o
                .keys()
                .any(|k| k != "allOf" && k != "type" && is_structural(k));
            // Members that only constrain (`{"minimum": 1}`) add no structure: with one
            // member left, the schema is that member's type (a `$ref` wrapped to add
            // `nullable` or bounds, `[{"type": "integer"}, {"minimum": 1}]`).
            let shaped: Vec<usize> = all
                .iter()
                .enumerate()
                .filter(|(_, m)| match m {
                    Value::Object(m) => m.keys().any(|k| is_structural(k)),
                    _ => false,
                })
                .map(|(i, _)| i)
                .collect();
            if !own_structure && shaped.len() <= 1 && !all.is_empty() {
                let member = shaped.first().copied().unwrap_or(0);
                return self
                    .ty_at(&loc.child("allOf").index(member), hint)
                    .map(Body::Ty);
            }
            return self.defined(loc, hint, as_def, |c, name| {
                c.object(loc, name, None).map(Kind::Struct)
            });
        }

        if let Some(values) = o.get("enum") {
            let Some(values) = values.as_array() else {
                return Err(self.docs.error(&loc.child("enum"), "enum must be an array"));
            };
            let has_null = values.iter().any(Value::is_null);
            let rest: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            let t = if rest.is_empty() {
                Ty::Null
            } else if rest.iter().all(|v| v.is_string()) {
                let strings: Vec<String> = rest
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if has_null {
                    self.inner_def(loc, "enum", hint, as_def, |_, _| Ok(string_enum(&strings)))?
                } else {
                    return self.defined(loc, hint, as_def, |_, _| Ok(string_enum(&strings)));
                }
            } else {
                common_type(&rest)
            };
            return Ok(Body::Ty(if has_null { option(t) } else { t }));
        }

        if let Some(c) = o.get("const") {
            return match c {
                Value::String(s) => {
                    let s = s.clone();
                    self.defined(loc, hint, as_def, move |_, _| {
                        Ok(string_enum(std::slice::from_ref(&s)))
                    })
                }
                other => Ok(Body::Ty(common_type(&[other]))),
            };
        }

        let types: Vec<String> = match o.get("type") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, t) in a.iter().enumerate() {
                    match t.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => {
                            return Err(self
                                .docs
                                .error(&loc.child("type").index(i), "type names must be strings"));
                        }
                    }
                }
                out
            }
            Some(_) => {
                return Err(self.docs.error(
                    &loc.child("type"),
                    "type must be a string or an array of strings",
                ));
            }
        };
        let nullable = types.iter().any(|t| t == "null");
        let types: Vec<&String> = types.iter().filter(|t| *t != "null").collect();
        let t = match types.as_slice() {
            [] if nullable => return Ok(Body::Ty(Ty::Null)),
            [] => {
                if o.contains_key("properties")
                    || o.contains_key("additionalProperties")
                    || o.contains_key("patternProperties")
                {
                    return self.object_body(loc, o, hint, as_def, nullable);
                }
                if o.contains_key("items") || o.contains_key("prefixItems") {
                    self.array(loc, o, hint)?
                } else {
                    Ty::Value
                }
            }
            [one] => match one.as_str() {
                "object" => return self.object_body(loc, o, hint, as_def, nullable),
                other => self.primitive(loc, o, other, hint)?,
            },
            many => {
                // Several JSON types: an untagged enum of them.
                let many: Vec<String> = many.iter().map(|s| (*s).clone()).collect();
                let build = |c: &mut Self, _name: &str| {
                    let mut variants = Vec::new();
                    let mut namer = Namer::default();
                    for t in &many {
                        let ty = match t.as_str() {
                            "object" => Ty::Map(Box::new(Ty::Value)),
                            other => c.primitive(loc, &Map::new(), other, "")?,
                        };
                        variants.push(Variant {
                            ident: namer.unique(&names::variant_name(t, variants.len())),
                            wire: t.clone(),
                            ty: Some(ty),
                            doc: Vec::new(),
                        });
                    }
                    Ok(Kind::Untagged(variants))
                };
                if !nullable {
                    return self.defined(loc, hint, as_def, build);
                }
                self.inner_def(loc, "type", hint, as_def, build)?
            }
        };
        Ok(Body::Ty(if nullable { option(t) } else { t }))
    }

    /// A kind for the definition being filled, or a new named type for an inline one.
    fn defined(
        &mut self,
        loc: &Loc,
        hint: &str,
        as_def: bool,
        build: impl FnOnce(&mut Self, &str) -> Result<Kind>,
    ) -> Result<Body> {
        if as_def {
            return build(self, hint).map(Body::Kind);
        }
        let id = self.def_at_with(loc, hint, build)?;
        Ok(Body::Ty(Ty::Named(id)))
    }

    fn def_at_with(
        &mut self,
        loc: &Loc,
        hint: &str,
        build: impl FnOnce(&mut Self, &str) -> Result<Kind>,
    ) -> Result<DefId> {
        let key = (loc.clone(), None);
        if let Some(&id) = self.by_loc.get(&key) {
            return Ok(id);
        }
        let name = self.def_name(loc).unwrap_or_else(|| hint.to_owned());
        let id = self.reserve_def(loc, None, &name);
        self.defs[id].kind = Kind::Alias(Ty::Value);
        if let Ok(v) = self.schema(loc)
            && let Some(o) = obj(&v)
        {
            self.defs[id].doc = doc_lines(o);
        }
        let name = self.defs[id].name.clone();
        let kind = build(self, &name)?;
        self.defs[id].kind = kind;
        Ok(id)
    }

    fn ref_ty(&mut self, target: &Loc, hint: &str) -> Result<Ty> {
        let value = self.schema(target)?;
        if let Some(o) = obj(&value)
            && let Some(spec) = self.recognise(target, o)?
        {
            return Ok(Ty::Array(spec));
        }
        let id = self.def_at(target, hint, None)?;
        Ok(Ty::Named(id))
    }

    fn object_body(
        &mut self,
        loc: &Loc,
        o: &Map<String, Value>,
        hint: &str,
        as_def: bool,
        nullable: bool,
    ) -> Result<Body> {
        if o.get("properties").is_some_and(|p| !p.is_object()) {
            return Err(self
                .docs
                .error(&loc.child("properties"), "properties must be an object"));
        }
        let props = o
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        let closed = o.get("additionalProperties") == Some(&Value::Bool(false))
            && o.get("patternProperties")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty);
        let t = if props || closed {
            if !nullable {
                return self.defined(loc, hint, as_def, |c, name| {
                    c.object(loc, name, None).map(Kind::Struct)
                });
            }
            self.inner_def(loc, "type", hint, as_def, |c, name| {
                c.object(loc, name, None).map(Kind::Struct)
            })?
        } else {
            self.map_of(loc, o, hint)?
        };
        Ok(Body::Ty(if nullable { option(t) } else { t }))
    }

    /// Whether the schema at `loc` is nullable the OpenAPI 3.0 way (`nullable: true`, on
    /// it or on the definition it refers to).
    fn openapi30_nullable(&mut self, loc: &Loc) -> Result<bool> {
        let own = self.schema(loc)?.get("nullable").and_then(Value::as_bool) == Some(true);
        Ok(own || self.nullable_target(loc))
    }

    /// Whether the end of the `$ref` chain from `loc` says `nullable: true` (a chain
    /// that never ends, which conversion reports elsewhere, says nothing).
    fn nullable_target(&mut self, loc: &Loc) -> bool {
        let Ok(end) = self.follow(loc) else {
            return false;
        };
        self.docs
            .get(&end)
            .is_ok_and(|v| v.get("nullable").and_then(Value::as_bool) == Some(true))
    }

    /// An object schema without properties: a map whose values are what
    /// `additionalProperties` and every `patternProperties` schema agree on (tesseract's
    /// jacobian outputs put their arrays under a pattern such as `^data\.\[\d+\]$`).
    /// With patterns and no `additionalProperties`, the patterns are taken to describe
    /// every key (as the pydantic models behind such schemas mean); values that the
    /// schemas describe differently make a map of `serde_json::Value`.
    fn map_of(&mut self, loc: &Loc, o: &Map<String, Value>, hint: &str) -> Result<Ty> {
        let mut tys = Vec::new();
        if let Some(patterns) = o.get("patternProperties") {
            let Some(patterns) = patterns.as_object() else {
                return Err(self.docs.error(
                    &loc.child("patternProperties"),
                    "patternProperties must be an object",
                ));
            };
            for pattern in patterns.keys() {
                let at = loc.child("patternProperties").child(pattern);
                tys.push(self.ty_at(&at, &format!("{hint}Value"))?);
            }
        }
        match o.get("additionalProperties") {
            Some(Value::Object(_)) => {
                tys.push(self.ty_at(&loc.child("additionalProperties"), &format!("{hint}Value"))?);
            }
            Some(Value::Bool(false)) => {}
            Some(_) => tys.push(Ty::Value),
            None if tys.is_empty() => tys.push(Ty::Value),
            None => {}
        }
        let first = tys.first().cloned().unwrap_or(Ty::Value);
        Ok(Ty::Map(Box::new(if tys.iter().all(|t| *t == first) {
            first
        } else {
            Ty::Value
        })))
    }

    fn primitive(&mut self, loc: &Loc, o: &Map<String, Value>, t: &str, hint: &str) -> Result<Ty> {
        let format = o.get("format").and_then(Value::as_str).unwrap_or_default();
        Ok(match t {
            "string" => {
                let binary = matches!(format, "binary" | "byte" | "base64")
                    || o.contains_key("contentEncoding")
                    || o.get("contentMediaType").and_then(Value::as_str)
                        == Some("application/octet-stream");
                match format {
                    _ if binary => Ty::Bytes,
                    "uuid" if self.uuid => Ty::Extern("::uuid::Uuid".into()),
                    "date-time" if self.chrono => {
                        Ty::Extern("::chrono::DateTime<::chrono::FixedOffset>".into())
                    }
                    "date" if self.chrono => Ty::Extern("::chrono::NaiveDate".into()),
                    _ => Ty::String,
                }
            }
            "integer" => Ty::Int(match format {
                "int8" => Int::I8,
                "int16" => Int::I16,
                "int32" => Int::I32,
                "uint8" => Int::U8,
                "uint16" => Int::U16,
                "uint32" => Int::U32,
                "uint64" | "uint" => Int::U64,
                _ => Int::I64,
            }),
            "number" => {
                if format == "float" {
                    Ty::F32
                } else {
                    Ty::F64
                }
            }
            "boolean" => Ty::Bool,
            "null" => Ty::Null,
            "array" => self.array(loc, o, hint)?,
            "object" => Ty::Map(Box::new(Ty::Value)),
            other => {
                return Err(self
                    .docs
                    .error(&loc.child("type"), format!("unknown type {other:?}")));
            }
        })
    }

    fn array(&mut self, loc: &Loc, o: &Map<String, Value>, hint: &str) -> Result<Ty> {
        let tuple = match (o.get("prefixItems"), o.get("items")) {
            (Some(p), _) => Some(("prefixItems", p)),
            (None, Some(i @ Value::Array(_))) => Some(("items", i)),
            _ => None,
        };
        if let Some((key, items)) = tuple {
            let Some(items) = items.as_array() else {
                return Err(self
                    .docs
                    .error(&loc.child(key), format!("{key} must be an array")));
            };
            // A Rust tuple holds exactly its positions: only a list that can be neither
            // shorter (`minItems`) nor longer (`items: false` after `prefixItems`,
            // draft 7's `additionalItems: false`, `maxItems`) is one; any other is a
            // list of any JSON (with its `minItems`/`maxItems` checked).
            let n = items.len() as u64;
            let min = o.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let max = o.get("maxItems").and_then(Value::as_u64);
            let rest = if key == "prefixItems" {
                "items"
            } else {
                "additionalItems"
            };
            let closed = o.get(rest) == Some(&Value::Bool(false)) || max.is_some_and(|m| m <= n);
            if items.is_empty() || items.len() > 16 || min < n || !closed {
                return Ok(Ty::Vec(Box::new(Ty::Value)));
            }
            let mut ts = Vec::new();
            for i in 0..items.len() {
                ts.push(self.ty_at(&loc.child(key).index(i), &format!("{hint}{}", i))?);
            }
            return Ok(Ty::Tuple(ts));
        }
        match o.get("items") {
            Some(Value::Object(_)) | Some(Value::Bool(true)) => {
                let t = self.ty_at(&loc.child("items"), &format!("{hint}Item"))?;
                Ok(Ty::Vec(Box::new(t)))
            }
            _ => Ok(Ty::Vec(Box::new(Ty::Value))),
        }
    }

    /// Properties of an object schema, merging `allOf` members and a sibling `$ref`.
    fn collect_props(&mut self, loc: &Loc, c: &mut Collected, top: bool) -> Result<()> {
        if c.seen.contains(loc) || c.seen.len() > 64 {
            return Ok(());
        }
        c.seen.push(loc.clone());
        let value = self.schema(loc)?;
        let Some(o) = obj(&value) else { return Ok(()) };
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            let target = self.docs.resolve(loc, r)?;
            self.collect_props(&target, c, false)?;
        }
        if let Some(all) = o.get("allOf").and_then(Value::as_array) {
            for i in 0..all.len() {
                let m = self.follow(&loc.child("allOf").index(i))?;
                self.collect_props(&m, c, false)?;
            }
        }
        if let Some(p) = o.get("properties") {
            let Some(p) = p.as_object() else {
                return Err(self
                    .docs
                    .error(&loc.child("properties"), "properties must be an object"));
            };
            for k in p.keys() {
                let ploc = loc.child("properties").child(k);
                match c.props.iter_mut().find(|(w, _)| w == k) {
                    Some(existing) => existing.1 = ploc,
                    None => c.props.push((k.clone(), ploc)),
                }
            }
        }
        if let Some(r) = o.get("required") {
            let Some(r) = r.as_array() else {
                return Err(self
                    .docs
                    .error(&loc.child("required"), "required must be an array"));
            };
            for name in r.iter().filter_map(Value::as_str) {
                if !c.required.iter().any(|x| x == name) {
                    c.required.push(name.to_owned());
                }
            }
        }
        match o.get("additionalProperties") {
            Some(Value::Object(_)) => c.extra = Some(loc.child("additionalProperties")),
            Some(Value::Bool(false)) if top => c.deny = true,
            Some(Value::Bool(true)) if top => c.keep_unknown = true,
            _ => {}
        }
        Ok(())
    }

    fn object(&mut self, loc: &Loc, name: &str, exclude: Option<&str>) -> Result<Struct> {
        let mut c = Collected::default();
        self.collect_props(loc, &mut c, true)?;
        let Collected {
            props,
            required,
            extra: extra_loc,
            deny,
            keep_unknown,
            ..
        } = c;
        let mut namer = Namer::default();
        let mut fields = Vec::new();
        for (wire, ploc) in props {
            if Some(wire.as_str()) == exclude {
                continue;
            }
            let pvalue = self.schema(&ploc)?;
            let ty = self.ty_at(&ploc, &format!("{name}{}", names::type_name(&wire)))?;
            let po = pvalue.as_object();
            let mut doc = po.map(doc_lines).unwrap_or_default();
            let default = po.and_then(|p| p.get("default")).cloned();
            let is_required = required.contains(&wire);
            let ident = names::escape_field(&namer.unique_snake(&names::field_name(&wire)));
            let mut field = Field {
                ident,
                wire: wire.clone(),
                ty,
                doc: Vec::new(),
                default: None,
                default_empty: false,
                skip_none: false,
                required_nullable: false,
                optional_nullable: false,
                check: None,
                check_at: None,
            };
            let nullable = matches!(field.ty, Ty::Option(_));
            match (is_required, default) {
                (true, _) => {
                    // Present, possibly null. Array and bytes fields go through the
                    // derive's own machinery, which cannot take `deserialize_with`: there
                    // a missing key still reads as null.
                    if nullable && field.ty.array_field().is_none() && !field.ty.is_bytes_field() {
                        field.required_nullable = true;
                    } else if nullable {
                        field.default_empty = true;
                    }
                }
                // `default: null` (pydantic's `Optional[...] = None`): the writers of
                // such schemas write the null, and so does the model.
                (false, Some(Value::Null)) if nullable => field.default_empty = true,
                // Array and bytes fields go through the derive's own machinery (no
                // `Option<Option<_>>`): they always read the default.
                (false, Some(d))
                    if self.fill_defaults
                        || field.ty.array_field().is_some()
                        || field.ty.is_bytes_field() =>
                {
                    field.default = Some(d)
                }
                (false, Some(d)) => {
                    // Kept absent: `None`, left out of the output; the docs name the default.
                    doc_default(&mut doc, "Default when absent", &d);
                    // A nullable one: `Option<Option<T>>`, absent and null kept apart.
                    field.optional_nullable = field.ty == Ty::Value || nullable;
                    field.ty = Ty::Option(Box::new(field.ty));
                    field.default_empty = true;
                    field.skip_none = true;
                }
                // Nullable and optional. OpenAPI 3.0's `nullable: true` (GitHub's REST
                // API, whose servers both leave such fields out and write null):
                // `Option<Option<T>>`, absent and null kept apart. JSON Schema's
                // `anyOf: [.., {type: null}]` or `type: [.., "null"]` (pydantic, so
                // tesseract, which writes every field): one `Option`, `None` written as
                // null. Array and bytes fields, which the derive decodes itself, take
                // the second form.
                (false, None) if nullable => {
                    field.default_empty = true;
                    if self.openapi30_nullable(&ploc)?
                        && field.ty.array_field().is_none()
                        && !field.ty.is_bytes_field()
                    {
                        field.ty = Ty::Option(Box::new(field.ty));
                        field.optional_nullable = true;
                        field.skip_none = true;
                    }
                }
                (false, None) => {
                    // Absent stays absent: `None`, left out of the output (an empty
                    // list or map would change what is written back). Any value, null
                    // included, is `Some` (for a `type: null` field too: `Some(None)`).
                    field.optional_nullable = matches!(field.ty, Ty::Value | Ty::Null);
                    field.ty = Ty::Option(Box::new(field.ty));
                    field.default_empty = true;
                    field.skip_none = true;
                }
            }
            if let Some(d) = &field.default {
                doc_default(&mut doc, "Default", d);
            }
            if let Some(spec) = field.ty.array_field()
                && spec.family != Family::Tesseract
            {
                if !doc.is_empty() {
                    doc.push(String::new());
                }
                doc.push(format!("Recognised as a {}.", spec.family.describe()));
            }
            if field.ty.array_field().is_none() && !field.ty.is_bytes_field() {
                field.check_at = Some(ploc.clone());
            }
            field.doc = doc;
            fields.push(field);
        }
        let extra = match extra_loc {
            Some(l) => Some(self.ty_at(&l, &format!("{name}Extra"))?),
            None if keep_unknown => Some(Ty::Value),
            None => None,
        };
        Ok(Struct {
            fields,
            deny_unknown: deny && extra.is_none(),
            extra,
        })
    }

    /// `oneOf` / `anyOf` members (nulls removed): an internally tagged enum when every
    /// member is an object with a distinct constant for one property, else untagged.
    fn union(&mut self, loc: &Loc, key: &str, members: &[Loc], name: &str) -> Result<Kind> {
        let value = self.schema(loc)?;
        let o = obj(&value).cloned().unwrap_or_default();
        let mut targets = Vec::new();
        for m in members {
            targets.push(self.follow(m)?);
        }
        // Literal unions (`Literal["a"] | Literal["b"]`): one string enum.
        let mut literals = Vec::new();
        for t in &targets {
            let schema = self.schema(t)?;
            match (
                schema.get("const"),
                schema.get("enum").and_then(Value::as_array),
            ) {
                (Some(Value::String(c)), _) => literals.push(c.clone()),
                (None, Some(values))
                    if !values.is_empty() && values.iter().all(Value::is_string) =>
                {
                    literals.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
                }
                _ => {
                    literals.clear();
                    break;
                }
            }
        }
        if !literals.is_empty() {
            return Ok(string_enum(&literals));
        }
        let declared = o
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mapping: Vec<(String, String)> = o
            .get("discriminator")
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let candidates: Vec<String> = match &declared {
            Some(p) => vec![p.clone()],
            None => {
                let first = self.schema(&targets[0])?;
                first
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default()
            }
        };
        'candidates: for prop in candidates {
            let mut tags = Vec::new();
            for (m, t) in members.iter().zip(&targets) {
                let schema = self.schema(t)?;
                let mut tag = schema
                    .get("properties")
                    .and_then(|p| p.get(&prop))
                    .and_then(|p| self.const_string(t, &prop, p));
                if tag.is_none() {
                    // The OpenAPI mapping names the member by its $ref.
                    let reference = self
                        .schema(m)?
                        .get("$ref")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    tag = mapping
                        .iter()
                        .find(|(_, r)| Some(r) == reference.as_ref())
                        .map(|(k, _)| k.clone());
                }
                let is_object = schema.get("properties").is_some_and(Value::is_object);
                match tag {
                    Some(t) if is_object && !tags.contains(&t) => tags.push(t),
                    _ => continue 'candidates,
                }
            }
            let mut namer = Namer::default();
            let mut variants = Vec::new();
            for (t, tag) in targets.iter().zip(&tags) {
                let ident = namer.unique(&names::variant_name(tag, variants.len()));
                let id = self.def_at(t, &format!("{name}{ident}"), Some(&prop))?;
                let doc = self
                    .schema(t)?
                    .as_object()
                    .map(doc_lines)
                    .unwrap_or_default();
                variants.push(Variant {
                    ident,
                    wire: tag.clone(),
                    ty: Some(Ty::Named(id)),
                    doc,
                });
            }
            return Ok(Kind::Tagged {
                tag: prop,
                variants,
            });
        }
        let mut namer = Namer::default();
        let mut variants = Vec::new();
        for (i, (m, t)) in members.iter().zip(&targets).enumerate() {
            let schema = self.schema(t)?;
            let ty = self.ty_at(m, &format!("{name}Variant{i}"))?;
            let base = match &ty {
                Ty::Named(id) => {
                    let n = &self.defs[*id].name;
                    match n.strip_prefix(name) {
                        Some(rest)
                            if !rest.is_empty()
                                && !rest.starts_with(|c: char| c.is_ascii_digit()) =>
                        {
                            rest.to_owned()
                        }
                        _ => n.clone(),
                    }
                }
                other => schema
                    .get("title")
                    .and_then(Value::as_str)
                    .map(names::type_name)
                    .unwrap_or_else(|| kind_word(other).to_owned()),
            };
            let _ = key;
            variants.push(Variant {
                ident: namer.unique(&names::variant_name(&base, i)),
                wire: String::new(),
                ty: Some(ty),
                doc: schema.as_object().map(doc_lines).unwrap_or_default(),
            });
        }
        Ok(Kind::Untagged(variants))
    }

    fn const_string(&mut self, at: &Loc, prop: &str, p: &Value) -> Option<String> {
        let mut p = p.clone();
        if let Some(r) = p.get("$ref").and_then(Value::as_str) {
            let ploc = at.child("properties").child(prop);
            let target = self.docs.resolve(&ploc, r).ok()?;
            p = self.schema(&target).ok()?;
        }
        if let Some(s) = p.get("const").and_then(Value::as_str) {
            return Some(s.to_owned());
        }
        match p.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
            Some([Value::String(s)]) => Some(s.clone()),
            _ => None,
        }
    }

    // ------------------------------------------------------------------------
    // Array recognition
    // ------------------------------------------------------------------------

    fn recognise(&mut self, loc: &Loc, o: &Map<String, Value>) -> Result<Option<ArraySpec>> {
        if let Some(s) = tesseract(o) {
            return Ok(Some(s));
        }
        if let Some(s) = truss(o) {
            return Ok(Some(s));
        }
        if let Some(s) = pydantic_numpy(o) {
            return Ok(Some(s));
        }
        self.numpydantic(loc, o)
    }

    /// numpydantic: `type: array` with a `dtype` keyword, nested `items` with
    /// min/maxItems per axis, or a recursive any-shape `$defs` entry.
    fn numpydantic(&mut self, loc: &Loc, o: &Map<String, Value>) -> Result<Option<ArraySpec>> {
        if self.any_shape(loc, o)? {
            return Ok(Some(ArraySpec {
                shape: None,
                dtype: None,
                differentiable: false,
                family: Family::Numpydantic,
            }));
        }
        let dtype_kw = o.get("dtype").and_then(Value::as_str);
        if o.get("type").and_then(Value::as_str) != Some("array") || o.contains_key("prefixItems") {
            return Ok(None);
        }
        let dtype = dtype_kw.and_then(|d| {
            let d = d.strip_prefix("numpy.").unwrap_or(d);
            let d = d.strip_suffix('_').unwrap_or(d);
            DTYPES.contains(&d).then(|| d.to_owned())
        });
        // Walk the axes.
        let mut dims = Vec::new();
        let mut level = o.clone();
        let mut level_loc = loc.clone();
        let mut any_rank = false;
        for _ in 0..arraymodel_spec::MAX_DIMS {
            if level.get("type").and_then(Value::as_str) != Some("array") {
                break;
            }
            let min = level.get("minItems").and_then(Value::as_u64);
            let max = level.get("maxItems").and_then(Value::as_u64);
            dims.push(match (min, max) {
                (Some(a), Some(b)) if a == b => Some(a),
                _ => None,
            });
            let Some(items) = level.get("items").and_then(Value::as_object).cloned() else {
                break;
            };
            let items_loc = level_loc.child("items");
            let target = self.follow(&items_loc)?;
            let tv = self.schema(&target)?;
            let Some(to) = tv.as_object().cloned() else {
                break;
            };
            if items.contains_key("$ref") && self.any_shape(&target, &to)? {
                any_rank = true;
                break;
            }
            level = to;
            level_loc = target;
        }
        if dtype_kw.is_none() && !any_rank {
            return Ok(None);
        }
        Ok(Some(ArraySpec {
            shape: if any_rank { None } else { Some(dims) },
            dtype,
            differentiable: false,
            family: Family::Numpydantic,
        }))
    }

    /// `anyOf: [{type: array, items: {$ref: <itself>}}, <leaf>]`.
    fn any_shape(&mut self, loc: &Loc, o: &Map<String, Value>) -> Result<bool> {
        let Some(members) = o.get("anyOf").and_then(Value::as_array) else {
            return Ok(false);
        };
        if members.len() != 2 {
            return Ok(false);
        }
        for (i, m) in members.iter().enumerate() {
            let is_array = m.get("type").and_then(Value::as_str) == Some("array");
            let Some(r) = m
                .get("items")
                .and_then(|it| it.get("$ref"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if !is_array {
                continue;
            }
            let at = loc.child("anyOf").index(i).child("items");
            let Ok(target) = self.docs.resolve(&at, r) else {
                continue;
            };
            if target == *loc {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What [`Converter::collect_props`] gathers.
#[derive(Default)]
struct Collected {
    props: Vec<(String, Loc)>,
    required: Vec<String>,
    extra: Option<Loc>,
    deny: bool,
    /// `additionalProperties: true`: unknown keys are kept (in a flattened map).
    keep_unknown: bool,
    seen: Vec<Loc>,
}

enum Body {
    Ty(Ty),
    Kind(Kind),
}

fn option(t: Ty) -> Ty {
    match t {
        Ty::Option(_) | Ty::Null | Ty::Value => t,
        other => Ty::Option(Box::new(other)),
    }
}

fn string_enum(values: &[String]) -> Kind {
    let mut namer = Namer::default();
    let mut variants = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if variants.iter().any(|x: &Variant| x.wire == *v) {
            continue;
        }
        variants.push(Variant {
            ident: namer.unique(&names::variant_name(v, i)),
            wire: v.clone(),
            ty: None,
            doc: Vec::new(),
        });
    }
    Kind::StringEnum(variants)
}

/// The Rust type of non-string constants.
fn common_type(values: &[&Value]) -> Ty {
    if values.iter().all(|v| v.is_boolean()) {
        Ty::Bool
    } else if values.iter().all(|v| v.is_i64()) {
        Ty::Int(Int::I64)
    } else if values.iter().all(|v| v.is_u64()) {
        Ty::Int(Int::U64)
    } else if values.iter().all(|v| v.is_number()) {
        Ty::F64
    } else {
        Ty::Value
    }
}

/// Adds `label: `default`` to a field's docs, in its own paragraph (short defaults only).
fn doc_default(doc: &mut Vec<String>, label: &str, d: &Value) {
    let text = serde_json::to_string(d).unwrap_or_default();
    if text.len() <= 200 {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.push(format!("{label}: `{text}`"));
    }
}

fn kind_word(t: &Ty) -> &'static str {
    match t {
        Ty::Array(_) => "Array",
        Ty::Bytes => "Bytes",
        Ty::String => "String",
        Ty::Bool => "Boolean",
        Ty::Int(_) => "Integer",
        Ty::F32 | Ty::F64 => "Number",
        Ty::Null => "Null",
        Ty::Value => "Value",
        Ty::Named(_) => "Object",
        Ty::Option(_) => "Optional",
        Ty::Vec(_) => "List",
        Ty::Map(_) => "Map",
        Ty::Tuple(_) => "Tuple",
        Ty::Box(_) => "Boxed",
        Ty::Extern(_) => "String",
    }
}

fn props_of(o: &Map<String, Value>) -> Option<&Map<String, Value>> {
    o.get("properties").and_then(Value::as_object)
}

/// tesseract's `EncodedArrayModel__<shape>__<dtype>__<flags>`.
fn tesseract(o: &Map<String, Value>) -> Option<ArraySpec> {
    let props = props_of(o)?;
    let title = o.get("title").and_then(Value::as_str).unwrap_or_default();
    let marked = title
        .strip_prefix(arraymodel_spec::title::PREFIX)
        .is_some_and(|rest| rest.starts_with(arraymodel_spec::title::SEPARATOR))
        || props
            .get("object_type")
            .and_then(|p| p.get("const"))
            .and_then(Value::as_str)
            == Some("array");
    if !marked
        || !props.contains_key("shape")
        || !props.contains_key("dtype")
        || !props.contains_key("data")
    {
        return None;
    }
    let (mut shape, mut dtype, mut diff) = (None, None, false);
    let parsed = ArrayTitle::parse(title);
    if let Some(t) = parsed {
        shape = t.dims().map(|dims| {
            dims.map(|d| match d {
                TitleDim::Any => None,
                TitleDim::Fixed(n) => Some(n),
            })
            .collect()
        });
        dtype = t.dtype.map(|d| d.name.to_owned());
        diff = t.differentiable;
    }
    if parsed.is_none() {
        shape = shape_schema(props.get("shape")?);
        let d = props.get("dtype")?;
        dtype = d
            .get("const")
            .and_then(Value::as_str)
            .or_else(
                || match d.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
                    Some([Value::String(s)]) => Some(s.as_str()),
                    _ => None,
                },
            )
            .filter(|s| DTYPES.contains(s))
            .map(str::to_owned)
            .or_else(|| dtype_from_example(d));
    }
    if let Some(flags) = o.get("array_flags").and_then(Value::as_array) {
        diff = flags
            .iter()
            .any(|f| f.as_str() == Some(arraymodel_spec::title::DIFFERENTIABLE));
    }
    Some(ArraySpec {
        shape,
        dtype,
        differentiable: diff,
        family: Family::Tesseract,
    })
}

/// The dtype of an inline tesseract array schema (no `EncodedArrayModel__` title): its
/// `dtype` property lists every dtype that casts to the expected one and names the
/// expected one in `examples` (`examples=[expected_dtype or "float64"]` in
/// tesseract-core's `get_array_model`). `float64` is also the example of an array with no
/// dtype, whose list holds every dtype: complex dtypes, which never cast to float64, in
/// the list say which one it is.
fn dtype_from_example(d: &Value) -> Option<String> {
    let example = d.get("examples")?.as_array()?.first()?.as_str()?;
    let allowed: Vec<&str> = d
        .get("enum")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !DTYPES.contains(&example) || !allowed.contains(&example) {
        return None;
    }
    if example == "float64" && allowed.iter().any(|a| a.starts_with("complex")) {
        return None;
    }
    Some(example.to_owned())
}

/// The `shape` property of a tesseract array schema.
fn shape_schema(s: &Value) -> Option<Vec<Option<u64>>> {
    if let Some(items) = s.get("prefixItems").and_then(Value::as_array) {
        if items.len() > arraymodel_spec::MAX_DIMS {
            return None;
        }
        return Some(
            items
                .iter()
                .map(|it| {
                    if let Some(c) = it.get("const").and_then(Value::as_u64) {
                        return Some(c);
                    }
                    it.get("enum")
                        .and_then(Value::as_array)
                        .and_then(|e| e.iter().filter_map(Value::as_u64).max())
                })
                .collect(),
        );
    }
    if s.get("maxItems").and_then(Value::as_u64) == Some(0) {
        return Some(Vec::new());
    }
    None
}

/// truss `NumpyArrayField`: `{data (string), shape (int[]), dtype (string)}`.
fn truss(o: &Map<String, Value>) -> Option<ArraySpec> {
    let props = props_of(o)?;
    let data = props.get("data").or_else(|| props.get("data_b64"))?;
    let keys_ok = props.len() == 3 && props.contains_key("shape") && props.contains_key("dtype");
    let data_ok = data.get("type").and_then(Value::as_str) == Some("string");
    let shape_ok = props.get("shape")?.get("type").and_then(Value::as_str) == Some("array");
    (keys_ok && data_ok && shape_ok).then_some(ArraySpec {
        shape: None,
        dtype: None,
        differentiable: false,
        family: Family::Truss,
    })
}

/// pydantic-numpy: `{data_type, data, shape?}` titled "Numpy Array".
fn pydantic_numpy(o: &Map<String, Value>) -> Option<ArraySpec> {
    let props = props_of(o)?;
    let dt = props.get("data_type")?;
    props.get("data")?;
    if props
        .keys()
        .any(|k| !matches!(k.as_str(), "data_type" | "data" | "shape"))
    {
        return None;
    }
    let dtype = dt
        .get("default")
        .and_then(Value::as_str)
        .filter(|d| DTYPES.contains(d))
        .map(str::to_owned);
    let desc = o
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let shape = desc
        .split("shape ")
        .nth(1)
        .and_then(|rest| rest.split(" and dtype").next())
        .and_then(|s| {
            let inner = s.strip_prefix("tuple[")?.strip_suffix(']')?;
            let n = inner.split(',').filter(|p| p.trim() == "int").count();
            (n > 0 && n == inner.split(',').count()).then(|| vec![None; n])
        });
    Some(ArraySpec {
        shape,
        dtype,
        differentiable: false,
        family: Family::PydanticNumpy,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::default_dtype;

    /// numpy's promotion over every element, not the first one's kind.
    #[test]
    fn default_dtype_looks_at_every_element() {
        assert_eq!(default_dtype(&json!([1, 2.5])), Some("float64"));
        assert_eq!(default_dtype(&json!([2.5, 1])), Some("float64"));
        assert_eq!(default_dtype(&json!([1, 2])), Some("int64"));
        assert_eq!(default_dtype(&json!(3)), Some("int64"));
        assert_eq!(default_dtype(&json!([true, false])), Some("bool"));
        assert_eq!(default_dtype(&json!([true, 2])), Some("int64"));
        assert_eq!(
            default_dtype(&json!([1, 18446744073709551615u64])),
            Some("uint64")
        );
        assert_eq!(
            default_dtype(&json!([-1, 18446744073709551615u64])),
            Some("float64")
        );
        assert_eq!(default_dtype(&json!([1, "a"])), None);
        assert_eq!(default_dtype(&json!([[1], [2]])), None);
    }

    /// `[1, 2.5]` used to give no default (int64 from the first element, then 2.5
    /// did not fit); both orders now give the same float64 default.
    #[test]
    fn mixed_array_defaults_are_generated() {
        for (default, want) in [
            (json!([1, 2.5]), "vec![1f64, 2.5f64]"),
            (json!([2.5, 1]), "vec![2.5f64, 1f64]"),
            (json!([true, false]), "vec![true, false]"),
        ] {
            let schema = json!({
                "title": "M",
                "type": "object",
                "properties": {"a": {
                    "title": "EncodedArrayModel__any__None__noflags",
                    "type": "object",
                    "properties": {"object_type": {"const": "array"}, "shape": {}, "dtype": {}, "data": {}},
                    "default": default,
                }},
            });
            let code = crate::Generator::new()
                .schema_str("m.json", schema.to_string())
                .generate()
                .unwrap();
            assert!(
                code.source()
                    .replace(['\n', ' '], "")
                    .contains(&want.replace(' ', "")),
                "{default}: {}",
                code.source()
            );
        }
    }
}
