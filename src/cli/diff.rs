//! `schemactl diff`: every change between two schemas with its verdicts, the changes between
//! their rule sets (`RULE_ADDED`, `RULE_REMOVED`, `RULE_CHANGED`), and a text diff.

use super::{Classify, FormatArg, Outcome, Output};
use crate::Exit;
use crate::catalog;
use crate::compat::{self, Policy};
use crate::report::{Case, Format, Item, Report, Severity, render};
use anstyle::{AnsiColor, Style};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier schema.
    pub old: PathBuf,
    /// The later schema.
    pub new: PathBuf,
    /// The earlier version's rule set: a `vN.rules.json`, or a contract whose `[[rules]]` to
    /// take (default: the `.rules.json` beside OLD, if any).
    #[arg(long, value_name = "FILE")]
    pub old_rules: Option<PathBuf>,
    /// The later version's rule set: a `vN.rules.json`, or a contract whose `[[rules]]` to take
    /// (default: the `.rules.json` beside NEW, if any).
    #[arg(long, value_name = "FILE")]
    pub new_rules: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArg,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "compatible" } else { "BREAKING" }
}

pub fn run(args: &Args, out: Output) -> Outcome {
    let old = catalog::read_schema_file(&args.old).input()?;
    let new = catalog::read_schema_file(&args.new).input()?;
    // Backward: the new schema reads old data. Forward: the old schema reads new data.
    let backward = compat::diff(&old.schema, &new.schema, Policy::Strict);
    let forward = compat::diff(&new.schema, &old.schema, Policy::Strict);
    let old_rules =
        catalog::rule_history::rules_for_file(&args.old, args.old_rules.as_deref()).input()?;
    let new_rules =
        catalog::rule_history::rules_for_file(&args.new, args.new_rules.as_deref()).input()?;
    let rule_changes = catalog::rule_history::rule_changes(&old_rules, &new_rules);
    let has_rules = old_rules.rule_set.is_some() || new_rules.rule_set.is_some();
    let rows = |changes: &[compat::Change], direction: compat::Direction| {
        changes
            .iter()
            .map(|c| {
                json!({
                    "direction": direction.name(),
                    "type": c.kind.name(),
                    "path": c.path,
                    "old": c.old,
                    "new": c.new,
                    "strict": c.kind.is_compatible(Policy::Strict),
                    "lenient": c.kind.is_compatible(Policy::Lenient),
                    "message": compat::explain::message(c, direction),
                })
            })
            .collect::<Vec<_>>()
    };
    let old_pretty = serde_json::to_string_pretty(old.schema.document()).unwrap_or_default();
    let new_pretty = serde_json::to_string_pretty(new.schema.document()).unwrap_or_default();
    let text_diff = similar::TextDiff::from_lines(&old_pretty, &new_pretty);
    let mut stdout = out.stdout();
    match args.format.format {
        Format::Json => {
            let mut changes = rows(&backward, compat::Direction::Backward);
            changes.extend(rows(&forward, compat::Direction::Forward));
            let unified = text_diff
                .unified_diff()
                .header(
                    &args.old.display().to_string(),
                    &args.new.display().to_string(),
                )
                .to_string();
            let doc = json!({
                "old": args.old.display().to_string(),
                "new": args.new.display().to_string(),
                "identical": backward.is_empty() && forward.is_empty() && rule_changes.is_empty(),
                "backward": {"strict": backward.iter().all(|c| c.kind.is_compatible(Policy::Strict)), "lenient": backward.iter().all(|c| c.kind.is_compatible(Policy::Lenient))},
                "forward": {"strict": forward.iter().all(|c| c.kind.is_compatible(Policy::Strict)), "lenient": forward.iter().all(|c| c.kind.is_compatible(Policy::Lenient))},
                "changes": changes,
                "rule_changes": rule_changes.iter().map(|c| {
                    let mut v = json!(c);
                    v["message"] = json!(c.message());
                    v
                }).collect::<Vec<_>>(),
                "unified_diff": unified,
            });
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
            .input()?;
        }
        Format::Text => {
            let paint = |style: Style, s: &str| {
                if out.color {
                    format!("{style}{s}{style:#}")
                } else {
                    s.to_string()
                }
            };
            let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
            let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
            let bold = Style::new().bold();
            for (title, changes, direction) in [
                (
                    "backward (new schema reads old data)",
                    &backward,
                    compat::Direction::Backward,
                ),
                (
                    "forward (old schema reads new data)",
                    &forward,
                    compat::Direction::Forward,
                ),
            ] {
                writeln!(stdout, "{}", paint(bold, &format!("Changes, {title}:"))).input()?;
                if changes.is_empty() {
                    writeln!(stdout, "  none").input()?;
                }
                for c in changes.iter() {
                    let (s, l) = (
                        c.kind.is_compatible(Policy::Strict),
                        c.kind.is_compatible(Policy::Lenient),
                    );
                    let tag = format!("strict: {}, lenient: {}", verdict(s), verdict(l));
                    let tag = if s {
                        paint(green, &tag)
                    } else {
                        paint(red, &tag)
                    };
                    writeln!(stdout, "  {} {} [{tag}]", c.kind.name(), c.path).input()?;
                    writeln!(stdout, "      {}", compat::explain::message(c, direction)).input()?;
                }
            }
            if !rule_changes.is_empty() {
                writeln!(stdout, "{}", paint(bold, "Rule changes:")).input()?;
                for c in &rule_changes {
                    writeln!(stdout, "  {:?} {}", c.kind, c.message()).input()?;
                }
            }
            writeln!(
                stdout,
                "{}",
                paint(
                    bold,
                    &format!("--- {}\n+++ {}", args.old.display(), args.new.display())
                )
            )
            .input()?;
            for group in text_diff.grouped_ops(3) {
                for op in group {
                    for change in text_diff.iter_changes(&op) {
                        let line = change.to_string_lossy();
                        let line = line.trim_end_matches('\n');
                        match change.tag() {
                            similar::ChangeTag::Delete => {
                                writeln!(stdout, "{}", paint(red, &format!("-{line}")))
                            }
                            similar::ChangeTag::Insert => {
                                writeln!(stdout, "{}", paint(green, &format!("+{line}")))
                            }
                            similar::ChangeTag::Equal => writeln!(stdout, " {line}"),
                        }
                        .input()?;
                    }
                }
                writeln!(stdout, "{}", paint(Style::new().dimmed(), "...")).input()?;
            }
        }
        format => {
            // CI formats: one case per direction. Breaking backward changes (strict policy) are
            // errors, as they decide the exit code; breaking forward changes are warnings.
            let case = |name: &str, changes: &[compat::Change], direction| Case {
                name: format!("{name}: {} -> {}", args.old.display(), args.new.display()),
                items: changes
                    .iter()
                    .map(|c| {
                        let ok = c.kind.is_compatible(Policy::Strict);
                        Item {
                            rule: c.kind.name().to_string(),
                            severity: match (ok, name) {
                                (true, _) => Severity::Note,
                                (false, "backward") => Severity::Error,
                                (false, _) => Severity::Warning,
                            },
                            file: Some(args.new.display().to_string()),
                            pointer: Some(c.path.clone()),
                            at: crate::report::location::locate(&new.text, &c.path),
                            message: compat::explain::message(c, direction),
                            help: (!ok)
                                .then(|| compat::explain::help(c.kind, direction).to_string()),
                        }
                    })
                    .collect(),
                skipped: None,
            };
            // A rule added or changed may refuse records the older set let through, a removed
            // one lets more through: warnings a reviewer should see, never the exit code.
            let rules_case = Case {
                name: format!("rules: {} -> {}", args.old.display(), args.new.display()),
                items: rule_changes
                    .iter()
                    .map(|c| Item {
                        rule: format!("{:?}", c.kind),
                        severity: Severity::Warning,
                        file: Some(
                            args.new_rules
                                .as_ref()
                                .unwrap_or(&args.new)
                                .display()
                                .to_string(),
                        ),
                        pointer: None,
                        at: None,
                        message: c.message(),
                        help: None,
                    })
                    .collect(),
                skipped: None,
            };
            let mut cases = vec![
                case("backward", &backward, compat::Direction::Backward),
                case("forward", &forward, compat::Direction::Forward),
            ];
            // Only schemas with rule sets get the rules case, so plain diffs read as before.
            if has_rules {
                cases.push(rules_case);
            }
            let report = Report {
                command: "diff",
                header: vec![],
                cases,
                json: serde_json::Value::Null,
            };
            render(&report, format, out.color, &mut stdout).input()?;
        }
    }
    // diff informs; it reports findings only when the change breaks backward compatibility.
    Ok(
        if backward
            .iter()
            .all(|c| c.kind.is_compatible(Policy::Strict))
        {
            Exit::Pass
        } else {
            Exit::Findings
        },
    )
}
