//! The embedded Confluent-compatible schema registry behind `schemactl registry serve`.
//!
//! - [`registry`]: the rules (register, compatibility through [`crate::compat`], deletes,
//!   levels, modes), with the whole registry in memory;
//! - [`store`]: SQLite in WAL mode, written before anything is acknowledged;
//! - [`routes`]: the REST contract; [`error`]: Confluent error codes and bodies;
//! - [`rule_set`]: the checks Confluent makes of a `ruleSet` before storing it;
//! - [`auth`]: optional basic authentication.
//!
//! Embedding it (tests, the demo, the benchmark):
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use schemactl::registry::server::{Options, Registry, Server};
//! use std::sync::Arc;
//! let registry = Arc::new(Registry::open(None).expect("in-memory store"));
//! let server = Server::bind("127.0.0.1:0".parse().unwrap(), registry, Options::default()).await?;
//! println!("{}", server.url()?);
//! server.run(std::future::pending()).await
//! # }
//! ```

pub mod auth;
pub mod error;
pub mod registry;
pub mod routes;
pub mod rule_set;
pub mod store;

pub use auth::Credentials;
pub use registry::Registry;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// How the server runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Require these basic-auth credentials on every request.
    pub basic_auth: Option<Credentials>,
}

/// The whole application: endpoints, body limit, authentication, one log line per request.
pub fn router(registry: Arc<Registry>, options: &Options) -> Router {
    let mut app = routes::routes(registry).layer(DefaultBodyLimit::max(routes::MAX_BODY_BYTES));
    if let Some(credentials) = &options.basic_auth {
        app = app.layer(middleware::from_fn_with_state(
            Arc::new(credentials.clone()),
            auth::require,
        ));
    }
    app.layer(middleware::from_fn(log_request))
}

/// One line per request at info level: peer, method, path and query, status, latency. Headers
/// (and so credentials) are never logged.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let response = next.run(req).await;
    tracing::info!(
        target: "schemactl::registry",
        "{} {method} {uri} {} {}µs",
        peer.map_or_else(|| "-".to_string(), |p| p.to_string()),
        response.status().as_u16(),
        start.elapsed().as_micros(),
    );
    response
}

/// A bound registry server, ready to run.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    registry: Arc<Registry>,
    options: Options,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(
        addr: SocketAddr,
        registry: Arc<Registry>,
        options: Options,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server::from_listener(listener, registry, options))
    }

    /// Serves on a listener the caller bound.
    pub fn from_listener(
        listener: TcpListener,
        registry: Arc<Registry>,
        options: Options,
    ) -> Server {
        Server {
            listener,
            registry,
            options,
        }
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The base URL clients use (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> std::io::Result<String> {
        Ok(format!("http://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = router(self.registry, &self.options);
        // Small request/response exchanges: without TCP_NODELAY, Nagle's algorithm and delayed
        // ACKs can hold a response back for tens of milliseconds.
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}
