//! TLS and SASL for the live tests, as production connects: a private CA made at test time with
//! the `openssl` command, Mosquitto with a TLS listener, and a TLS front for Tansu.
//!
//! Tansu 0.6.0 serves neither TLS nor SASL PLAIN. `tansu broker` refuses `--cert` with `--key`
//! ("the argument '--cert <CERT>' cannot be used with '--key <KEY>'": clap puts both in one
//! group), and even given a server config its broker drops the TLS acceptor unused (`let
//! _acceptor = ...` in tansu-broker's `broker.rs`), so the listener speaks plaintext. Its
//! `--authentication` offers SCRAM-SHA-512, SCRAM-SHA-256 and OAUTHBEARER only: a PLAIN
//! handshake ends in `NoSharedMechanism`, and SCRAM users cannot be created on an in-memory
//! broker that requires authentication (`tansu user create` is itself unauthenticated and
//! refused). So [`TlsFront`] plays the part of Confluent Cloud's edge in front of a real Tansu:
//! it terminates TLS with a certificate of the private CA and, given a login, SASL PLAIN
//! (checking the user name and password) before relaying the connection to the broker. The
//! clients under test do the whole SASL_SSL handshake as against Confluent Cloud.
use super::brokers::{Mosquitto, Tansu, free_port};
use super::kafka_front::{read_frame, write_frame};
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
    super::cli::stdout_of(
        Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null()),
        &format!("openssl {} ({INSTALL_OPENSSL})", args.join(" ")),
    );
}

/// `openssl req` with a new P-256 key, unencrypted, written to `key`.
fn req_with_new_key<'a>(key: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
    ];
    args.extend(["-nodes", "-keyout", key]);
    args.extend(rest);
    args
}

fn make_ca(dir: &Path, name: &str) {
    let (key, pem, subject) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN=schemactl test {name}"),
    );
    openssl(
        dir,
        &req_with_new_key(
            &key,
            &[
                "-x509",
                "-out",
                &pem,
                "-days",
                "2",
                "-subj",
                &subject,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ),
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
            &req_with_new_key(
                "server.key",
                &["-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ),
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
    /// Starts Tansu behind a [`TlsFront`] that requires SASL PLAIN with `login`: clients
    /// reach it only through the front, with SASL_SSL as Confluent Cloud requires.
    pub fn behind_tls(pki: &Pki, login: (&str, &str)) -> (Tansu, TlsFront) {
        let own = free_port();
        let front = TlsFront::start(pki, own, Some(login));
        let ca = pki.ca.to_str().expect("UTF-8 temp dir").to_string();
        let client = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", login.0),
            ("sasl.password", login.1),
            ("ssl.ca.location", ca.as_str()),
        ];
        let tansu = Tansu::start_with(own, front.port, &[], &client);
        (tansu, front)
    }
}

/// A TLS terminator on a free loopback port relaying each connection, decrypted, to a
/// plaintext Kafka broker port, after a SASL PLAIN login when it has one; stops listening when
/// dropped.
pub struct TlsFront {
    /// The port clients connect to.
    pub port: u16,
    stop: Arc<AtomicBool>,
    handshakes_failed: Arc<std::sync::atomic::AtomicUsize>,
}

impl TlsFront {
    /// Serves `pki`'s server certificate and relays to `127.0.0.1:target`; with `login`, only
    /// a client that authenticates with SASL PLAIN as that user and password gets through.
    pub fn start(pki: &Pki, target: u16, login: Option<(&str, &str)>) -> TlsFront {
        let login = login.map(|(u, p)| Arc::new((u.to_string(), p.to_string())));
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
                let login = login.clone();
                std::thread::spawn(move || {
                    let Ok(mut tls) = acceptor.accept(client) else {
                        failures.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    let Ok(mut broker) = TcpStream::connect(("127.0.0.1", target)) else {
                        return;
                    };
                    if let Some(login) = login
                        && !sasl_plain(&mut tls, &mut broker, &login).unwrap_or(false)
                    {
                        let _ = tls.shutdown();
                        return;
                    }
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

/// Kafka's SASL exchange, answered by the front: ApiVersions goes to the broker (whose answer
/// lists SaslHandshake and SaslAuthenticate), SaslHandshake must ask for PLAIN, and
/// SaslAuthenticate must carry `login`. Any other request before that closes the connection,
/// as a broker requiring SASL does. `Ok(true)` once the client is authenticated.
fn sasl_plain(
    tls: &mut openssl::ssl::SslStream<TcpStream>,
    broker: &mut TcpStream,
    login: &(String, String),
) -> std::io::Result<bool> {
    const API_VERSIONS: i16 = 18;
    const SASL_HANDSHAKE: i16 = 17;
    const SASL_AUTHENTICATE: i16 = 36;
    const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
    const SASL_AUTHENTICATION_FAILED: i16 = 58;
    loop {
        let request = read_frame(tls)?;
        let Some(header) = RequestHeader::parse(&request) else {
            return Ok(false);
        };
        let body = &request[header.body..];
        let mut answer = header.correlation_id.to_be_bytes().to_vec();
        match header.api_key {
            API_VERSIONS => {
                write_frame(broker, &request)?;
                let response = read_frame(broker)?;
                write_frame(tls, &response)?;
            }
            SASL_HANDSHAKE if header.api_version <= 1 => {
                let mechanism = read_str16(body).unwrap_or_default();
                let error = if mechanism == "PLAIN" {
                    0
                } else {
                    UNSUPPORTED_SASL_MECHANISM
                };
                answer.extend(error.to_be_bytes());
                answer.extend(1i32.to_be_bytes());
                answer.extend(5i16.to_be_bytes());
                answer.extend(b"PLAIN");
                write_frame(tls, &answer)?;
                if error != 0 {
                    return Ok(false);
                }
            }
            SASL_AUTHENTICATE if header.api_version <= 2 => {
                let flexible = header.api_version == 2;
                let auth = if flexible {
                    read_compact_bytes(body)
                } else {
                    read_bytes32(body)
                }
                .unwrap_or_default();
                // PLAIN: authzid NUL authcid NUL password.
                let mut parts = auth.split(|b| *b == 0);
                let (_authz, user, password) = (parts.next(), parts.next(), parts.next());
                let ok = user == Some(login.0.as_bytes()) && password == Some(login.1.as_bytes());
                if flexible {
                    answer.push(0); // response header tagged fields
                }
                let error = if ok { 0 } else { SASL_AUTHENTICATION_FAILED };
                answer.extend(error.to_be_bytes());
                let message: &[u8] = b"Authentication failed: Invalid username or password";
                match (flexible, ok) {
                    (true, true) => answer.push(0),
                    (true, false) => {
                        answer.push(message.len() as u8 + 1);
                        answer.extend(message);
                    }
                    (false, true) => answer.extend((-1i16).to_be_bytes()),
                    (false, false) => {
                        answer.extend((message.len() as i16).to_be_bytes());
                        answer.extend(message);
                    }
                }
                if flexible {
                    answer.push(1); // empty compact bytes
                } else {
                    answer.extend(0i32.to_be_bytes());
                }
                if header.api_version >= 1 {
                    answer.extend(0i64.to_be_bytes()); // session lifetime: none
                }
                if flexible {
                    answer.push(0);
                }
                write_frame(tls, &answer)?;
                return Ok(ok);
            }
            _ => return Ok(false),
        }
    }
}

/// The start of a Kafka request: its key, version, correlation id and where its body begins.
struct RequestHeader {
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    body: usize,
}

impl RequestHeader {
    fn parse(frame: &[u8]) -> Option<RequestHeader> {
        let api_key = i16::from_be_bytes(frame.get(0..2)?.try_into().ok()?);
        let api_version = i16::from_be_bytes(frame.get(2..4)?.try_into().ok()?);
        let correlation_id = i32::from_be_bytes(frame.get(4..8)?.try_into().ok()?);
        let client_id = i16::from_be_bytes(frame.get(8..10)?.try_into().ok()?);
        let mut body = 10 + usize::try_from(client_id.max(0)).ok()?;
        // Request header v2 (flexible versions: SaslAuthenticate v2) ends with tagged fields;
        // an empty set is one zero byte, which is all a client sends here.
        if api_key == 36 && api_version >= 2 {
            body += 1;
        }
        (body <= frame.len()).then_some(RequestHeader {
            api_key,
            api_version,
            correlation_id,
            body,
        })
    }
}

fn read_str16(b: &[u8]) -> Option<String> {
    let len = usize::try_from(i16::from_be_bytes(b.get(0..2)?.try_into().ok()?)).ok()?;
    String::from_utf8(b.get(2..2 + len)?.to_vec()).ok()
}

fn read_bytes32(b: &[u8]) -> Option<Vec<u8>> {
    let len = usize::try_from(i32::from_be_bytes(b.get(0..4)?.try_into().ok()?)).ok()?;
    Some(b.get(4..4 + len)?.to_vec())
}

fn read_compact_bytes(b: &[u8]) -> Option<Vec<u8>> {
    let (mut len, mut shift, mut at) = (0usize, 0, 0);
    loop {
        let byte = *b.get(at)?;
        len |= usize::from(byte & 0x7f) << shift;
        at += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let len = len.checked_sub(1)?;
    Some(b.get(at..at + len)?.to_vec())
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
