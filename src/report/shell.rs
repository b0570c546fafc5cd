//! The one way a command reaches the terminal: stdout with colour decided once (through
//! `anstream`) and one broken-pipe policy; warnings and errors on stderr.
//!
//! A reader that stops reading (`schemactl diff A B | head`) is the reader's choice, not a
//! failure: from the first write that finds the pipe closed, nothing more is written, every
//! later write succeeds without effect, and the command ends with its verdict's exit code and
//! no error text (as ripgrep's `main` treats a broken pipe as a graceful end).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the reader of stdout has gone away.
pub fn stdout_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Stdout with the broken-pipe policy applied: a closed pipe swallows the rest of the output.
#[derive(Debug, Default)]
pub struct PipeSafe;

fn closed_is_fine<T>(result: io::Result<T>, done: T) -> io::Result<T> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(done)
        }
        other => other,
    }
}

impl Write for PipeSafe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stdout_closed() {
            return Ok(buf.len());
        }
        closed_is_fine(io::stdout().lock().write(buf), buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        closed_is_fine(io::stdout().lock().write_all(buf), ())
    }

    fn flush(&mut self) -> io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        closed_is_fine(io::stdout().lock().flush(), ())
    }
}

/// Writes `warning: MESSAGE` to stderr: what a command says beside its output. A closed
/// stderr has nowhere to report to, so it is not an error.
pub fn warn(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "warning: {message}");
}

/// Writes `text` to stderr as it is: what a command says of its run beside its output (a
/// closed stderr has nowhere to report to).
pub fn note(text: impl AsRef<str>) {
    let _ = io::stderr().lock().write_all(text.as_ref().as_bytes());
}

/// Writes `error: MESSAGE` to stderr: why a command could not finish.
pub fn error(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "error: {message}");
}

/// Drops ANSI escape sequences on their way to `W` (colour off), however they were painted.
pub struct Strip<W: Write> {
    inner: W,
    state: anstream::adapter::StripBytes,
    /// Whether an escape went by: from then on everything goes through the parser, since an
    /// escape may end in a later write.
    escaped: bool,
}

impl<W: Write> Strip<W> {
    /// Strips what goes to `inner`.
    pub fn new(inner: W) -> Strip<W> {
        Strip {
            inner,
            state: anstream::adapter::StripBytes::new(),
            escaped: false,
        }
    }
}

impl<W: Write> Write for Strip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // Most output holds no escape at all: it passes untouched.
        self.escaped |= buf.contains(&0x1b);
        if !self.escaped {
            return self.inner.write_all(buf);
        }
        for printable in self.state.strip_next(buf) {
            self.inner.write_all(printable)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// How a command reaches the terminal: whether it colours, and its stdout.
#[derive(Clone, Copy, Debug)]
pub struct Shell {
    /// Whether to colour stdout.
    pub color: bool,
}

impl Shell {
    /// Stdout for this command: escape codes are stripped when colour is off (whoever painted
    /// them), and a closed pipe ends the output quietly.
    pub fn stdout(&self) -> Box<dyn Write> {
        if self.color {
            Box::new(PipeSafe)
        } else {
            Box::new(Strip::new(PipeSafe))
        }
    }

    /// Writes `text` to stdout as it is (the broken-pipe policy applies).
    pub fn print(&self, text: &str) -> io::Result<()> {
        let mut out = self.stdout();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Writes `bytes` to stdout untouched (no stripping: a man page, a completion script).
    pub fn print_raw(&self, bytes: &[u8]) -> io::Result<()> {
        PipeSafe.write_all(bytes)?;
        PipeSafe.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_drops_escape_codes_and_keeps_the_rest_byte_for_byte() {
        let mut out = Strip::new(Vec::new());
        write!(
            out,
            "\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m généré → ok\n{{\"a\": 1}}\n"
        )
        .unwrap();
        // An escape split across two writes is still one escape.
        out.write_all(b"x\x1b[3").unwrap();
        out.write_all(b"2my\n").unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "FAIL généré → ok\n{\"a\": 1}\nxy\n"
        );
    }
}
