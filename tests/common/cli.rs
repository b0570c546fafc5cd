//! Running the `schemactl` binary under test the same way for every test crate: colour off,
//! and nothing from the caller's environment (no root, config, registry settings or proxies),
//! so every request goes where the test says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
    /// The exit code and both streams, for assertion messages.
    pub fn text(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code, that nothing panicked, and that stderr says every one of
    /// `needles`.
    #[track_caller]
    pub fn exits_saying(&self, code: i32, needles: &[&str]) {
        assert_eq!(self.code, code, "{}", self.text());
        assert!(!self.stderr.contains("panicked"), "{}", self.text());
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "no {needle:?} in stderr:\n{}",
                self.text()
            );
        }
    }

    /// Asserts the exit code, and that stdout says every one of `needles`.
    #[track_caller]
    pub fn exits_printing(&self, code: i32, needles: &[&str]) {
        assert_eq!(self.code, code, "{}", self.text());
        for needle in needles {
            assert!(
                self.stdout.contains(needle),
                "no {needle:?} in stdout:\n{}",
                self.text()
            );
        }
    }

    /// Stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// schemactl with `args` in `dir`, colour off and the caller's registry settings, schemactl
/// settings and proxies removed, ready to run or spawn.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_schemactl"));
    command.args(args).arg("--color=never").current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("SCHEMA_REGISTRY_")
            || key.starts_with("SCHEMACTL_")
            || key.to_ascii_lowercase().ends_with("_proxy")
        {
            command.env_remove(key);
        }
    }
    command.stdin(Stdio::null());
    command
}

/// Runs schemactl with `args` in `dir`, with only the environment given.
pub fn schemactl_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = command(dir, args)
        .envs(env.iter().copied())
        .output()
        .expect("run schemactl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs schemactl with `args` in `dir`.
pub fn schemactl_in(dir: &Path, args: &[&str]) -> Run {
    schemactl_env(dir, args, &[])
}

/// Runs schemactl with `args` in the project root.
pub fn schemactl(args: &[&str]) -> Run {
    schemactl_in(&root(), args)
}

/// A fresh temporary folder.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `prefix` (an audit's transports and registry), then the flags of an audit that reads from
/// the beginning and stops after `total` messages or two minutes, scored against the manifest
/// `expect` when given, reporting JSON.
pub fn bounded_audit<'a>(
    prefix: &[&'a str],
    total: &'a str,
    expect: Option<&'a str>,
) -> Vec<&'a str> {
    let mut args = prefix.to_vec();
    args.extend([
        "--from-beginning",
        "--max-messages",
        total,
        "--duration",
        "120s",
    ]);
    if let Some(manifest) = expect {
        args.extend(["--expect", manifest]);
    }
    args.extend(["--format", "json"]);
    args
}

/// Runs any program (`what` names it in the failure); its stdout, after it succeeded. It fails
/// the test with the program's stderr otherwise.
#[track_caller]
pub fn stdout_of(command: &mut Command, what: &str) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
