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
//! ([`RuleEngine::passes`]); the whole record is bound only when a rule reads `message` whole
//! or a CEL_FIELD rule is present.

use crate::catalog::{Metadata, Rule, RuleMode};
use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelMap as ValMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use cel::objects::{Key, Map as CelMap};
use cel::{Context, Env, Program, Value};
use serde::Serialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    /// Rules kept but not evaluated (types or kinds schemactl does not run), by name.
    not_evaluated: Vec<String>,
}

impl fmt::Debug for RuleEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleEngine")
            .field("rules", &self.rules.len())
            .field("reads", &self.reads)
            .field("read_all", &self.read_all)
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
                if let Some(t) = &call.target {
                    self.expr(t);
                }
                for a in &call.args {
                    self.expr(a);
                }
            }
            Expr::Comprehension(c) => {
                self.bound.insert(c.iter_var.clone());
                if let Some(v) = &c.iter_var2 {
                    self.bound.insert(v.clone());
                }
                self.bound.insert(c.accu_var.clone());
                for x in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    self.expr(x);
                }
            }
            Expr::List(l) => l.elements.iter().for_each(|x| self.expr(x)),
            Expr::Map(m) => self.entries(m.entries.iter().map(|e| &e.expr)),
            Expr::Struct(s) => self.entries(s.entries.iter().map(|e| &e.expr)),
        }
    }

    fn entries<'a>(&mut self, entries: impl Iterator<Item = &'a EntryExpr>) {
        for e in entries {
            match e {
                EntryExpr::StructField(f) => self.expr(&f.value),
                EntryExpr::MapEntry(m) => {
                    self.expr(&m.key);
                    self.expr(&m.value);
                }
            }
        }
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
enum Verdict {
    Pass,
    Fail,
    Error(String),
}

fn run(program: &Program, ctx: &Context) -> Verdict {
    match program.execute(ctx) {
        Ok(Value::Bool(true)) => Verdict::Pass,
        Ok(Value::Bool(false)) => Verdict::Fail,
        Ok(other) => Verdict::Error(format!(
            "the expression yielded {}, not a bool",
            other.type_of()
        )),
        Err(e) => Verdict::Error(e.to_string()),
    }
}

/// Runs a rule (guard first) on a bound context.
fn judge(rule: &Compiled, ctx: &Context) -> Verdict {
    if let Some(guard) = &rule.guard {
        match run(guard, ctx) {
            Verdict::Pass => {}
            Verdict::Fail => return Verdict::Pass,
            Verdict::Error(e) => return Verdict::Error(format!("in the guard: {e}")),
        }
    }
    run(&rule.body, ctx)
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
        Ok(RuleEngine {
            env,
            rules: compiled,
            fields,
            reads: reads.into_iter().collect(),
            read_all,
            not_evaluated,
        })
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
            .all(|r| matches!(judge(r, &ctx), Verdict::Pass))
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
                        Verdict::Pass => continue,
                        Verdict::Fail => None,
                        Verdict::Error(e) => Some(e),
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
                Verdict::Pass => continue,
                Verdict::Fail => None,
                Verdict::Error(e) => Some(e),
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
    use crate::catalog::{RuleKind, RuleMode};
    use serde_json::json;

    fn rule(name: &str, ty: &str, expr: &str) -> Rule {
        Rule {
            name: name.into(),
            doc: None,
            kind: RuleKind::CONDITION,
            mode: RuleMode::WRITEREAD,
            rule_type: ty.into(),
            tags: vec![],
            params: BTreeMap::new(),
            expr: Some(expr.into()),
            on_success: None,
            on_failure: None,
            disabled: false,
        }
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

    #[test]
    fn tag_paths_match_with_wildcards() {
        assert!(wildcard_match("$.fuel", "$.fuel"));
        assert!(wildcard_match("$.fuel", "$.*"));
        assert!(!wildcard_match("$.a.fuel", "$.*"));
        assert!(wildcard_match("$.a.fuel", "**.fuel"));
    }
}
