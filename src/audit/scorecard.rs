//! What an audit found: totals per transport, one entry per producer and transport, and the
//! violations themselves (capped, with payload excerpts). Scorecards from several audit
//! instances merge into one.

use crate::transport::TransportKind;
use crate::validate::rules::{Action, RuleFailure};
use crate::validate::{Violation, ViolationKind};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How many bytes of a payload a violation record keeps.
pub const EXCERPT_BYTES: usize = 256;

/// Where a message came from.
#[derive(Clone, Debug, Default)]
pub struct Origin<'a> {
    /// The topic.
    pub topic: &'a str,
    /// Kafka partition.
    pub partition: Option<i32>,
    /// Kafka offset.
    pub offset: Option<i64>,
    /// When it was produced or received, in milliseconds since the epoch.
    pub at_millis: i64,
}

/// Totals for one transport.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportTotals {
    /// Messages seen.
    pub messages: u64,
    /// Messages with at least one violation.
    pub invalid: u64,
    /// Violations per kind.
    pub violations: BTreeMap<ViolationKind, u64>,
    /// Times the transport was lost and regained, and Kafka offsets it did not deliver.
    #[serde(default)]
    pub gaps: Vec<GapRecord>,
    /// Deliveries of a message already counted (a Kafka offset at or below one counted on its
    /// partition, an MQTT QoS 1 redelivery), not counted again.
    #[serde(default)]
    pub replayed: u64,
    /// RULE_VIOLATIONs per data-contract rule, with what each rule's failure asks for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleTally>,
}

/// One data-contract rule's failures on one transport.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleTally {
    /// Payloads that failed it (each CEL_FIELD field failing counts once).
    pub violations: u64,
    /// Of those, the rule could not be evaluated (a missing field, a type error).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors: u64,
    /// What its onFailure asks for: ERROR, NONE (reported, not failing) or DLQ.
    pub action: String,
    /// For DLQ: the dead-letter topic Confluent's serializers would send the record to (the
    /// audit never produces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_topic: Option<String>,
}

impl RuleTally {
    /// Whether its failures fail the run (every action but NONE).
    pub fn fails(&self) -> bool {
        self.action != "NONE"
    }
}

/// Adds rule tallies up (a rule's action is the same wherever it was counted).
fn add_rules(into: &mut BTreeMap<String, RuleTally>, from: &BTreeMap<String, RuleTally>) {
    for (rule, t) in from {
        let mine = into.entry(rule.clone()).or_insert_with(|| RuleTally {
            violations: 0,
            errors: 0,
            ..t.clone()
        });
        mine.violations += t.violations;
        mine.errors += t.errors;
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A failed rule as a report keeps it: the rule, its expression, the values it read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRecord {
    /// The rule's name.
    pub rule: String,
    /// Its expression.
    pub expr: String,
    /// ERROR, NONE or DLQ.
    pub action: String,
    /// For DLQ: the topic named in the rule's `params` (`dlq.topic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_topic: Option<String>,
    /// For CEL_FIELD rules: the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values of the fields the rule read.
    #[serde(default)]
    pub values: BTreeMap<String, serde_json::Value>,
    /// The evaluation error, when the rule could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An action's name and, for DLQ, its topic.
fn action_parts(action: &Action) -> (String, Option<String>) {
    match action {
        Action::ERROR => ("ERROR".into(), None),
        Action::NONE => ("NONE".into(), None),
        Action::DLQ(topic) => ("DLQ".into(), Some(topic.clone())),
    }
}

impl From<&RuleFailure> for RuleRecord {
    fn from(f: &RuleFailure) -> Self {
        let (action, dlq_topic) = action_parts(&f.action);
        RuleRecord {
            rule: f.rule.clone(),
            expr: f.expr.clone(),
            action,
            dlq_topic,
            field: f.field.clone(),
            values: f.values.clone(),
            error: f.error.clone(),
        }
    }
}

/// A time a transport could not be read, or Kafka offsets of one partition it did not deliver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GapRecord {
    /// When it ended, in milliseconds since the epoch.
    pub regained_at_millis: i64,
    /// How long, in milliseconds.
    pub millis: u64,
    /// Why.
    pub reason: String,
    /// The Kafka partition whose offsets were not delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    /// The first and last offset not delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<[i64; 2]>,
    /// Still lost when the audit ended: what happened after it began was not seen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
}

impl GapRecord {
    /// A time without connection.
    pub fn outage(regained_at_millis: i64, millis: u64, reason: String) -> GapRecord {
        GapRecord {
            regained_at_millis,
            millis,
            reason,
            partition: None,
            offsets: None,
            open: false,
        }
    }

    /// A time without connection that lasted until the end of the audit.
    pub fn open_outage(millis: u64, reason: String) -> GapRecord {
        GapRecord {
            open: true,
            ..GapRecord::outage(now(), millis, reason)
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One producer on one transport.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerCard {
    /// The transport.
    pub transport: TransportKind,
    /// Who (generator id), or `unknown`.
    pub producer: String,
    /// Messages.
    pub messages: u64,
    /// Messages with at least one violation.
    pub invalid: u64,
    /// Violations per kind.
    pub violations: BTreeMap<ViolationKind, u64>,
    /// RULE_VIOLATIONs per data-contract rule.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, u64>,
    /// The contract's versions its valid-framed messages were judged by (Kafka: the version
    /// the record names, or the newest when it names a schema outside the contract's history;
    /// MQTT: the newest).
    pub schema_versions: BTreeSet<i32>,
    /// Schemas outside the contract's history (ungoverned, or of another subject) that its
    /// records named and were also judged by.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub other_schemas: BTreeSet<String>,
    /// First message, in milliseconds since the epoch.
    pub first_seen_millis: i64,
    /// Last message, in milliseconds since the epoch.
    pub last_seen_millis: i64,
    /// Its messages over time: one bucket of [`Scorecard::bucket_millis`] per span that held
    /// any, oldest first (the invalid rate over time, as the html report charts it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Bucket>,
    /// Its violations grouped by kind, pointer and keyword, most frequent first, each with an
    /// example (what the scorecard says is wrong). At most [`MAX_GROUPS`] groups are told apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_violations: Vec<ViolationGroup>,
}

/// Messages of one producer in one span of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// When the span starts, in milliseconds since the epoch (a multiple of its width).
    pub start_millis: i64,
    /// Messages in it.
    pub messages: u64,
    /// Messages in it with at least one violation.
    pub invalid: u64,
}

/// One kind of violation at one place, as often as a producer made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViolationGroup {
    /// The kind.
    pub kind: ViolationKind,
    /// JSON pointer into the payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Failing keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// How many times.
    pub count: u64,
    /// The first offending value at `pointer`, as JSON text (shortened), when it is a scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The first such violation's message.
    pub message: String,
}

/// How many (kind, pointer, keyword) groups a producer's card tells apart; later new ones are
/// counted in `violations` only.
pub const MAX_GROUPS: usize = 32;

/// The narrowest time bucket, in milliseconds; wider ones double it.
pub const BUCKET_MILLIS: u64 = 1000;

/// The most buckets a producer's timeline spans before every bucket doubles in width.
pub const MAX_BUCKETS: i64 = 120;

/// The example value at `pointer` in `payload` (a JSON body, or one in Confluent's wire
/// frame), as short JSON text; none for objects and arrays, which say little in one line.
fn example_at(payload: &[u8], pointer: &str) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(payload).ok().or_else(|| {
        (payload.len() > 5 && payload[0] == 0)
            .then(|| serde_json::from_slice(&payload[5..]).ok())
            .flatten()
    })?;
    let value = body.pointer(pointer)?;
    if value.is_object() || value.is_array() {
        return None;
    }
    let mut text = value.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(39).collect::<String>() + "…";
    }
    Some(text)
}

fn bucket_start(at: i64, width: u64) -> i64 {
    let w = width.max(1) as i64;
    at.div_euclid(w) * w
}

/// Adds `n` messages (`bad` of them invalid) starting at `start` to a timeline kept in order.
fn add_to_timeline(timeline: &mut Vec<Bucket>, start: i64, n: u64, bad: u64) {
    if let Some(last) = timeline.last_mut()
        && last.start_millis == start
    {
        last.messages += n;
        last.invalid += bad;
        return;
    }
    match timeline.binary_search_by_key(&start, |b| b.start_millis) {
        Ok(i) => {
            timeline[i].messages += n;
            timeline[i].invalid += bad;
        }
        Err(i) => timeline.insert(
            i,
            Bucket {
                start_millis: start,
                messages: n,
                invalid: bad,
            },
        ),
    }
}

fn rebucket(timeline: &mut Vec<Bucket>, width: u64) {
    let old = std::mem::take(timeline);
    for b in old {
        add_to_timeline(
            timeline,
            bucket_start(b.start_millis, width),
            b.messages,
            b.invalid,
        );
    }
}

fn spans_too_many(timeline: &[Bucket], width: u64) -> bool {
    match (timeline.first(), timeline.last()) {
        (Some(a), Some(b)) => {
            (b.start_millis - a.start_millis) / width.max(1) as i64 >= MAX_BUCKETS
        }
        _ => false,
    }
}

/// Compares names as a person would: `generator2` before `generator10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> impl Iterator<Item = (bool, &str)> {
        let mut rest = s;
        std::iter::from_fn(move || {
            let first = rest.chars().next()?;
            let digit = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digit)
                .unwrap_or(rest.len());
            let (chunk, tail) = rest.split_at(end);
            rest = tail;
            Some((digit, chunk))
        })
    }
    let mut x = chunks(a);
    let mut y = chunks(b);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some((true, p)), Some((true, q))) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                let order = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if order.is_ne() {
                    return order;
                }
            }
            (Some((_, p)), Some((_, q))) => {
                if p != q {
                    return p.cmp(q);
                }
            }
        }
    }
}

impl ProducerCard {
    /// Its share of invalid messages, 0 to 1.
    pub fn invalid_rate(&self) -> f64 {
        self.invalid as f64 / self.messages.max(1) as f64
    }

    /// Its most frequent violation.
    pub fn worst_violation(&self) -> Option<&ViolationGroup> {
        self.top_violations
            .iter()
            .max_by(|a, b| a.count.cmp(&b.count).then_with(|| b.kind.cmp(&a.kind)))
    }

    /// What is wrong, in one sentence: its most frequent violation with pointer, keyword, how
    /// often and an example ("/fuel is a string in 31.0% of readings, e.g. \"64\"").
    pub fn what_is_wrong(&self) -> Option<String> {
        self.worst_violation().map(|g| self.describe(g))
    }

    /// One of its violation groups in one sentence, its share of this producer's messages
    /// included.
    pub fn describe(&self, g: &ViolationGroup) -> String {
        let pct = 100.0 * g.count as f64 / self.messages.max(1) as f64;
        let share = format!("in {pct:.1}% of readings");
        let e_g = g
            .example
            .as_ref()
            .map(|e| format!(", e.g. {e}"))
            .unwrap_or_default();
        match (g.pointer.as_deref(), g.keyword.as_deref()) {
            (Some(p), Some("type")) if g.example.is_some() => {
                let a = match g.example.as_deref().and_then(|e| e.chars().next()) {
                    Some('"') => "a string",
                    Some('t' | 'f') => "a boolean",
                    Some('n') => "null",
                    _ => "a number",
                };
                format!("{} is {a} {share}{e_g} ({} type)", shown(p), g.kind)
            }
            (Some(p), Some("required")) if missing_name(&g.message).is_some() => {
                let name = missing_name(&g.message).unwrap_or_default();
                let at = format!(
                    "{}/{}",
                    p.trim_end_matches('/'),
                    crate::compat::schema::escape(name)
                );
                format!("{at} is missing {share} ({} required)", g.kind)
            }
            // The example says what the message would; without one, the message does.
            (Some(p), Some(k)) if g.example.is_some() => {
                format!("{} fails {k} {share}{e_g} ({})", shown(p), g.kind)
            }
            (Some(p), Some(k)) => {
                format!("{} fails {k} {share} ({}: {})", shown(p), g.kind, g.message)
            }
            _ => format!("{} {share}: {}", g.kind, g.message),
        }
    }
}

/// The property a `required` violation's message names (`"fuel" is a required property`).
fn missing_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('"')?;
    let end = rest.find('"')?;
    rest[end..].contains("required").then_some(&rest[..end])
}

/// The payload's root shows as `/`.
fn shown(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// One violation as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViolationRecord {
    /// The transport.
    pub transport: TransportKind,
    /// The topic.
    pub topic: String,
    /// Kafka partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    /// Kafka offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// The producer it is attributed to.
    pub producer: String,
    /// The kind.
    pub kind: ViolationKind,
    /// JSON pointer into the payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Failing keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// What is wrong.
    pub message: String,
    /// For RULE_VIOLATION: the rule, its expression, the values it read, its action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRecord>,
    /// The first bytes of the payload, base64.
    pub payload_excerpt: String,
}

/// A message as remembered for scoring against a manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// The transport.
    pub transport: TransportKind,
    /// The topic.
    pub topic: String,
    /// Kafka partition.
    pub partition: Option<i32>,
    /// Kafka offset.
    pub offset: Option<i64>,
    /// The violations' kinds and keywords.
    pub found: Vec<(ViolationKind, Option<String>)>,
    /// The body's digest (`producer::manifest::digest`), for transports without offsets.
    pub digest: Option<String>,
}

/// Everything an audit found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Totals per transport.
    pub summary: BTreeMap<TransportKind, TransportTotals>,
    /// One entry per producer and transport.
    pub producers: Vec<ProducerCard>,
    /// The violations, up to the cap.
    pub violations: Vec<ViolationRecord>,
    /// Violations not kept in `violations` because of the cap.
    #[serde(default)]
    pub violations_not_shown: u64,
    /// Schema versions whose payloads were checked against another version's data-contract
    /// rules (the newest's), because the contract's history holds no rule set of their own:
    /// version → the version whose rules stood in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules_borrowed: BTreeMap<i32, i32>,
    /// Per-message records for `--expect` (not written to reports).
    #[serde(skip)]
    pub seen: Vec<Seen>,
    #[serde(skip)]
    index: BTreeMap<(TransportKind, String), usize>,
    #[serde(skip)]
    cap: usize,
    #[serde(skip)]
    keep_seen: bool,
    /// The width of the producers' timeline buckets, in milliseconds (0: no timeline, a report
    /// written before schemactl kept one).
    #[serde(default)]
    pub bucket_millis: u64,
}

impl Scorecard {
    /// An empty scorecard keeping at most `cap` violations in detail, and per-message records
    /// when `keep_seen`.
    pub fn new(cap: usize, keep_seen: bool) -> Scorecard {
        Scorecard {
            cap,
            keep_seen,
            ..Scorecard::default()
        }
    }

    /// Counts one message.
    pub fn record(
        &mut self,
        transport: TransportKind,
        origin: &Origin<'_>,
        producer: &str,
        version: Option<i32>,
        payload: &[u8],
        violations: &[Violation],
    ) {
        let totals = self.summary.entry(transport).or_default();
        totals.messages += 1;
        // A rule whose onFailure is NONE reports without making the message invalid.
        let invalid = violations.iter().any(Violation::fails);
        if invalid {
            totals.invalid += 1;
        }
        for v in violations {
            *totals.violations.entry(v.kind).or_default() += 1;
            if let Some(f) = &v.rule {
                let tally = totals.rules.entry(f.rule.clone()).or_insert_with(|| {
                    let (action, dlq_topic) = action_parts(&f.action);
                    RuleTally {
                        action,
                        dlq_topic,
                        ..RuleTally::default()
                    }
                });
                tally.violations += 1;
                tally.errors += u64::from(f.error.is_some());
            }
        }
        let key = (transport, producer.to_string());
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                self.producers.push(ProducerCard {
                    transport,
                    producer: producer.to_string(),
                    messages: 0,
                    invalid: 0,
                    violations: BTreeMap::new(),
                    rules: BTreeMap::new(),
                    schema_versions: BTreeSet::new(),
                    other_schemas: BTreeSet::new(),
                    first_seen_millis: origin.at_millis,
                    last_seen_millis: origin.at_millis,
                    timeline: Vec::new(),
                    top_violations: Vec::new(),
                });
                self.index.insert(key, self.producers.len() - 1);
                self.producers.len() - 1
            }
        };
        let card = &mut self.producers[i];
        card.messages += 1;
        card.invalid += u64::from(invalid);
        card.first_seen_millis = card.first_seen_millis.min(origin.at_millis);
        card.last_seen_millis = card.last_seen_millis.max(origin.at_millis);
        if let Some(v) = version {
            card.schema_versions.insert(v);
        }
        if self.bucket_millis == 0 {
            self.bucket_millis = BUCKET_MILLIS;
        }
        add_to_timeline(
            &mut card.timeline,
            bucket_start(origin.at_millis, self.bucket_millis),
            1,
            u64::from(invalid),
        );
        let coarsen = spans_too_many(&card.timeline, self.bucket_millis);
        for v in violations {
            let group = card
                .top_violations
                .iter()
                .position(|g| g.kind == v.kind && g.pointer == v.pointer && g.keyword == v.keyword);
            match group {
                Some(g) => card.top_violations[g].count += 1,
                None if card.top_violations.len() < MAX_GROUPS => {
                    card.top_violations.push(ViolationGroup {
                        kind: v.kind,
                        pointer: v.pointer.clone(),
                        keyword: v.keyword.clone(),
                        count: 1,
                        example: v.pointer.as_deref().and_then(|p| example_at(payload, p)),
                        message: v.message.clone(),
                    })
                }
                None => {}
            }
        }
        for v in violations {
            *card.violations.entry(v.kind).or_default() += 1;
            if let Some(f) = &v.rule {
                *card.rules.entry(f.rule.clone()).or_default() += 1;
            }
            if self.violations.len() < self.cap {
                let excerpt = &payload[..payload.len().min(EXCERPT_BYTES)];
                self.violations.push(ViolationRecord {
                    transport,
                    topic: origin.topic.to_string(),
                    partition: origin.partition,
                    offset: origin.offset,
                    producer: producer.to_string(),
                    kind: v.kind,
                    pointer: v.pointer.clone(),
                    keyword: v.keyword.clone(),
                    message: v.message.clone(),
                    rule: v.rule.as_deref().map(RuleRecord::from),
                    payload_excerpt: base64::engine::general_purpose::STANDARD.encode(excerpt),
                });
            } else {
                self.violations_not_shown += 1;
            }
        }
        if coarsen {
            self.widen_buckets(self.bucket_millis * 2);
        }
        if self.keep_seen {
            self.seen.push(Seen {
                transport,
                topic: origin.topic.to_string(),
                partition: origin.partition,
                offset: origin.offset,
                found: violations
                    .iter()
                    .map(|v| (v.kind, v.keyword.clone()))
                    .collect(),
                digest: origin
                    .offset
                    .is_none()
                    .then(|| crate::producer::manifest::digest(payload)),
            });
        }
    }

    /// Re-buckets every producer's timeline into buckets of `width` (a multiple of the
    /// current width), until no timeline spans more than [`MAX_BUCKETS`].
    fn widen_buckets(&mut self, mut width: u64) {
        loop {
            for p in &mut self.producers {
                rebucket(&mut p.timeline, width);
            }
            self.bucket_millis = width;
            if !self
                .producers
                .iter()
                .any(|p| spans_too_many(&p.timeline, width))
            {
                return;
            }
            width *= 2;
        }
    }

    /// Notes a time a transport was lost.
    pub fn gap(&mut self, transport: TransportKind, gap: GapRecord) {
        self.summary.entry(transport).or_default().gaps.push(gap);
    }

    /// Notes that `producer`'s last Kafka record was also judged by `schema`, a schema outside
    /// the contract's history.
    pub fn judged_also(&mut self, producer: &str, schema: &str) {
        if let Some(i) = self
            .index
            .get(&(TransportKind::Kafka, producer.to_string()))
            && !self.producers[*i].other_schemas.contains(schema)
        {
            self.producers[*i].other_schemas.insert(schema.to_string());
        }
    }

    /// Notes a delivery of a message already counted.
    pub fn replay(&mut self, transport: TransportKind) {
        self.summary.entry(transport).or_default().replayed += 1;
    }

    /// The finding that `transport` delivered nothing while the audit watched `watched`.
    pub fn no_traffic(&mut self, transport: TransportKind, watched: &str, seconds: f64) {
        let totals = self.summary.entry(transport).or_default();
        *totals
            .violations
            .entry(ViolationKind::NO_TRAFFIC)
            .or_default() += 1;
        self.violations.push(ViolationRecord {
            transport,
            topic: watched.to_string(),
            partition: None,
            offset: None,
            producer: String::new(),
            kind: ViolationKind::NO_TRAFFIC,
            pointer: None,
            keyword: None,
            message: format!(
                "{transport} delivered no message in {seconds:.1} s on {watched}{}",
                if totals.replayed > 0 {
                    format!(
                        " ({} redelivered message(s) not counted again)",
                        totals.replayed
                    )
                } else {
                    String::new()
                }
            ),
            rule: None,
            payload_excerpt: String::new(),
        });
    }

    /// Notes that payloads judged by schema version `version` were checked against the rules
    /// of version `rules_of`, the history holding no rule set for `version`.
    pub fn note_rules_borrowed(&mut self, version: i32, rules_of: i32) {
        self.rules_borrowed.entry(version).or_insert(rules_of);
    }

    /// Whether a transport was still lost when the audit ended.
    pub fn has_open_gap(&self) -> bool {
        self.summary.values().any(|t| t.gaps.iter().any(|g| g.open))
    }

    /// Whether a transport the audit watched delivered nothing.
    pub fn has_no_traffic(&self) -> bool {
        self.summary.values().any(|t| {
            t.violations
                .get(&ViolationKind::NO_TRAFFIC)
                .is_some_and(|n| *n > 0)
        })
    }

    /// After a merge: a transport that some instance saw traffic on has none missing, and one
    /// no instance saw traffic on is reported once.
    fn settle_no_traffic(&mut self) {
        for (t, totals) in &mut self.summary {
            let Some(n) = totals.violations.get_mut(&ViolationKind::NO_TRAFFIC) else {
                continue;
            };
            let keep = usize::from(totals.messages == 0);
            if keep == 0 {
                totals.violations.remove(&ViolationKind::NO_TRAFFIC);
            } else {
                *n = 1;
            }
            let mut kept = 0;
            self.violations.retain(|v| {
                if v.transport != *t || v.kind != ViolationKind::NO_TRAFFIC {
                    return true;
                }
                kept += 1;
                kept <= keep
            });
        }
    }

    /// Adds another scorecard's counts to this one.
    pub fn merge(&mut self, other: Scorecard) {
        // Timelines add up bucket by bucket, at the wider of the two widths.
        let width = self.bucket_millis.max(other.bucket_millis);
        if width > 0 && width != self.bucket_millis {
            self.widen_buckets(width);
        }
        let mut other = other;
        if width > 0 && width != other.bucket_millis {
            other.widen_buckets(width);
        }
        for (t, o) in other.summary {
            let s = self.summary.entry(t).or_default();
            s.messages += o.messages;
            s.invalid += o.invalid;
            for (k, n) in o.violations {
                *s.violations.entry(k).or_default() += n;
            }
            s.gaps.extend(o.gaps);
            s.replayed += o.replayed;
            add_rules(&mut s.rules, &o.rules);
        }
        for (v, of) in other.rules_borrowed {
            self.rules_borrowed.entry(v).or_insert(of);
        }
        if self.index.len() != self.producers.len() {
            self.reindex();
        }
        for card in other.producers {
            let key = (card.transport, card.producer.clone());
            match self.index.get(&key) {
                Some(i) => {
                    let mine = &mut self.producers[*i];
                    mine.messages += card.messages;
                    mine.invalid += card.invalid;
                    for (k, n) in card.violations {
                        *mine.violations.entry(k).or_default() += n;
                    }
                    for (r, n) in card.rules {
                        *mine.rules.entry(r).or_default() += n;
                    }
                    mine.schema_versions.extend(card.schema_versions);
                    mine.other_schemas.extend(card.other_schemas);
                    mine.first_seen_millis = mine.first_seen_millis.min(card.first_seen_millis);
                    mine.last_seen_millis = mine.last_seen_millis.max(card.last_seen_millis);
                    for b in card.timeline {
                        add_to_timeline(&mut mine.timeline, b.start_millis, b.messages, b.invalid);
                    }
                    for g in card.top_violations {
                        match mine.top_violations.iter().position(|m| {
                            (m.kind, &m.pointer, &m.keyword) == (g.kind, &g.pointer, &g.keyword)
                        }) {
                            Some(m) => mine.top_violations[m].count += g.count,
                            None if mine.top_violations.len() < MAX_GROUPS => {
                                mine.top_violations.push(g)
                            }
                            None => {}
                        }
                    }
                }
                None => {
                    self.producers.push(card);
                    self.index.insert(key, self.producers.len() - 1);
                }
            }
        }
        let room = self
            .cap
            .max(self.violations.len())
            .saturating_sub(self.violations.len());
        let mut rest = other.violations;
        let overflow = rest.len().saturating_sub(room);
        rest.truncate(room.min(rest.len()));
        self.violations.extend(rest);
        self.violations_not_shown += other.violations_not_shown + overflow as u64;
        self.seen.extend(other.seen);
        self.settle_no_traffic();
        if self
            .producers
            .iter()
            .any(|p| spans_too_many(&p.timeline, self.bucket_millis))
        {
            self.widen_buckets(self.bucket_millis * 2);
        }
    }

    fn reindex(&mut self) {
        self.index = self
            .producers
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.transport, c.producer.clone()), i))
            .collect();
    }

    /// Sorts producers by transport and name (in natural order: generator2 before
    /// generator10), and each one's violation groups most frequent first, for stable output.
    pub fn sort(&mut self) {
        self.producers.sort_by(|a, b| {
            a.transport
                .cmp(&b.transport)
                .then_with(|| natural_cmp(&a.producer, &b.producer))
        });
        for p in &mut self.producers {
            p.top_violations
                .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
        }
        self.reindex();
    }

    /// The producers, worst first: highest invalid rate, then most invalid messages, then by
    /// name in natural order and transport.
    pub fn worst_first(&self) -> Vec<&ProducerCard> {
        let mut all: Vec<&ProducerCard> = self.producers.iter().collect();
        all.sort_by(|a, b| {
            b.invalid_rate()
                .total_cmp(&a.invalid_rate())
                .then_with(|| b.invalid.cmp(&a.invalid))
                .then_with(|| natural_cmp(&a.producer, &b.producer))
                .then_with(|| a.transport.cmp(&b.transport))
        });
        all
    }

    /// Allows `n` more detailed violations (merged reports keep everything they hold).
    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap;
    }

    /// Total messages over every transport.
    pub fn messages(&self) -> u64 {
        self.summary.values().map(|t| t.messages).sum()
    }

    /// Violations per kind over every transport.
    pub fn violations_by_kind(&self) -> BTreeMap<ViolationKind, u64> {
        let mut all = BTreeMap::new();
        for t in self.summary.values() {
            for (k, n) in &t.violations {
                *all.entry(*k).or_default() += n;
            }
        }
        all
    }

    /// Failures per data-contract rule over every transport, with the rule's action.
    pub fn violations_by_rule(&self) -> BTreeMap<String, RuleTally> {
        let mut all = BTreeMap::new();
        for t in self.summary.values() {
            add_rules(&mut all, &t.rules);
        }
        all
    }

    /// Whether any violation of one of `kinds` that fails was counted (the `--fail-on` test):
    /// a RULE_VIOLATION of a rule whose onFailure is NONE is reported, never failing.
    pub fn has_violations_of(&self, kinds: &std::collections::BTreeSet<ViolationKind>) -> bool {
        let reported_only: u64 = self
            .violations_by_rule()
            .values()
            .filter(|t| !t.fails())
            .map(|t| t.violations)
            .sum();
        self.violations_by_kind().iter().any(|(k, n)| {
            let failing = if *k == ViolationKind::RULE_VIOLATION {
                n.saturating_sub(reported_only)
            } else {
                *n
            };
            failing > 0 && kinds.contains(k)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: ViolationKind) -> Violation {
        Violation::new(kind, "x")
    }

    #[test]
    fn counts_per_transport_and_producer_and_merges() {
        let mut a = Scorecard::new(1, false);
        let o = Origin {
            topic: "t",
            at_millis: 5,
            ..Origin::default()
        };
        a.record(TransportKind::Mqtt, &o, "gen-1", Some(3), b"{}", &[]);
        a.record(
            TransportKind::Mqtt,
            &o,
            "gen-1",
            None,
            b"x",
            &[v(ViolationKind::NOT_JSON)],
        );
        let mut b = Scorecard::new(1, false);
        b.record(
            TransportKind::Kafka,
            &o,
            "gen-1",
            None,
            b"x",
            &[v(ViolationKind::MISSING_WIRE_HEADER)],
        );
        b.record(
            TransportKind::Mqtt,
            &Origin {
                at_millis: 9,
                ..o.clone()
            },
            "gen-1",
            None,
            b"y",
            &[v(ViolationKind::NOT_JSON)],
        );
        a.merge(b);
        a.sort();
        assert_eq!(a.messages(), 4);
        assert_eq!(a.producers.len(), 2);
        let mqtt = &a.producers[0];
        assert_eq!(
            (mqtt.messages, mqtt.invalid, mqtt.last_seen_millis),
            (3, 2, 9)
        );
        assert_eq!(a.violations.len(), 1);
        assert_eq!(a.violations_not_shown, 2);
        let json = serde_json::to_value(&a).unwrap();
        let back: Scorecard = serde_json::from_value(json).unwrap();
        assert_eq!(back.messages(), 4);
    }

    fn broken(rule: &str, action: Action, fuel: i64) -> Violation {
        Violation::rule(RuleFailure {
            rule: rule.into(),
            expr: "message.fuel >= 0".into(),
            action,
            field: None,
            values: [("message.fuel".to_string(), serde_json::json!(fuel))].into(),
            error: None,
        })
    }

    #[test]
    fn counts_rule_violations_per_rule_and_producer_through_a_merge() {
        let o = Origin {
            topic: "t",
            ..Origin::default()
        };
        let fuel = || broken("fuel_not_negative", Action::ERROR, -3);
        let reported = || broken("fuel_reported", Action::NONE, -3);
        let mut a = Scorecard::new(10, false);
        a.record(TransportKind::Mqtt, &o, "g1", Some(3), b"{}", &[fuel()]);
        a.record(
            TransportKind::Mqtt,
            &o,
            "g2",
            Some(3),
            b"{}",
            &[fuel(), reported()],
        );
        a.record(TransportKind::Mqtt, &o, "g2", Some(3), b"{}", &[reported()]);
        let mut b = Scorecard::new(10, false);
        b.record(TransportKind::Kafka, &o, "g1", Some(1), b"{}", &[fuel()]);
        b.record(TransportKind::Mqtt, &o, "g1", Some(3), b"{}", &[fuel()]);
        b.note_rules_borrowed(1, 3);
        // Through a report's JSON, as `report merge` reads it.
        let b: Scorecard = serde_json::from_value(serde_json::to_value(&b).unwrap()).unwrap();
        a.merge(b);
        a.sort();

        let mqtt = &a.summary[&TransportKind::Mqtt];
        assert_eq!(
            (mqtt.messages, mqtt.invalid),
            (4, 3),
            "NONE alone fails nothing"
        );
        assert_eq!(mqtt.violations[&ViolationKind::RULE_VIOLATION], 5);
        assert_eq!(mqtt.rules["fuel_not_negative"].violations, 3);
        assert_eq!(mqtt.rules["fuel_reported"].violations, 2);
        assert_eq!(mqtt.rules["fuel_reported"].action, "NONE");
        let by_rule = a.violations_by_rule();
        assert_eq!(
            by_rule["fuel_not_negative"].violations, 4,
            "both transports"
        );
        let card = |t, p: &str| {
            a.producers
                .iter()
                .find(|c| c.transport == t && c.producer == p)
                .unwrap()
        };
        assert_eq!(
            card(TransportKind::Mqtt, "g1").rules,
            [("fuel_not_negative".to_string(), 2)].into()
        );
        assert_eq!(
            card(TransportKind::Mqtt, "g2").rules,
            [
                ("fuel_not_negative".to_string(), 1),
                ("fuel_reported".to_string(), 2)
            ]
            .into()
        );
        assert_eq!(
            card(TransportKind::Kafka, "g1").rules["fuel_not_negative"],
            1
        );
        assert_eq!(a.rules_borrowed, [(1, 3)].into());
        // The rule, its expression and the values it read are kept with each violation.
        let kept = a.violations[0].rule.as_ref().unwrap();
        assert_eq!(
            (kept.rule.as_str(), kept.expr.as_str(), kept.action.as_str()),
            ("fuel_not_negative", "message.fuel >= 0", "ERROR")
        );
        assert_eq!(kept.values["message.fuel"], -3);

        let rule_kind: BTreeSet<ViolationKind> = [ViolationKind::RULE_VIOLATION].into();
        assert!(a.has_violations_of(&rule_kind));
        let mut only_reported = Scorecard::new(10, false);
        only_reported.record(TransportKind::Mqtt, &o, "g2", Some(3), b"{}", &[reported()]);
        assert!(
            !only_reported.has_violations_of(&rule_kind),
            "a NONE rule never fails the run"
        );
        assert_eq!(only_reported.summary[&TransportKind::Mqtt].invalid, 0);
    }

    #[test]
    fn a_dlq_rule_names_its_topic() {
        let mut a = Scorecard::new(10, false);
        let dlq = broken("pressure_plausible", Action::DLQ("gen-dlq".into()), 1);
        a.record(
            TransportKind::Kafka,
            &Origin::default(),
            "g1",
            Some(3),
            b"{}",
            &[dlq],
        );
        let t = &a.summary[&TransportKind::Kafka].rules["pressure_plausible"];
        assert_eq!(
            (t.action.as_str(), t.dlq_topic.as_deref()),
            ("DLQ", Some("gen-dlq"))
        );
        assert!(t.fails());
        assert_eq!(a.summary[&TransportKind::Kafka].invalid, 1);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["violations"][0]["rule"]["dlq_topic"], "gen-dlq");
    }

    #[test]
    fn names_sort_in_natural_order() {
        let mut names = vec![
            "generator10",
            "generator2",
            "generator1",
            "gen",
            "generator02",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "gen",
                "generator1",
                "generator02",
                "generator2",
                "generator10"
            ]
        );
    }

    #[test]
    fn timelines_widen_past_the_bucket_limit_and_merge_bucket_by_bucket() {
        let mut a = Scorecard::new(10, false);
        let at = |millis: i64| Origin {
            topic: "t",
            at_millis: millis,
            ..Origin::default()
        };
        let bad = [Violation {
            pointer: Some("/fuel".into()),
            keyword: Some("type".into()),
            ..v(ViolationKind::SCHEMA_VIOLATION)
        }];
        // 300 one-second buckets do not fit in 120: the width doubles twice, to 4 s.
        for s in 0..300 {
            let found: &[Violation] = if s % 2 == 0 { &bad } else { &[] };
            a.record(
                TransportKind::Mqtt,
                &at(s * 1000),
                "g",
                None,
                br#"{"fuel":"64"}"#,
                found,
            );
        }
        assert_eq!(a.bucket_millis, 4000);
        let line = &a.producers[0].timeline;
        assert_eq!(line.len(), 75);
        assert_eq!((line[0].messages, line[0].invalid), (4, 2));
        assert_eq!(line.iter().map(|b| b.messages).sum::<u64>(), 300);
        let g = a.producers[0].worst_violation().unwrap();
        assert_eq!((g.count, g.example.as_deref()), (150, Some("\"64\"")));
        assert_eq!(
            a.producers[0].what_is_wrong().unwrap(),
            "/fuel is a string in 50.0% of readings, e.g. \"64\" (SCHEMA_VIOLATION type)"
        );

        // A narrower report merges at the wider width; its groups add up.
        let mut b = Scorecard::new(10, false);
        b.record(TransportKind::Mqtt, &at(1500), "g", None, b"{}", &bad);
        assert_eq!(b.bucket_millis, 1000);
        let json = serde_json::to_string(&b).unwrap();
        a.merge(serde_json::from_str(&json).unwrap());
        let line = &a.producers[0].timeline;
        assert_eq!((line[0].messages, line[0].invalid), (5, 3));
        assert_eq!(a.producers[0].worst_violation().unwrap().count, 151);
    }

    #[test]
    fn worst_producers_come_first_ties_in_natural_order() {
        let mut card = Scorecard::new(10, false);
        let o = Origin {
            topic: "t",
            ..Origin::default()
        };
        for (name, bad) in [("g10", false), ("g2", false), ("g3", true), ("g1", false)] {
            let found = [v(ViolationKind::NOT_JSON)];
            card.record(
                TransportKind::Mqtt,
                &o,
                name,
                None,
                b"x",
                if bad { &found } else { &[] },
            );
        }
        let order: Vec<&str> = card
            .worst_first()
            .iter()
            .map(|p| p.producer.as_str())
            .collect();
        assert_eq!(order, ["g3", "g1", "g2", "g10"]);
    }

    #[test]
    fn a_missing_property_is_named_by_its_pointer() {
        let mut card = Scorecard::new(10, false);
        let missing = [Violation {
            pointer: Some(String::new()),
            keyword: Some("required".into()),
            ..Violation::new(
                ViolationKind::SCHEMA_VIOLATION,
                "\"oil/filter\" is a required property",
            )
        }];
        let o = Origin {
            topic: "t",
            ..Origin::default()
        };
        card.record(TransportKind::Mqtt, &o, "g", None, b"{}", &missing);
        card.record(TransportKind::Mqtt, &o, "g", None, b"{}", &[]);
        assert_eq!(
            card.producers[0].what_is_wrong().unwrap(),
            "/oil~1filter is missing in 50.0% of readings (SCHEMA_VIOLATION required)"
        );
    }
}
