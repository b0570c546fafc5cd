//! The registry commands as a person reads them: `show` (one registered schema), `subjects`
//! (the registry's subjects as a table), `pull` (the history files written), `config` (levels
//! read or set) and `delete`. Their JSON is each outcome's serde form.

use super::paint;
use super::styles::{BOLD, DIM, GREEN, RED, YELLOW};
use crate::registry::LevelSource;
use crate::registry::browse::{Shown, Subjects};
use crate::registry::delete::{Deleted, list};
use crate::registry::levels::{Applied, Changed};
use crate::registry::pretty;
use crate::registry::pull::{FileAction, Pulled};
use std::fmt::Write as _;
use std::path::Path;

/// One registered schema: subject, version, id, type, references, rules, then the schema.
pub fn show_text(color: bool, found: &Shown) -> String {
    let mut out = String::new();
    let key = |k: &str| paint(color, BOLD, &format!("{k:<11}"));
    let _ = writeln!(out, "{}{}", key("subject"), found.subject);
    let latest = if found.latest { " (latest)" } else { "" };
    let _ = writeln!(out, "{}{}{latest}", key("version"), found.version);
    let _ = writeln!(out, "{}{}", key("id"), found.id);
    let _ = writeln!(out, "{}{}", key("type"), found.schema_type);
    if found.references.is_empty() {
        let _ = writeln!(out, "{}none", key("references"));
    }
    for (i, r) in found.references.iter().enumerate() {
        let k = if i == 0 { "references" } else { "" };
        let _ = writeln!(out, "{}{} → {}@{}", key(k), r.name, r.subject, r.version);
    }
    for (i, line) in found.rule_lines().iter().enumerate() {
        let k = if i == 0 { "rules" } else { "" };
        let note = if line.evaluated {
            ""
        } else {
            " [not evaluated by schemactl]"
        };
        let _ = writeln!(out, "{}{}{note}", key(k), line.text);
    }
    let _ = writeln!(out, "{}", pretty(&found.text));
    out
}

/// The registry's subjects as a table: subject, level, versions with their ids.
pub fn subjects_text(color: bool, listing: &Subjects) -> String {
    let mut out = String::new();
    let global = listing.global_level;
    let rows = &listing.subjects;
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "no subjects at {}; global level {global}",
            listing.registry
        );
        return out;
    }
    let levels: Vec<String> = rows
        .iter()
        .map(|r| {
            if r.is_global() {
                format!("{} (global)", r.level)
            } else {
                r.level.to_string()
            }
        })
        .collect();
    // Subjects may hold any character; pad by characters, not bytes.
    let width = rows
        .iter()
        .map(|r| r.subject.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let level_width = levels.iter().map(String::len).max().unwrap_or(0).max(5);
    let heading = format!(
        "{:<width$}  {:<level_width$}  VERSIONS (version:id)",
        "SUBJECT", "LEVEL"
    );
    let _ = writeln!(out, "{}", paint(color, BOLD, &heading));
    for (r, level) in rows.iter().zip(&levels) {
        let versions = r
            .versions
            .iter()
            .map(|v| format!("{}:{}", v.version, v.id))
            .collect::<Vec<_>>()
            .join("  ");
        let pad = " ".repeat(width - r.subject.chars().count());
        let _ = writeln!(out, "{}{pad}  {level:<level_width$}  {versions}", r.subject);
    }
    let _ = writeln!(
        out,
        "{} subject{} at {}; global level {global}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        listing.registry
    );
    out
}

/// The history files `pull` wrote, and how to adopt them as a contract.
pub fn pull_text(color: bool, pulled: &Pulled, subject: &str, into: &Path) -> String {
    let mut out = String::new();
    for w in &pulled.written {
        let name = Path::new(&w.file)
            .file_name()
            .map_or(w.file.clone(), |n| n.to_string_lossy().into_owned());
        let (style, said) = match w.action {
            FileAction::Written => (GREEN, "written"),
            FileAction::Unchanged => (DIM, "unchanged"),
        };
        let _ = writeln!(
            out,
            "{name}  ← version {}, id {}  {}",
            w.version,
            w.id,
            paint(color, style, said)
        );
    }
    let _ = writeln!(
        out,
        "pulled {} version{} of \"{}\" into {}",
        pulled.versions,
        if pulled.versions == 1 { "" } else { "s" },
        subject,
        into.display()
    );
    let _ = writeln!(
        out,
        "help: adopt it with a contract, e.g. contracts/<name>.toml:\n  subject = {}\n  schemas = {}\n  level = \"{}\"",
        serde_json::json!(subject),
        serde_json::json!(into.display().to_string()),
        pulled.level,
    );
    if pulled.with_rules > 0 {
        let _ = writeln!(
            out,
            "note: {} version(s) carry a rule set or metadata, written beside them as vN.rules.json; the newest one's stands in for the contract's [[rules]] (move it into [[rules]] and delete the file to edit the rules in the contract)",
            pulled.with_rules
        );
    }
    out
}

/// The level (and policy, where the registry reports one) that applies, and where it is set.
pub fn applied_text(applied: &Applied) -> String {
    // Only schemactl's registry has policies; say nothing where none is reported.
    let policy = applied
        .policy
        .map(|p| format!(", policy {}", p.name()))
        .unwrap_or_default();
    let level = applied.level;
    match (&applied.subject, applied.source) {
        (Some(s), LevelSource::Global) => format!(
            "{level}{policy} (the global default; subject \"{s}\" has no level of its own)\n"
        ),
        (Some(s), _) => format!("{level}{policy} (set on subject \"{s}\")\n"),
        (None, _) => format!("{level}{policy} (global)\n"),
    }
}

/// The level set, and the one that applied before.
pub fn changed_text(changed: &Changed) -> String {
    let before = changed.previous;
    let was = match (&changed.subject, changed.previous_source) {
        (Some(_), LevelSource::Global) => format!("{before}, the global default"),
        _ => before.to_string(),
    };
    let whose = changed
        .subject
        .as_ref()
        .map_or_else(|| "global".into(), |s| format!("subject \"{s}\""));
    format!("{whose}: level {} (was {was})\n", changed.level)
}

/// What a delete removed; `target` is `SUBJECT[@VERSION]` as given, `permanent` whether it
/// was a permanent delete.
pub fn deleted_text(color: bool, deleted: &Deleted, target: &str, permanent: bool) -> String {
    let mut out = String::new();
    let subject = &deleted.subject;
    let what = match deleted.version {
        Some(n) => format!("version {n} of subject \"{subject}\""),
        None => format!("subject \"{subject}\""),
    };
    let soft = &deleted.soft_deleted;
    let hard = &deleted.permanently_deleted;
    if !soft.is_empty() {
        let _ = writeln!(
            out,
            "{} {what}: version{} {}",
            paint(color, YELLOW, "soft-deleted"),
            if soft.len() == 1 { "" } else { "s" },
            list(soft)
        );
    }
    if permanent {
        let _ = writeln!(
            out,
            "{} {what}: version{} {}",
            paint(color, RED, "permanently deleted"),
            if hard.len() == 1 { "" } else { "s" },
            list(hard)
        );
    } else {
        let _ = writeln!(
            out,
            "ids still resolve for consumers; `schemactl delete {target} --permanent` removes it for good"
        );
    }
    out
}
