//! Load benchmark of the embedded registry over loopback HTTP (documented in
//! docs/BENCHMARKS.md; a command, not a timed test).
//!
//! ```text
//! cargo run --release --example registry_bench -- [--requests N] [--concurrency C]
//!     [--versions V] [--server-threads T] [--client-threads T] [--url URL]
//! ```
//!
//! Starts the registry in-process on 127.0.0.1:0 with its SQLite store in a temporary
//! directory (or drives `--url`, e.g. a `schemactl registry serve` process), then measures:
//! 1. `GET /schemas/ids/{id}` and 2. `POST /subjects/{s}` (lookup): N requests each from C
//!    concurrent keep-alive connections, reporting requests/s and latency percentiles;
//! 3. registering V versions of one subject under FULL_TRANSITIVE, one after another (each
//!    checked against every earlier version in both directions, each fsynced).

use schemactl::registry::server::{Options, Registry, Server};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    requests: usize,
    concurrency: usize,
    versions: usize,
    server_threads: usize,
    client_threads: usize,
    url: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        requests: 100_000,
        concurrency: 16,
        versions: 1000,
        server_threads: 2,
        client_threads: 2,
        url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--requests" => args.requests = number(value()?)?,
            "--concurrency" => args.concurrency = number(value()?)?.max(1),
            "--versions" => args.versions = number(value()?)?,
            "--server-threads" => args.server_threads = number(value()?)?.max(1),
            "--client-threads" => args.client_threads = number(value()?)?.max(1),
            "--url" => args.url = Some(value()?),
            "-h" | "--help" => {
                return Err(
                    "usage: registry_bench [--requests N] [--concurrency C] [--versions V] \
                     [--server-threads T] [--client-threads T] [--url URL]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn generator(description: &str) -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "GeneratorReading",
        "description": description,
        "type": "object",
        "properties": {
            "generatorID": {"type": "string"},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "temperature": {"type": "number"},
            "pressure": {"type": "number"},
            "fuel": {"type": "number", "minimum": 0, "maximum": 100}
        },
        "required": ["generatorID", "lat", "lon"],
        "additionalProperties": false
    })
}

fn body(schema: &Value) -> String {
    json!({"schemaType": "JSON", "schema": schema.to_string()}).to_string()
}

const VND: &str = "application/vnd.schemaregistry.v1+json";

/// Sends `total` requests from `concurrency` tasks; returns the wall time and each latency.
async fn drive(
    client: &reqwest::Client,
    total: usize,
    concurrency: usize,
    request: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>,
) -> (Duration, Vec<Duration>) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let next = next.clone();
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(total / concurrency + 1);
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    let resp = request(&client).send().await.expect("request failed");
                    let status = resp.status();
                    let bytes = resp.bytes().await.expect("body");
                    assert!(
                        status.is_success(),
                        "{status}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await.expect("worker"));
    }
    (start.elapsed(), all)
}

fn report(name: &str, concurrency: usize, wall: Duration, mut latencies: Vec<Duration>) {
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1e3
    };
    println!(
        "{name}: {} requests, {concurrency} concurrent: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0),
    );
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .thread_name("registry")
        .enable_all()
        .build()
        .unwrap();
    let url = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let registry = Arc::new(Registry::open(Some(dir.path())).expect("open store"));
            let server = server_rt
                .block_on(Server::bind(
                    "127.0.0.1:0".parse().unwrap(),
                    registry,
                    Options::default(),
                ))
                .expect("bind");
            let url = server.url().unwrap();
            server_rt.spawn(server.run(std::future::pending()));
            url
        }
    };
    println!(
        "registry at {url} ({}), {} CPUs; client: {} threads",
        match &args.url {
            Some(_) => "external".to_string(),
            None => format!(
                "in-process, {} server threads, SQLite in {}",
                args.server_threads,
                dir.path().display()
            ),
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.client_threads
    );

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency)
            .build()
            .unwrap();
        let subject = "bench-generators-value";
        let schema = body(&generator("v1"));
        let resp = client
            .post(format!("{url}/subjects/{subject}/versions"))
            .header("content-type", VND)
            .body(schema.clone())
            .send()
            .await
            .expect("register");
        let id = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

        let by_id = format!("{url}/schemas/ids/{id}");
        let get: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync> =
            Arc::new(move |c| c.get(&by_id));
        let lookup_url = format!("{url}/subjects/{subject}");
        let lookup: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync> =
            Arc::new(move |c| {
                c.post(&lookup_url)
                    .header("content-type", VND)
                    .body(schema.clone())
            });
        for (name, request) in [
            ("GET /schemas/ids/{id}", get),
            ("POST /subjects/{s} (lookup)", lookup),
        ] {
            // Warm-up: open the connections, fill caches.
            drive(&client, args.concurrency * 50, args.concurrency, request.clone()).await;
            let (wall, latencies) =
                drive(&client, args.requests, args.concurrency, request).await;
            report(name, args.concurrency, wall, latencies);
        }

        if args.versions > 0 {
            let evolving = "bench-evolving-value";
            client
                .put(format!("{url}/config/{evolving}"))
                .header("content-type", VND)
                .body(json!({"compatibility": "FULL_TRANSITIVE"}).to_string())
                .send()
                .await
                .unwrap()
                .error_for_status()
                .expect("set FULL_TRANSITIVE");
            let start = Instant::now();
            let mut slowest = Duration::ZERO;
            let mut last = Duration::ZERO;
            for i in 1..=args.versions {
                let t = Instant::now();
                let resp = client
                    .post(format!("{url}/subjects/{evolving}/versions"))
                    .header("content-type", VND)
                    .body(body(&generator(&format!("revision {i}"))))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                assert!(status.is_success(), "version {i}: {}", resp.text().await.unwrap());
                last = t.elapsed();
                slowest = slowest.max(last);
            }
            let wall = start.elapsed();
            println!(
                "register {} versions under FULL_TRANSITIVE: {:.2} s ({:.0} versions/s), last {:.1} ms, slowest {:.1} ms",
                args.versions,
                wall.as_secs_f64(),
                args.versions as f64 / wall.as_secs_f64(),
                last.as_secs_f64() * 1e3,
                slowest.as_secs_f64() * 1e3,
            );
        }
    });
}
