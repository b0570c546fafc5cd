//! The diff: walks an original and an updated schema side by side and reports every
//! difference as a [`Change`]. One walker per kind of node lives in the submodules; this module
//! holds the shared context and the dispatch.
//!
//! The diff only *reports*; the verdict comes from the table in [`super::change`]. The one place
//! where the policy reaches inside the walk is where Confluent's does: deciding whether a
//! subschema "fits" (a union member, a partially open content model, a `not`), which is itself
//! a compatibility question.

mod array;
mod combined;
mod object;
mod scalar;

use super::change::{ChangeType, Policy};
use super::schema::{Kind, NodeId, Schema, escape_into};
use serde::Serialize;
use std::fmt::Write as _;

/// One difference between two schemas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    #[serde(rename = "type")]
    pub kind: ChangeType,
    /// Where, as Confluent writes it (`#/properties/fuel`).
    pub path: String,
    /// The old value, where there is one worth showing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The new value, where there is one worth showing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// Compares `original` with `update` and lists what changed.
pub fn diff(original: &Schema, update: &Schema, policy: Policy) -> Vec<Change> {
    let mut ctx = Ctx::new(original, update, policy);
    ctx.compare(original.root(), update.root());
    ctx.changes
}

type Key = (bool, NodeId, NodeId);

pub(crate) struct Ctx<'s> {
    schemas: [&'s Schema; 2],
    /// When set, "original" nodes live in the update document and vice versa (inside `not`).
    flipped: bool,
    policy: Policy,
    /// The current path below `#/`, its segments joined by `/`.
    path: String,
    /// The length of `path` before each segment entered, so `leave` can truncate.
    marks: Vec<usize>,
    /// How many `compare` calls are under way; the outermost one needs no memo.
    depth: usize,
    changes: Vec<Change>,
    memo: foldhash::HashMap<Key, Vec<Change>>,
    in_progress: foldhash::HashSet<Key>,
}

impl<'s> Ctx<'s> {
    fn new(original: &'s Schema, update: &'s Schema, policy: Policy) -> Self {
        Ctx {
            schemas: [original, update],
            flipped: false,
            policy,
            path: String::new(),
            marks: Vec::new(),
            depth: 0,
            changes: Vec::new(),
            memo: foldhash::HashMap::default(),
            in_progress: foldhash::HashSet::default(),
        }
    }

    /// The document the original side's node ids index.
    fn orig(&self) -> &'s Schema {
        self.schemas[usize::from(self.flipped)]
    }

    /// The document the update side's node ids index.
    fn upd(&self) -> &'s Schema {
        self.schemas[usize::from(!self.flipped)]
    }

    /// The path of a change at the current place, with `tail` (segments already joined by
    /// `/`) below it: built in one allocation, as a long check records one per change.
    fn path_with(&self, tail: &[&str]) -> String {
        let tail_len: usize = tail.iter().map(|t| t.len()).sum();
        let mut path = String::with_capacity(3 + self.path.len() + tail_len);
        path.push_str("#/");
        path.push_str(&self.path);
        if !self.marks.is_empty() && tail_len > 0 {
            path.push('/');
        }
        for t in tail {
            path.push_str(t);
        }
        path
    }

    pub(crate) fn add(&mut self, kind: ChangeType) {
        self.add_values(kind, None, None);
    }

    pub(crate) fn add_values(
        &mut self,
        kind: ChangeType,
        old: Option<String>,
        new: Option<String>,
    ) {
        let path = self.path_with(&[]);
        self.changes.push(Change {
            kind,
            path,
            old,
            new,
        });
    }

    /// Adds a change at `attribute` (a keyword) below the current path.
    pub(crate) fn add_at(
        &mut self,
        attribute: &str,
        kind: ChangeType,
        old: Option<String>,
        new: Option<String>,
    ) {
        let path = self.path_with(&[attribute]);
        self.changes.push(Change {
            kind,
            path,
            old,
            new,
        });
    }

    /// Adds a change at `keyword/name` below the current path, with the name as written:
    /// Confluent does not escape the names in `required` and in array `dependencies`.
    pub(crate) fn add_at_name(
        &mut self,
        keyword: &str,
        name: &str,
        kind: ChangeType,
        old: Option<String>,
        new: Option<String>,
    ) {
        let path = self.path_with(&[keyword, "/", name]);
        self.changes.push(Change {
            kind,
            path,
            old,
            new,
        });
    }

    /// Descends into `segment`: a keyword, or `/`-separated parts that need no escaping.
    pub(crate) fn enter(&mut self, segment: &str) {
        self.marks.push(self.path.len());
        if self.marks.len() > 1 {
            self.path.push('/');
        }
        self.path.push_str(segment);
    }

    /// Descends into the member `name` of `keyword` (`properties/fuel`), the name escaped for
    /// a JSON pointer (RFC 6901).
    pub(crate) fn enter_member(&mut self, keyword: &str, name: &str) {
        self.enter(keyword);
        self.path.push('/');
        escape_into(&mut self.path, name);
    }

    /// Descends into entry `index` of `keyword` (`items/2`).
    pub(crate) fn enter_index(&mut self, keyword: &str, index: usize) {
        self.enter(keyword);
        // Writing into a String cannot fail.
        let _ = write!(self.path, "/{index}");
    }

    pub(crate) fn leave(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.path.truncate(mark);
        }
    }

    fn compatible(&self, changes: &[Change]) -> bool {
        changes.iter().all(|c| c.kind.is_compatible(self.policy))
    }

    /// Runs `f` aside: its changes are returned rather than recorded, with whether they are
    /// all compatible.
    pub(crate) fn trial(&mut self, f: impl FnOnce(&mut Self)) -> (Vec<Change>, bool) {
        let mark = self.changes.len();
        f(self);
        let changes = self.changes.split_off(mark);
        let ok = self.compatible(&changes);
        (changes, ok)
    }

    pub(crate) fn extend(&mut self, changes: Vec<Change>) {
        self.changes.extend(changes);
    }

    /// Compares two optional subschemas (e.g. `items`).
    pub(crate) fn compare_opt(&mut self, original: Option<NodeId>, update: Option<NodeId>) {
        match (original, update) {
            (None, None) => {}
            (None, Some(_)) => self.add(ChangeType::SCHEMA_ADDED),
            (Some(_), None) => self.add(ChangeType::SCHEMA_REMOVED),
            (Some(o), Some(u)) => self.compare(o, u),
        }
    }

    /// Compares an original node with an update node, memoising per pair so that recursive
    /// schemas terminate and shared subschemas are compared once.
    pub(crate) fn compare(&mut self, original: NodeId, update: NodeId) {
        let o = self.orig().resolve(original);
        let u = self.upd().resolve(update);
        if is_leaf(&self.orig().node(o).kind) && is_leaf(&self.upd().node(u).kind) {
            // Nodes without subschemas can neither recurse nor be worth a memo: comparing them
            // again costs less than storing and rebasing their changes.
            self.compare_resolved(o, u);
            return;
        }
        let key = (self.flipped, o, u);
        if let Some(relative) = self.memo.get(&key) {
            self.extend_rebased(relative.clone());
            return;
        }
        if !self.in_progress.insert(key) {
            // A cycle: the pair is being compared further up; assume it matches.
            return;
        }
        if self.depth == 0 {
            // The outermost pair is compared once, at the root: no memo, no rebasing.
            self.depth += 1;
            self.compare_resolved(o, u);
            self.depth -= 1;
            self.in_progress.remove(&key);
            return;
        }
        let saved_path = std::mem::take(&mut self.path);
        let saved_marks = std::mem::take(&mut self.marks);
        let mark = self.changes.len();
        self.depth += 1;
        self.compare_resolved(o, u);
        self.depth -= 1;
        let relative = self.changes.split_off(mark);
        self.path = saved_path;
        self.marks = saved_marks;
        self.in_progress.remove(&key);
        self.memo.insert(key, relative.clone());
        self.extend_rebased(relative);
    }

    /// Records changes found relative to a pair at the current path.
    fn extend_rebased(&mut self, mut relative: Vec<Change>) {
        if !self.marks.is_empty() {
            for change in &mut relative {
                let rest = change.path.strip_prefix("#/").unwrap_or_default();
                let mut path = String::with_capacity(3 + self.path.len() + rest.len());
                path.push_str("#/");
                path.push_str(&self.path);
                if !rest.is_empty() {
                    path.push('/');
                    path.push_str(rest);
                }
                change.path = path;
            }
        }
        self.changes.extend(relative);
    }

    fn compare_resolved(&mut self, o: NodeId, u: NodeId) {
        let (orig, upd) = (self.orig(), self.upd());
        let (ok, uk) = (&orig.node(o).kind, &upd.node(u).kind);
        match (ok, uk) {
            (Kind::Combined(..), Kind::Combined(..)) => {}
            (_, Kind::Combined(criterion, subs)) => {
                if let [only] = subs[..] {
                    let (changes, ok) = self.trial(|c| c.compare(o, only));
                    if ok {
                        self.extend(changes);
                        return;
                    }
                } else if *criterion != super::schema::Criterion::All {
                    for &sub in subs {
                        let (changes, ok) = self.trial(|c| c.compare(o, sub));
                        if ok {
                            self.extend(changes);
                            self.add(ChangeType::SUM_TYPE_EXTENDED);
                            return;
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), _) => {
                if let [only] = subs[..] {
                    let (changes, ok) = self.trial(|c| c.compare(only, u));
                    if ok {
                        self.extend(changes);
                        return;
                    }
                } else if *criterion == super::schema::Criterion::All {
                    for &sub in subs {
                        let (changes, ok) = self.trial(|c| c.compare(sub, u));
                        if ok {
                            self.extend(changes);
                            self.add(ChangeType::PRODUCT_TYPE_NARROWED);
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
        if ok.class() != uk.class() {
            // Anything may become the empty schema, and `false` may become anything.
            let accepts_anything = matches!(uk, Kind::Empty | Kind::True);
            if !matches!(ok, Kind::False) && !accepts_anything {
                self.add_values(
                    ChangeType::TYPE_CHANGED,
                    Some(describe(ok)),
                    Some(describe(uk)),
                );
            }
            return;
        }
        let (on, un) = (orig.node(o), upd.node(u));
        let annotations = [
            (&on.id, &un.id, ChangeType::ID_CHANGED),
            (&on.title, &un.title, ChangeType::TITLE_CHANGED),
            (
                &on.description,
                &un.description,
                ChangeType::DESCRIPTION_CHANGED,
            ),
            (&on.default, &un.default, ChangeType::DEFAULT_CHANGED),
        ];
        for (a, b, kind) in annotations {
            if a != b {
                self.add_values(kind, a.as_ref().map(show), b.as_ref().map(show));
            }
        }
        match (ok, uk) {
            (Kind::String(a), Kind::String(b)) => scalar::string(self, a, b),
            (Kind::Number(a), Kind::Number(b)) => scalar::number(self, a, b),
            (Kind::Enum(a), Kind::Enum(b)) => scalar::enumeration(self, a, b),
            (Kind::Const(a), Kind::Const(b)) => scalar::constant(self, a, b),
            (Kind::Not(a), Kind::Not(b)) => scalar::not(self, *a, *b),
            (Kind::Combined(ac, a), Kind::Combined(bc, b)) => {
                combined::compare(self, (*ac, a), (*bc, b))
            }
            (Kind::Object(a), Kind::Object(b)) => object::compare(self, a, b),
            (Kind::Array(a), Kind::Array(b)) => array::compare(self, a, b),
            _ => {}
        }
    }

    /// Whether a node (on the given side) accepts anything: `{}` or `true`.
    pub(crate) fn is_empty(&self, update_side: bool, id: NodeId) -> bool {
        let schema = if update_side { self.upd() } else { self.orig() };
        matches!(
            schema.node(schema.resolve(id)).kind,
            Kind::Empty | Kind::True
        )
    }

    /// Whether a node (on the given side) is `false`.
    pub(crate) fn is_false(&self, update_side: bool, id: NodeId) -> bool {
        let schema = if update_side { self.upd() } else { self.orig() };
        matches!(schema.node(schema.resolve(id)).kind, Kind::False)
    }

    /// Whether a node (on the update side) carries a `default`.
    pub(crate) fn has_default(&self, id: NodeId) -> bool {
        let schema = self.upd();
        schema.node(id).default.is_some() || schema.node(schema.resolve(id)).default.is_some()
    }
}

/// A short rendering of a JSON value for messages.
pub(crate) fn show(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// A number as JSON Schema users write it (`10`, not `10.0`).
pub(crate) fn num(x: f64) -> String {
    if x.fract() != 0.0 || x.abs() >= 1e15 {
        return format!("{x}");
    }
    // Digits by hand: a long transitive check shows two bounds per change, and `format!`
    // cost more than the rest of recording the change.
    let n = x as i64;
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(digits.len() - at + 1);
    if n < 0 {
        text.push('-');
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
    text
}

/// Whether a node has no subschemas, so comparing it cannot recurse.
fn is_leaf(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Empty
            | Kind::True
            | Kind::False
            | Kind::Boolean
            | Kind::Null
            | Kind::String(_)
            | Kind::Number(_)
            | Kind::Enum(_)
            | Kind::Const(_)
    )
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Number(n) if n.requires_integer => "integer".to_string(),
        Kind::Combined(c, subs) => format!("{} of {}", c.keyword(), subs.len()),
        other => other.class().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_shown_as_written() {
        for x in [
            0.0, -0.0, 1.0, -1.0, 9.0, 10.0, 90.0, -180.0, 3600.0, 100_000.0,
        ] {
            assert_eq!(num(x), format!("{}", x as i64), "{x}");
        }
        assert_eq!(num(999_999_999_999_999.0), "999999999999999");
        assert_eq!(num(-999_999_999_999_999.0), "-999999999999999");
        assert_eq!(num(1e15), "1000000000000000");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(-2.25), "-2.25");
    }
}
