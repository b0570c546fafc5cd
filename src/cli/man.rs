//! `schemactl man`: the manual page (roff), on stdout or as one page per command in a directory.

use super::{Classify, Cli, Outcome};
use crate::Exit;
use anyhow::Context;
use clap::CommandFactory;
use std::path::PathBuf;

/// Print the manual page, or write one page per command.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Read it with `schemactl man | man -l -`; install the pages with \
    `schemactl man --dir /usr/local/share/man/man1`."
)]
pub struct Args {
    /// Write schemactl.1 and schemactl-COMMAND.1 for every command into DIR instead of printing
    /// schemactl.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Renders the page(s).
pub fn run(args: &Args) -> Outcome {
    let cmd = Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))
                .input()?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))
                .input()?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page).input()?;
            super::completions::write_stdout(&page).input()?;
        }
    }
    Ok(Exit::Pass)
}
