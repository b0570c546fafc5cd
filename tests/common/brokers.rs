//! Mosquitto and Tansu for the live-traffic tests, each on a free loopback port. A missing
//! binary fails the test with the command that installs it; readiness is a successful
//! connection (Mosquitto) or metadata answer (Tansu) within a bounded retry loop, never a sleep.
//! (`examples/bench_live.rs` includes this file on its own, and uses only some of it.)
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a broker may take to start.
pub const BROKER_STARTUP: Duration = Duration::from_secs(30);

const INSTALL: &str = "run scripts/install-test-deps.sh (as root) to install Mosquitto and Tansu";

/// A free loopback port: bound, read and released (the broker binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

fn find(name: &str, candidates: &[&str]) -> PathBuf {
    for c in candidates {
        let p = PathBuf::from(c);
        if p.is_file() {
            return p;
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join(".cargo/bin").join(name);
        if p.is_file() {
            return p;
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("{name} is not installed: {INSTALL}");
}

/// Starts `command` with no terminal I/O and waits until it listens on `port`.
fn start_listening(command: &mut Command, port: u16, what: &str) -> Child {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    wait_for_port(port, &mut child, what);
    child
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + BROKER_STARTUP;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within {BROKER_STARTUP:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running Mosquitto, killed when dropped.
pub struct Mosquitto {
    child: Child,
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Starts Mosquitto on a free loopback port, anonymous access allowed.
    pub fn start() -> Mosquitto {
        Mosquitto::start_on(free_port())
    }

    /// Starts Mosquitto on `port` (to restart one where it was).
    pub fn start_on(port: u16) -> Mosquitto {
        Mosquitto::start_with_listener(
            port,
            &format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
        )
    }

    /// Starts Mosquitto listening on `port` as `listener` says (its `listener` line, access
    /// and TLS settings).
    pub fn start_with_listener(port: u16, listener: &str) -> Mosquitto {
        let bin = find("mosquitto", &["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]);
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("{listener}max_inflight_messages 0\nmax_queued_messages 100000\n"),
        )
        .unwrap();
        let child = start_listening(Command::new(bin).arg("-c").arg(&conf), port, "mosquitto");
        Mosquitto { child, port, dir }
    }

    /// The broker URL.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker (as a crash would) and returns its port.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running Tansu 0.6.0 with in-memory storage, killed when dropped.
pub struct Tansu {
    child: Child,
    /// The port clients reach it on (its own, or the port of a [`Cable`] in front of it).
    pub port: u16,
    /// The port it listens on itself.
    own: u16,
    args: Vec<String>,
    /// librdkafka properties the harness's own clients need to reach it (TLS, SASL).
    client: Vec<(String, String)>,
}

impl Tansu {
    /// Starts Tansu on a free loopback port and waits until it answers a metadata request.
    pub fn start() -> Tansu {
        let port = free_port();
        Tansu::start_advertising(port, port)
    }

    /// Starts Tansu behind a [`Cable`]: clients reach it (and are told to reach it) only
    /// through the cable, which the test can pull out and plug back in. A real restart of
    /// Tansu would lose its in-memory topics; pulling the cable makes the broker go away for
    /// its clients and come back with its data, as a restarted broker does.
    pub fn behind_cable() -> (Tansu, Cable) {
        let own = free_port();
        let cable = Cable::plug(own);
        (Tansu::start_advertising(own, cable.port), cable)
    }

    fn start_advertising(port: u16, advertised: u16) -> Tansu {
        Tansu::start_with(port, advertised, &[], &[])
    }

    /// Starts Tansu on `port` advertising `advertised`, with extra broker arguments, and waits
    /// until a client with the `client` librdkafka properties gets a metadata answer.
    pub fn start_with(port: u16, advertised: u16, args: &[&str], client: &[(&str, &str)]) -> Tansu {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let tansu = Tansu {
            child: Tansu::spawn(port, advertised, &args),
            port: advertised,
            own: port,
            args,
            client: client
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        tansu.wait_until_answering();
        tansu
    }

    fn spawn(port: u16, advertised: u16, args: &[String]) -> Child {
        let bin = find("tansu", &[]);
        let listener = format!("tcp://127.0.0.1:{port}");
        let url = format!("tcp://127.0.0.1:{advertised}");
        start_listening(
            Command::new(bin)
                .args([
                    "broker",
                    "--listener-url",
                    &listener,
                    "--advertised-listener-url",
                    &url,
                ])
                .args(["--storage-engine", "memory://tansu/"])
                .args(args)
                .env("RUST_LOG", "warn"),
            port,
            "tansu",
        )
    }

    fn wait_until_answering(&self) {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = self.client_config().create().unwrap();
        let deadline = Instant::now() + BROKER_STARTUP;
        while consumer
            .fetch_metadata(None, Duration::from_secs(2))
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "tansu did not answer metadata within {BROKER_STARTUP:?}"
            );
        }
    }

    /// Kills the broker (as a crash would) and starts it again on the same port, with the same
    /// arguments; its storage is in memory, so it comes back without topics or records. Returns
    /// once it answers a metadata request.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Tansu::spawn(self.own, self.port, &self.args);
        self.wait_until_answering();
    }

    /// The bootstrap servers.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A librdkafka configuration reaching this broker as the harness does.
    pub fn client_config(&self) -> rdkafka::ClientConfig {
        let mut config = rdkafka::ClientConfig::new();
        config.set("bootstrap.servers", self.bootstrap());
        for (k, v) in &self.client {
            config.set(k, v);
        }
        config
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: i32) {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> =
            self.client_config().create().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let results = rt
            .block_on(admin.create_topics(
                &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            ))
            .expect("create_topics");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Accepts connections on `listener` until `stop` is set, connects each to `target` on
/// loopback, and hands both ends to `relay`; a connection the target refuses is dropped at once,
/// as a refused connection would be. Stop it by setting `stop` and connecting once to wake it.
pub fn relay_connections(
    listener: TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    target: u16,
    mut relay: impl FnMut(TcpStream, TcpStream) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for client in listener.incoming() {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let Ok(client) = client else { continue };
            let Ok(broker) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            relay(client, broker);
        }
    })
}

/// A loopback TCP relay in front of a broker: while plugged in it accepts connections on its
/// port and relays them to the broker; [`Cable::pull`] closes every relayed connection and
/// stops listening (clients see the broker vanish: resets, then refused connections), and
/// [`Cable::plug_in`] listens on the same port again.
pub struct Cable {
    /// The port clients connect to.
    pub port: u16,
    target: u16,
    live: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
    acceptor: Option<(
        std::sync::Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Cable {
    fn plug(target: u16) -> Cable {
        let mut cable = Cable {
            port: free_port(),
            target,
            live: Default::default(),
            acceptor: None,
        };
        cable.plug_in();
        cable
    }

    /// Listens again on the same port and relays new connections.
    pub fn plug_in(&mut self) {
        use std::sync::atomic::AtomicBool;
        assert!(self.acceptor.is_none(), "the cable is already plugged in");
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind the cable's port");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (flag, live, target) = (stop.clone(), self.live.clone(), self.target);
        let handle = relay_connections(listener, flag, target, move |client, broker| {
            for (from, to) in [(&client, &broker), (&broker, &client)] {
                let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
            let mut live = live.lock().unwrap();
            live.push(client);
            live.push(broker);
        });
        self.acceptor = Some((stop, handle));
    }

    /// Closes every relayed connection and stops listening.
    pub fn pull(&mut self) {
        use std::sync::atomic::Ordering;
        if let Some((stop, handle)) = self.acceptor.take() {
            stop.store(true, Ordering::SeqCst);
            // Wake the acceptor so it sees the flag and drops the listener.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            handle.join().unwrap();
        }
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Cable {
    fn drop(&mut self) {
        self.pull();
    }
}
