//! Schema histories: `v<N>.json` files in a folder, oldest first.

use super::CatalogError;
use crate::compat::{ResolvedReferences, Schema};
use std::path::{Path, PathBuf};

/// One schema file, parsed.
#[derive(Debug)]
pub struct SchemaFile {
    /// The version number from the file name (`v3.json` → 3); 0 for a loose file.
    pub version: u32,
    /// Where it came from.
    pub path: PathBuf,
    /// The exact text.
    pub text: String,
    /// The parsed schema.
    pub schema: Schema,
    /// The references the version names (from its contract's `[references]`), resolved.
    pub references: Vec<super::references::ResolvedReference>,
}

/// Reads and parses a schema file, naming the position of any error.
pub fn read_schema_file(path: &Path) -> Result<SchemaFile, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_schema_text(path, text, 0)
}

/// Parses schema text read from `path` (which may be a git object).
pub fn parse_schema_text(
    path: &Path,
    text: String,
    version: u32,
) -> Result<SchemaFile, CatalogError> {
    parse_schema_text_with(path, text, version, ResolvedReferences::default())
}

/// Parses schema text whose `$ref`s may point into the schemas its references name.
pub fn parse_schema_text_with(
    path: &Path,
    text: String,
    version: u32,
    references: ResolvedReferences,
) -> Result<SchemaFile, CatalogError> {
    let err = |message: String| CatalogError::Schema {
        path: path.to_path_buf(),
        message,
    };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let schema = Schema::parse_with_references(doc, references).map_err(|e| err(e.to_string()))?;
    Ok(SchemaFile {
        version,
        path: path.to_path_buf(),
        text,
        schema,
        references: Vec::new(),
    })
}

/// The version number of a history file name (`v12.json` → 12).
pub fn version_of(name: &str) -> Option<u32> {
    name.strip_prefix('v')?
        .strip_suffix(".json")?
        .parse()
        .ok()
        .filter(|&v| v > 0)
}

/// Loads `v1.json`, `v2.json`, ... from `dir`, oldest first. Other files are refused so that
/// a typo does not silently drop a version.
pub fn load_history(dir: &Path) -> Result<Vec<SchemaFile>, CatalogError> {
    load_history_with(dir, &mut |path, text, version| {
        parse_schema_text(path, text, version)
    })
}

/// The newest version in `dir` (the highest `vN.json`), without reading the files.
pub fn newest_version(dir: &Path) -> Result<u32, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter_map(|e| version_of(&e.file_name().to_string_lossy()))
        .max()
        .unwrap_or(0))
}

/// [`load_history`], with each file parsed by `parse` (path, text, version), oldest first.
pub(crate) fn load_history_with(
    dir: &Path,
    parse: &mut dyn FnMut(&Path, String, u32) -> Result<SchemaFile, CatalogError>,
) -> Result<Vec<SchemaFile>, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| CatalogError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Rule sets beside their versions are read by `rule_history`.
        if name.starts_with('.')
            || name.eq_ignore_ascii_case("README.md")
            || super::rule_history::rules_version_of(&name).is_some()
        {
            continue;
        }
        let Some(version) = version_of(&name) else {
            return Err(CatalogError::Schema {
                path,
                message: "not a history file: name versions v1.json, v2.json, ... and their rule sets v1.rules.json, ... (keep proposals elsewhere)".into(),
            });
        };
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
            path: path.clone(),
            source,
        })?;
        files.push(parse(&path, text, version)?);
    }
    files.sort_by_key(|f| f.version);
    for (i, f) in files.iter().enumerate() {
        if f.version as usize != i + 1 {
            return Err(CatalogError::Schema {
                path: f.path.clone(),
                message: format!(
                    "history has a gap: expected v{}.json before this file",
                    i + 1
                ),
            });
        }
    }
    if files.is_empty() {
        return Err(CatalogError::Schema {
            path: dir.to_path_buf(),
            message: "no schema versions (v1.json, ...)".into(),
        });
    }
    Ok(files)
}
