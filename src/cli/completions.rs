//! `schemactl completions SHELL`: the shell completion script, on stdout.

use super::{Classify, Cli, Outcome};
use crate::Exit;
use clap::CommandFactory;
use clap_complete::Shell;

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Install, for example:\n  \
    bash: schemactl completions bash > ~/.local/share/bash-completion/completions/schemactl\n  \
    zsh:  schemactl completions zsh > ~/.zfunc/_schemactl   (fpath+=(~/.zfunc) before compinit)\n  \
    fish: schemactl completions fish > ~/.config/fish/completions/schemactl.fish")]
pub struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the script for `args.shell` to stdout.
pub fn run(args: &Args) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "schemactl", &mut script);
    write_stdout(&script).input()?;
    Ok(Exit::Pass)
}

/// Writes `bytes` to stdout untouched, under the one broken-pipe policy.
pub(super) fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    crate::report::shell::Shell { color: true }.print_raw(bytes)
}
