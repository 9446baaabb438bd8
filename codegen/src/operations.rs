//! Types for the schemas an OpenAPI document writes inline in its operations (request
//! bodies, responses, parameters), which no `components/schemas` entry names: progenitor
//! generates them, and a client needs them. Named by the schema's `title`, else by the
//! operation (`operationId`, else the path, with the method when the path has several
//! operations): `{Op}Body`, `{Op}Response`
//! (`{Op}Response{status}` for other statuses), `{Op}{Parameter}`. Schemas that are
//! the same and carry the same name (keeper's three `ReportResult`s) are one type.

use std::collections::HashMap;

use serde_json::Value;

use crate::convert::Converter;
use crate::error::Result;
use crate::ir::Ty;
use crate::load::Loc;
use crate::names;

/// The operations of a path item.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Converter<'_> {
    /// Converts every inline schema of the operations of the OpenAPI document `doc`.
    pub(crate) fn add_operation_types(&mut self, doc: usize) -> Result<()> {
        let root = Loc {
            doc,
            ptr: String::new(),
        };
        let value = self.schema(&root)?;
        let is_openapi = value.get("openapi").is_some() || value.get("swagger").is_some();
        let Some(paths) = value
            .get("paths")
            .and_then(Value::as_object)
            .filter(|_| is_openapi)
        else {
            return Ok(());
        };
        // (name, schema text) -> the type made for the first such schema.
        let mut made: HashMap<(String, String), Ty> = HashMap::new();
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for &method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let op_loc = root.child("paths").child(path).child(method);
                let several = METHODS.iter().filter(|m| item.contains_key(**m)).count() > 1;
                let op_name = match op.get("operationId").and_then(Value::as_str) {
                    Some(id) => names::type_name(id),
                    None if several => names::type_name(&format!("{method} {path}")),
                    None => names::type_name(path),
                };
                let mut sites = Vec::new();
                for (i, p) in op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    sites.push((
                        op_loc.child("parameters").index(i).child("schema"),
                        format!("{op_name}{}", names::type_name(name)),
                    ));
                }
                for media in self.media_schemas(&op_loc.child("requestBody"))? {
                    sites.push((media, format!("{op_name}Body")));
                }
                let responses = op.get("responses").and_then(Value::as_object);
                for status in responses.into_iter().flat_map(|r| r.keys()) {
                    let suffix = if status.starts_with('2') {
                        "Response".to_owned()
                    } else {
                        format!("Response{}", names::type_name(status))
                    };
                    let at = op_loc.child("responses").child(status);
                    for media in self.media_schemas(&at)? {
                        sites.push((media, format!("{op_name}{suffix}")));
                    }
                }
                for (loc, fallback) in sites {
                    self.inline_type(&loc, &fallback, &mut made)?;
                }
            }
        }
        Ok(())
    }

    /// The schema of each media type of a request body or response at `at` (through
    /// `$ref`s to `components`), if it is written there and not a `$ref` itself.
    fn media_schemas(&mut self, at: &Loc) -> Result<Vec<Loc>> {
        let Ok(mut v) = self.schema(at) else {
            return Ok(Vec::new());
        };
        let mut at = at.clone();
        for _ in 0..16 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                break;
            };
            at = self.docs.resolve(&at, r)?;
            v = self.schema(&at)?;
        }
        let mut out = Vec::new();
        if let Some(content) = v.get("content").and_then(Value::as_object) {
            for (media, m) in content {
                if m.get("schema").is_some() {
                    out.push(at.child("content").child(media).child("schema"));
                }
            }
        }
        Ok(out)
    }

    fn inline_type(
        &mut self,
        loc: &Loc,
        fallback: &str,
        made: &mut HashMap<(String, String), Ty>,
    ) -> Result<()> {
        let Ok(schema) = self.schema(loc) else {
            return Ok(());
        };
        if schema.get("$ref").is_some() || !schema.is_object() {
            return Ok(());
        }
        let name = match schema.get("title").and_then(Value::as_str) {
            Some(t) => names::type_name(t),
            None => fallback.to_owned(),
        };
        let key = (name.clone(), schema.to_string());
        if let Some(Ty::Named(id)) = made.get(&key) {
            self.alias_loc(loc, *id);
            return Ok(());
        }
        let ty = self.ty_at(loc, &name)?;
        made.insert(key, ty);
        Ok(())
    }
}
