//! The interop scripts in `tests/interop/`, run with the real clients: Confluent's Python
//! client and the fleet's producers under `python3`, the Node registry clients under `node`. A
//! script exits 2 when a client library is missing: that fails the test with the command that
//! installs it, never a skip.

use std::path::Path;
use std::process::Command;

/// Installs every Python client the interop scripts use.
pub const PIP_INSTALL: &str = "python3 -m pip install 'confluent-kafka[schemaregistry,json,rules]' paho-mqtt (or run scripts/install-test-deps.sh)";

/// Installs the Node clients.
pub const NPM_INSTALL: &str =
    "npm ci --prefix tests/interop/node (or run scripts/install-test-deps.sh)";

/// What a script printed, after it exited 0.
pub struct Script {
    pub stdout: String,
    pub stderr: String,
}

impl Script {
    /// Stdout as one JSON document (the scripts' reports).
    pub fn report(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "the script printed no report ({e}):\n{}{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Fails the test unless stdout contains every one of `needles`.
    pub fn says(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                self.stdout.contains(needle),
                "no {needle:?} in:\n{}",
                self.stdout
            );
        }
        self
    }
}

/// Runs `tests/interop/{script}` under `python3` with `args` and `envs`. Fails the test when
/// Python or a client is missing (with [`PIP_INSTALL`]) or when the script fails (with both
/// streams and `context()`, e.g. the server's log).
pub fn python(
    script: &str,
    args: &[&str],
    envs: &[(&str, &str)],
    context: impl FnOnce() -> String,
) -> Script {
    let dir = super::cli::root().join("tests/interop");
    let mut command = Command::new("python3");
    command
        .arg(dir.join(script))
        .args(args)
        .envs(envs.iter().copied());
    finish(command, "python3 (Python 3)", PIP_INSTALL, script, context)
}

/// Runs `tests/interop/node/{script}` under `node` with `args`, from that folder; fails as
/// [`python`] does, with [`NPM_INSTALL`].
pub fn node(script: &str, args: &[&str], context: impl FnOnce() -> String) -> Script {
    let dir = super::cli::root().join("tests/interop/node");
    let mut command = Command::new("node");
    command.arg(dir.join(script)).args(args).current_dir(&dir);
    finish(
        command,
        "node (Node.js 20 or later)",
        NPM_INSTALL,
        script,
        context,
    )
}

fn finish(
    mut command: Command,
    program: &str,
    install: &str,
    script: &str,
    context: impl FnOnce() -> String,
) -> Script {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it, then: {install}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let script = Path::new(script).display();
    match out.status.code() {
        Some(0) => Script { stdout, stderr },
        // Never skip: a missing client is a failure with the command that fixes it.
        Some(2) => panic!("{script}: a client library is missing: run `{install}`\n{stderr}"),
        _ => panic!(
            "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}\n{}",
            context()
        ),
    }
}
