//! Running the `schemactl` binary under test from a CLI test crate, the same way for all of
//! them: colour off, and no root, config or registry from the caller's environment. Include with
//! `#[path = "common/cli.rs"] mod cli_run;` (every crate uses only some of it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project root (fixtures, contracts and schemas are found from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run printed, and its exit code.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn text(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// Runs schemactl with `args` in `dir`.
pub fn schemactl_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_schemactl"))
        .args(args)
        .arg("--color=never")
        .current_dir(dir)
        .env_remove("SCHEMACTL_ROOT")
        .env_remove("SCHEMACTL_CONFIG")
        .env_remove("SCHEMA_REGISTRY_URL")
        .output()
        .expect("run schemactl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs schemactl with `args` in the project root.
pub fn schemactl(args: &[&str]) -> Run {
    schemactl_in(&root(), args)
}
