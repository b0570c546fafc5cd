//! Captures: what producers really sent, as JSON lines, for `validate` and `check-compat --replay`.
//!
//! A capture's first line is a [`Header`] (it holds the key `schemactl_capture`, the format's
//! version); every further line is one [`Record`]. A file whose first line is not a header is read
//! as plain JSON lines, one payload per line. [`Reader`] reads both and yields [`Entry`]s: the
//! payload's bytes, its line and its producer.
//!
//! A capture written by an interrupted audit may end in a cut-off line: a last line without a
//! newline that is not a record is dropped with a warning, and the lines before it are used.

use base64::Engine;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The capture format's version, the value of the header's `schemactl_capture` key.
pub const FORMAT_VERSION: u32 = 1;

/// A capture's first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format's version ([`FORMAT_VERSION`]); its presence marks a capture.
    pub schemactl_capture: u32,
    /// The contract the capture was taken for.
    pub contract: String,
    /// The contract's newest schema version when the capture was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// When the capture started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// Where it was taken: broker addresses and topics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// At most this many messages were kept per producer (reservoir sampling); `None`: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_per_producer: Option<u64>,
    /// Messages seen, when known (a sampled capture's header is rewritten at its end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<u64>,
    /// Messages kept, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<u64>,
    /// A sampled capture's counts per producer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_producer: BTreeMap<String, SeenKept>,
}

/// Messages one producer sent during a sampled capture, and how many of them the file keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenKept {
    pub seen: u64,
    pub kept: u64,
}

impl Header {
    /// Whether the capture is sampled.
    pub fn sampled(&self) -> bool {
        self.sample_per_producer.is_some()
    }
}

/// One captured message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `mqtt` or `kafka`.
    pub transport: String,
    pub topic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// The Kafka key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Bytes>,
    /// Kafka headers, name → value (`null` for a header without a value; of a repeated name,
    /// the first).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Option<Bytes>>,
    /// When the message was sent or received (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The producer the audit attributed the message to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// The Confluent schema id of a framed payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    /// The schema GUID of a V1-framed payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The payload without its wire header: JSON when it parsed, else base64.
    pub payload: Payload,
    /// The audit's verdict: `valid` or the violation kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Value>,
}

/// Bytes as text when they are UTF-8, else `{"base64": "..."}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bytes {
    Text(String),
    Base64 { base64: String },
}

impl Bytes {
    /// Wraps raw bytes.
    pub fn from_raw(raw: &[u8]) -> Bytes {
        match std::str::from_utf8(raw) {
            Ok(s) => Bytes::Text(s.to_string()),
            Err(_) => Bytes::Base64 {
                base64: base64::engine::general_purpose::STANDARD.encode(raw),
            },
        }
    }
}

/// A captured payload: the JSON it held, or its bytes in base64 when it was not JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    #[serde(rename = "json")]
    Json(Value),
    #[serde(rename = "base64")]
    Base64(String),
}

impl Payload {
    /// Wraps raw payload bytes: JSON when they parse as JSON, else base64.
    pub fn from_raw(raw: &[u8]) -> Payload {
        match serde_json::from_slice(raw) {
            Ok(v) => Payload::Json(v),
            Err(_) => Payload::Base64(base64::engine::general_purpose::STANDARD.encode(raw)),
        }
    }

    /// The payload's bytes as a producer sent them (JSON re-serialised compactly).
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Payload::Json(v) => serde_json::to_vec(v).map_err(|e| e.to_string()),
            Payload::Base64(b) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| format!("payload is not valid base64: {e}")),
        }
    }
}

/// One payload read from a capture or a plain JSON-lines file.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The line it came from, from 1.
    pub line: u64,
    /// The producer: a capture's attribution, else the payload's identity pointer.
    pub producer: Option<String>,
    /// The payload's bytes.
    pub payload: Vec<u8>,
}

/// What a file turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Capture(Header),
    Lines,
}

/// Reads captures and plain JSON lines alike, telling them apart by the first line.
pub struct Reader<R> {
    input: BufReader<R>,
    name: String,
    kind: Kind,
    pointer: Option<String>,
    line: Vec<u8>,
    number: u64,
    pending: Option<(u64, Vec<u8>)>,
    warnings: Vec<String>,
    plain_producers: bool,
}

/// Strips the line ending.
fn trim(line: &[u8]) -> &[u8] {
    let mut s = line;
    while let Some((last, rest)) = s.split_last()
        && matches!(last, b'\n' | b'\r')
    {
        s = rest;
    }
    s
}

impl<R: Read> Reader<R> {
    /// Opens `input` (named `name` in messages). `pointer` is the contract's identity pointer,
    /// used for plain lines and for capture records without an attributed producer.
    pub fn new(input: R, name: &str, pointer: Option<&str>) -> Result<Reader<R>, String> {
        let mut reader = Reader {
            input: BufReader::with_capacity(1 << 20, input),
            name: name.to_string(),
            kind: Kind::Lines,
            pointer: pointer.map(str::to_string),
            line: Vec::with_capacity(4096),
            number: 0,
            pending: None,
            warnings: Vec::new(),
            plain_producers: true,
        };
        if let Some(number) = reader.next_line()? {
            let first = std::mem::take(&mut reader.line);
            let text = trim(&first);
            let header = serde_json::from_slice::<Value>(text)
                .ok()
                .filter(|v| v.get("schemactl_capture").is_some());
            match header {
                Some(v) => {
                    let header: Header = serde_json::from_value(v)
                        .map_err(|e| format!("{name}:{number}: not a capture header: {e}"))?;
                    if header.schemactl_capture != FORMAT_VERSION {
                        return Err(format!(
                            "{name}:{number}: capture format version {} is not known (this build reads version {FORMAT_VERSION})",
                            header.schemactl_capture
                        ));
                    }
                    reader.kind = Kind::Capture(header);
                }
                None => reader.pending = Some((number, first)),
            }
        }
        Ok(reader)
    }

    /// Whether plain lines are parsed to find their producer (on by default); off, plain lines
    /// cost nothing but the read.
    pub fn plain_producers(mut self, on: bool) -> Self {
        self.plain_producers = on;
        self
    }

    /// A capture's header, or plain lines.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// Warnings so far (a cut-off last line).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Reads the next non-blank line into `self.line`, line ending kept; its number.
    fn next_line(&mut self) -> Result<Option<u64>, String> {
        loop {
            self.line.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.line)
                .map_err(|e| format!("cannot read {}: {e}", self.name))?;
            if n == 0 {
                return Ok(None);
            }
            self.number += 1;
            if trim(&self.line).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(self.number));
        }
    }

    /// The producer named at the identity pointer in `payload`, if it parses and holds one.
    fn producer_of(&self, payload: &Value) -> Option<String> {
        let at = payload.pointer(self.pointer.as_deref()?)?;
        Some(match at {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The next entry; an error names the file and line.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, String> {
        let mut entry = Entry {
            line: 0,
            producer: None,
            payload: Vec::new(),
        };
        Ok(self.read_into(&mut entry)?.then_some(entry))
    }

    /// Reads the next entry into `entry`, reusing its buffer (no allocation per plain line
    /// once the buffers have grown); `false` at the end. An error names the file and line.
    pub fn read_into(&mut self, entry: &mut Entry) -> Result<bool, String> {
        let number = match self.pending.take() {
            Some((number, first)) => {
                self.line = first;
                number
            }
            None => match self.next_line()? {
                Some(number) => number,
                None => return Ok(false),
            },
        };
        let cut = !self.line.ends_with(b"\n");
        let len = trim(&self.line).len();
        self.line.truncate(len);
        entry.line = number;
        match &self.kind {
            Kind::Lines => {
                // The line's buffer becomes the entry's payload, and the entry's old buffer
                // the next line's.
                std::mem::swap(&mut self.line, &mut entry.payload);
                entry.producer = self
                    .plain_producers
                    .then(|| serde_json::from_slice::<Value>(&entry.payload).ok())
                    .flatten()
                    .and_then(|v| self.producer_of(&v));
                Ok(true)
            }
            Kind::Capture(_) => match serde_json::from_slice::<RecordPayload>(&self.line) {
                Ok(record) => {
                    // Into the entry's own buffers: no allocation per record once they have grown.
                    entry.payload.clear();
                    let json = match record.payload {
                        PayloadBytes::Json(raw) => {
                            entry.payload.extend_from_slice(raw.get().as_bytes());
                            true
                        }
                        PayloadBytes::Base64(b) => {
                            base64::engine::general_purpose::STANDARD
                                .decode_vec(b.as_bytes(), &mut entry.payload)
                                .map_err(|e| {
                                    format!(
                                        "{}:{number}: payload is not valid base64: {e}",
                                        self.name
                                    )
                                })?;
                            false
                        }
                    };
                    match (record.producer, &mut entry.producer) {
                        (Some(p), Some(kept)) => {
                            kept.clear();
                            kept.push_str(&p);
                        }
                        (Some(p), none) => *none = Some(p.into_owned()),
                        (None, producer) => {
                            *producer = if json {
                                serde_json::from_slice::<Value>(&entry.payload)
                                    .ok()
                                    .and_then(|v| self.producer_of(&v))
                            } else {
                                None
                            }
                        }
                    }
                    Ok(true)
                }
                Err(e) if cut => {
                    self.warnings.push(format!(
                        "{}:{number}: the last line is cut off (an interrupted capture?); used the {} line(s) before it ({e})",
                        self.name,
                        number - 1
                    ));
                    Ok(false)
                }
                Err(e) => Err(format!("{}:{number}: not a capture record: {e}", self.name)),
            },
        }
    }
}

/// What the replay reads of a [`Record`]: the producer and the payload. The other fields are
/// skipped (a record must still name its transport and topic, so that a line of something else
/// is not read as one).
#[derive(Deserialize)]
struct RecordPayload<'a> {
    #[serde(borrow, default)]
    producer: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    payload: PayloadBytes<'a>,
    #[allow(dead_code)]
    transport: IgnoredAny,
    #[allow(dead_code)]
    topic: IgnoredAny,
}

/// A record's payload, borrowed from its line: a JSON payload's text as the record holds it
/// (checked to be one JSON value, never built into a [`Value`] nor written out again: a
/// capture's writer wrote it compactly, and a repeated key is kept), a base64 one left to
/// decode.
enum PayloadBytes<'a> {
    Json(&'a RawValue),
    Base64(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for PayloadBytes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Which<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Which<'a> {
            type Value = PayloadBytes<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("{\"json\": ...} or {\"base64\": \"...\"}")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PayloadBytes<'a>, A::Error> {
                let key: std::borrow::Cow<'de, str> = map
                    .next_key()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let payload = match key.as_ref() {
                    "json" => PayloadBytes::Json(map.next_value()?),
                    "base64" => PayloadBytes::Base64(map.next_value()?),
                    other => return Err(de::Error::unknown_variant(other, &["json", "base64"])),
                };
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(2, &self));
                }
                Ok(payload)
            }
        }
        d.deserialize_map(Which(std::marker::PhantomData))
    }
}

/// Keeps at most `capacity` items per producer, each item seen having the same chance of being
/// kept (reservoir sampling, Algorithm R), so a rare producer is never crowded out by a busy one.
#[derive(Debug)]
pub struct Reservoir<T> {
    capacity: usize,
    by_producer: BTreeMap<String, (u64, Vec<T>)>,
    rng: u64,
}

impl<T> Reservoir<T> {
    /// A reservoir of `capacity` items per producer; `seed` makes the choice repeatable.
    pub fn new(capacity: usize, seed: u64) -> Reservoir<T> {
        Reservoir {
            capacity,
            by_producer: BTreeMap::new(),
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Offers one item from `producer`.
    pub fn offer(&mut self, producer: &str, item: T) {
        let capacity = self.capacity;
        let draw = self.next();
        let (seen, kept) = self
            .by_producer
            .entry(producer.to_string())
            .or_insert_with(|| (0, Vec::new()));
        *seen += 1;
        if kept.len() < capacity {
            kept.push(item);
        } else if capacity > 0 {
            let j = draw % *seen;
            if (j as usize) < capacity {
                kept[j as usize] = item;
            }
        }
    }

    /// Items seen, over all producers.
    pub fn seen(&self) -> u64 {
        self.by_producer.values().map(|(s, _)| s).sum()
    }

    /// Items kept, over all producers.
    pub fn kept(&self) -> u64 {
        self.by_producer.values().map(|(_, k)| k.len() as u64).sum()
    }

    /// Seen and kept, producer by producer.
    pub fn counts(&self) -> BTreeMap<String, SeenKept> {
        self.by_producer
            .iter()
            .map(|(p, (seen, kept))| {
                let kept = kept.len() as u64;
                (p.clone(), SeenKept { seen: *seen, kept })
            })
            .collect()
    }

    /// The kept items, producer by producer, without giving them up.
    pub fn kept_items(&self) -> impl Iterator<Item = &T> {
        self.by_producer.values().flat_map(|(_, k)| k.iter())
    }

    /// The kept items, producer by producer.
    pub fn into_kept(self) -> impl Iterator<Item = (String, Vec<T>)> {
        self.by_producer.into_iter().map(|(p, (_, k))| (p, k))
    }
}

/// How often a sampled capture is written out while the audit runs.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(2);
/// How often an unsampled capture's buffer is flushed while messages arrive.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// What a finished capture holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Written {
    /// Messages offered (each counted message of the audit).
    pub seen: u64,
    /// Messages in the file.
    pub kept: u64,
}

enum Sink {
    /// Every message, appended as it is audited: the file is complete up to its last line.
    All {
        out: BufWriter<File>,
        last_flush: Instant,
        written: u64,
    },
    /// A reservoir per producer. Items are replaced as the audit runs, so the file cannot be
    /// appended to: it is written whole, header with the counts first, every
    /// [`SNAPSHOT_EVERY`] and at the end, each time to a temporary file renamed over it (an
    /// interrupted audit leaves the last snapshot, a complete capture that says how many
    /// messages it had seen).
    Sampled {
        header: Header,
        /// (arrival number, record line): the file lists records in arrival order.
        reservoir: Reservoir<(u64, String)>,
        arrivals: u64,
        last_snapshot: Instant,
        dirty: bool,
    },
}

struct State {
    sink: Sink,
    /// The first write error; the audit goes on, and finishing reports it.
    error: Option<String>,
}

/// Writes a capture while an audit runs; shared by the MQTT and the Kafka reader.
pub struct Writer {
    path: PathBuf,
    state: Mutex<State>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

impl Writer {
    /// Creates the capture at `path`: a sampled one when `header.sample_per_producer` is set
    /// (with `seed` for the reservoir), else one appended to as messages arrive, its header
    /// written at once.
    pub fn create(path: &Path, header: Header, seed: u64) -> Result<Writer, String> {
        let name = path.display();
        let file = File::create(path).map_err(|e| format!("cannot create capture {name}: {e}"))?;
        let sink = match header.sample_per_producer {
            Some(n) => {
                let sink = Sink::Sampled {
                    header,
                    reservoir: Reservoir::new(usize::try_from(n).unwrap_or(usize::MAX), seed),
                    arrivals: 0,
                    last_snapshot: Instant::now(),
                    dirty: true,
                };
                drop(file);
                sink
            }
            None => {
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                let line = serde_json::to_string(&header).map_err(|e| e.to_string())?;
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("cannot write capture {name}: {e}"))?;
                Sink::All {
                    out,
                    last_flush: Instant::now(),
                    written: 0,
                }
            }
        };
        let writer = Writer {
            path: path.to_path_buf(),
            state: Mutex::new(State { sink, error: None }),
        };
        // A sampled capture is a readable (empty) capture from the start.
        writer.snapshot_now()?;
        Ok(writer)
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one audited message, attributed to `producer`.
    pub fn write(&self, producer: &str, record: &Record) {
        let line = match serde_json::to_string(record) {
            Ok(l) => l,
            Err(e) => {
                self.lock()
                    .error
                    .get_or_insert(format!("cannot encode a record: {e}"));
                return;
            }
        };
        let mut state = self.lock();
        if state.error.is_some() {
            return;
        }
        let result = match &mut state.sink {
            Sink::All {
                out,
                last_flush,
                written,
            } => {
                *written += 1;
                let mut r = writeln!(out, "{line}");
                if r.is_ok() && last_flush.elapsed() >= FLUSH_EVERY {
                    r = out.flush();
                    *last_flush = Instant::now();
                }
                r.map_err(|e| e.to_string())
            }
            Sink::Sampled {
                reservoir,
                arrivals,
                last_snapshot,
                dirty,
                header,
            } => {
                *arrivals += 1;
                reservoir.offer(producer, (*arrivals, line));
                *dirty = true;
                if last_snapshot.elapsed() >= SNAPSHOT_EVERY {
                    *last_snapshot = Instant::now();
                    *dirty = false;
                    snapshot(&self.path, header, reservoir).map_err(|e| e.to_string())
                } else {
                    Ok(())
                }
            }
        };
        if let Err(e) = result {
            state.error = Some(format!("cannot write capture {}: {e}", self.path.display()));
        }
    }

    fn snapshot_now(&self) -> Result<(), String> {
        let mut state = self.lock();
        if let Sink::Sampled {
            header,
            reservoir,
            dirty,
            ..
        } = &mut state.sink
            && *dirty
        {
            *dirty = false;
            return snapshot(&self.path, header, reservoir)
                .map_err(|e| format!("cannot write capture {}: {e}", self.path.display()));
        }
        Ok(())
    }

    /// Writes what is left (a sampled capture's last snapshot, an unsampled one's buffer);
    /// the first write error, if any, is returned here.
    pub fn finish(&self) -> Result<Written, String> {
        self.snapshot_now()?;
        let mut state = self.lock();
        let state = &mut *state;
        let written = match &mut state.sink {
            Sink::All { out, written, .. } => {
                if let Err(e) = out.flush() {
                    state.error.get_or_insert(format!(
                        "cannot write capture {}: {e}",
                        self.path.display()
                    ));
                }
                Written {
                    seen: *written,
                    kept: *written,
                }
            }
            Sink::Sampled { reservoir, .. } => Written {
                seen: reservoir.seen(),
                kept: reservoir.kept(),
            },
        };
        match state.error.take() {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }
}

/// Writes a sampled capture whole: its header with the counts so far, then the kept records in
/// arrival order, to a temporary file renamed over `path`.
fn snapshot(
    path: &Path,
    header: &mut Header,
    reservoir: &Reservoir<(u64, String)>,
) -> std::io::Result<()> {
    header.seen = Some(reservoir.seen());
    header.kept = Some(reservoir.kept());
    header.by_producer = reservoir.counts();
    let mut lines: Vec<&(u64, String)> = reservoir.kept_items().collect();
    lines.sort_unstable_by_key(|(n, _)| *n);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut out = BufWriter::new(File::create(&tmp)?);
    serde_json::to_writer(&mut out, header)?;
    out.write_all(b"\n")?;
    for (_, line) in lines {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_data()?;
    std::fs::rename(&tmp, path)
}

/// The verdict a capture records: `"valid"`, or the violations found.
pub fn verdict_of(violations: &[crate::validate::Violation]) -> Value {
    if violations.is_empty() {
        Value::String("valid".into())
    } else {
        serde_json::to_value(violations).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_all(text: &[u8]) -> (Kind, Vec<Entry>, Vec<String>) {
        let mut r = Reader::new(text, "f.jsonl", Some("/generatorID")).unwrap();
        let mut out = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            out.push(e);
        }
        (r.kind().clone(), out, r.take_warnings())
    }

    #[test]
    fn the_header_round_trips_and_marks_a_capture() {
        let header = Header {
            schemactl_capture: FORMAT_VERSION,
            contract: "generator".into(),
            schema_version: Some(3),
            taken_at: Some("2026-12-01T10:00:00Z".into()),
            sources: vec!["mqtt://127.0.0.1:1883/emergency_generator".into()],
            sample_per_producer: Some(10),
            seen: Some(50),
            kept: Some(10),
            by_producer: BTreeMap::from([(
                "generator2".to_string(),
                SeenKept { seen: 50, kept: 10 },
            )]),
        };
        let line = serde_json::to_string(&header).unwrap();
        assert!(header.sampled());
        let back: Header = serde_json::from_str(&line).unwrap();
        assert_eq!(back, header);
        let record = Record {
            transport: "kafka".into(),
            topic: "t".into(),
            partition: Some(0),
            offset: Some(7),
            key: Some(Bytes::from_raw(&[0xff, 0x00])),
            headers: BTreeMap::new(),
            timestamp: None,
            producer: Some("generator2".into()),
            schema_id: Some(1),
            guid: None,
            payload: Payload::from_raw(br#"{"generatorID":"generator2","fuel":3}"#),
            verdict: Some(json!("valid")),
        };
        let text = format!("{line}\n{}\n", serde_json::to_string(&record).unwrap());
        assert!(text.contains(r#""key":{"base64":"/wA="}"#), "{text}");
        let (kind, entries, warnings) = read_all(text.as_bytes());
        assert_eq!(kind, Kind::Capture(header));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].line, 2);
        assert_eq!(entries[0].producer.as_deref(), Some("generator2"));
        assert_eq!(
            entries[0].payload,
            br#"{"generatorID":"generator2","fuel":3}"#
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn plain_lines_take_the_producer_from_the_pointer() {
        let (kind, entries, _) =
            read_all(b"{\"generatorID\":\"generator1\"}\n\n{\"fuel\":1}\nnot json\n");
        assert_eq!(kind, Kind::Lines);
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.line, e.producer.as_deref()))
            .collect();
        assert_eq!(got, vec![(1, Some("generator1")), (3, None), (4, None)]);
        assert_eq!(entries[2].payload, b"not json");
    }

    #[test]
    fn a_cut_off_last_record_is_dropped_with_a_warning() {
        let text = b"{\"schemactl_capture\":1,\"contract\":\"generator\"}\n\
{\"transport\":\"mqtt\",\"topic\":\"t\",\"payload\":{\"base64\":\"/w==\"}}\n\
{\"transport\":\"mqtt\",\"topic\":\"t\",\"payl";
        let (_, entries, warnings) = read_all(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].payload, vec![0xff]);
        assert_eq!(entries[0].producer, None);
        assert!(warnings[0].contains("f.jsonl:3"), "{warnings:?}");
        let mut r = Reader::new(
            &b"{\"schemactl_capture\":1,\"contract\":\"g\"}\n{oops\n{}\n"[..],
            "f",
            None,
        )
        .unwrap();
        assert!(
            r.next_entry()
                .unwrap_err()
                .starts_with("f:2: not a capture record")
        );
        assert!(
            Reader::new(
                &b"{\"schemactl_capture\":9,\"contract\":\"g\"}\n"[..],
                "f",
                None
            )
            .err()
            .unwrap()
            .contains("version 9")
        );
    }

    #[test]
    fn the_reservoir_keeps_a_rare_producer_and_samples_fairly() {
        let mut r = Reservoir::new(10, 1);
        for i in 0..10_000 {
            r.offer("busy", i);
        }
        r.offer("rare", -1);
        assert_eq!(r.seen(), 10_001);
        assert_eq!(r.kept(), 11);
        let kept: BTreeMap<_, _> = r.into_kept().collect();
        assert_eq!(kept["rare"], vec![-1]);
        assert_eq!(kept["busy"].len(), 10);
        // Algorithm R keeps each item with chance capacity/seen: over many runs, items from
        // the first and the second half of the stream are kept about equally often.
        let (mut early, mut late) = (0u32, 0u32);
        for seed in 0..400 {
            let mut r = Reservoir::new(10, seed);
            for i in 0..1000 {
                r.offer("p", i);
            }
            for (_, items) in r.into_kept() {
                for i in items {
                    if i < 500 { early += 1 } else { late += 1 }
                }
            }
        }
        assert_eq!(early + late, 4000);
        assert!((1800..=2200).contains(&early), "early {early}, late {late}");
        let mut none = Reservoir::new(0, 0);
        none.offer("p", 1);
        assert_eq!((none.seen(), none.kept()), (1, 0));
    }

    fn header(sample: Option<u64>) -> Header {
        Header {
            schemactl_capture: FORMAT_VERSION,
            contract: "generator".into(),
            schema_version: Some(3),
            taken_at: Some("2026-12-01T10:00:00.000Z".into()),
            sources: vec!["mqtt://127.0.0.1:1883 emergency_generator".into()],
            sample_per_producer: sample,
            seen: None,
            kept: None,
            by_producer: BTreeMap::new(),
        }
    }

    fn record(producer: &str, n: u64) -> Record {
        Record {
            transport: "mqtt".into(),
            topic: "emergency_generator".into(),
            partition: None,
            offset: None,
            key: None,
            headers: BTreeMap::new(),
            timestamp: None,
            producer: Some(producer.into()),
            schema_id: None,
            guid: None,
            payload: Payload::from_raw(
                format!(r#"{{"generatorID":"{producer}","n":{n}}}"#).as_bytes(),
            ),
            verdict: Some(verdict_of(&[])),
        }
    }

    fn read_file(path: &Path) -> (Kind, Vec<Entry>, Vec<String>) {
        let mut r = Reader::new(File::open(path).unwrap(), "c", Some("/generatorID")).unwrap();
        let mut out = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            out.push(e);
        }
        (r.kind().clone(), out, r.take_warnings())
    }

    #[test]
    fn an_unsampled_capture_is_readable_while_it_is_written_and_complete_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let w = Writer::create(&path, header(None), 1).unwrap();
        // The header is on disk before any message: a capture interrupted now is readable.
        let (kind, entries, _) = read_file(&path);
        assert_eq!(kind, Kind::Capture(header(None)));
        assert!(entries.is_empty());
        for n in 0..3 {
            w.write("generator1", &record("generator1", n));
        }
        assert_eq!(w.finish().unwrap(), Written { seen: 3, kept: 3 });
        let (_, entries, warnings) = read_file(&path);
        assert!(warnings.is_empty());
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.line, e.payload.clone()))
            .collect();
        assert_eq!(
            got,
            (0..3)
                .map(|n| (
                    n + 2,
                    format!(r#"{{"generatorID":"generator1","n":{n}}}"#).into_bytes()
                ))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_sampled_capture_keeps_n_per_producer_in_arrival_order_and_counts_what_it_saw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let w = Writer::create(&path, header(Some(5)), 7).unwrap();
        // Readable from the start: a header that says nothing was seen yet.
        let (kind, entries, _) = read_file(&path);
        let Kind::Capture(h) = kind else { panic!() };
        assert_eq!((h.seen, h.kept, entries.len()), (Some(0), Some(0), 0));
        for n in 0..1000 {
            w.write("busy", &record("busy", n));
            if n == 500 {
                w.write("rare", &record("rare", n));
            }
        }
        assert_eq!(
            w.finish().unwrap(),
            Written {
                seen: 1001,
                kept: 6
            }
        );
        let (kind, entries, warnings) = read_file(&path);
        assert!(warnings.is_empty(), "{warnings:?}");
        let Kind::Capture(h) = kind else { panic!() };
        assert!(h.sampled());
        assert_eq!((h.seen, h.kept), (Some(1001), Some(6)));
        assert_eq!(
            h.by_producer["busy"],
            SeenKept {
                seen: 1000,
                kept: 5
            }
        );
        assert_eq!(h.by_producer["rare"], SeenKept { seen: 1, kept: 1 });
        assert_eq!(entries.len(), 6);
        let ns: Vec<u64> = entries
            .iter()
            .map(|e| {
                let v: Value = serde_json::from_slice(&e.payload).unwrap();
                v["n"].as_u64().unwrap()
            })
            .collect();
        let mut sorted = ns.clone();
        sorted.sort_unstable();
        assert_eq!(ns, sorted, "records in arrival order");
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.producer.as_deref() == Some("rare"))
                .count(),
            1
        );
        assert!(!dir.path().join("c.jsonl.partial").exists());
    }

    #[test]
    fn a_capture_that_cannot_be_created_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/c.jsonl");
        let e = Writer::create(&path, header(None), 0).unwrap_err();
        assert!(
            e.contains("cannot create capture") && e.contains("missing/c.jsonl"),
            "{e}"
        );
    }

    #[test]
    fn the_verdict_is_valid_or_the_violations() {
        use crate::validate::{Violation, ViolationKind};
        assert_eq!(verdict_of(&[]), json!("valid"));
        let v = verdict_of(&[Violation::new(ViolationKind::NOT_JSON, "not JSON")]);
        assert_eq!(v[0]["kind"], "NOT_JSON");
        assert_eq!(v[0]["message"], "not JSON");
    }

    /// A JSON payload reaches the checks as the record holds it: for a capture the writer
    /// wrote, the bytes serde_json writes for the payload (what a reader that parsed and wrote
    /// it out again would hand over); for a record written by hand, its text unchanged.
    #[test]
    fn a_json_payload_is_handed_over_as_the_record_holds_it() {
        let payloads = [
            r#"{"generatorID":"generator1","lat":40.68066,"lon":-73.47429,"temperature":36,"pressure":500,"fuel":-9}"#,
            r#"{"a":[1,2.5,-3,true,false,null,"x\"y\u00e9",{"b":{}},[]],"c":1e-7,"d":18446744073709551615}"#,
            r#"[]"#,
            r#""text""#,
            r#"12"#,
        ];
        let mut text = serde_json::to_string(&header(None)).unwrap() + "\n";
        for p in payloads {
            let mut r = record("generator1", 0);
            r.producer = None;
            r.payload = Payload::from_raw(p.as_bytes());
            text.push_str(&serde_json::to_string(&r).unwrap());
            text.push('\n');
        }
        let by_hand = r#"{ "a" : [ 1 , "\u00e9" ], "a": 2 }"#;
        text.push_str(&format!(
            "{{\"transport\":\"mqtt\",\"topic\":\"t\",\"payload\":{{\"json\": {by_hand} }},\"verdict\":\"valid\"}}\n"
        ));
        let (_, entries, _) = read_all(text.as_bytes());
        assert_eq!(entries.len(), payloads.len() + 1);
        for (e, p) in entries.iter().zip(payloads) {
            let v: Value = serde_json::from_str(p).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&e.payload),
                serde_json::to_string(&v).unwrap()
            );
        }
        assert_eq!(entries[payloads.len()].payload, by_hand.as_bytes());
        assert_eq!(entries[0].producer.as_deref(), Some("generator1"));
        let bad = "{\"schemactl_capture\":1,\"contract\":\"g\"}\n{\"transport\":\"mqtt\",\"topic\":\"t\",\"payload\":{\"yaml\":1}}\n";
        let mut r = Reader::new(bad.as_bytes(), "f", None).unwrap();
        let e = r.next_entry().unwrap_err();
        assert!(
            e.starts_with("f:2: not a capture record") && e.contains("yaml"),
            "{e}"
        );
    }
}
