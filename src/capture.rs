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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

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
    /// Kafka headers, name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Bytes>,
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
        if let Some((number, first)) = reader.next_line()? {
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

    /// The next non-blank line with its number, line ending kept.
    fn next_line(&mut self) -> Result<Option<(u64, Vec<u8>)>, String> {
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
            return Ok(Some((self.number, std::mem::take(&mut self.line))));
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
        let Some((number, raw)) = (match self.pending.take() {
            Some(p) => Some(p),
            None => self.next_line()?,
        }) else {
            return Ok(None);
        };
        let cut = !raw.ends_with(b"\n");
        let mut raw = raw;
        raw.truncate(trim(&raw).len());
        let text = raw.as_slice();
        match &self.kind {
            Kind::Lines => {
                let producer = self
                    .plain_producers
                    .then(|| serde_json::from_slice::<Value>(text).ok())
                    .flatten()
                    .and_then(|v| self.producer_of(&v));
                Ok(Some(Entry {
                    line: number,
                    producer,
                    payload: raw,
                }))
            }
            Kind::Capture(_) => match serde_json::from_slice::<Record>(text) {
                Ok(record) => {
                    let payload = record
                        .payload
                        .to_bytes()
                        .map_err(|e| format!("{}:{number}: {e}", self.name))?;
                    let producer = record.producer.clone().or_else(|| match &record.payload {
                        Payload::Json(v) => self.producer_of(v),
                        Payload::Base64(_) => None,
                    });
                    Ok(Some(Entry {
                        line: number,
                        producer,
                        payload,
                    }))
                }
                Err(e) if cut => {
                    self.warnings.push(format!(
                        "{}:{number}: the last line is cut off (an interrupted capture?); used the {} line(s) before it ({e})",
                        self.name,
                        number - 1
                    ));
                    Ok(None)
                }
                Err(e) => Err(format!("{}:{number}: not a capture record: {e}", self.name)),
            },
        }
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

    /// The kept items, producer by producer.
    pub fn into_kept(self) -> impl Iterator<Item = (String, Vec<T>)> {
        self.by_producer.into_iter().map(|(p, (_, k))| (p, k))
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
}
