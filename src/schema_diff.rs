//! `schemactl diff`: every change between two schema files with its verdicts in both
//! directions, the changes between their rule sets (`RULE_ADDED`, `RULE_REMOVED`,
//! `RULE_CHANGED`), and a text diff. [`compare`] returns a typed [`Outcome`]: its serde form is
//! the `--format json` document, its text the changes and a coloured unified diff, and its
//! [`Report`] the CI formats.

use crate::catalog::rule_history::{self, RuleChange};
use crate::catalog::{self, CatalogError};
use crate::compat::{self, Change, Direction, Policy};
use crate::report::{Case, Item, Render, Report, Severity};
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// What to compare.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The earlier schema.
    pub old: &'a Path,
    /// The later schema.
    pub new: &'a Path,
    /// The earlier version's rule set (a `vN.rules.json` or a contract); default: beside `old`.
    pub old_rules: Option<&'a Path>,
    /// The later version's rule set; default: beside `new`.
    pub new_rules: Option<&'a Path>,
}

/// The outcome of `diff`.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The earlier schema's file.
    pub old: String,
    /// The later schema's file.
    pub new: String,
    /// No change in either direction and none between the rule sets.
    pub identical: bool,
    /// Whether the new schema reads old data, per policy.
    pub backward: PolicyVerdicts,
    /// Whether the old schema reads new data, per policy.
    pub forward: PolicyVerdicts,
    /// Every change, backward ones first.
    pub changes: Vec<ChangeRow>,
    /// The changes between the rule sets.
    pub rule_changes: Vec<RuleChangeRow>,
    /// The unified diff of the two schemas, pretty-printed.
    pub unified_diff: String,
    #[serde(skip)]
    texts: Texts,
}

/// What the text and CI forms need beyond the document.
#[derive(Debug)]
struct Texts {
    has_rules: bool,
    new_text: String,
    rules_file: String,
    old_pretty: String,
    new_pretty: String,
}

/// A direction's verdict under each policy.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PolicyVerdicts {
    /// Compatible under Confluent's strict policy.
    pub strict: bool,
    /// Compatible under the lenient policy.
    pub lenient: bool,
}

/// One change, with its direction and verdicts.
#[derive(Debug, Serialize)]
pub struct ChangeRow {
    /// `backward` or `forward`.
    pub direction: &'static str,
    /// The change type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where, as Confluent writes it.
    pub path: String,
    /// The old value, where there is one worth showing.
    pub old: Option<String>,
    /// The new value, where there is one worth showing.
    pub new: Option<String>,
    /// Compatible under the strict policy.
    pub strict: bool,
    /// Compatible under the lenient policy.
    pub lenient: bool,
    /// One sentence.
    pub message: String,
    /// What to do, when the change breaks under the strict policy.
    #[serde(skip)]
    pub help: Option<&'static str>,
    /// The direction, typed.
    #[serde(skip)]
    pub towards: Direction,
}

/// A change between the rule sets, with its sentence.
#[derive(Debug, Serialize)]
pub struct RuleChangeRow {
    /// The change.
    #[serde(flatten)]
    pub change: RuleChange,
    /// One sentence.
    pub message: String,
}

fn verdicts(changes: &[Change]) -> PolicyVerdicts {
    PolicyVerdicts {
        strict: changes.iter().all(|c| c.kind.is_compatible(Policy::Strict)),
        lenient: changes
            .iter()
            .all(|c| c.kind.is_compatible(Policy::Lenient)),
    }
}

fn rows(changes: &[Change], direction: Direction) -> impl Iterator<Item = ChangeRow> + '_ {
    changes.iter().map(move |c| ChangeRow {
        direction: direction.name(),
        kind: c.kind.name(),
        path: c.path.clone(),
        old: c.old.clone(),
        new: c.new.clone(),
        strict: c.kind.is_compatible(Policy::Strict),
        lenient: c.kind.is_compatible(Policy::Lenient),
        message: compat::explain::message(c, direction),
        help: (!c.kind.is_compatible(Policy::Strict))
            .then(|| compat::explain::help(c.kind, direction)),
        towards: direction,
    })
}

/// Compares the two schema files of `request` and their rule sets.
pub fn compare(request: &Request<'_>) -> Result<Outcome, CatalogError> {
    let old = catalog::read_schema_file(request.old)?;
    let new = catalog::read_schema_file(request.new)?;
    // Backward: the new schema reads old data. Forward: the old schema reads new data.
    let backward = compat::diff(&old.schema, &new.schema, Policy::Strict);
    let forward = compat::diff(&new.schema, &old.schema, Policy::Strict);
    let old_rules = rule_history::rules_for_file(request.old, request.old_rules)?;
    let new_rules = rule_history::rules_for_file(request.new, request.new_rules)?;
    let rule_changes = rule_history::rule_changes(&old_rules, &new_rules);
    let has_rules = old_rules.rule_set.is_some() || new_rules.rule_set.is_some();
    let old_pretty = serde_json::to_string_pretty(old.schema.document()).unwrap_or_default();
    let new_pretty = serde_json::to_string_pretty(new.schema.document()).unwrap_or_default();
    let (old_name, new_name) = (
        request.old.display().to_string(),
        request.new.display().to_string(),
    );
    let unified_diff = similar::TextDiff::from_lines(&old_pretty, &new_pretty)
        .unified_diff()
        .header(&old_name, &new_name)
        .to_string();
    Ok(Outcome {
        identical: backward.is_empty() && forward.is_empty() && rule_changes.is_empty(),
        backward: verdicts(&backward),
        forward: verdicts(&forward),
        changes: rows(&backward, Direction::Backward)
            .chain(rows(&forward, Direction::Forward))
            .collect(),
        rule_changes: rule_changes
            .iter()
            .map(|c| RuleChangeRow {
                change: c.clone(),
                message: c.message(),
            })
            .collect(),
        unified_diff,
        texts: Texts {
            has_rules,
            new_text: new.text,
            rules_file: request
                .new_rules
                .unwrap_or(request.new)
                .display()
                .to_string(),
            old_pretty,
            new_pretty,
        },
        old: old_name,
        new: new_name,
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok { "compatible" } else { "BREAKING" }
}

impl Render for Outcome {
    /// The CI formats: one case per direction. Breaking backward changes (strict policy) are
    /// errors, as they decide the exit code; breaking forward changes are warnings.
    fn report(&self) -> Report {
        let t = &self.texts;
        let case = |direction: Direction| Case {
            name: format!("{}: {} -> {}", direction.name(), self.old, self.new),
            items: self
                .changes
                .iter()
                .filter(|c| c.towards == direction)
                .map(|c| Item {
                    rule: c.kind.to_string(),
                    severity: match (c.strict, direction) {
                        (true, _) => Severity::Note,
                        (false, Direction::Backward) => Severity::Error,
                        (false, Direction::Forward) => Severity::Warning,
                    },
                    file: Some(self.new.clone()),
                    pointer: Some(c.path.clone()),
                    at: crate::report::location::locate(&t.new_text, &c.path),
                    message: c.message.clone(),
                    help: c.help.map(str::to_string),
                })
                .collect(),
            skipped: None,
        };
        let mut cases = vec![case(Direction::Backward), case(Direction::Forward)];
        // Only schemas with rule sets get the rules case, so plain diffs read as before. A rule
        // added or changed may refuse records the older set let through, a removed one lets
        // more through: warnings a reviewer should see, never the exit code.
        if t.has_rules {
            cases.push(Case::new(
                format!("rules: {} -> {}", self.old, self.new),
                self.rule_changes
                    .iter()
                    .map(|c| Item {
                        rule: format!("{:?}", c.change.kind),
                        severity: Severity::Warning,
                        file: Some(t.rules_file.clone()),
                        pointer: None,
                        at: None,
                        message: c.message.clone(),
                        help: None,
                    })
                    .collect(),
            ));
        }
        Report::new("diff", cases)
    }

    /// diff informs; it reports findings only when the change breaks backward compatibility.
    fn passed(&self) -> bool {
        self.backward.strict
    }

    /// The changes in both directions, the rule changes, then the coloured unified diff.
    fn text(&self, color: bool, out: &mut dyn Write) -> io::Result<()> {
        let t = &self.texts;
        let paint = |style: Style, s: &str| {
            if color {
                format!("{style}{s}{style:#}")
            } else {
                s.to_string()
            }
        };
        let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        let bold = Style::new().bold();
        for (title, direction) in [
            ("backward (new schema reads old data)", Direction::Backward),
            ("forward (old schema reads new data)", Direction::Forward),
        ] {
            writeln!(out, "{}", paint(bold, &format!("Changes, {title}:")))?;
            let mut changes = self.changes.iter().filter(|c| c.towards == direction);
            let mut any = false;
            for c in changes.by_ref() {
                any = true;
                let tag = format!(
                    "strict: {}, lenient: {}",
                    verdict(c.strict),
                    verdict(c.lenient)
                );
                let tag = if c.strict {
                    paint(green, &tag)
                } else {
                    paint(red, &tag)
                };
                writeln!(out, "  {} {} [{tag}]", c.kind, c.path)?;
                writeln!(out, "      {}", c.message)?;
            }
            if !any {
                writeln!(out, "  none")?;
            }
        }
        if !self.rule_changes.is_empty() {
            writeln!(out, "{}", paint(bold, "Rule changes:"))?;
            for c in &self.rule_changes {
                writeln!(out, "  {:?} {}", c.change.kind, c.message)?;
            }
        }
        writeln!(
            out,
            "{}",
            paint(bold, &format!("--- {}\n+++ {}", self.old, self.new))
        )?;
        let text_diff = similar::TextDiff::from_lines(&t.old_pretty, &t.new_pretty);
        for group in text_diff.grouped_ops(3) {
            for op in group {
                for change in text_diff.iter_changes(&op) {
                    let line = change.to_string_lossy();
                    let line = line.trim_end_matches('\n');
                    match change.tag() {
                        similar::ChangeTag::Delete => {
                            writeln!(out, "{}", paint(red, &format!("-{line}")))
                        }
                        similar::ChangeTag::Insert => {
                            writeln!(out, "{}", paint(green, &format!("+{line}")))
                        }
                        similar::ChangeTag::Equal => writeln!(out, " {line}"),
                    }?;
                }
            }
            writeln!(out, "{}", paint(Style::new().dimmed(), "..."))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Format, render};

    fn compared(old: &str, new: &str) -> Outcome {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        compare(&Request {
            old: &root.join(old),
            new: &root.join(new),
            old_rules: None,
            new_rules: None,
        })
        .unwrap()
    }

    #[test]
    fn the_document_the_text_and_the_checks_list_the_same_changes() {
        let outcome = compared("schemas/generator/v2.json", "schemas/generator/v3.json");
        assert!(!outcome.identical);
        assert!(outcome.changes.iter().any(|c| c.direction == "backward"));
        let backward = outcome
            .changes
            .iter()
            .filter(|c| c.direction == "backward")
            .count();
        let report = outcome.report();
        assert_eq!(report.cases[0].items.len(), backward);
        assert_eq!(Render::passed(&outcome), outcome.backward.strict);
        let mut text = Vec::new();
        render(&outcome, Format::Text, false, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        for c in &outcome.changes {
            assert!(
                text.contains(&format!("  {} {} [", c.kind, c.path)),
                "{text}"
            );
        }
        assert!(
            text.contains(&format!("--- {}\n+++ {}\n", outcome.old, outcome.new)),
            "{text}"
        );
    }

    #[test]
    fn a_schema_against_itself_is_identical_and_passes() {
        let outcome = compared("schemas/generator/v3.json", "schemas/generator/v3.json");
        assert!(outcome.identical);
        assert!(outcome.changes.is_empty());
        assert!(Render::passed(&outcome));
    }
}
