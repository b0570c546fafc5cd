//! TLS and SASL for the live tests, as production connects: a private CA made at test time with
//! the `openssl` command, Mosquitto with a TLS listener, and a TLS front for Tansu. Include
//! with `#[path = "../services/tls.rs"] mod tls;` beside `brokers.rs`.
//!
//! Tansu 0.6.0 takes `--cert`/`--key` but never wraps a connection in TLS (its broker builds
//! the acceptor and drops it: `let _acceptor = ...` in tansu-broker's `broker.rs`), so its
//! listener speaks plaintext whatever those flags say. [`TlsFront`] terminates TLS in front of
//! it, as a load balancer does in front of a Kafka cluster, so the clients under test still do
//! the whole SSL / SASL_SSL handshake against a certificate of the private CA; SASL itself is
//! Tansu's own (`tansu broker --authentication`).
#![allow(dead_code)]

use super::brokers::{Mosquitto, Tansu, free_port};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const INSTALL_OPENSSL: &str =
    "install the openssl command (apt-get install openssl, or run scripts/install-test-deps.sh)";

/// A private CA and a server certificate for 127.0.0.1 and localhost, made by `openssl` in a
/// temporary folder; a second, unrelated CA stands for "a certificate the client does not trust".
pub struct Pki {
    dir: tempfile::TempDir,
    /// The CA that signed the server certificate (PEM).
    pub ca: PathBuf,
    /// A CA that signed nothing here: trusting only it, a client must refuse the server.
    pub other_ca: PathBuf,
    /// The server certificate (PEM), signed by [`Pki::ca`].
    pub server_cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub server_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): {INSTALL_OPENSSL}"));
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=schemactl test {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Sets `path`'s mode (the files are throwaway test keys).
fn readable(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Pki {
    /// Generates the CA, the server certificate and the unrelated CA.
    pub fn generate() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        make_ca(d, "ca");
        make_ca(d, "other-ca");
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            d.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        // Mosquitto started as root drops to its own user before it reads the key: let it in.
        readable(d, 0o755);
        readable(&d.join("server.key"), 0o644);
        Pki {
            ca: d.join("ca.pem"),
            other_ca: d.join("other-ca.pem"),
            server_cert: d.join("server.pem"),
            server_key: d.join("server.key"),
            dir,
        }
    }

    /// The folder holding every file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Mosquitto {
    /// Starts Mosquitto with one TLS listener on a free loopback port (the fleet's 8883),
    /// serving `pki`'s server certificate; with `login`, only that user name and password get
    /// in, else anonymous access is allowed (the fleet's publisher sends no credentials).
    pub fn start_tls(pki: &Pki, login: Option<(&str, &str)>) -> Mosquitto {
        let port = free_port();
        let access = match login {
            None => "allow_anonymous true\n".to_string(),
            Some((user, password)) => {
                let file = pki.dir().join(format!("mosquitto-{port}.passwd"));
                let out = Command::new("mosquitto_passwd")
                    .args(["-b", "-c"])
                    .arg(&file)
                    .args([user, password])
                    .output()
                    .unwrap_or_else(|e| {
                        panic!("cannot run mosquitto_passwd ({e}): install Mosquitto (scripts/install-test-deps.sh)")
                    });
                assert!(out.status.success(), "mosquitto_passwd failed");
                readable(&file, 0o644);
                format!("allow_anonymous false\npassword_file {}\n", file.display())
            }
        };
        Mosquitto::start_with_listener(
            port,
            &format!(
                "listener {port} 127.0.0.1\ncertfile {}\nkeyfile {}\n{access}",
                pki.server_cert.display(),
                pki.server_key.display()
            ),
        )
    }

    /// The broker URL for a TLS listener.
    pub fn tls_url(&self) -> String {
        format!("mqtts://127.0.0.1:{}", self.port)
    }
}

impl Tansu {
    /// Starts Tansu requiring SASL (`--authentication`) behind a [`TlsFront`]: clients reach it
    /// only through the front, with SASL_SSL as Confluent Cloud requires.
    pub fn behind_tls(pki: &Pki) -> (Tansu, TlsFront) {
        let own = free_port();
        let front = TlsFront::start(pki, own);
        let ca = pki.ca.to_str().expect("UTF-8 temp dir").to_string();
        // Tansu accepts any PLAIN password (it checks SCRAM credentials only), so the harness's
        // own readiness and admin clients need no real secret.
        let client = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "harness"),
            ("sasl.password", "harness"),
            ("ssl.ca.location", ca.as_str()),
        ];
        let tansu = Tansu::start_with(own, front.port, &["--authentication"], &client);
        (tansu, front)
    }
}

/// A TLS terminator on a free loopback port relaying each connection, decrypted, to a
/// plaintext broker port; stops listening when dropped.
pub struct TlsFront {
    /// The port clients connect to.
    pub port: u16,
    stop: Arc<AtomicBool>,
    handshakes_failed: Arc<std::sync::atomic::AtomicUsize>,
}

impl TlsFront {
    /// Serves `pki`'s server certificate and relays to `127.0.0.1:target`.
    pub fn start(pki: &Pki, target: u16) -> TlsFront {
        use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod};
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        builder
            .set_private_key_file(&pki.server_key, SslFiletype::PEM)
            .unwrap();
        builder
            .set_certificate_chain_file(&pki.server_cert)
            .unwrap();
        builder.check_private_key().unwrap();
        let acceptor = Arc::new(builder.build());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (flag, failures) = (stop.clone(), failed.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (acceptor, flag, failures) = (acceptor.clone(), flag.clone(), failures.clone());
                std::thread::spawn(move || {
                    let Ok(mut tls) = acceptor.accept(client) else {
                        failures.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    let Ok(broker) = TcpStream::connect(("127.0.0.1", target)) else {
                        return;
                    };
                    relay(&mut tls, broker, &flag);
                });
            }
        });
        TlsFront {
            port,
            stop,
            handshakes_failed: failed,
        }
    }

    /// How many TLS handshakes failed (a client refusing the certificate aborts its handshake).
    pub fn handshakes_failed(&self) -> usize {
        self.handshakes_failed.load(Ordering::SeqCst)
    }
}

/// Copies both ways between a TLS session and a plain socket until either side closes. One
/// thread owns the session (OpenSSL's stream cannot be split), so each side is read with a
/// short timeout in turn; a timed-out TLS read keeps its state and is simply retried.
fn relay(tls: &mut openssl::ssl::SslStream<TcpStream>, mut broker: TcpStream, stop: &AtomicBool) {
    use std::io::{ErrorKind, Read, Write};
    let tick = Some(Duration::from_millis(2));
    if tls.get_ref().set_read_timeout(tick).is_err() || broker.set_read_timeout(tick).is_err() {
        return;
    }
    let _ = broker.set_nodelay(true);
    let _ = tls.get_ref().set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let idle = |kind: ErrorKind| matches!(kind, ErrorKind::WouldBlock | ErrorKind::TimedOut);
    while !stop.load(Ordering::SeqCst) {
        match tls.ssl_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if broker.write_all(&buf[..n]).is_err() {
                    break;
                }
                continue;
            }
            Err(e) => match e.io_error() {
                Some(io) if idle(io.kind()) => {}
                _ if e.code() == openssl::ssl::ErrorCode::WANT_READ => {}
                _ => break,
            },
        }
        match broker.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tls.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if idle(e.kind()) => {}
            Err(_) => break,
        }
    }
    let _ = tls.shutdown();
    let _ = broker.shutdown(std::net::Shutdown::Both);
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
