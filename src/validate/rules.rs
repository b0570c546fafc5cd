//! Data-contract rules on payloads: each CEL and CEL_FIELD condition compiled once with the
//! `cel` crate, evaluated on a record that passed its schema, with Confluent's semantics:
//!
//! - `message` is the JSON record; a JSON integer is a CEL `int` (a `uint` above `i64`), any
//!   other number a `double`, as the CEL specification maps JSON;
//! - `guard ; expr`: when the text before the first `;` is not blank and evaluates to false,
//!   the rule passes without its expression being run (Confluent's `CelExecutor`);
//! - CEL_FIELD runs once per primitive field the schema declares (string, integer, number,
//!   boolean; a null or absent value is skipped, as Confluent's JSON walk does), with `name`,
//!   `fullName` (`$.fuel`), `typeName` (`STRING`, `INT`, `DOUBLE`, `BOOLEAN`), `tags` (the
//!   field's `confluent:tags` and the metadata tags matching its full name), `value` and
//!   `message` bound; a rule with `tags` only runs on fields carrying one of them;
//! - an evaluation error (a missing key, no overload for the operand types) or a result that
//!   is not a bool fails the rule, reported with the error.
//!
//! Only the top-level fields the rules read are taken out of the payload on the fast path
//! ([`RuleEngine::passes`], [`OnePass::certify`]); the whole record is bound only when a rule
//! reads `message` whole or a CEL_FIELD rule is present.
//!
//! Each rule is compiled once. A rule made only of literals, `message.<field>`,
//! `has(message.<field>)`, `!`, unary `-`, `&&`, `||`, `? :` and the comparisons is also
//! compiled to a small tree that schemactl evaluates itself on the fields read (the `cel`
//! crate allocates several times per comparison and per field access, which costs more than
//! the rest of a payload's check). That evaluation only ever answers where its answer is
//! certainly the crate's: numbers compare across int, uint and double exactly as the crate
//! does (and as the CEL specification says, which they agree on for every integer up to
//! 2^53); anything else — a missing field, a type with no overload, an integer beyond 2^53
//! against a double, a result that is not a bool — is "unsure" and handed to the crate, which
//! then gives the verdict and its error. `&&` and `||` keep CEL's commutative error handling
//! (`false && error` is false, `true || error` is true).

use crate::catalog::{Metadata, Rule, RuleMode};
use crate::validate::PayloadValidator;
use crate::validate::fast::{Answer, Picks, Scalar};
use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelMap as ValMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use cel::objects::{Key, Map as CelMap};
use cel::{Context, Env, Program, Value};
use serde::Serialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

/// Expressions longer than this are refused (Confluent sets no limit; a rule this long is a
/// mistake or an attack on the parser).
pub const MAX_EXPR_BYTES: usize = 8 * 1024;

/// Brackets nested deeper than this, or longer runs of `!` and unary `-`, are refused before
/// parsing (the parser recurses on them and would overflow the stack before its own limit).
pub const MAX_NESTING: usize = 32;

/// The deepest bracket nesting, or the longest run of unary operators, outside string literals.
fn nesting(expr: &str) -> usize {
    let (mut depth, mut max, mut run) = (0usize, 0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev_operand = false;
    for c in expr.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
                prev_operand = true;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                run = 0;
            }
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
                run = 0;
                prev_operand = false;
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                prev_operand = true;
            }
            '!' | '-' if !prev_operand => {
                run += 1;
                max = max.max(run + depth);
            }
            c if c.is_whitespace() => {}
            c => {
                run = 0;
                prev_operand = c.is_alphanumeric() || c == '_' || c == '.';
            }
        }
    }
    max
}

/// Variables a CEL rule may read.
const CEL_VARS: [&str; 1] = ["message"];
/// Variables a CEL_FIELD rule may read.
const FIELD_VARS: [&str; 6] = ["message", "name", "fullName", "typeName", "tags", "value"];
/// Type names usable as values (`type(x) == int`).
const TYPE_IDENTS: [&str; 12] = [
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "null",
];
/// The named functions of the `cel` crate's standard environment (operators, whose internal
/// names start with `_`, `@`, `!` or `-`, are all known).
const FUNCTIONS: [&str; 25] = [
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "type",
    "dyn",
    "duration",
    "timestamp",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getSeconds",
    "getMonth",
];

/// Why a rule cannot be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// Longer than [`MAX_EXPR_BYTES`].
    TooLong(usize),
    /// CEL does not parse it (or it nests deeper than the parser allows); `offset` is the byte
    /// offset in the rule's `expr`, `column` the 1-based column in it.
    Parse {
        /// Byte offset in the expression.
        offset: usize,
        /// 1-based column in the expression.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A variable the rule's type does not bind.
    UnknownVariable(String, &'static [&'static str]),
    /// A function CEL's standard environment does not have.
    UnknownFunction(String),
    /// The expression's result is not a bool whatever the payload.
    NotBool(&'static str),
    /// A CEL or CEL_FIELD rule without `expr`.
    NoExpr,
    /// Nested deeper than [`MAX_NESTING`].
    TooDeep(usize),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::TooLong(n) => write!(
                f,
                "expression is {n} bytes long, more than the {MAX_EXPR_BYTES} allowed"
            ),
            CompileError::Parse {
                column, message, ..
            } => write!(f, "expression does not parse at column {column}: {message}"),
            CompileError::UnknownVariable(v, _) => write!(f, "unknown variable `{v}`"),
            CompileError::UnknownFunction(n) => write!(f, "unknown function `{n}`"),
            CompileError::NotBool(what) => write!(
                f,
                "expression yields {what}, not a bool: a condition must be true or false"
            ),
            CompileError::NoExpr => f.write_str("no `expr`"),
            CompileError::TooDeep(n) => write!(
                f,
                "expression nests {n} levels deep, more than the {MAX_NESTING} allowed"
            ),
        }
    }
}

impl CompileError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            CompileError::TooLong(_) => "split the rule into several shorter rules".into(),
            CompileError::Parse { .. } => {
                "check the CEL syntax (https://github.com/google/cel-spec)".into()
            }
            CompileError::UnknownVariable(_, allowed) => format!(
                "this rule type binds {} (fields are read as message.<field>)",
                allowed.join(", ")
            ),
            CompileError::UnknownFunction(_) => format!(
                "CEL's standard functions: {} (and has, all, exists, exists_one, map, filter)",
                FUNCTIONS.join(", ")
            ),
            CompileError::NotBool(_) => "compare the value, e.g. message.fuel >= 0".into(),
            CompileError::NoExpr => "add expr = \"<CEL expression>\"".into(),
            CompileError::TooDeep(_) => {
                "flatten the expression, or split it into several rules".into()
            }
        }
    }
}

/// What a failed rule asks for (its `onFailure`, read side for a `write,read` pair).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "dlq_topic")]
#[allow(clippy::upper_case_acronyms)]
pub enum Action {
    /// A finding: the payload breaks the contract.
    ERROR,
    /// Reported, not failing.
    NONE,
    /// Confluent would send the record to this dead-letter topic (schemactl never produces).
    DLQ(String),
}

impl Action {
    /// Whether the failure makes the payload fail.
    pub fn fails(&self) -> bool {
        !matches!(self, Action::NONE)
    }
}

/// One failed rule on one payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// The rule's name.
    pub rule: String,
    /// Its full expression.
    pub expr: String,
    /// What its onFailure asks for.
    #[serde(flatten)]
    pub action: Action,
    /// For CEL_FIELD rules: the field's full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values of the fields the rule read (absent ones left out).
    pub values: BTreeMap<String, serde_json::Value>,
    /// The evaluation error, when the rule could not be evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RuleFailure {
    /// One sentence.
    pub fn message(&self) -> String {
        let values = self
            .values
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut s = format!("rule \"{}\" failed: {}", self.rule, self.expr);
        if let Some(field) = &self.field {
            s.push_str(&format!(" on field {field}"));
        }
        if !values.is_empty() {
            s.push_str(&format!(" (with {values})"));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(": evaluation error: {e}"));
        }
        match &self.action {
            Action::NONE => s.push_str(" [onFailure NONE: reported only]"),
            Action::DLQ(t) => s.push_str(&format!(" [onFailure DLQ: Confluent sends it to {t}]")),
            Action::ERROR => {}
        }
        s
    }
}

#[derive(Debug)]
struct Compiled {
    name: String,
    expr: String,
    guard: Option<Program>,
    body: Program,
    field_rule: bool,
    tags: Vec<String>,
    action: Action,
    /// Top-level fields it reads (`message.<field>`), sorted.
    reads: Vec<String>,
    /// The rule as schemactl evaluates it itself, when it can ([`Node`]).
    native: Option<NativeRule>,
}

/// A primitive field of the schema, for CEL_FIELD rules.
#[derive(Clone, Debug)]
struct Field {
    /// JSON pointer segments from the root.
    path: Vec<String>,
    full_name: String,
    type_name: &'static str,
    tags: Vec<String>,
}

/// The compiled rule set of one schema version.
pub struct RuleEngine {
    env: Arc<Env>,
    rules: Vec<Compiled>,
    fields: Vec<Field>,
    /// Top-level fields any rule reads, sorted.
    reads: Vec<String>,
    /// Whether some rule needs the whole record.
    read_all: bool,
    /// Whether every rule has its [`NativeRule`] (and reads at most [`MAX_PICKS`] fields).
    native: bool,
    /// Rules kept but not evaluated (types or kinds schemactl does not run), by name.
    not_evaluated: Vec<String>,
}

impl fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleEngine")
            .field("rules", &self.rules.len())
            .field("reads", &self.reads)
            .field("read_all", &self.read_all)
            .field("native", &self.native)
            .finish_non_exhaustive()
    }
}

/// What an expression reads, found by walking its tree.
#[derive(Default)]
struct Walk {
    reads: BTreeSet<String>,
    read_all: bool,
    bound: BTreeSet<String>,
    vars: Vec<String>,
    funcs: Vec<String>,
}

impl Walk {
    fn expr(&mut self, e: &IdedExpr) {
        match &e.expr {
            Expr::Unspecified | Expr::Literal(_) => {}
            Expr::Ident(name) => {
                if name == "message" {
                    self.read_all = true;
                }
                if !name.starts_with('@') {
                    self.vars.push(name.clone());
                }
            }
            Expr::Select(sel) => {
                if let Expr::Ident(root) = &sel.operand.expr
                    && root == "message"
                    && !self.bound.contains("message")
                {
                    self.reads.insert(sel.field.clone());
                    self.vars.push(root.clone());
                } else {
                    self.expr(&sel.operand);
                }
            }
            Expr::Call(call) => {
                self.funcs.push(call.func_name.clone());
                for_each_child(e, |x| self.expr(x));
            }
            Expr::Comprehension(c) => {
                self.bound.insert(c.iter_var.clone());
                if let Some(v) = &c.iter_var2 {
                    self.bound.insert(v.clone());
                }
                self.bound.insert(c.accu_var.clone());
                for_each_child(e, |x| self.expr(x));
            }
            Expr::List(_) | Expr::Map(_) | Expr::Struct(_) => for_each_child(e, |x| self.expr(x)),
        }
    }
}

/// Calls `f` on each direct subexpression of `e`, in source order: the one place that knows
/// where a CEL tree keeps its children, for the walks over rule expressions (what a rule
/// reads, here; what it compares, in the portability lint).
pub(super) fn for_each_child<'a>(e: &'a IdedExpr, mut f: impl FnMut(&'a IdedExpr)) {
    let mut entries = |entries: &mut dyn Iterator<Item = &'a EntryExpr>| {
        for entry in entries {
            match entry {
                EntryExpr::StructField(field) => f(&field.value),
                EntryExpr::MapEntry(m) => {
                    f(&m.key);
                    f(&m.value);
                }
            }
        }
    };
    match &e.expr {
        Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) => {}
        Expr::Select(sel) => f(&sel.operand),
        Expr::Call(call) => {
            if let Some(t) = &call.target {
                f(t);
            }
            for a in &call.args {
                f(a);
            }
        }
        Expr::Comprehension(c) => {
            for x in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                f(x);
            }
        }
        Expr::List(l) => {
            for x in &l.elements {
                f(x);
            }
        }
        Expr::Map(m) => entries(&mut m.entries.iter().map(|x| &x.expr)),
        Expr::Struct(s) => entries(&mut s.entries.iter().map(|x| &x.expr)),
    }
}

/// Whether the root of an expression certainly yields something other than a bool.
fn not_bool(e: &IdedExpr) -> Option<&'static str> {
    match &e.expr {
        Expr::Literal(LiteralValue::Boolean(_)) => None,
        Expr::Literal(LiteralValue::Int(_)) => Some("an int"),
        Expr::Literal(LiteralValue::UInt(_)) => Some("a uint"),
        Expr::Literal(LiteralValue::Double(_)) => Some("a double"),
        Expr::Literal(LiteralValue::String(_)) => Some("a string"),
        Expr::Literal(LiteralValue::Bytes(_)) => Some("bytes"),
        Expr::Literal(LiteralValue::Null) => Some("null"),
        Expr::List(_) => Some("a list"),
        Expr::Map(_) | Expr::Struct(_) => Some("a map"),
        Expr::Call(c) => match c.func_name.as_str() {
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" | "-_" => Some("a number"),
            "size" | "int" | "uint" | "double" => Some("a number"),
            "string" => Some("a string"),
            _ => None,
        },
        _ => None,
    }
}

/// Splits Confluent's `guard ; expr` form at the first `;`: (guard if not blank, body, the
/// body's byte offset in the whole expression).
fn split_guard(expr: &str) -> (Option<&str>, &str, usize) {
    match expr.find(';') {
        Some(i) => {
            let guard = &expr[..i];
            (
                (!guard.trim().is_empty()).then_some(guard),
                &expr[i + 1..],
                i + 1,
            )
        }
        None => (None, expr, 0),
    }
}

/// The generated CEL parser recurses deeply per nesting level (a dozen brackets overflow a
/// 2 MiB thread stack in a debug build), so parsing runs on a thread of its own with room.
fn compile_on_big_stack(env: &Env, text: &str) -> Result<Program, cel::ParseErrors> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("cel-compile".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, || env.compile(text))
            .ok()
            .and_then(|h| h.join().ok())
    })
    .unwrap_or_else(|| env.compile(text))
}

fn compile_one(
    env: &Env,
    text: &str,
    base: usize,
    allowed: &'static [&'static str],
    walk: &mut Walk,
) -> Result<Program, CompileError> {
    let program = compile_on_big_stack(env, text).map_err(|errs| {
        let first = errs.errors.first();
        let (line, col) = first.map_or((1, 1), |e| {
            (e.pos.0.max(1) as usize, e.pos.1.max(1) as usize)
        });
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        let offset = base + (line_start + col - 1).min(text.len());
        CompileError::Parse {
            offset,
            column: offset + 1,
            message: first.map_or_else(|| "syntax error".into(), |e| e.msg.clone()),
        }
    })?;
    let mut w = Walk {
        bound: walk.bound.clone(),
        ..Walk::default()
    };
    w.expr(program.expression());
    for v in &w.vars {
        if !allowed.contains(&v.as_str())
            && !w.bound.contains(v)
            && !TYPE_IDENTS.contains(&v.as_str())
        {
            return Err(CompileError::UnknownVariable(v.clone(), allowed));
        }
    }
    for f in &w.funcs {
        let operator = f.starts_with(['_', '@', '!', '-']);
        if !operator && !FUNCTIONS.contains(&f.as_str()) {
            return Err(CompileError::UnknownFunction(f.clone()));
        }
    }
    if let Some(what) = not_bool(program.expression()) {
        return Err(CompileError::NotBool(what));
    }
    walk.reads.extend(w.reads);
    walk.read_all |= w.read_all;
    Ok(program)
}

fn compile_rule(env: &Env, rule: &Rule) -> Result<(Compiled, bool), CompileError> {
    let expr = rule.expr.as_deref().ok_or(CompileError::NoExpr)?;
    if expr.len() > MAX_EXPR_BYTES {
        return Err(CompileError::TooLong(expr.len()));
    }
    let depth = nesting(expr);
    if depth > MAX_NESTING {
        return Err(CompileError::TooDeep(depth));
    }
    let field_rule = rule.rule_type == "CEL_FIELD";
    let allowed: &'static [&'static str] = if field_rule { &FIELD_VARS } else { &CEL_VARS };
    let (guard, body, at) = split_guard(expr);
    let mut walk = Walk::default();
    let guard = guard
        .map(|g| compile_one(env, g, 0, allowed, &mut walk))
        .transpose()?;
    let body = compile_one(env, body, at, allowed, &mut walk)?;
    let action = action(rule);
    Ok((
        Compiled {
            name: rule.name.clone(),
            expr: expr.to_string(),
            guard,
            body,
            field_rule,
            tags: rule.tags.clone(),
            action,
            reads: walk.reads.into_iter().collect(),
            native: None,
        },
        walk.read_all,
    ))
}

/// The action a failure of `rule` asks of a reader: the `onFailure` (for a `write,read`
/// pair, the read side, since schemactl reads what producers wrote), ERROR by default.
fn action(rule: &Rule) -> Action {
    let on_failure = rule.on_failure.as_deref().unwrap_or("ERROR");
    let mut parts = on_failure.split(',').map(str::trim);
    let first = parts.next().unwrap_or("ERROR");
    let chosen = match (rule.mode, parts.next()) {
        (RuleMode::WRITEREAD | RuleMode::UPDOWN, Some(read)) => read,
        _ => first,
    };
    match chosen {
        "NONE" => Action::NONE,
        "DLQ" => Action::DLQ(
            rule.params
                .get("dlq.topic")
                .cloned()
                .unwrap_or_else(|| "(no dlq.topic)".into()),
        ),
        _ => Action::ERROR,
    }
}

/// Compiles a rule to check it, as a contract is read: parse, variables, functions, result.
pub fn compile_check(rule: &Rule) -> Result<(), CompileError> {
    compile_rule(&Env::stdlib(), rule).map(|_| ())
}

/// The parsed trees of a rule expression's guard (when there is one) and body, for analyses of
/// a rule's text such as the portability lint; `None` when it does not parse.
pub fn parse_trees(expr: &str) -> Option<(Option<IdedExpr>, IdedExpr)> {
    if expr.len() > MAX_EXPR_BYTES || nesting(expr) > MAX_NESTING {
        return None;
    }
    let env = Env::stdlib();
    let (guard, body, _) = split_guard(expr);
    let tree = |text: &str| {
        compile_on_big_stack(&env, text)
            .ok()
            .map(|p| p.expression().clone())
    };
    let guard = match guard {
        Some(g) => Some(tree(g)?),
        None => None,
    };
    Some((guard, tree(body)?))
}

/// Matches a Confluent tag path (`*` within a segment, `**` across segments).
fn wildcard_match(name: &str, pattern: &str) -> bool {
    fn go(n: &[u8], p: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) if rest.first() == Some(&b'*') => {
                (0..=n.len()).any(|i| go(&n[i..], &rest[1..]))
            }
            Some((b'*', rest)) => {
                let stop = n.iter().position(|c| *c == b'.').unwrap_or(n.len());
                (0..=stop).any(|i| go(&n[i..], rest))
            }
            Some((c, rest)) => n.first() == Some(c) && go(&n[1..], rest),
        }
    }
    go(name.as_bytes(), pattern.as_bytes())
}

fn collect_fields(
    schema: &serde_json::Value,
    path: &mut Vec<String>,
    metadata: Option<&Metadata>,
    out: &mut Vec<Field>,
) {
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    for (name, prop) in props {
        path.push(name.clone());
        let ty = prop.get("type").and_then(|t| t.as_str());
        let enumish = prop.get("enum").is_some() || prop.get("const").is_some();
        let type_name = match ty {
            _ if enumish => None,
            Some("string") => Some("STRING"),
            Some("integer") => Some("INT"),
            Some("number") => Some("DOUBLE"),
            Some("boolean") => Some("BOOLEAN"),
            _ => None,
        };
        if let Some(type_name) = type_name {
            let full_name = format!("$.{}", path.join("."));
            let mut tags: BTreeSet<String> = prop
                .get("confluent:tags")
                .and_then(|t| t.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(m) = metadata {
                for (pattern, t) in &m.tags {
                    if wildcard_match(&full_name, pattern) {
                        tags.extend(t.iter().cloned());
                    }
                }
            }
            out.push(Field {
                path: path.clone(),
                full_name,
                type_name,
                tags: tags.into_iter().collect(),
            });
        } else if ty == Some("object") || (ty.is_none() && prop.get("properties").is_some()) {
            collect_fields(prop, path, metadata, out);
        }
        path.pop();
    }
}

/// JSON → CEL, as the CEL specification maps JSON (integers stay integers).
pub fn to_cel(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        serde_json::Value::Object(m) => {
            let map: HashMap<Key, Value> = m
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(CelMap { map: Arc::new(map) })
        }
    }
}

/// The outcome of one program on one binding.
enum Evaluation {
    Pass,
    Fail,
    Error(String),
}

fn run(program: &Program, ctx: &Context) -> Evaluation {
    match program.execute(ctx) {
        Ok(Value::Bool(true)) => Evaluation::Pass,
        Ok(Value::Bool(false)) => Evaluation::Fail,
        Ok(other) => Evaluation::Error(format!(
            "the expression yielded {}, not a bool",
            other.type_of()
        )),
        Err(e) => Evaluation::Error(e.to_string()),
    }
}

/// Runs a rule (guard first) on a bound context.
fn judge(rule: &Compiled, ctx: &Context) -> Evaluation {
    if let Some(guard) = &rule.guard {
        match run(guard, ctx) {
            Evaluation::Pass => {}
            Evaluation::Fail => return Evaluation::Pass,
            Evaluation::Error(e) => return Evaluation::Error(format!("in the guard: {e}")),
        }
    }
    run(&rule.body, ctx)
}

/// The most fields the native evaluation reads (rules reading more go to the crate).
const MAX_PICKS: usize = 16;

/// A rule's expression as schemactl evaluates it itself (see the module's documentation).
#[derive(Debug)]
enum Node {
    Lit(Lit),
    /// `message.<field>`: the engine's slot of the field.
    Field(usize),
    /// `has(message.<field>)`.
    Has(usize),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug)]
enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(String),
}

/// A value during native evaluation; `Unsure` is anything the crate must decide.
#[derive(Clone, Copy, Debug, PartialEq)]
enum V<'a> {
    Unsure,
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(&'a str),
}

/// A rule's guard and body as [`Node`]s.
#[derive(Debug)]
struct NativeRule {
    guard: Option<Node>,
    body: Node,
}

impl NativeRule {
    /// `Some(passes)` when certain, `None` when the crate must decide.
    fn verdict(&self, vals: &[Scalar<'_>]) -> Option<bool> {
        if let Some(guard) = &self.guard {
            match eval(guard, vals) {
                V::Bool(true) => {}
                V::Bool(false) => return Some(true),
                _ => return None,
            }
        }
        match eval(&self.body, vals) {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// The native form of `e`, if every node of it has one; `reads` are the engine's slots, sorted.
fn native(e: &IdedExpr, reads: &[String]) -> Option<Node> {
    Some(match &e.expr {
        Expr::Literal(l) => Node::Lit(match l {
            LiteralValue::Null => Lit::Null,
            LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
            LiteralValue::Int(i) => Lit::Int(*i.inner()),
            LiteralValue::UInt(u) => Lit::UInt(*u.inner()),
            LiteralValue::Double(d) => Lit::Double(*d.inner()),
            LiteralValue::String(s) => Lit::Str(s.inner().to_string()),
            LiteralValue::Bytes(_) => return None,
        }),
        Expr::Select(sel) => {
            let Expr::Ident(root) = &sel.operand.expr else {
                return None;
            };
            if root != "message" {
                return None;
            }
            let slot = reads.binary_search(&sel.field).ok()?;
            if sel.test {
                Node::Has(slot)
            } else {
                Node::Field(slot)
            }
        }
        Expr::Call(c) if c.target.is_none() => {
            let arg = |i: usize| native(&c.args[i], reads).map(Box::new);
            let cmp = |op: Cmp| Some(Node::Cmp(op, arg(0)?, arg(1)?));
            match (c.func_name.as_str(), c.args.len()) {
                (operators::LOGICAL_NOT, 1) => Node::Not(arg(0)?),
                (operators::NEGATE, 1) => Node::Neg(arg(0)?),
                (operators::LOGICAL_AND, 2) => Node::And(arg(0)?, arg(1)?),
                (operators::LOGICAL_OR, 2) => Node::Or(arg(0)?, arg(1)?),
                (operators::CONDITIONAL, 3) => Node::Cond(arg(0)?, arg(1)?, arg(2)?),
                (operators::LESS, 2) => cmp(Cmp::Lt)?,
                (operators::LESS_EQUALS, 2) => cmp(Cmp::Le)?,
                (operators::GREATER, 2) => cmp(Cmp::Gt)?,
                (operators::GREATER_EQUALS, 2) => cmp(Cmp::Ge)?,
                (operators::EQUALS, 2) => cmp(Cmp::Eq)?,
                (operators::NOT_EQUALS, 2) => cmp(Cmp::Ne)?,
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn eval<'a>(n: &'a Node, vals: &'a [Scalar<'_>]) -> V<'a> {
    match n {
        Node::Lit(l) => match l {
            Lit::Null => V::Null,
            Lit::Bool(b) => V::Bool(*b),
            Lit::Int(i) => V::Int(*i),
            Lit::UInt(u) => V::UInt(*u),
            Lit::Double(d) => V::Double(*d),
            Lit::Str(s) => V::Str(s),
        },
        Node::Field(i) => match &vals[*i] {
            // A missing key is the crate's error to report; containers are not read out.
            Scalar::Absent | Scalar::Compound => V::Unsure,
            Scalar::Null => V::Null,
            Scalar::Bool(b) => V::Bool(*b),
            Scalar::Int(i) => V::Int(*i),
            Scalar::UInt(u) => V::UInt(*u),
            Scalar::Double(d) => V::Double(*d),
            Scalar::Str(s) => V::Str(s),
        },
        // `has()` on a map is key presence, a null value included.
        Node::Has(i) => V::Bool(!matches!(vals[*i], Scalar::Absent)),
        Node::Not(x) => match eval(x, vals) {
            V::Bool(b) => V::Bool(!b),
            _ => V::Unsure,
        },
        Node::Neg(x) => match eval(x, vals) {
            V::Int(i) => i.checked_neg().map_or(V::Unsure, V::Int),
            V::Double(d) => V::Double(-d),
            _ => V::Unsure,
        },
        Node::And(a, b) => junction(false, a, b, vals),
        Node::Or(a, b) => junction(true, a, b, vals),
        Node::Cond(c, a, b) => match eval(c, vals) {
            V::Bool(true) => eval(a, vals),
            V::Bool(false) => eval(b, vals),
            _ => V::Unsure,
        },
        Node::Cmp(op, a, b) => compare(*op, eval(a, vals), eval(b, vals)),
    }
}

/// `a && b` (`absorbing` false) or `a || b` (`absorbing` true), as CEL evaluates them: the
/// absorbing value on either side decides, whatever the other side is (an error included).
fn junction<'a>(absorbing: bool, a: &'a Node, b: &'a Node, vals: &'a [Scalar<'_>]) -> V<'a> {
    let x = eval(a, vals);
    if x == V::Bool(absorbing) {
        return x;
    }
    match (x, eval(b, vals)) {
        // `x` is the other bool, so `b` decides.
        (V::Bool(_), V::Bool(y)) => V::Bool(y),
        (_, V::Bool(y)) if y == absorbing => V::Bool(absorbing),
        _ => V::Unsure,
    }
}

/// Integers up to this magnitude convert to a double exactly.
const EXACT_INT: u64 = 1 << 53;

/// The order of two numbers, where the crate's and the specification's agree: the crate
/// converts an int or uint to a double to compare it with one, which is exact up to 2^53.
fn order(a: V<'_>, b: V<'_>) -> Option<Ordering> {
    let exact = |i: i64| i.unsigned_abs() <= EXACT_INT;
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(&y)),
        (V::UInt(x), V::UInt(y)) => Some(x.cmp(&y)),
        (V::Int(x), V::UInt(y)) => Some(u64::try_from(x).map_or(Ordering::Less, |x| x.cmp(&y))),
        (V::UInt(x), V::Int(y)) => Some(u64::try_from(y).map_or(Ordering::Greater, |y| x.cmp(&y))),
        (V::Double(x), V::Double(y)) => x.partial_cmp(&y),
        (V::Int(x), V::Double(y)) if exact(x) => (x as f64).partial_cmp(&y),
        (V::Double(x), V::Int(y)) if exact(y) => x.partial_cmp(&(y as f64)),
        (V::UInt(x), V::Double(y)) if x <= EXACT_INT => (x as f64).partial_cmp(&y),
        (V::Double(x), V::UInt(y)) if y <= EXACT_INT => x.partial_cmp(&(y as f64)),
        _ => None,
    }
}

fn compare(op: Cmp, a: V<'_>, b: V<'_>) -> V<'static> {
    let numeric = |v: V<'_>| matches!(v, V::Int(_) | V::UInt(_) | V::Double(_));
    let ordered = |f: fn(Ordering) -> bool| order(a, b).map_or(V::Unsure, |o| V::Bool(f(o)));
    match op {
        Cmp::Lt => ordered(Ordering::is_lt),
        Cmp::Le => ordered(Ordering::is_le),
        Cmp::Gt => ordered(Ordering::is_gt),
        Cmp::Ge => ordered(Ordering::is_ge),
        Cmp::Eq | Cmp::Ne => {
            let equal = match (a, b) {
                (V::Unsure, _) | (_, V::Unsure) => return V::Unsure,
                _ if numeric(a) && numeric(b) => match order(a, b) {
                    Some(o) => o.is_eq(),
                    None => return V::Unsure,
                },
                (V::Str(x), V::Str(y)) => x == y,
                (V::Bool(x), V::Bool(y)) => x == y,
                (V::Null, V::Null) => true,
                // Values of different kinds are never equal (the crate's `equals`, the spec's
                // heterogeneous equality).
                _ => false,
            };
            V::Bool(equal == matches!(op, Cmp::Eq))
        }
    }
}

/// Reads the named top-level keys of a JSON object into slots, skipping the rest; of duplicate
/// keys the last wins, as when the record is parsed whole.
struct PickScalars<'o, 'de> {
    reads: &'o [String],
    out: &'o mut [Scalar<'de>],
}

impl<'de> DeserializeSeed<'de> for PickScalars<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PickScalars<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(slot) = map.next_key_seed(SlotOf(self.reads))? {
            match slot {
                Some(slot) => self.out[slot] = map.next_value_seed(ScalarSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key's slot among the names read (sorted), without allocating the key.
struct SlotOf<'a>(&'a [String]);

impl<'de> DeserializeSeed<'de> for SlotOf<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SlotOf<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, k: &str) -> Result<Option<usize>, E> {
        Ok(self.0.binary_search_by(|n| n.as_str().cmp(k)).ok())
    }
}

/// One JSON value as a [`Scalar`] (integers as the CEL specification maps JSON).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Double(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
}

/// The schema's fast path and the rules' native evaluation in one pass over a payload's bytes
/// ([`RuleEngine::one_pass`]).
pub struct OnePass<'a> {
    validator: &'a PayloadValidator,
    rules: &'a RuleEngine,
    /// Where the fast path puts the fields the rules read; `None` when there is no fast path
    /// for the schema or the rules cannot all be evaluated natively.
    picks: Option<Picks>,
}

impl fmt::Debug for OnePass<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnePass")
            .field("rules", &self.rules.len())
            .field("one_pass", &self.picks.is_some())
            .finish_non_exhaustive()
    }
}

impl OnePass<'_> {
    /// Whether `bytes` certainly passes its schema and every rule, read once. `false` means
    /// "ask the full checks" (`PayloadValidator::is_valid`, [`RuleEngine::passes`], then
    /// [`RuleEngine::check`]), not "invalid".
    pub fn certify(&self, bytes: &[u8]) -> bool {
        self.certify_capturing(bytes, None).is_some()
    }

    /// [`OnePass::certify`], with the string at the top-level key `capture` (the producer's
    /// id) when asked for and present, as `PayloadValidator::certify` gives it.
    pub fn certify_capturing(&self, bytes: &[u8], capture: Option<&str>) -> Option<Option<String>> {
        if self.rules.is_empty() {
            return self.validator.certify(bytes, capture);
        }
        let (Some(fast), Some(picks)) = (self.validator.fast.as_ref(), &self.picks) else {
            return None;
        };
        let mut vals: [Scalar<'_>; MAX_PICKS] = Default::default();
        let found =
            fast.certify_picking(bytes, self.validator.max_bytes(), capture, picks, &mut vals)?;
        (self.rules.native_passes(&vals[..picks.len()]) == Some(true)).then_some(found)
    }

    /// [`OnePass::certify_capturing`] that also answers "invalid" when the schema's fast path
    /// is sure the payload breaks the schema ([`Answer::Invalid`]: no rule needs evaluating on
    /// a payload its schema refuses). A payload the schema passes and a rule might refuse is
    /// [`Answer::Unsure`].
    pub fn judge_capturing(&self, bytes: &[u8], capture: Option<&str>) -> Answer {
        if self.rules.is_empty() {
            return self.validator.judge(bytes, capture);
        }
        let (Some(fast), Some(picks)) = (self.validator.fast.as_ref(), &self.picks) else {
            return match self.validator.judge(bytes, capture) {
                Answer::Invalid(found) => Answer::Invalid(found),
                _ => Answer::Unsure,
            };
        };
        let mut vals: [Scalar<'_>; MAX_PICKS] = Default::default();
        let schema =
            fast.judge_picking(bytes, self.validator.max_bytes(), capture, picks, &mut vals);
        OnePass::combine(schema, || self.rules.native_passes(&vals[..picks.len()]))
    }

    /// A payload's answer from its schema's fast-path answer (in refute mode) and the rules'
    /// native verdict on the fields it picked (asked only of a payload the schema passes):
    /// `Valid` only when the schema passes and every rule certainly passes, `Invalid` when the
    /// schema refutes it (its rules then do not count), else `Unsure`.
    pub fn combine(schema: Answer, native: impl FnOnce() -> Option<bool>) -> Answer {
        match schema {
            Answer::Valid(found) if native() == Some(true) => Answer::Valid(found),
            Answer::Invalid(found) => Answer::Invalid(found),
            _ => Answer::Unsure,
        }
    }

    /// The top-level fields the rules read, in the order [`OnePass::native_verdict`] takes
    /// their values; `None` when this one pass does not evaluate the rules natively.
    pub fn reads(&self) -> Option<&[String]> {
        self.picks.as_ref().map(|_| self.rules.reads.as_slice())
    }

    /// The rules' native verdict on the values of [`OnePass::reads`], in that order:
    /// `Some(true)` when every rule certainly passes, `Some(false)` when one certainly fails.
    pub fn native_verdict(&self, vals: &[Scalar<'_>]) -> Option<bool> {
        self.rules.native_passes(vals)
    }

    /// Whether [`OnePass::certify`] can certify anything when there are rules (a fast path
    /// for the schema, and every rule evaluated natively).
    pub fn is_one_pass(&self) -> bool {
        self.rules.is_empty() || (self.picks.is_some() && self.validator.fast.is_some())
    }
}

impl RuleEngine {
    /// Compiles the rules schemactl evaluates (enabled CEL and CEL_FIELD conditions whose
    /// mode is not a migration); the others are kept by name as not evaluated. `schema` is the
    /// version's JSON Schema (for CEL_FIELD's fields), `metadata` its metadata (for tags).
    pub fn new(
        rules: &[Rule],
        schema: &serde_json::Value,
        metadata: Option<&Metadata>,
    ) -> Result<RuleEngine, (String, CompileError)> {
        let env = Arc::new(Env::stdlib());
        let mut compiled = Vec::new();
        let mut not_evaluated = Vec::new();
        let mut reads = BTreeSet::new();
        let mut read_all = false;
        for rule in rules {
            if !rule.is_evaluated() {
                not_evaluated.push(rule.name.clone());
                continue;
            }
            let (c, all) = compile_rule(&env, rule).map_err(|e| (rule.name.clone(), e))?;
            read_all |= all || c.field_rule;
            reads.extend(c.reads.iter().cloned());
            compiled.push(c);
        }
        let mut fields = Vec::new();
        if compiled.iter().any(|c| c.field_rule) {
            collect_fields(schema, &mut Vec::new(), metadata, &mut fields);
        }
        let reads: Vec<String> = reads.into_iter().collect();
        if !read_all && reads.len() <= MAX_PICKS {
            for c in &mut compiled {
                c.native = (|| {
                    Some(NativeRule {
                        guard: match &c.guard {
                            Some(g) => Some(native(g.expression(), &reads)?),
                            None => None,
                        },
                        body: native(c.body.expression(), &reads)?,
                    })
                })();
            }
        }
        let native =
            !read_all && reads.len() <= MAX_PICKS && compiled.iter().all(|c| c.native.is_some());
        Ok(RuleEngine {
            env,
            rules: compiled,
            fields,
            reads,
            read_all,
            native,
            not_evaluated,
        })
    }

    /// The schema's fast path and these rules in one pass per payload (see [`OnePass`]).
    pub fn one_pass<'a>(&'a self, validator: &'a PayloadValidator) -> OnePass<'a> {
        let picks = match &validator.fast {
            Some(fast) if self.native => Some(fast.picks(&self.reads)),
            _ => None,
        };
        OnePass {
            validator,
            rules: self,
            picks,
        }
    }

    /// Whether every rule is evaluated natively on the fields read (module documentation).
    pub fn is_native(&self) -> bool {
        self.native
    }

    /// The native verdict on the fields read (in the order of `self.reads`): `Some(false)` as
    /// soon as a rule certainly fails, `Some(true)` when all certainly pass, else `None`.
    fn native_passes(&self, vals: &[Scalar<'_>]) -> Option<bool> {
        let mut sure = true;
        for r in &self.rules {
            match r.native.as_ref()?.verdict(vals) {
                Some(true) => {}
                Some(false) => return Some(false),
                None => sure = false,
            }
        }
        sure.then_some(true)
    }

    /// Whether there is no rule to evaluate.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules are evaluated.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules kept but not evaluated (JSONATA, ENCRYPT, TRANSFORM, disabled, migration).
    pub fn not_evaluated(&self) -> &[String] {
        &self.not_evaluated
    }

    /// Whether every rule passes on `bytes` (a payload that passed its schema), reading only
    /// the top-level fields the rules use. `false` also when the payload cannot be read this
    /// way: [`RuleEngine::check`] then says what failed.
    pub fn passes(&self, bytes: &[u8]) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        if self.native {
            let mut vals: [Scalar<'_>; MAX_PICKS] = Default::default();
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let picked = PickScalars {
                reads: &self.reads,
                out: &mut vals,
            }
            .deserialize(&mut de);
            if picked.is_err() || de.end().is_err() {
                return false;
            }
            if let Some(verdict) = self.native_passes(&vals[..self.reads.len()]) {
                return verdict;
            }
        }
        self.passes_by_crate(bytes)
    }

    /// [`RuleEngine::passes`] with every rule run by the `cel` crate, as `passes` does where
    /// the native evaluation is unsure (for tests and benchmarks).
    pub fn passes_by_crate(&self, bytes: &[u8]) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        if self.read_all {
            return match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(v) => self.check(&v).is_empty(),
                Err(_) => false,
            };
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let message = match (Pick(&self.reads).deserialize(&mut de), de.end()) {
            (Ok(m), Ok(())) => m,
            _ => return false,
        };
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        // Bound as a map of the fields read, keyed by the engine's own names: no copy of the
        // record, no conversion between the crate's two value models.
        ctx.add_variable_as_val("message", Box::new(ValMap::from(message)));
        self.rules
            .iter()
            .all(|r| matches!(judge(r, &ctx), Evaluation::Pass))
    }

    /// Every failed rule on `record` (a payload that passed its schema).
    pub fn check(&self, record: &serde_json::Value) -> Vec<RuleFailure> {
        let mut failures = Vec::new();
        if self.rules.is_empty() {
            return failures;
        }
        let message = to_cel(record);
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.add_variable_from_value("message", message.clone());
        let values = |reads: &[String]| -> BTreeMap<String, serde_json::Value> {
            reads
                .iter()
                .filter_map(|k| Some((format!("message.{k}"), record.get(k)?.clone())))
                .collect()
        };
        for rule in &self.rules {
            if rule.field_rule {
                for field in &self.fields {
                    if !rule.tags.is_empty() && !rule.tags.iter().any(|t| field.tags.contains(t)) {
                        continue;
                    }
                    let Some(value) = field
                        .path
                        .iter()
                        .try_fold(record, |v, seg| v.get(seg))
                        .filter(|v| !v.is_null())
                    else {
                        continue;
                    };
                    let mut fctx = ctx.new_inner_scope();
                    fctx.add_variable_from_value("value", to_cel(value));
                    fctx.add_variable_from_value(
                        "name",
                        field.path.last().cloned().unwrap_or_default(),
                    );
                    fctx.add_variable_from_value("fullName", field.full_name.clone());
                    fctx.add_variable_from_value("typeName", field.type_name);
                    fctx.add_variable_from_value(
                        "tags",
                        Value::List(Arc::new(
                            field.tags.iter().map(|t| Value::from(t.as_str())).collect(),
                        )),
                    );
                    let error = match judge(rule, &fctx) {
                        Evaluation::Pass => continue,
                        Evaluation::Fail => None,
                        Evaluation::Error(e) => Some(e),
                    };
                    let mut vals = values(&rule.reads);
                    vals.insert("value".into(), value.clone());
                    failures.push(RuleFailure {
                        rule: rule.name.clone(),
                        expr: rule.expr.clone(),
                        action: rule.action.clone(),
                        field: Some(field.full_name.clone()),
                        values: vals,
                        error,
                    });
                }
                continue;
            }
            let error = match judge(rule, &ctx) {
                Evaluation::Pass => continue,
                Evaluation::Fail => None,
                Evaluation::Error(e) => Some(e),
            };
            failures.push(RuleFailure {
                rule: rule.name.clone(),
                expr: rule.expr.clone(),
                action: rule.action.clone(),
                field: None,
                values: values(&rule.reads),
                error,
            });
        }
        failures
    }
}

/// Takes the named top-level keys of a JSON object out as CEL values, skipping the rest.
struct Pick<'a>(&'a [String]);

type Fields<'a> = HashMap<CelMapKey<'a>, Box<dyn Val + 'a>>;

impl<'de, 'a> DeserializeSeed<'de> for Pick<'a> {
    type Value = Fields<'a>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Fields<'a>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'a> Visitor<'de> for Pick<'a> {
    type Value = Fields<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'a>, A::Error> {
        let mut out: Fields<'a> = HashMap::with_capacity(self.0.len());
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(name) = self.0.iter().find(|n| n.as_str() == key) {
                let v = map.next_value_seed(ValSeed)?;
                out.insert(CelMapKey::from(name.as_str()), v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// Reads a JSON value into the crate's `Val` form: scalars directly, containers through
/// [`CelSeed`].
struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Box<dyn Val>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Box<dyn Val>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValSeed {
    type Value = Box<dyn Val>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelBool::from(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelInt::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Box<dyn Val>, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Box::new(CelInt::from(i)),
            Err(_) => Box::new(CelUInt::from(v)),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelDouble::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelString::from(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelString::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Box<dyn Val>, E> {
        Ok(Box::new(CelNull))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Box<dyn Val>, A::Error> {
        let v = CelSeed.visit_seq(seq)?;
        v.try_into()
            .map_err(|e: cel::ExecutionError| de::Error::custom(e.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Box<dyn Val>, A::Error> {
        let v = CelSeed.visit_map(map)?;
        v.try_into()
            .map_err(|e: cel::ExecutionError| de::Error::custom(e.to_string()))
    }
}

/// Reads any JSON value straight into a CEL value.
struct CelSeed;

impl<'de> DeserializeSeed<'de> for CelSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CelSeed {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::UInt(v), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Arc::new(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(Arc::new(v)))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(CelSeed)? {
            out.push(v);
        }
        Ok(Value::List(Arc::new(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = HashMap::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(CelSeed)?;
            out.insert(Key::String(Arc::new(k)), v);
        }
        Ok(Value::Map(CelMap { map: Arc::new(out) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RuleKind;
    use serde_json::json;

    fn rule(name: &str, ty: &str, expr: &str) -> Rule {
        Rule::condition(name, ty, expr)
    }

    fn schema() -> serde_json::Value {
        json!({"type": "object", "properties": {
            "generatorID": {"type": "string"},
            "temperature": {"type": "number", "confluent:tags": ["SENSOR"]},
            "fuel": {"type": "number"},
            "status": {"type": "string", "enum": ["running", "stopped"]}
        }})
    }

    fn engine(rules: &[Rule]) -> RuleEngine {
        RuleEngine::new(rules, &schema(), None).expect("compiles")
    }

    /// Both paths (fast bytes, full record) agree, and give the failures.
    fn failures(e: &RuleEngine, record: serde_json::Value) -> Vec<RuleFailure> {
        let found = e.check(&record);
        let bytes = serde_json::to_vec(&record).unwrap();
        assert_eq!(e.passes(&bytes), found.is_empty(), "{record}");
        found
    }

    #[test]
    fn ints_stay_ints_and_compare_with_int_and_double_literals() {
        let e = engine(&[rule("fuel_not_negative", "CEL", "message.fuel >= 0")]);
        assert!(failures(&e, json!({"fuel": 400})).is_empty());
        assert!(failures(&e, json!({"fuel": 0.5})).is_empty());
        let f = failures(&e, json!({"fuel": -9, "temperature": 36}));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "fuel_not_negative");
        assert_eq!(f[0].expr, "message.fuel >= 0");
        assert_eq!(
            f[0].values,
            BTreeMap::from([("message.fuel".into(), json!(-9))])
        );
        assert_eq!(f[0].error, None);
        assert_eq!(f[0].action, Action::ERROR);
        // An int field against a double literal: the CEL spec compares numbers across types.
        let d = engine(&[rule("d", "CEL", "message.fuel >= 0.0")]);
        assert!(failures(&d, json!({"fuel": 400})).is_empty());
        assert_eq!(failures(&d, json!({"fuel": -1})).len(), 1);
        // int and double arithmetic do not mix without a conversion.
        let m = engine(&[rule("m", "CEL", "message.fuel + 1.5 > 0.0")]);
        let f = failures(&m, json!({"fuel": 400}));
        assert!(f[0].error.is_some(), "{f:?}");
    }

    #[test]
    fn a_missing_key_is_a_failed_rule_with_the_error() {
        let e = engine(&[rule("fuel", "CEL", "message.fuel >= 0")]);
        let f = failures(&e, json!({"temperature": 36}));
        assert_eq!(f.len(), 1);
        let err = f[0].error.as_deref().unwrap();
        assert!(err.contains("fuel"), "{err}");
        assert!(f[0].values.is_empty());
        // has() guards it.
        let g = engine(&[rule(
            "fuel",
            "CEL",
            "!has(message.fuel) || message.fuel >= 0",
        )]);
        assert!(failures(&g, json!({"temperature": 36})).is_empty());
    }

    #[test]
    fn a_guard_that_is_false_passes_the_rule() {
        let e = engine(&[rule(
            "hot_means_low_pressure",
            "CEL",
            "message.temperature > 80 ; message.pressure < 900",
        )]);
        assert!(failures(&e, json!({"temperature": 20, "pressure": 950})).is_empty());
        assert!(failures(&e, json!({"temperature": 85, "pressure": 500})).is_empty());
        let f = failures(&e, json!({"temperature": 85, "pressure": 950}));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].values.keys().collect::<Vec<_>>(),
            ["message.pressure", "message.temperature"]
        );
        // A blank guard is no guard.
        let b = engine(&[rule("b", "CEL", " ; message.fuel >= 0")]);
        assert_eq!(failures(&b, json!({"fuel": -1})).len(), 1);
    }

    #[test]
    fn on_failure_none_and_dlq() {
        let mut none = rule("n", "CEL", "message.fuel >= 0");
        none.on_failure = Some("NONE".into());
        let mut dlq = rule("d", "CEL", "message.fuel >= 0");
        dlq.on_failure = Some("DLQ".into());
        dlq.params
            .insert("dlq.topic".into(), "generator-dlq".into());
        let mut pair = rule("p", "CEL", "message.fuel >= 0");
        pair.on_failure = Some("ERROR,NONE".into());
        let e = engine(&[none, dlq, pair]);
        let f = failures(&e, json!({"fuel": -1}));
        let actions: Vec<_> = f.iter().map(|x| x.action.clone()).collect();
        assert_eq!(
            actions,
            [
                Action::NONE,
                Action::DLQ("generator-dlq".into()),
                Action::NONE
            ]
        );
        assert!(!f[0].action.fails() && f[1].action.fails());
        assert!(
            f[1].message().contains("generator-dlq"),
            "{}",
            f[1].message()
        );
    }

    #[test]
    fn cel_field_rules_run_per_primitive_field_with_their_bindings() {
        let mut tagged = rule(
            "sensor_in_range",
            "CEL_FIELD",
            "value >= -10 && value <= 90",
        );
        tagged.tags = vec!["SENSOR".into()];
        let names = rule(
            "strings_not_empty",
            "CEL_FIELD",
            "typeName == 'STRING' ; size(value) > 0 && name != '' && fullName.startsWith('$.')",
        );
        let e = engine(&[tagged, names]);
        assert!(
            failures(
                &e,
                json!({"generatorID": "g1", "temperature": 36, "fuel": 999})
            )
            .is_empty()
        );
        let f = failures(
            &e,
            json!({"generatorID": "", "temperature": 95, "status": ""}),
        );
        let got: Vec<_> = f
            .iter()
            .map(|x| (x.rule.as_str(), x.field.as_deref()))
            .collect();
        // `status` is an enum: Confluent's walk does not run field rules on it.
        assert_eq!(
            got,
            [
                ("sensor_in_range", Some("$.temperature")),
                ("strings_not_empty", Some("$.generatorID"))
            ]
        );
        assert_eq!(f[0].values["value"], json!(95));
        let t = engine(&[rule(
            "tags",
            "CEL_FIELD",
            "name != 'temperature' || 'SENSOR' in tags",
        )]);
        assert!(failures(&t, json!({"temperature": 1})).is_empty());
    }

    #[test]
    fn metadata_tags_reach_field_rules() {
        let mut r = rule("pii", "CEL_FIELD", "size(value) < 4");
        r.tags = vec!["PII".into()];
        let meta = Metadata {
            tags: BTreeMap::from([("$.generator*".into(), vec!["PII".into()])]),
            ..Metadata::default()
        };
        let e = RuleEngine::new(&[r], &schema(), Some(&meta)).unwrap();
        let f = e.check(&json!({"generatorID": "generator1", "fuel": 1}));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].field.as_deref(), Some("$.generatorID"));
    }

    #[test]
    fn rules_not_run_are_kept_by_name() {
        let mut transform = rule("t", "CEL", "message");
        transform.kind = RuleKind::TRANSFORM;
        let mut off = rule("off", "CEL", "false");
        off.disabled = true;
        let jsonata = rule("migrate", "JSONATA", "$");
        let e = engine(&[transform, off, jsonata]);
        assert!(e.is_empty());
        assert_eq!(e.not_evaluated(), ["t", "off", "migrate"]);
        assert!(e.passes(b"{}"));
    }

    #[test]
    fn only_the_fields_read_are_taken_from_the_payload() {
        let e = engine(&[rule(
            "f",
            "CEL",
            "message.fuel >= 0 && message.temperature < 90",
        )]);
        assert_eq!(e.reads, ["fuel", "temperature"]);
        assert!(!e.read_all);
        let whole = engine(&[rule("w", "CEL", "size(message) > 0")]);
        assert!(whole.read_all);
        assert!(whole.passes(br#"{"a":1}"#));
        // Duplicate keys: the last one wins, as when the record is parsed whole.
        assert!(!e.passes(br#"{"fuel":1,"temperature":1,"fuel":-1}"#));
        assert!(!e.passes(b"[1]"));
    }

    fn compile_err(ty: &str, expr: &str) -> CompileError {
        compile_check(&rule("r", ty, expr)).expect_err(expr)
    }

    #[test]
    fn bad_rules_are_refused_at_compile_time() {
        assert!(matches!(
            compile_err("CEL", "message.fuel >="),
            CompileError::Parse { .. }
        ));
        let CompileError::Parse { column, .. } = compile_err("CEL", "message.fuel >= 0 && )")
        else {
            panic!()
        };
        assert_eq!(column, 22);
        // The column counts from the whole expression, guard included.
        let CompileError::Parse { column, .. } = compile_err("CEL", "true ; message.fuel >= )")
        else {
            panic!()
        };
        assert_eq!(column, 24);
        assert_eq!(
            compile_err("CEL", "msg.fuel >= 0"),
            CompileError::UnknownVariable("msg".into(), &CEL_VARS)
        );
        assert_eq!(
            compile_err("CEL", "value > 0"),
            CompileError::UnknownVariable("value".into(), &CEL_VARS)
        );
        assert!(compile_check(&rule("r", "CEL_FIELD", "value > 0")).is_ok());
        assert_eq!(
            compile_err("CEL", "sqrt(message.fuel) > 0"),
            CompileError::UnknownFunction("sqrt".into())
        );
        assert_eq!(
            compile_err("CEL", "message.fuel + 1"),
            CompileError::NotBool("a number")
        );
        assert_eq!(
            compile_err("CEL", "'yes'"),
            CompileError::NotBool("a string")
        );
    }

    #[test]
    fn long_expression_refused() {
        let long = format!("message.fuel >= 0{}", " && true".repeat(100 * 1024 / 8));
        assert!(matches!(
            compile_err("CEL", &long),
            CompileError::TooLong(_)
        ));
    }

    #[test]
    fn deep_expressions_refused() {
        let deep = format!("{}true{}", "(".repeat(500), ")".repeat(500));
        assert_eq!(compile_err("CEL", &deep), CompileError::TooDeep(500));
        let deep_not = format!("{}true", "!".repeat(2000));
        assert_eq!(compile_err("CEL", &deep_not), CompileError::TooDeep(2000));
        let deep_list = format!("{}1{} == []", "[".repeat(40), "]".repeat(40));
        assert_eq!(compile_err("CEL", &deep_list), CompileError::TooDeep(40));
    }

    #[test]
    fn nested_within_limit() {
        // Within the limits: parsed, and what the parser still refuses is a parse error.
        let n = MAX_NESTING - 1;
        for nested in [
            format!("{}message.fuel >= 0{}", "(".repeat(n), ")".repeat(n)),
            format!("{}(message.fuel >= 0)", "!".repeat(n)),
            format!(
                "{}1{} != [] && message.fuel >= 0",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ] {
            assert!(
                compile_check(&rule("r", "CEL", &nested)).is_ok(),
                "{nested}"
            );
            // Evaluation does not overflow a 2 MiB stack either.
            let e = engine(&[rule("r", "CEL", &nested)]);
            e.passes(br#"{"fuel": 1}"#);
            e.check(&json!({"fuel": 1}));
        }
        assert!(
            compile_check(&rule(
                "r",
                "CEL",
                "message.fuel >= -1 && !(-message.fuel > 1)"
            ))
            .is_ok()
        );
    }

    #[test]
    fn long_chain_runs() {
        // A long flat chain just under the length limit compiles and runs.
        let chain = format!(
            "message.fuel >= 0{}",
            " && message.fuel >= 0".repeat(MAX_EXPR_BYTES / 24)
        );
        let e = engine(&[rule("chain", "CEL", &chain)]);
        assert!(e.passes(br#"{"fuel": 1}"#));
        assert!(!e.passes(br#"{"fuel": -1}"#));
        assert_eq!(nesting("'(((((' == \"[[[[\""), 0);
    }

    #[test]
    fn known_names_compile() {
        // Comprehension variables and type names are known.
        assert!(
            compile_check(&rule(
                "r",
                "CEL",
                "[1, 2].all(x, x > 0) && type(message.fuel) == int"
            ))
            .is_ok()
        );
        for ok in [
            "message.generatorID.startsWith('generator')",
            "message.generatorID.matches('^generator[0-9]+$')",
            "size(message.generatorID) > 0",
            "message.fuel in [1, 2]",
            "double(message.fuel) >= 0.0",
        ] {
            assert!(compile_check(&rule("r", "CEL", ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn every_known_function_is_one_the_crate_runs() {
        // A name the environment lacks fails with "Undeclared reference"; a known one with
        // another error (wrong arguments) or a value.
        let env = Arc::new(Env::stdlib());
        for f in FUNCTIONS {
            let program = env.compile(&format!("{f}()")).unwrap();
            let out = program.execute(&Context::with_env(Arc::clone(&env)));
            let undeclared = matches!(&out, Err(cel::ExecutionError::UndeclaredReference(_)));
            let member = env.compile(&format!("'x'.{f}()")).unwrap();
            let m = member.execute(&Context::with_env(Arc::clone(&env)));
            let m_undeclared = matches!(&m, Err(cel::ExecutionError::UndeclaredReference(_)));
            assert!(!(undeclared && m_undeclared), "{f}: {out:?} / {m:?}");
        }
        let unknown = env.compile("sqrt()").unwrap();
        let out = unknown.execute(&Context::with_env(Arc::clone(&env)));
        assert!(
            matches!(out, Err(cel::ExecutionError::UndeclaredReference(_))),
            "{out:?}"
        );
    }

    #[test]
    fn the_compliant_fleet_breaks_only_the_fuel_rule_and_only_below_zero() {
        use crate::simulate::{FaultPlan, fleet::Fleet};
        let root = std::path::Path::new(".");
        let contract = crate::catalog::load_contract(root, "generator").unwrap();
        let history = crate::catalog::load_history(&contract.schemas).unwrap();
        let newest = history.last().unwrap();
        let e = RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap();
        assert!(
            e.len() >= 3,
            "the generator contract carries the fleet's rules"
        );
        let model = contract.simulator.as_ref().unwrap();
        let mut fleet = Fleet::new(
            model,
            &newest.schema,
            10,
            3,
            &FaultPlan { rules: vec![] },
            1 << 20,
        )
        .unwrap();
        let mut negative = 0;
        for n in 0..20_000 {
            let reading = fleet.read(n % fleet.len());
            let bytes = serde_json::to_vec(&reading.payload).unwrap();
            let found = e.check(&reading.payload);
            assert_eq!(e.passes(&bytes), found.is_empty());
            let fuel = reading.payload["fuel"].as_i64().unwrap();
            if fuel < 0 {
                negative += 1;
                assert!((-9..0).contains(&fuel), "{fuel}");
                let names: Vec<_> = found.iter().map(|f| f.rule.as_str()).collect();
                assert_eq!(names, ["fuel_not_negative"], "{}", reading.payload);
            } else {
                assert!(
                    found.is_empty(),
                    "false alarm on {}: {found:?}",
                    reading.payload
                );
            }
        }
        assert!(
            negative > 0,
            "the fleet's refill defect shows in 20000 readings"
        );
    }

    /// A schema with the fleet's readings, open to other keys.
    fn corpus_schema() -> serde_json::Value {
        json!({"type": "object", "properties": {
            "generatorID": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "temperature": {"type": "number"},
            "pressure": {"type": "number"},
            "fuel": {"type": "number"},
            "status": {"type": "string", "enum": ["running", "standby", "fault"]}
        }, "required": ["generatorID"]})
    }

    /// Payloads for the agreement tests: the fleet's readings (FLEET.md's example, the
    /// refill defect), and what breaks a rule or the native evaluation: missing fields,
    /// wrong types, integers beyond 2^53 and `i64`, doubles where ints are usual, escaped
    /// strings, duplicate keys, containers.
    fn corpus() -> Vec<String> {
        let mut out: Vec<String> = [
            r#"{"generatorID":"generator1","lat":40.68066,"lon":-73.47429,"temperature":36,"pressure":500,"fuel":400}"#,
            r#"{"generatorID":"generator2","lat":33.58659,"lon":-89.369,"temperature":-10,"pressure":100,"fuel":0}"#,
            r#"{"generatorID":"generator3","lat":1,"lon":1,"temperature":90,"pressure":1000,"fuel":-9}"#,
            r#"{"generatorID":"generator4","lat":1,"lon":1,"temperature":91,"pressure":99,"fuel":2000}"#,
            r#"{"generatorID":"generator5","lat":1,"lon":1,"temperature":-11,"pressure":1001,"fuel":-1}"#,
            r#"{"generatorID":"generator6","lat":1,"lon":1,"temperature":85,"pressure":950,"fuel":1}"#,
            r#"{"generatorID":"generator7","lat":1,"lon":1,"temperature":36,"pressure":500}"#,
            r#"{"generatorID":"generator8","lat":1,"lon":1,"pressure":500,"fuel":400}"#,
            r#"{"generatorID":"g","fuel":"400","temperature":"hot","pressure":true}"#,
            r#"{"generatorID":"g","fuel":null,"temperature":null,"pressure":null}"#,
            r#"{"generatorID":"g","fuel":[1],"temperature":{"c":1},"pressure":[]}"#,
            r#"{"generatorID":"g","fuel":400.0,"temperature":36.5,"pressure":-0.0}"#,
            r#"{"generatorID":"g","fuel":-0,"temperature":1e2,"pressure":4E2}"#,
            r#"{"generatorID":"g","fuel":9007199254740993,"temperature":-9007199254740993,"pressure":9007199254740992}"#,
            r#"{"generatorID":"g","fuel":18446744073709551615,"temperature":-9223372036854775808,"pressure":9223372036854775808}"#,
            r#"{"generatorID":"g","fuel":1e300,"temperature":-1e300,"pressure":5e-324}"#,
            r#"{"generatorID":"gen\u0065rator1","fuel":1,"temperature":1,"pressure":100,"status":"running"}"#,
            r#"{"generatorID":"generator1","fuel":1,"fuel":-1,"temperature":1,"pressure":100}"#,
            r#"{"generatorID":"generator1","fuel":1,"temperature":1,"pressure":100,"flag":true,"flag":false}"#,
            r#"{"generatorID":"generator1","fuel":1,"temperature":1,"pressure":100,"flag":true,"nosuch":"x"}"#,
            r#"{"generatorID":"generator1","fuel":1,"temperature":1,"pressure":100,"flag":1,"status":"fault"}"#,
            r#"{"generatorID":"","fuel":1,"temperature":1,"pressure":100,"status":"standby"}"#,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // The simulated fleet, refill defect included.
        use crate::simulate::{FaultPlan, fleet::Fleet};
        let contract =
            crate::catalog::load_contract(std::path::Path::new("."), "generator").unwrap();
        let history = crate::catalog::load_history(&contract.schemas).unwrap();
        let newest = history.last().unwrap();
        let model = contract.simulator.as_ref().unwrap();
        let plan = FaultPlan { rules: vec![] };
        let mut fleet = Fleet::new(model, &newest.schema, 5, 7, &plan, 1 << 20).unwrap();
        for n in 0..2_000 {
            out.push(serde_json::to_string(&fleet.read(n % fleet.len()).payload).unwrap());
        }
        out
    }

    /// Expressions the native evaluation covers (each is checked to be native).
    const NATIVE_EXPRS: [&str; 40] = [
        "message.fuel >= 0",
        "message.fuel >= 0.0",
        "message.temperature >= -10 && message.temperature <= 90",
        "message.pressure >= 100 && message.pressure <= 1000",
        "!has(message.fuel) || message.fuel >= 0",
        "has(message.fuel)",
        "has(message.flag) && message.flag",
        "message.flag",
        "message.fuel",
        "message.fuel > 0 || message.fuel < 0",
        "message.fuel < 0 && message.temperature > 200",
        "message.fuel == 400",
        "message.fuel == 400.0",
        "message.fuel != 400",
        "message.fuel == 'x'",
        "message.fuel == null",
        "message.fuel != null",
        "message.generatorID == 'generator1'",
        "message.generatorID != ''",
        "message.status == 'running' || message.status == 'standby'",
        "-message.fuel <= 9",
        "-message.temperature < 0.5",
        "!(message.fuel < 0)",
        "message.temperature > 80 ; message.pressure < 900",
        "message.nosuch > 0 ; message.fuel >= 0",
        "message.fuel > 0 ? message.pressure > 100 : message.temperature < 50",
        "message.fuel >= 9007199254740993",
        "message.fuel < 9007199254740993.0",
        "message.pressure <= 9007199254740992.0",
        "message.fuel >= 18446744073709551615u",
        "message.fuel < 1u",
        "message.temperature < 1u",
        "message.nosuch > 0 || true",
        "message.nosuch > 0 && false",
        "false && message.nosuch > 0",
        "true || message.nosuch > 0",
        "message.generatorID > 0 || message.fuel >= 0",
        "message.generatorID > 'a'",
        "message.lat > 0.0 && message.lon < 0.0",
        "message.fuel == message.pressure || message.temperature != message.pressure",
    ];

    #[test]
    fn native_evaluation_agrees_with_the_crate_on_the_corpus() {
        let schema = corpus_schema();
        let validator =
            PayloadValidator::new(&crate::compat::Schema::parse(schema.clone()).unwrap()).unwrap();
        let corpus = corpus();
        let (mut decided, mut unsure, mut one_pass) = (0, 0, 0);
        for expr in NATIVE_EXPRS {
            let e = RuleEngine::new(&[rule("r", "CEL", expr)], &schema, None).expect(expr);
            assert!(e.is_native(), "{expr} is evaluated natively");
            let fused = e.one_pass(&validator);
            assert!(fused.is_one_pass(), "{expr}");
            for payload in &corpus {
                let record: serde_json::Value = serde_json::from_str(payload).unwrap();
                let crate_passes = e.check(&record).is_empty();
                // The native verdict alone, where it gives one, is the crate's.
                let mut vals: [Scalar<'_>; MAX_PICKS] = Default::default();
                let mut de = serde_json::Deserializer::from_str(payload);
                PickScalars {
                    reads: &e.reads,
                    out: &mut vals,
                }
                .deserialize(&mut de)
                .unwrap();
                match e.native_passes(&vals[..e.reads.len()]) {
                    Some(v) => {
                        decided += 1;
                        assert_eq!(v, crate_passes, "native verdict on {expr} for {payload}");
                    }
                    None => unsure += 1,
                }
                // Both public fast paths give the crate's verdict, and so does its fallback.
                assert_eq!(
                    e.passes(payload.as_bytes()),
                    crate_passes,
                    "{expr}: {payload}"
                );
                assert_eq!(
                    e.passes_by_crate(payload.as_bytes()),
                    crate_passes,
                    "{expr}: {payload}"
                );
                if fused.certify(payload.as_bytes()) {
                    one_pass += 1;
                    assert!(crate_passes, "{expr}: certified {payload}");
                    assert!(validator.is_valid(payload.as_bytes()), "{payload}");
                }
            }
        }
        // Most cases are decided natively (the fleet's readings); the unsure ones are errors.
        assert!(decided > 4 * unsure, "{decided} decided, {unsure} unsure");
        assert!(one_pass > 0);
    }

    #[test]
    fn native_evaluation_agrees_with_the_crate_on_the_interop_rule_corpus() {
        // The rule × payload corpus the Confluent clients are compared on (tests/rules.rs).
        let text = std::fs::read_to_string("tests/fixtures/rules-corpus/corpus.json").unwrap();
        let corpus: serde_json::Value = serde_json::from_str(&text).unwrap();
        let schema = &corpus["schema"];
        let (mut native_rules, mut decided) = (0, 0);
        for r in corpus["rules"].as_array().unwrap() {
            let expr = r["expr"].as_str().unwrap();
            let e = RuleEngine::new(&[rule("r", "CEL", expr)], schema, None).expect(expr);
            native_rules += usize::from(e.is_native());
            for p in corpus["payloads"].as_array().unwrap() {
                let record = &p["payload"];
                let bytes = serde_json::to_vec(record).unwrap();
                let crate_passes = e.check(record).is_empty();
                assert_eq!(e.passes(&bytes), crate_passes, "{expr}: {record}");
                if !e.is_native() {
                    continue;
                }
                let mut vals: [Scalar<'_>; MAX_PICKS] = Default::default();
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                PickScalars {
                    reads: &e.reads,
                    out: &mut vals,
                }
                .deserialize(&mut de)
                .unwrap();
                if let Some(v) = e.native_passes(&vals[..e.reads.len()]) {
                    decided += 1;
                    assert_eq!(v, crate_passes, "native verdict on {expr} for {record}");
                }
            }
        }
        assert!(
            native_rules > 0 && decided > 0,
            "{native_rules} / {decided}"
        );
    }

    #[test]
    fn what_the_native_evaluation_leaves_to_the_crate() {
        let schema = corpus_schema();
        for expr in [
            "size(message.generatorID) > 0",
            "message.fuel in [1, 2]",
            "message.generatorID.startsWith('generator')",
            "double(message.fuel) >= 0.0",
            "message.fuel + 1 > 0",
            "[1, 2].all(x, x > 0) && message.fuel >= 0",
            "type(message.fuel) == int",
            "size(message) > 0",
        ] {
            let e = RuleEngine::new(&[rule("r", "CEL", expr)], &schema, None).expect(expr);
            assert!(!e.is_native(), "{expr}");
            // And the crate still answers.
            assert!(
                e.passes(br#"{"generatorID":"generator1","fuel":1}"#),
                "{expr}"
            );
        }
        let field = RuleEngine::new(&[rule("f", "CEL_FIELD", "value != ''")], &schema, None);
        assert!(!field.unwrap().is_native());
        // One rule the crate must run makes the engine leave all of them to the crate.
        let mixed = engine(&[
            rule("a", "CEL", "message.fuel >= 0"),
            rule("b", "CEL", "size(message.generatorID) > 0"),
        ]);
        assert!(!mixed.is_native());
        assert!(!mixed.passes(br#"{"generatorID":"g","fuel":-1}"#));
    }

    #[test]
    fn the_fleet_takes_one_pass_and_its_verdicts_stay() {
        use crate::simulate::{FaultPlan, fleet::Fleet};
        let root = std::path::Path::new(".");
        let contract = crate::catalog::load_contract(root, "generator").unwrap();
        let history = crate::catalog::load_history(&contract.schemas).unwrap();
        let newest = history.last().unwrap();
        let e = RuleEngine::new(&contract.rules, newest.schema.document(), None).unwrap();
        assert!(e.is_native(), "the contract's rules are evaluated natively");
        let validator = PayloadValidator::new(&newest.schema).unwrap();
        let fused = e.one_pass(&validator);
        assert!(fused.is_one_pass());
        let model = contract.simulator.as_ref().unwrap();
        let mut fleet = Fleet::new(
            model,
            &newest.schema,
            10,
            11,
            &FaultPlan { rules: vec![] },
            1 << 20,
        )
        .unwrap();
        let (mut certified, mut failing) = (0, 0);
        for n in 0..20_000 {
            let reading = fleet.read(n % fleet.len());
            let bytes = serde_json::to_vec(&reading.payload).unwrap();
            let passes = e.check(&reading.payload).is_empty();
            assert!(validator.is_valid(&bytes));
            assert_eq!(e.passes(&bytes), passes, "{}", reading.payload);
            // Every reading that passes is certified in one pass; none that fails is.
            assert_eq!(fused.certify(&bytes), passes, "{}", reading.payload);
            certified += usize::from(passes);
            failing += usize::from(!passes);
        }
        assert!(certified > 19_000 && failing > 0, "{certified} / {failing}");
        // A payload the schema refuses is never certified, whatever the rules say.
        assert!(!fused.certify(
            br#"{"generatorID":1,"lat":1,"lon":1,"temperature":1,"pressure":100,"fuel":1}"#
        ));
        assert!(
            !fused
                .certify(br#"{"generatorID":"g","lat":1,"lon":1,"temperature":1,"pressure":100}"#)
        );
    }

    #[test]
    fn tag_paths_match_with_wildcards() {
        assert!(wildcard_match("$.fuel", "$.fuel"));
        assert!(wildcard_match("$.fuel", "$.*"));
        assert!(!wildcard_match("$.a.fuel", "$.*"));
        assert!(wildcard_match("$.a.fuel", "**.fuel"));
    }
}
