//! A Kafka-protocol relay in front of Tansu that keeps its Fetch answers inside what
//! librdkafka 2.12.1 survives.
//!
//! Why: once Tansu 0.6.0 no longer has a topic (deleted, or an in-memory broker restarted), it
//! answers a Fetch for it with `unknown_topic_response` (tansu-storage's `service/fetch.rs`):
//! the all-zero topic id, `UNKNOWN_TOPIC_OR_PARTITION`, a `CurrentLeader` tag (leader 0, epoch
//! 0) on the partition, and a top-level `NodeEndpoints` tag (an empty array), the latter even
//! at Fetch v12 to v15, although FetchResponse.json defines it for v16+ only. librdkafka takes
//! `CurrentLeader` plus `NodeEndpoints` as KIP-951's "the leader moved" hint
//! (`rd_kafka_handle_Fetch_metadata_update` in rdkafka_fetcher.c) and builds a metadata update
//! naming the topic by that id only, with no name; the all-zero id makes
//! `rd_kafka_metadata_update_op` look the topic up by its name, which is NULL: SIGSEGV. A Kafka
//! broker sends those tags only with `NOT_LEADER_OR_FOLLOWER` or `FENCED_LEADER_EPOCH`, and
//! with the topic's real id. Tagged fields exist from Fetch v12 (the first flexible version),
//! so [`KafkaFront`] lowers Fetch's highest version in Tansu's ApiVersions answer to
//! [`FETCH_WITHOUT_TAGS`] (v11: record batches v2 with headers, topics named by name);
//! everything else passes unchanged.
//!
//! With `SCHEMACTL_TEST_KAFKA_TRACE=1` in the environment it prints each request's API key and
//! version and the size of its response as they pass (and the bytes of small responses), so
//! the last exchange before a crash is on the terminal. With `SCHEMACTL_TEST_KAFKA_UNCAPPED=1`
//! [`Tansu::behind_front`] leaves Fetch's versions as Tansu says (to see whether a newer
//! librdkafka still needs the front).
use super::brokers::{Tansu, free_port, relay_connections};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Kafka's API key of Fetch.
pub const FETCH: i16 = 1;
/// Kafka's API key of ApiVersions.
pub const API_VERSIONS: i16 = 18;
/// The highest Fetch version without tagged fields (v12 is Fetch's first flexible version).
pub const FETCH_WITHOUT_TAGS: i16 = 11;

/// One request relayed and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The request's API key.
    pub api_key: i16,
    /// The request's API version.
    pub api_version: i16,
    /// The response's size in bytes, once it has passed.
    pub response_bytes: Option<usize>,
}

/// A relay on a free loopback port to a Kafka broker's port; stops listening when dropped.
pub struct KafkaFront {
    /// The port clients connect to.
    pub port: u16,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    stop: Arc<AtomicBool>,
}

impl KafkaFront {
    /// Relays to `127.0.0.1:target`, lowering Fetch's highest version in each ApiVersions
    /// answer to `fetch_max` when given (`None`: a plain, logging relay). A connection made
    /// while the broker is down is closed at once, as a refused connection would be.
    pub fn start(target: u16, fetch_max: Option<i16>) -> KafkaFront {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let trace = std::env::var_os("SCHEMACTL_TEST_KAFKA_TRACE").is_some();
        let (flag, log) = (stop.clone(), exchanges.clone());
        relay_connections(listener, flag, target, move |client, broker| {
            let _ = client.set_nodelay(true);
            let _ = broker.set_nodelay(true);
            relay(client, broker, fetch_max, log.clone(), trace);
        });
        KafkaFront {
            port,
            exchanges,
            stop,
        }
    }

    /// Every request relayed so far, in the order the requests passed.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }
}

impl Drop for KafkaFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Tansu {
    /// Starts Tansu behind a [`KafkaFront`] that keeps librdkafka below Fetch v12: clients reach
    /// it (and are told to reach it) only through the front, so a topic that goes missing
    /// under them (deleted, or the in-memory broker restarted) does not crash them.
    pub fn behind_front() -> (Tansu, KafkaFront) {
        let own = free_port();
        let cap = std::env::var_os("SCHEMACTL_TEST_KAFKA_UNCAPPED").is_none();
        let front = KafkaFront::start(own, cap.then_some(FETCH_WITHOUT_TAGS));
        (Tansu::start_with(own, front.port, &[], &[]), front)
    }
}

/// Requests in flight on one connection, by correlation id: (index in the log, API key and
/// version). Kafka answers a connection's requests in order, but the id says it exactly.
type InFlight = Arc<Mutex<HashMap<i32, (usize, i16, i16)>>>;

fn relay(
    client: TcpStream,
    broker: TcpStream,
    fetch_max: Option<i16>,
    log: Arc<Mutex<Vec<Exchange>>>,
    trace: bool,
) {
    let in_flight: InFlight = Arc::default();
    let (mut c_in, mut b_out) = (client.try_clone().unwrap(), broker.try_clone().unwrap());
    let (pending, requests) = (in_flight.clone(), log.clone());
    std::thread::spawn(move || {
        while let Ok(frame) = read_frame(&mut c_in) {
            if frame.len() >= 8 {
                let api_key = i16::from_be_bytes([frame[0], frame[1]]);
                let api_version = i16::from_be_bytes([frame[2], frame[3]]);
                let correlation = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
                let mut log = requests.lock().unwrap();
                pending
                    .lock()
                    .unwrap()
                    .insert(correlation, (log.len(), api_key, api_version));
                log.push(Exchange {
                    api_key,
                    api_version,
                    response_bytes: None,
                });
            }
            if write_frame(&mut b_out, &frame).is_err() {
                break;
            }
        }
        let _ = b_out.shutdown(Shutdown::Both);
        let _ = c_in.shutdown(Shutdown::Both);
    });
    let (mut b_in, mut c_out) = (broker, client);
    std::thread::spawn(move || {
        while let Ok(mut frame) = read_frame(&mut b_in) {
            let correlation = frame
                .get(..4)
                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            let request = correlation.and_then(|c| in_flight.lock().unwrap().remove(&c));
            if let Some((at, api_key, api_version)) = request {
                if api_key == API_VERSIONS
                    && let Some(max) = fetch_max
                {
                    cap_fetch(&mut frame[4..], api_version, max);
                }
                log.lock().unwrap()[at].response_bytes = Some(frame.len());
                if trace {
                    let shown = if frame.len() <= 256 {
                        format!(" {:02x?}", &frame[4..])
                    } else {
                        String::new()
                    };
                    eprintln!(
                        "kafka front: api_key {api_key} v{api_version}: response {} bytes{shown}",
                        frame.len()
                    );
                }
            }
            if write_frame(&mut c_out, &frame).is_err() {
                break;
            }
        }
        let _ = c_out.shutdown(Shutdown::Both);
        let _ = b_in.shutdown(Shutdown::Both);
    });
}

/// Lowers Fetch's highest version to `max` in an ApiVersions response body (after the
/// correlation id; its header has no tags in any version). Leaves an error answer, or one it
/// cannot parse, as it is.
pub fn cap_fetch(body: &mut [u8], version: i16, max: i16) -> Option<()> {
    let error = i16::from_be_bytes([*body.first()?, *body.get(1)?]);
    if error != 0 {
        return None;
    }
    let mut at = 2;
    let count = if version >= 3 {
        uvarint(body, &mut at)?.checked_sub(1)?
    } else {
        let n = i32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        u64::try_from(n).ok()?
    };
    for _ in 0..count {
        let key = i16::from_be_bytes(body.get(at..at + 2)?.try_into().ok()?);
        let highest = at + 4;
        let current = i16::from_be_bytes(body.get(highest..highest + 2)?.try_into().ok()?);
        if key == FETCH && current > max {
            body[highest..highest + 2].copy_from_slice(&max.to_be_bytes());
        }
        at += 6;
        if version >= 3 {
            for _ in 0..uvarint(body, &mut at)? {
                uvarint(body, &mut at)?;
                let len = uvarint(body, &mut at)?;
                at = at.checked_add(usize::try_from(len).ok()?)?;
            }
        }
    }
    Some(())
}

fn uvarint(b: &[u8], at: &mut usize) -> Option<u64> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Reads one length-prefixed Kafka frame (at most 256 MiB).
pub fn read_frame(from: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    from.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 256 << 20 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut body = vec![0u8; len];
    from.read_exact(&mut body)?;
    Ok(body)
}

/// Writes one length-prefixed Kafka frame, in one write, and flushes it (a TLS stream buffers).
pub fn write_frame(to: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    to.write_all(&out)?;
    to.flush()
}
