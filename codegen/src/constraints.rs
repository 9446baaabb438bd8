//! A field's value constraints: JSON Schema's validation keywords (`minimum`,
//! `maxLength`, `pattern`, `uniqueItems`, `enum`, ...) gathered from its schema, through
//! `$ref`s, `allOf` members and a nullable wrapper, and fitted to the Rust type the field
//! got (a list's `items` to its elements, a map's `additionalProperties` to its values).
//! Emitted as `#[check(...)]`, which the derive checks on decode.

use serde_json::{Map, Number, Value};

use crate::convert::Converter;
use crate::error::Result;
use crate::ir::{Check, Kind, Ty};
use crate::load::Loc;

/// How many schemas one field's constraints may be gathered from.
const MAX_GATHER: usize = 64;
/// How deep in lists and maps constraints are looked for (a list of lists of ... of a
/// constrained value); a recursive type (`L = [L]`) stops here.
const MAX_NESTING: usize = 8;

/// What the schemas say, before it is fitted to a type.
#[derive(Default)]
struct Gathered {
    check: Check,
    items: Option<Loc>,
    values: Option<Loc>,
    key_patterns: Vec<String>,
    names: Option<Loc>,
    seen: Vec<Loc>,
}

fn number(v: Option<&Value>) -> Option<Number> {
    v.and_then(Value::as_number).cloned()
}

fn count(v: Option<&Value>) -> Option<u64> {
    // `minLength: 2.0` is an integer in JSON Schema's eyes.
    v.and_then(|v| {
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        })
    })
}

fn as_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// The stricter of two lower bounds (`greater`) or upper bounds.
fn tighter(old: Option<Number>, new: Option<Number>, greater: bool) -> Option<Number> {
    match (old, new) {
        (Some(a), Some(b)) => {
            let b_wins = if greater {
                as_f64(&b) > as_f64(&a)
            } else {
                as_f64(&b) < as_f64(&a)
            };
            Some(if b_wins { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

fn tighter_count(old: Option<u64>, new: Option<u64>, greater: bool) -> Option<u64> {
    match (old, new) {
        (Some(a), Some(b)) => Some(if greater { a.max(b) } else { a.min(b) }),
        (a, b) => a.or(b),
    }
}

impl Converter<'_> {
    /// Fills in every struct field's constraints (after conversion: a field's type may
    /// be a definition still being converted when the field is made).
    pub(crate) fn fill_checks(&mut self) -> Result<()> {
        for id in 0..self.defs.len() {
            let Kind::Struct(s) = &self.defs[id].kind else {
                continue;
            };
            let todo: Vec<(usize, Loc, Ty)> = s
                .fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Some((i, f.check_at.clone()?, f.ty.clone())))
                .collect();
            for (i, loc, ty) in todo {
                let check = self.constraints(&loc, &ty)?;
                if let Kind::Struct(s) = &mut self.defs[id].kind {
                    s.fields[i].check = check;
                }
            }
        }
        Ok(())
    }

    /// The constraints of the schema at `loc` for a field of type `ty`, or `None`.
    pub(crate) fn constraints(&mut self, loc: &Loc, ty: &Ty) -> Result<Option<Check>> {
        self.constraints_at(loc, ty, 0)
    }

    /// `depth`: how many lists and maps in (a recursive list type stops there).
    fn constraints_at(&mut self, loc: &Loc, ty: &Ty, depth: usize) -> Result<Option<Check>> {
        if depth > MAX_NESTING {
            return Ok(None);
        }
        let mut g = Gathered::default();
        self.gather(loc, &mut g)?;
        let check = self.fit(g, ty, depth)?;
        Ok((!check.is_empty()).then_some(check))
    }

    fn gather(&mut self, loc: &Loc, g: &mut Gathered) -> Result<()> {
        if g.seen.contains(loc) || g.seen.len() >= MAX_GATHER {
            return Ok(());
        }
        g.seen.push(loc.clone());
        let value = self.schema(loc)?;
        if value == Value::Bool(false) {
            // Nothing is valid.
            g.check.json_enum = Some("[]".to_owned());
        }
        let Some(o) = value.as_object() else {
            return Ok(());
        };
        self.gather_own(loc, o, g);
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            let target = self.docs.resolve(loc, r)?;
            self.gather(&target, g)?;
        }
        if let Some(all) = o.get("allOf").and_then(Value::as_array) {
            for i in 0..all.len() {
                self.gather(&loc.child("allOf").index(i), g)?;
            }
        }
        // A nullable wrapper (`anyOf: [X, {type: null}]`): X's constraints.
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = o.get(key).and_then(Value::as_array) {
                let non_null: Vec<usize> = (0..members.len())
                    .filter(|i| !is_null_schema(&members[*i]))
                    .collect();
                if let [only] = non_null[..] {
                    self.gather(&loc.child(key).index(only), g)?;
                }
            }
        }
        Ok(())
    }

    fn gather_own(&mut self, loc: &Loc, o: &Map<String, Value>, g: &mut Gathered) {
        let c = &mut g.check;
        let mut minimum = number(o.get("minimum"));
        let mut maximum = number(o.get("maximum"));
        let mut exclusive_minimum = number(o.get("exclusiveMinimum"));
        let mut exclusive_maximum = number(o.get("exclusiveMaximum"));
        // OpenAPI 3.0 / draft 4: `exclusiveMinimum: true` makes `minimum` exclusive.
        if o.get("exclusiveMinimum") == Some(&Value::Bool(true)) {
            exclusive_minimum = minimum.take();
        }
        if o.get("exclusiveMaximum") == Some(&Value::Bool(true)) {
            exclusive_maximum = maximum.take();
        }
        c.minimum = tighter(c.minimum.take(), minimum, true);
        c.maximum = tighter(c.maximum.take(), maximum, false);
        c.exclusive_minimum = tighter(c.exclusive_minimum.take(), exclusive_minimum, true);
        c.exclusive_maximum = tighter(c.exclusive_maximum.take(), exclusive_maximum, false);
        if c.multiple_of.is_none() {
            c.multiple_of = number(o.get("multipleOf")).filter(|n| as_f64(n) > 0.0);
        }
        c.min_length = tighter_count(c.min_length, count(o.get("minLength")), true);
        c.max_length = tighter_count(c.max_length, count(o.get("maxLength")), false);
        c.min_items = tighter_count(c.min_items, count(o.get("minItems")), true);
        c.max_items = tighter_count(c.max_items, count(o.get("maxItems")), false);
        c.min_properties = tighter_count(c.min_properties, count(o.get("minProperties")), true);
        c.max_properties = tighter_count(c.max_properties, count(o.get("maxProperties")), false);
        c.unique_items |= o.get("uniqueItems") == Some(&Value::Bool(true));
        // No items past the positions (`prefixItems` + `items: false`, draft 7's `items:
        // [...]` + `additionalItems: false`): a list that is not a Rust tuple (one that
        // may be shorter) is held to the count.
        for (positions, rest) in [("prefixItems", "items"), ("items", "additionalItems")] {
            if let Some(p) = o.get(positions).and_then(Value::as_array)
                && o.get(rest) == Some(&Value::Bool(false))
            {
                c.max_items = tighter_count(c.max_items, Some(p.len() as u64), false);
            }
        }
        if c.pattern.is_none()
            && let Some(p) = o.get("pattern").and_then(Value::as_str)
        {
            match regex_lite::Regex::new(p) {
                Ok(_) => c.pattern = Some(p.to_owned()),
                Err(e) => {
                    let why = e.to_string();
                    let why = why.lines().last().unwrap_or_default().trim();
                    let message = format!(
                        "pattern {p:?} is not checked: regex-lite cannot compile it ({why})"
                    );
                    let w = self.docs.error(&loc.child("pattern"), message).to_string();
                    if !self.warnings.contains(&w) {
                        self.warnings.push(w);
                    }
                }
            }
        }
        if c.json_enum.is_none() {
            if let Some(values) = o.get("enum").and_then(Value::as_array) {
                c.json_enum = serde_json::to_string(values).ok();
            } else if let Some(v) = o.get("const") {
                c.json_enum = serde_json::to_string(&[v]).ok();
            }
        }
        // `items` after `prefixItems` is about the positions that follow them only.
        if g.items.is_none()
            && o.get("items").is_some_and(Value::is_object)
            && !o.contains_key("prefixItems")
        {
            g.items = Some(loc.child("items"));
        }
        // `additionalProperties` is about the keys no `properties` or pattern names.
        let named_keys = o
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
            || o.get("patternProperties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
        if g.values.is_none()
            && o.get("additionalProperties").is_some_and(Value::is_object)
            && !named_keys
        {
            g.values = Some(loc.child("additionalProperties"));
        }
        if let Some(p) = o.get("patternProperties").and_then(Value::as_object)
            && o.get("additionalProperties") == Some(&Value::Bool(false))
            && o.get("properties")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
        {
            // A map whose keys must each match one of the patterns.
            g.key_patterns.extend(p.keys().cloned());
        }
        for name in o
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str()
                && !c.required_keys.iter().any(|k| k == name)
            {
                c.required_keys.push(name.to_owned());
            }
        }
        if g.names.is_none() && o.get("propertyNames").is_some_and(Value::is_object) {
            g.names = Some(loc.child("propertyNames"));
        }
    }

    /// Keeps what applies to `ty` (and to the elements, values and keys it holds).
    fn fit(&mut self, g: Gathered, ty: &Ty, depth: usize) -> Result<Check> {
        let mut c = g.check;
        let (num, text, list, map, any) = match self.value_kind(ty) {
            Some(k) => k,
            None => return Ok(Check::default()),
        };
        if !(num || any) {
            c.minimum = None;
            c.maximum = None;
            c.exclusive_minimum = None;
            c.exclusive_maximum = None;
            c.multiple_of = None;
        }
        if !(text || any) {
            c.min_length = None;
            c.max_length = None;
            c.pattern = None;
        }
        if !(list || any) {
            c.min_items = None;
            c.max_items = None;
            c.unique_items = false;
        }
        if !(map || any) {
            c.min_properties = None;
            c.max_properties = None;
            c.required_keys.clear();
        }
        if self.is_enum_type(ty) {
            // A string enum type holds only its values already.
            c.json_enum = None;
        }
        let resolved = self.resolved(ty);
        c.items = match (&g.items, element(&resolved)) {
            (Some(l), Some(t)) if list || any => {
                self.constraints_at(l, &t, depth + 1)?.map(Box::new)
            }
            _ => None,
        };
        c.values = match (&g.values, inner_value(&resolved)) {
            (Some(l), Some(t)) if map || any => {
                self.constraints_at(l, &t, depth + 1)?.map(Box::new)
            }
            _ => None,
        };
        let mut keys = match &g.names {
            Some(l) if map || any => self
                .constraints_at(l, &Ty::String, depth + 1)?
                .unwrap_or_default(),
            _ => Check::default(),
        };
        if (map || any) && !g.key_patterns.is_empty() && keys.pattern.is_none() {
            let all: Vec<String> = g.key_patterns.iter().map(|p| format!("(?:{p})")).collect();
            let joined = all.join("|");
            if regex_lite::Regex::new(&joined).is_ok() {
                keys.pattern = Some(joined);
            }
        }
        c.keys = (!keys.is_empty()).then(|| Box::new(keys));
        Ok(c)
    }

    /// Which keywords a type's values can break: (number, string, list, map, any JSON).
    /// `None`: the type is checked by other means (arrays, bytes, structs, tuples).
    fn value_kind(&self, ty: &Ty) -> Option<(bool, bool, bool, bool, bool)> {
        let string_enum = |t: &Ty| matches!(t, Ty::Named(id) if matches!(self.defs[*id].kind, Kind::StringEnum(_)));
        let t = self.resolved(ty);
        Some(match &t {
            Ty::Int(_) | Ty::F32 | Ty::F64 => (true, false, false, false, false),
            Ty::String => (false, true, false, false, false),
            _ if string_enum(&t) => (false, true, false, false, false),
            Ty::Bool => (false, false, false, false, false),
            Ty::Vec(_) => (false, false, true, false, false),
            Ty::Tuple(_) => (false, false, true, false, false),
            Ty::Map(_) => (false, false, false, true, false),
            Ty::Value => (false, false, false, false, true),
            Ty::Null => (false, false, false, false, false),
            // `Uuid`, chrono's types: written in their own spelling (lowercase, `Z`), so
            // keywords about the text would judge a rewritten string; arrays and bytes
            // have their own checks; structs check their own fields.
            _ => return None,
        })
    }

    fn is_enum_type(&self, ty: &Ty) -> bool {
        matches!(self.resolved(ty), Ty::Named(id) if matches!(self.defs[id].kind, Kind::StringEnum(_)))
    }

    /// `ty` with aliases and transparent newtypes replaced by what they name.
    fn resolved(&self, ty: &Ty) -> Ty {
        let mut t = ty.clone();
        for _ in 0..MAX_GATHER {
            t = match &t {
                Ty::Option(i) | Ty::Box(i) => (**i).clone(),
                Ty::Named(id) => match &self.defs[*id].kind {
                    Kind::Alias(i) | Kind::Newtype(i) => i.clone(),
                    _ => return t,
                },
                _ => return t,
            };
        }
        t
    }
}

/// The element type of a (resolved) list type; any JSON for `Value`.
fn element(ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Vec(t) => Some((**t).clone()),
        Ty::Value => Some(Ty::Value),
        _ => None,
    }
}

fn inner_value(ty: &Ty) -> Option<Ty> {
    match ty {
        Ty::Map(t) => Some((**t).clone()),
        Ty::Value => Some(Ty::Value),
        _ => None,
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(Value::is_null))
}
