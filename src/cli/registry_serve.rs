//! `schemactl registry serve`: the embedded Confluent-compatible schema registry.

use super::{Classify, Outcome, Output};
use crate::Exit;
use crate::config::Secret;
use crate::registry::server::{Credentials, Options, Registry, Server};
use anyhow::{Context, anyhow};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `registry serve`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Prints `schemactl registry listening on http://ADDR` on stdout once bound (use --listen \
127.0.0.1:0 to pick a free port), then logs one line per request on stderr (RUST_LOG \
filters, default info).

Examples:
  schemactl registry serve --data ./registry-data
  SCHEMACTL_REGISTRY_BASIC_AUTH=fleet:secret schemactl registry serve --listen 0.0.0.0:8081 --data /var/lib/schemactl")]
pub struct Args {
    /// Address to listen on. Loopback by default; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Directory holding the SQLite store (created if missing). Without it the registry is
    /// in memory and everything registered is lost when the server stops.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Require HTTP basic auth with these credentials. Prefer the environment variable:
    /// command lines are visible to other users of the machine.
    #[arg(
        long,
        value_name = "USER:SECRET",
        env = "SCHEMACTL_REGISTRY_BASIC_AUTH",
        hide_env_values = true
    )]
    pub basic_auth: Option<Secret>,
}

pub fn run(args: &Args, out: Output) -> Outcome {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Another subscriber may be installed when embedded; keep it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(out.color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();

    let basic_auth = args
        .basic_auth
        .as_ref()
        .map(|s| s.expose().parse::<Credentials>())
        .transpose()
        .map_err(|e| anyhow!("--basic-auth (or SCHEMACTL_REGISTRY_BASIC_AUTH): {e}"))
        .input()?;
    let registry = Registry::open(args.data.as_deref()).infra()?;
    let storage = if registry.is_durable() {
        format!("storage: SQLite (WAL) at {}", registry.location())
    } else {
        "storage: in memory; everything registered is lost when the server stops (use --data DIR to keep it)".to_string()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .infra()?;
    runtime.block_on(async {
        let options = Options { basic_auth };
        let server = Server::bind(args.listen, Arc::new(registry), options.clone())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))
            .infra()?;
        let shutdown = shutdown_signal()
            .context("cannot install signal handlers")
            .infra()?;
        let url = server.url().infra()?;
        let mut stdout = out.stdout();
        writeln!(stdout, "schemactl registry listening on {url}")
            .and_then(|()| writeln!(stdout, "{storage}"))
            .and_then(|()| stdout.flush())
            .infra()?;
        drop(stdout);
        if !args.listen.ip().is_loopback() && options.basic_auth.is_none() {
            tracing::warn!(
                "listening on {} without authentication: anyone who can reach it can register and delete schemas (set SCHEMACTL_REGISTRY_BASIC_AUTH)",
                args.listen
            );
        }
        if let Some(c) = &options.basic_auth {
            tracing::info!("basic authentication required (user {})", c.user());
        }
        server
            .run(shutdown)
            .await
            .map_err(|e| anyhow!("registry server failed: {e}"))
            .infra()
    })?;
    Ok(Exit::Pass)
}

/// A future completing on Ctrl-C or SIGTERM. The handlers are installed before it returns, so
/// a signal sent as soon as the listening line is printed is not lost.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
    }
}
