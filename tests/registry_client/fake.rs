//! Registries that misbehave, on free loopback ports: one that accepts connections and never
//! answers, one that answers every request with the same status and body, and one behind TLS
//! (a private CA, optionally requiring a client certificate).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A listener that accepts and then says nothing.
pub struct Hanging {
    pub url: String,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Hanging {
    pub fn start() -> Hanging {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                // Held open until the test ends, without a byte in answer.
                keep.lock().unwrap().push(stream);
            }
        });
        Hanging { url, held }
    }

    /// How many connections were made.
    pub fn connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// A URL whose port nobody listens on.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// A listener answering every request with one status and body, recording each request's head.
pub struct Answering {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Answering {
    pub fn start(status: u16, body: &'static str) -> Answering {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, status, body, &log));
            }
        });
        Answering { url, requests }
    }

    /// The request heads seen so far (request line and headers, header names lowercased).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// The test certificates: `ca.pem`, `server.pem`/`.key`, `client.pem`/`.key`.
pub fn tls_fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
        .display()
        .to_string()
}

/// Per connection: the client certificate's subject, or why the handshake failed.
type Handshakes = Arc<Mutex<Vec<Result<Option<String>, String>>>>;

/// An HTTPS registry with a certificate from the test CA, answering every request with one
/// status and body.
pub struct Tls {
    pub url: String,
    handshakes: Handshakes,
}

impl Tls {
    pub fn start(require_client_certificate: bool, body: &'static str) -> Tls {
        use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVerifyMode};
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        builder
            .set_private_key_file(tls_fixture("server.key"), SslFiletype::PEM)
            .unwrap();
        builder
            .set_certificate_chain_file(tls_fixture("server.pem"))
            .unwrap();
        if require_client_certificate {
            builder.set_ca_file(tls_fixture("ca.pem")).unwrap();
            builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        let acceptor = Arc::new(builder.build());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let handshakes = Arc::new(Mutex::new(Vec::new()));
        let log = handshakes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (acceptor, log) = (acceptor.clone(), log.clone());
                std::thread::spawn(move || match acceptor.accept(stream) {
                    Ok(tls) => {
                        let peer = tls.ssl().peer_certificate().map(|c| {
                            c.subject_name()
                                .entries()
                                .filter_map(|e| e.data().to_string().ok())
                                .collect::<Vec<_>>()
                                .join(",")
                        });
                        log.lock().unwrap().push(Ok(peer));
                        serve(tls, 200, body, &Mutex::new(Vec::new()));
                    }
                    Err(e) => log.lock().unwrap().push(Err(e.to_string())),
                });
            }
        });
        Tls { url, handshakes }
    }

    /// The handshakes so far.
    pub fn handshakes(&self) -> Vec<Result<Option<String>, String>> {
        self.handshakes.lock().unwrap().clone()
    }
}

fn serve(stream: impl Read + Write, status: u16, body: &str, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            let line = match line.split_once(':') {
                Some((name, value)) if !head.is_empty() => {
                    format!("{}:{value}", name.to_ascii_lowercase())
                }
                _ => line,
            };
            if let Some(v) = line.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
            head.push('\n');
        }
        let mut discard = vec![0; length];
        if reader.read_exact(&mut discard).is_err() {
            return;
        }
        log.lock().unwrap().push(head);
        let answer = format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-type: application/vnd.schemaregistry.v1+json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let writer = reader.get_mut();
        if writer
            .write_all(answer.as_bytes())
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}
