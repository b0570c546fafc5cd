//! The registry commands against the real binary: end to end against schemactl's own registry,
//! and against registries that misbehave. Nothing leaves the loopback interface.

#[path = "../services/mod.rs"]
mod services;

#[path = "../services/brokers.rs"]
mod brokers;

mod bad_registries;
mod end_to_end;
mod fake;

use std::path::Path;
use std::process::{Command, Stdio};

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.all()))
    }
}

/// Runs `schemactl` in `dir` with only the environment given: no inherited registry settings
/// or proxies, so every request goes where the test says.
pub fn schemactl_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(services::schemactl());
    command.args(args).arg("--color=never").current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("SCHEMA_REGISTRY_")
            || key.starts_with("SCHEMACTL_")
            || key.to_ascii_lowercase().ends_with("_proxy")
        {
            command.env_remove(key);
        }
    }
    let out = command
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run schemactl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh temporary folder.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
