//! `schemactl register`: flags → [`crate::registry::publish`] → text or JSON → exit code.

use super::registry::{Session, SessionArgs, TextOrJson, paint, print_json, say, shorten, styles};
use super::{Cli, Outcome, Output};
use crate::registry::publish::{
    Action, ContractOutcome, LevelAction, Options, Plan, Publication, Selection,
};

/// Arguments of `register`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("which").required(true).args(["contract", "all"])),
    after_long_help = "Examples:\n  schemactl register --contract generator --registry http://localhost:8081\n  SCHEMA_REGISTRY_URL=https://psrc-abc.confluent.cloud SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=KEY:SECRET schemactl register --all --dry-run"
)]
pub struct Args {
    /// Register this contract's history (a file stem in contracts/).
    #[arg(long, value_name = "NAME")]
    pub contract: Option<String>,
    /// Register every contract in contracts/.
    #[arg(long)]
    pub all: bool,
    /// Say what would be registered and which levels set, and change nothing. Each version the
    /// subject does not hold is put to the registry's own compatibility check
    /// (`POST /compatibility/subjects/S/versions?verbose=true`, which compares against every
    /// version the subject's level names, as registering does); one it would refuse is shown
    /// with the registry's reasons and exits 1.
    #[arg(long)]
    pub dry_run: bool,
    /// Have the registry normalize each schema before looking it up and registering it.
    #[arg(long)]
    pub normalize: bool,
    #[command(flatten)]
    pub registry: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

fn print_text(out: Output, url: &str, result: &ContractOutcome, dry_run: bool) {
    use styles::*;
    say!(
        "{} {} → subject \"{}\" at {url}{}",
        paint(out, BOLD, "contract"),
        paint(out, BOLD, &result.contract),
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
        LevelAction::Unchanged => paint(out, DIM, "already set"),
        LevelAction::Set => paint(out, GREEN, &format!("set (was {before})")),
        LevelAction::WouldSet => paint(out, YELLOW, &format!("would set (now {before})")),
    };
    say!(
        "  level {} ({}): {said}",
        level.contract,
        level.policy.name()
    );
    if let Some(w) = &level.warning {
        say!("    {}: {w}", paint(out, YELLOW, "warning"));
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
        let said = paint(out, style, &format!("{label:<18}"));
        let line = format!("  {name}  {said}  {at}");
        say!("{}", line.trim_end());
        for m in &v.messages {
            say!("      {}", shorten(m, 300));
        }
        for n in &v.notes {
            say!("      {}: {n}", paint(out, DIM, "note"));
        }
        for p in &v.not_portable {
            say!(
                "      {}: {}: {}",
                paint(out, YELLOW, "warning"),
                p.kind,
                p.finding.message
            );
            say!("        help: {}", p.help);
        }
        if matches!(v.action, Action::Refused | Action::WouldBeRefused) {
            say!(
                "    help: see each change with `schemactl check-compat --contract {} --registry`; \
                 published versions stay, so make the change compatible at {} or choose a new subject",
                result.contract,
                level.contract
            );
        }
    }
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

pub fn run(cli: &Cli, args: &Args, out: Output) -> Outcome {
    let selection = match &args.contract {
        Some(name) => Selection::Contract(name.clone()),
        None => Selection::All,
    };
    let plan = Plan::read(&cli.root, &selection)?;
    let session = Session::from_args(cli, &args.registry)?;
    let url = session.client.url().to_string();
    let options = Options {
        dry_run: args.dry_run,
        normalize: args.normalize,
    };
    let text = args.format == TextOrJson::Text;
    let publication = session.run(plan.publish(&session.client, options, |contract| {
        if text {
            print_text(out, &url, contract, args.dry_run);
        }
    }))?;
    match args.format {
        TextOrJson::Json => print_json(&publication)?,
        TextOrJson::Text => print_summary(out, &publication),
    }
    Ok(publication.exit())
}

/// The closing line: how many versions ended each way.
fn print_summary(out: Output, publication: &Publication) {
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
    let style = if publication.refused() {
        styles::RED
    } else {
        styles::GREEN
    };
    say!("{}", paint(out, style, &line));
}
