//! Starting the services integration tests talk to, each on a free loopback port and never a
//! fixed one. The brokers are in [`super::brokers`].
//!
//! - [`Registry`]: the real `schemactl registry serve` binary, in memory or on a data directory,
//!   its URL read from the first line it prints (`--listen 127.0.0.1:0`).
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a service may take to start or a log line to appear before the test fails.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `schemactl` binary under test.
pub fn schemactl() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_schemactl"))
}

/// Text a child writes, collected line by line, with a way to wait for a line.
#[derive(Clone, Default)]
pub struct Output {
    inner: Arc<(Mutex<(String, bool)>, Condvar)>,
}

impl Output {
    fn collect(self, stream: impl Read + Send + 'static) {
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            loop {
                line.clear();
                let done = !matches!(reader.read_line(&mut line), Ok(n) if n > 0);
                let (lock, cvar) = &*self.inner;
                let mut state = lock.lock().unwrap();
                state.0.push_str(&line);
                state.1 |= done;
                cvar.notify_all();
                if done {
                    break;
                }
            }
        });
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        self.inner.0.lock().unwrap().0.clone()
    }

    /// Waits until the text satisfies `pred`, at most [`STARTUP_TIMEOUT`]; `Err` with the text
    /// so far when it times out or the stream ends without it.
    pub fn try_wait_for(&self, pred: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let (lock, cvar) = &*self.inner;
        let mut state = lock.lock().unwrap();
        loop {
            if pred(&state.0) {
                return Ok(state.0.clone());
            }
            let now = Instant::now();
            if state.1 || now >= deadline {
                return Err(state.0.clone());
            }
            state = cvar.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Like [`Output::try_wait_for`], panicking with `what` and the text on failure.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.try_wait_for(pred)
            .unwrap_or_else(|text| panic!("gave up waiting for {what}; output so far:\n{text}"))
    }
}

/// A running `schemactl registry serve`, killed when dropped.
pub struct Registry {
    child: Child,
    /// The base URL, as the server printed it.
    pub url: String,
    /// What the server wrote on stdout.
    pub stdout: Output,
    /// What the server wrote on stderr (its request log).
    pub stderr: Output,
}

impl Registry {
    /// An in-memory registry.
    pub fn start() -> Registry {
        Registry::start_with(&[], &[])
    }

    /// An in-memory registry holding the project's generator history, registered by
    /// `schemactl register --contract generator` (which also sets the subject's level).
    pub fn with_generator() -> Registry {
        let registry = Registry::start();
        let run = super::cli::schemactl(&[
            "register",
            "--contract",
            "generator",
            "--registry",
            &registry.url,
        ]);
        assert_eq!(run.code, 0, "register: {}", run.text());
        registry
    }

    /// A registry storing its data in `dir`.
    pub fn start_on(dir: &Path) -> Registry {
        Registry::start_with(&["--data", dir.to_str().expect("UTF-8 temp dir")], &[])
    }

    /// A registry with extra arguments and environment variables.
    pub fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Registry {
        let mut command = Command::new(schemactl());
        command
            .args(["registry", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SCHEMACTL_REGISTRY_BASIC_AUTH")
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("cannot start schemactl");
        let stdout = Output::default();
        let stderr = Output::default();
        stdout.clone().collect(child.stdout.take().unwrap());
        stderr.clone().collect(child.stderr.take().unwrap());
        let prefix = "schemactl registry listening on ";
        let text = match stdout.try_wait_for(|t| t.lines().any(|l| l.starts_with(prefix))) {
            Ok(text) => text,
            Err(out) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "schemactl registry serve did not start; stdout:\n{out}\nstderr:\n{}",
                    stderr.text()
                );
            }
        };
        let url = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap()
            .trim()
            .to_string();
        Registry {
            child,
            url,
            stdout,
            stderr,
        }
    }

    /// The URL of `path` (which starts with `/`).
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it.
    pub fn kill(mut self) -> ExitStatus {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait")
    }

    /// Stops the server with SIGTERM and waits for a clean exit.
    #[cfg(unix)]
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        self.child.wait().expect("wait")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
