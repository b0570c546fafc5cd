//! The portability lint (`RULE_NOT_PORTABLE`): rules whose outcome depends on which of
//! Confluent's clients runs them. Each class below was measured with confluent-kafka-python
//! 2.16.1's `CelExecutor` and @confluentinc/schemaregistry 1.10.1's, and each suggested form is
//! one both clients agree on (tests/rules.rs runs the suggestions through both):
//!
//! - **a JSON `number` (or `integer`) field ordered or compared with a double literal** (`message.fuel >= 0.0`):
//!   a JSON integer such as 400 is a CEL `int` in Python's CEL, which has no `int >= double`
//!   overload and fails the rule; JavaScript has one number type and passes it. The CEL
//!   specification compares numbers across types, so schemactl passes it too. Portable:
//!   `double(message.fuel) >= 0.0`.
//!   The same holds for arithmetic (`message.temperature * 1.8`), where the specification, like
//!   Python, has no mixed overload and schemactl fails the rule with Python.
//! - **a field the schema does not require, read without `has()`**: on a record without it,
//!   Python's CEL raises "no such key" and fails the rule; the JavaScript client's CEL returns
//!   an error *value*, which its serde (failing only on `false`) lets pass. schemactl follows
//!   the specification: an error fails the rule. Portable: `has(message.f) && (...)` when a
//!   record without the field must fail, `!has(message.f) || (...)` when it may pass.
//!
//! Only evaluated CEL rules are linted (CEL_FIELD rules bind `value`, whose type the field
//! gives). A rule that reads nothing of these kinds gets no finding.

use super::rules::{for_each_child, parse_trees};
use crate::catalog::Rule;
use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use serde::Serialize;
use std::collections::BTreeSet;

/// The finding's kind.
pub const KIND: &str = "RULE_NOT_PORTABLE";

/// One class of client disagreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// A JSON number field ordered or compared with a double literal.
    DoubleLiteral,
    /// A field the schema does not require, read without `has()`.
    OptionalWithoutHas,
}

/// One rule whose outcome depends on the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's name.
    pub rule: String,
    /// Which disagreement.
    pub class: Class,
    /// The field involved (top-level name).
    pub field: String,
    /// What each client does, one sentence.
    pub message: String,
    /// A form both clients agree on, checked with both.
    pub portable_form: String,
}

/// Lints `rules` against `schema`, the JSON Schema of the version they belong to.
pub fn lint(rules: &[Rule], schema: &serde_json::Value) -> Vec<Finding> {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let number = |field: &str| {
        let ty = schema.pointer(&format!("/properties/{}/type", escape(field)));
        match ty {
            Some(serde_json::Value::String(t)) => t == "number" || t == "integer",
            Some(serde_json::Value::Array(ts)) => {
                ts.iter().any(|t| t == "number" || t == "integer")
            }
            _ => false,
        }
    };
    let mut out = Vec::new();
    for rule in rules {
        if !rule.is_evaluated() || rule.rule_type != "CEL" {
            continue;
        }
        let Some(expr) = rule.expr.as_deref() else {
            continue;
        };
        let Some((guard, body)) = parse_trees(expr) else {
            continue;
        };
        let mut scan = Scan::default();
        for tree in guard.iter().chain(std::iter::once(&body)) {
            scan.expr(tree);
        }
        let mut seen = BTreeSet::new();
        for (field, op, literal, literal_left) in &scan.double_comparisons {
            if !number(field) || !seen.insert((Class::DoubleLiteral, field.clone())) {
                continue;
            }
            let lit = format!("{literal:?}");
            let read = format!("message.{field}");
            let example = if *literal_left {
                format!("{lit} {op} {read}")
            } else {
                format!("{read} {op} {lit}")
            };
            let arithmetic = matches!(*op, "+" | "-" | "*" | "/");
            let what = if arithmetic {
                "computes with"
            } else {
                "compares"
            };
            let (python, others) = if arithmetic {
                (
                    "fails the rule (no int/double overload)",
                    "while @confluentinc/schemaregistry (one JavaScript number type) computes it; schemactl fails it too, as the CEL specification has no mixed arithmetic",
                )
            } else {
                (
                    "has no int/double overload and fails the rule",
                    "which @confluentinc/schemaregistry (one JavaScript number type) and schemactl (the CEL specification compares numbers across types) pass",
                )
            };
            out.push(Finding {
                rule: rule.name.clone(),
                class: Class::DoubleLiteral,
                field: field.clone(),
                message: format!(
                    "rule \"{}\" {what} the JSON number field \"{field}\" and the double {lit} (`{example}`): for every integral value such as 400 confluent-kafka-python's CEL {python}, {others}",
                    rule.name
                ),
                portable_form: with_double(expr, field),
            });
        }
        for field in &scan.reads {
            if required.contains(field.as_str())
                || scan.tested.contains(field)
                || !seen.insert((Class::OptionalWithoutHas, field.clone()))
            {
                continue;
            }
            out.push(Finding {
                rule: rule.name.clone(),
                class: Class::OptionalWithoutHas,
                field: field.clone(),
                message: format!(
                    "rule \"{}\" reads message.{field}, which the schema does not require, without has(): on a record without it confluent-kafka-python fails the rule (no such key) and schemactl fails it (an evaluation error, as the CEL specification has it), while @confluentinc/schemaregistry passes the record (its CEL yields an error value, not false)",
                    rule.name
                ),
                portable_form: match expr.split_once(';') {
                    Some((guard, body)) => {
                        format!("{guard}; has(message.{field}) && ({})", body.trim())
                    }
                    None => format!("has(message.{field}) && ({})", expr.trim()),
                },
            });
        }
    }
    out
}

/// The help line for a finding: the portable form, and the other one for a missing field.
pub fn help(f: &Finding, expr: &str) -> String {
    match f.class {
        Class::DoubleLiteral => format!(
            "write `{}` (both clients agree on it; for a whole bound an integer literal, `>= 0`, works too)",
            f.portable_form
        ),
        Class::OptionalWithoutHas => format!(
            "write `{}` if a record without {} must fail, or `!has(message.{}) || ({})` if it may pass (both clients agree on either)",
            f.portable_form,
            f.field,
            f.field,
            body_text(expr)
        ),
    }
}

/// The expression after a `guard ;`, trimmed.
fn body_text(expr: &str) -> &str {
    expr.split_once(';').map_or(expr, |(_, b)| b).trim()
}

/// `expr` with every read of `message.<field>` (not its `has()` tests) made `double(...)`.
fn with_double(expr: &str, field: &str) -> String {
    let read = format!("message.{field}");
    let mut out = String::with_capacity(expr.len() + 16);
    let mut rest = expr;
    while let Some(i) = rest.find(&read) {
        let (before, from) = rest.split_at(i);
        let after = &from[read.len()..];
        let whole_name = !after.starts_with(|c: char| c == '_' || c.is_alphanumeric())
            && !before.ends_with(|c: char| c == '_' || c == '.' || c.is_alphanumeric());
        let tested = before.trim_end().ends_with("has(");
        out.push_str(before);
        if whole_name && !tested {
            out.push_str(&format!("double({read})"));
        } else {
            out.push_str(&read);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `~` and `/` escaped for a JSON pointer segment.
fn escape(field: &str) -> String {
    field.replace('~', "~0").replace('/', "~1")
}

/// What a tree reads and compares.
#[derive(Default)]
struct Scan {
    /// `message.<field>` read as a value.
    reads: BTreeSet<String>,
    /// `message.<field>` tested with `has()`.
    tested: BTreeSet<String>,
    /// (field, operator, literal, literal on the left) for each comparison of a top-level
    /// field with a double literal.
    double_comparisons: Vec<(String, &'static str, f64, bool)>,
}

/// `message.<field>` when `e` is exactly that.
fn message_field(e: &IdedExpr) -> Option<&str> {
    match &e.expr {
        Expr::Select(sel) if !sel.test => match &sel.operand.expr {
            Expr::Ident(root) if root == "message" => Some(sel.field.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The value of a double literal, a negated one included.
fn double_literal(e: &IdedExpr) -> Option<f64> {
    match &e.expr {
        Expr::Literal(LiteralValue::Double(d)) => Some(*d.inner()),
        Expr::Call(c) if c.func_name == "-_" && c.args.len() == 1 => {
            double_literal(&c.args[0]).map(|d| -d)
        }
        _ => None,
    }
}

fn operator(func: &str) -> Option<&'static str> {
    Some(match func {
        "_+_" => "+",
        "_-_" => "-",
        "_*_" => "*",
        "_/_" => "/",
        "_<_" => "<",
        "_<=_" => "<=",
        "_>_" => ">",
        "_>=_" => ">=",
        "_==_" => "==",
        "_!=_" => "!=",
        _ => return None,
    })
}

impl Scan {
    fn expr(&mut self, e: &IdedExpr) {
        match &e.expr {
            Expr::Select(sel) => {
                if let Expr::Ident(root) = &sel.operand.expr
                    && root == "message"
                {
                    if sel.test {
                        self.tested.insert(sel.field.clone());
                    } else {
                        self.reads.insert(sel.field.clone());
                    }
                } else {
                    self.expr(&sel.operand);
                }
            }
            Expr::Call(call) => {
                if let (Some(op), [a, b]) = (operator(&call.func_name), call.args.as_slice()) {
                    let pair = match (message_field(a), double_literal(b)) {
                        (Some(f), Some(d)) => Some((f, d, false)),
                        _ => match (double_literal(a), message_field(b)) {
                            (Some(d), Some(f)) => Some((f, d, true)),
                            _ => None,
                        },
                    };
                    if let Some((field, d, left)) = pair {
                        self.double_comparisons
                            .push((field.to_string(), op, d, left));
                    }
                }
                for_each_child(e, |x| self.expr(x));
            }
            _ => for_each_child(e, |x| self.expr(x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(name: &str, expr: &str) -> Rule {
        Rule::condition(name, "CEL", expr)
    }

    fn schema() -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "fuel": {"type": "number"},
                "count": {"type": "integer"},
                "status": {"type": "string"}
            },
            "required": ["fuel", "count"]
        })
    }

    #[test]
    fn a_double_literal_against_a_number_field_is_not_portable() {
        let found = lint(&[rule("floor", "message.fuel >= 0.0")], &schema());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].class, Class::DoubleLiteral);
        assert_eq!(found[0].portable_form, "double(message.fuel) >= 0.0");
        assert!(found[0].message.contains("confluent-kafka-python"));
        let left = lint(&[rule("cap", "-10.5 < message.fuel")], &schema());
        assert_eq!(left[0].portable_form, "-10.5 < double(message.fuel)");
        let both = lint(
            &[rule(
                "r",
                "has(message.fuel) && message.fuel <= 2000.0 && message.fuel_x > 0",
            )],
            &schema(),
        );
        assert_eq!(
            both[0].portable_form,
            "has(message.fuel) && double(message.fuel) <= 2000.0 && message.fuel_x > 0"
        );
        // An integer field is a JSON number too, and always an int in Python's CEL.
        let int = lint(&[rule("n", "message.count == 3.0")], &schema());
        assert_eq!(int[0].portable_form, "double(message.count) == 3.0");
    }

    #[test]
    fn an_optional_field_read_without_has_is_not_portable() {
        let found = lint(&[rule("ok", "message.status != 'fault'")], &schema());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].class, Class::OptionalWithoutHas);
        assert_eq!(
            found[0].portable_form,
            "has(message.status) && (message.status != 'fault')"
        );
    }

    #[test]
    fn portable_rules_get_no_finding() {
        for expr in [
            "message.fuel >= 0",
            "double(message.fuel) >= 0.0",
            "!has(message.status) || message.status != 'fault'",
            "has(message.status) ; message.status != 'fault'",
            "message.fuel >= 0 && message.fuel <= 2000",
        ] {
            let found = lint(&[rule("r", expr)], &schema());
            assert!(found.is_empty(), "{expr}: {found:?}");
        }
    }

    #[test]
    fn rules_schemactl_does_not_run_are_not_linted() {
        let mut r = rule("off", "message.fuel >= 0.0");
        r.disabled = true;
        assert!(lint(&[r], &schema()).is_empty());
    }
}
