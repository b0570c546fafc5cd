//! Reading a schema history as it stood at a git ref, for the "published versions are
//! immutable" gate.

use super::CatalogError;
use super::history::version_of;
use std::path::Path;
use std::process::Command;

/// A history file as it stands at a git ref.
#[derive(Debug)]
pub struct PublishedVersion {
    /// The version number.
    pub version: u32,
    /// The file's text at the ref.
    pub text: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, CatalogError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| CatalogError::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(CatalogError::Git(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A file's text at `base`, `None` when the ref does not hold it (`path` is a file on disk).
pub fn file_at(path: &Path, base: &str) -> Result<Option<String>, CatalogError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Ok(None);
    };
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?
        .trim()
        .to_string();
    let spec = format!("{base}:{prefix}{}", name.to_string_lossy());
    match git(dir, &["cat-file", "-e", &spec]) {
        Ok(_) => git(dir, &["show", &spec]).map(Some),
        Err(_) => Ok(None),
    }
}

/// The rule-set files (`vN.rules.json`) in `dir` as they were at `base`, by version.
pub fn rule_files_at(dir: &Path, base: &str) -> Result<Vec<PublishedVersion>, CatalogError> {
    files_at(dir, base, super::rule_history::rules_version_of)
}

/// Lists the history files in `dir` as they were at `base` (empty if the folder did not exist).
pub fn history_at(dir: &Path, base: &str) -> Result<Vec<PublishedVersion>, CatalogError> {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        CatalogError::Git(format!(
            "unknown git ref \"{base}\" (fetch it first, e.g. `git fetch origin main`)"
        ))
    })?;
    files_at(dir, base, version_of)
}

/// The files in `dir` at `base` whose names `version` numbers, with their text, oldest first.
fn files_at(
    dir: &Path,
    base: &str,
    version: fn(&str) -> Option<u32>,
) -> Result<Vec<PublishedVersion>, CatalogError> {
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?
        .trim()
        .to_string();
    let listing = git(dir, &["ls-tree", "--name-only", base, "--", "."])?;
    let mut versions = Vec::new();
    for line in listing.lines() {
        let name = line.rsplit('/').next().unwrap_or(line);
        let Some(version) = version(name) else {
            continue;
        };
        let text = git(dir, &["show", &format!("{base}:{prefix}{name}")])?;
        versions.push(PublishedVersion { version, text });
    }
    versions.sort_by_key(|v| v.version);
    Ok(versions)
}
