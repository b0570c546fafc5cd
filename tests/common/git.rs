//! Git in a test's scratch project, for the checks that compare with a base ref.

use std::path::Path;
use std::process::Command;

/// Runs `git args` in `dir` as a throwaway committer (no signing); fails the test when git does.
pub fn git(dir: &Path, args: &[&str]) {
    super::cli::stdout_of(
        Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir),
        &format!("git {args:?} (apt-get install git)"),
    );
}
