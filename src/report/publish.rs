//! `schemactl register` as a person reads it, and as checks: each contract's level and
//! versions with what happened to them, then how many ended each way. The text of one contract
//! ([`contract_text`]) is what the command streams as each contract is published; the whole
//! publication's text is those, then [`summary_text`].

use super::styles::{BOLD, DIM, GREEN, RED, YELLOW};
use super::{Case, Item, Render, Report, Severity, paint};
use crate::registry::publish::{Action, ContractOutcome, LevelAction, Publication};
use crate::registry::shorten;
use std::fmt::Write as _;
use std::io::{self, Write};

/// One contract's publication as lines: where it goes, its level, each version.
pub fn contract_text(color: bool, url: &str, result: &ContractOutcome, dry_run: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} → subject \"{}\" at {url}{}",
        paint(color, BOLD, "contract"),
        paint(color, BOLD, &result.contract),
        result.subject,
        if dry_run { " (dry run)" } else { "" }
    );
    let level = &result.level;
    let mut before = match (level.subject_level, level.global_level) {
        (Some(l), _) => format!("{l} on the subject"),
        (None, Some(g)) => format!("{g}, the global default"),
        (None, None) => "unknown".into(),
    };
    if level.registry_policy != level.policy {
        before.push_str(&format!(", {}", level.registry_policy.name()));
    }
    let said = match level.action {
        LevelAction::Unchanged => paint(color, DIM, "already set"),
        LevelAction::Set => paint(color, GREEN, &format!("set (was {before})")),
        LevelAction::WouldSet => paint(color, YELLOW, &format!("would set (now {before})")),
    };
    let _ = writeln!(
        out,
        "  level {} ({}): {said}",
        level.contract,
        level.policy.name()
    );
    if let Some(w) = &level.warning {
        let _ = writeln!(out, "    {}: {w}", paint(color, YELLOW, "warning"));
    }
    let width = result
        .versions
        .iter()
        .map(|v| file_name(&v.file).chars().count())
        .max()
        .unwrap_or(0);
    for v in &result.versions {
        let name = format!("{:<width$}", file_name(&v.file));
        let at = match (v.version, v.id, v.action) {
            (Some(version), None, Action::WouldRegister) => format!("as version {version}"),
            (Some(version), Some(id), _) => format!("version {version}, id {id}"),
            (None, Some(id), _) => format!("id {id}"),
            _ => String::new(),
        };
        let at = match v.rules {
            Some(n) => format!("{at} (with {n} rule(s))").trim().to_string(),
            None => at,
        };
        let (label, style) = match v.action {
            Action::AlreadyRegistered => ("already registered", DIM),
            Action::Registered => ("registered", GREEN),
            Action::WouldRegister => ("would register", YELLOW),
            Action::WouldBeRefused => ("would be refused:", RED),
            Action::Refused => ("REFUSED as incompatible by the registry", RED),
            Action::NotAttempted => ("not attempted: an earlier version was refused", DIM),
        };
        let said = paint(color, style, &format!("{label:<18}"));
        let line = format!("  {name}  {said}  {at}");
        let _ = writeln!(out, "{}", line.trim_end());
        for m in &v.messages {
            let _ = writeln!(out, "      {}", shorten(m, 300));
        }
        for n in &v.notes {
            let _ = writeln!(out, "      {}: {n}", paint(color, DIM, "note"));
        }
        for p in &v.not_portable {
            let _ = writeln!(
                out,
                "      {}: {}: {}",
                paint(color, YELLOW, "warning"),
                p.kind,
                p.finding.message
            );
            let _ = writeln!(out, "        help: {}", p.help);
        }
        if refused(v.action) {
            let _ = writeln!(out, "    help: {}", refused_help(result));
        }
    }
    out
}

/// The closing line: how many versions ended each way.
pub fn summary_text(color: bool, publication: &Publication) -> String {
    let summary = &publication.summary;
    let line = format!(
        "{} registered, {} already registered{}{}",
        summary.registered,
        summary.already_registered,
        if publication.dry_run {
            format!(
                ", {} would register, {} would be refused",
                summary.would_register, summary.would_be_refused
            )
        } else {
            String::new()
        },
        if summary.refused > 0 {
            format!(", {} refused", summary.refused)
        } else {
            String::new()
        }
    );
    let style = if publication.refused() { RED } else { GREEN };
    format!("{}\n", paint(color, style, &line))
}

fn refused(action: Action) -> bool {
    matches!(action, Action::Refused | Action::WouldBeRefused)
}

fn refused_help(result: &ContractOutcome) -> String {
    format!(
        "see each change with `schemactl check-compat --contract {} --registry`; \
         published versions stay, so make the change compatible at {} or choose a new subject",
        result.contract, result.level.contract
    )
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// JSON is the publication itself; as checks, one per contract, with an error for each
/// version the registry refused (or would refuse) and a warning for each rule that is not
/// portable.
impl Render for Publication {
    fn report(&self) -> Report {
        let cases = self
            .contracts
            .iter()
            .map(|c| {
                let mut items = Vec::new();
                if let Some(w) = &c.level.warning {
                    items.push(Item::new("LEVEL", Severity::Warning, w.clone()));
                }
                for v in &c.versions {
                    if refused(v.action) {
                        let mut item = Item::new(
                            "REGISTRY_REFUSED",
                            Severity::Error,
                            format!(
                                "the registry {} {}: {}",
                                if v.action == Action::Refused {
                                    "refused"
                                } else {
                                    "would refuse"
                                },
                                v.file,
                                v.messages.join("; ")
                            ),
                        )
                        .with_help(refused_help(c));
                        item.file = Some(v.file.clone());
                        items.push(item);
                    }
                    for p in &v.not_portable {
                        let mut item = Item::new(p.kind, Severity::Warning, &p.finding.message)
                            .with_help(&p.help);
                        item.file = Some(v.file.clone());
                        items.push(item);
                    }
                }
                Case::new(
                    format!("contract {} → subject \"{}\"", c.contract, c.subject),
                    items,
                )
            })
            .collect();
        Report::new("register", cases)
    }

    fn exit(&self) -> crate::Exit {
        Publication::exit(self)
    }

    fn passed(&self) -> bool {
        !self.refused()
    }

    fn text(&self, color: bool, out: &mut dyn Write) -> io::Result<()> {
        for c in &self.contracts {
            out.write_all(contract_text(color, &self.registry, c, self.dry_run).as_bytes())?;
        }
        out.write_all(summary_text(color, self).as_bytes())
    }
}
