//! Sniffing Kafka, read-only: without a group the topic's partitions are assigned directly and
//! no offset is ever committed; with a group (`--group`) the consumer joins it and commits to
//! that group only. Records are lent out without copying.

use super::KafkaConfig;
use super::config::BrokerReason;
use crate::transport::TransportError;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where to start reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest retained record.
    Beginning,
    /// Only records produced from now on.
    End,
}

/// A time the cluster could not be reached.
#[derive(Clone, Debug)]
pub struct Gap {
    /// How long.
    pub duration: Duration,
    /// librdkafka's reason.
    pub reason: String,
}

#[derive(Default)]
struct Link {
    down_since: Option<(Instant, String)>,
    gaps: Vec<Gap>,
}

/// Watches librdkafka's global errors to tell when every broker was lost, and the group's
/// rebalances to tell when this consumer holds its share of the partitions.
#[derive(Clone)]
pub struct SourceContext {
    link: Arc<Mutex<Link>>,
    assigned: Arc<tokio::sync::watch::Sender<Option<usize>>>,
    reason: BrokerReason,
}

impl Default for SourceContext {
    fn default() -> Self {
        SourceContext {
            link: Arc::default(),
            assigned: Arc::new(tokio::sync::watch::channel(None).0),
            reason: BrokerReason::default(),
        }
    }
}

impl ClientContext for SourceContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.reason.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.reason.error(&error, reason);
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown)
            && let Ok(mut link) = self.link.lock()
            && link.down_since.is_none()
        {
            link.down_since = Some((Instant::now(), reason.to_string()));
        }
        tracing::debug!("librdkafka: {error}: {reason}");
    }
}

impl ConsumerContext for SourceContext {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.assigned.send_replace(Some(tpl.count()));
            }
            Rebalance::Revoke(_) => {
                self.assigned.send_replace(None);
            }
            Rebalance::Error(e) => tracing::warn!("Kafka group rebalance failed: {e}"),
        }
    }
}

/// One record, borrowed from the consumer.
pub struct KafkaRecord<'a>(BorrowedMessage<'a>);

impl KafkaRecord<'_> {
    /// The topic.
    pub fn topic(&self) -> &str {
        self.0.topic()
    }
    /// The partition.
    pub fn partition(&self) -> i32 {
        self.0.partition()
    }
    /// The offset.
    pub fn offset(&self) -> i64 {
        self.0.offset()
    }
    /// The key, if any.
    pub fn key(&self) -> Option<&[u8]> {
        self.0.key()
    }
    /// The value (empty for a tombstone).
    pub fn payload(&self) -> &[u8] {
        self.0.payload().unwrap_or_default()
    }
    /// The creation or log-append time, in milliseconds since the epoch.
    pub fn timestamp_millis(&self) -> Option<i64> {
        self.0.timestamp().to_millis()
    }
    /// Every header, name and value, in the record's order.
    pub fn headers(&self) -> Vec<(&str, Option<&[u8]>)> {
        self.0
            .headers()
            .map(|h| h.iter().map(|h| (h.key, h.value)).collect())
            .unwrap_or_default()
    }
    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        let headers = self.0.headers()?;
        headers.iter().find(|h| h.key == name).and_then(|h| h.value)
    }
}

/// The prefetch settings the audit's consumer asks librdkafka for (a user's `-X` wins).
///
/// librdkafka forwards every assigned partition's fetch queue to the one consumer queue and,
/// before each Fetch, compares the length and the value bytes of *that* queue with
/// `queued.min.messages` and `queued.max.messages.kbytes`: both bound what waits across all
/// partitions, not per partition, and a Fetch already sent may overshoot them by its whole
/// answer (on Tansu a record batch, about 8,000 of the fleet's records). Past a bound, the
/// partition's next Fetch is postponed by `fetch.queue.backoff.ms`; at its default (1 s) a small
/// queue drains long before the refill and the audit waits (20,000 messages: 31,000 records/s).
/// A backlog of 1 M of the fleet's records held about 100 MiB with 200,000 messages queued;
/// with the bounds below it peaks at 38–55 MiB and reads as fast (docs/BENCHMARKS.md).
pub const FETCH_SETTINGS: &[(&str, &str)] = &[
    // With a live topic, a batch of telemetry arrives in one fetch.
    ("fetch.wait.max.ms", "100"),
    // About 80 ms of the audit's work at 250,000 records/s.
    ("queued.min.messages", "20000"),
    // The same bound in value bytes, for large payloads (the default is 64 MiB); librdkafka
    // then also lowers `fetch.max.bytes` to it.
    ("queued.max.messages.kbytes", "16384"),
    // Look again soon: the refill must arrive before the queue drains.
    ("fetch.queue.backoff.ms", "10"),
];

/// A read-only consumer of one topic.
pub struct KafkaSource {
    consumer: BaseConsumer<SourceContext>,
    context: SourceContext,
    cfg: KafkaConfig,
    group: Option<String>,
    topic: String,
    /// Partitions of the topic when opened.
    pub partitions: usize,
}

/// What the cluster says about the topic's partitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicCheck {
    /// The topic no longer exists.
    Gone,
    /// Per partition held by this consumer: the oldest retained offset and the next offset
    /// to be written.
    Partitions(Vec<(i32, i64, i64)>),
}

impl KafkaSource {
    /// Connects and starts reading `topic`; fails when the cluster does not answer a metadata
    /// request within `timeout` or the topic does not exist.
    pub fn open(
        cfg: &KafkaConfig,
        topic: &str,
        start: StartAt,
        group: Option<&str>,
        timeout: Duration,
    ) -> Result<KafkaSource, TransportError> {
        let reset = match start {
            StartAt::Beginning => "earliest",
            StartAt::End => "latest",
        };
        // Without a group the start is an explicit offset, and a position that falls out of
        // range (records expired under the audit) resumes at the oldest retained record, which
        // loses the fewest; the audit reports the hole.
        let reset = if group.is_none() { "earliest" } else { reset };
        let mut ours = vec![
            ("enable.partition.eof", "false"),
            ("auto.offset.reset", reset),
            ("enable.auto.offset.store", "true"),
        ];
        ours.extend_from_slice(FETCH_SETTINGS);
        match group {
            Some(g) => {
                ours.push(("group.id", g));
                ours.push(("enable.auto.commit", "true"));
            }
            None => {
                // librdkafka wants a group id for any consumer; this one is never joined and no
                // offset is ever committed to it.
                ours.push(("group.id", "schemactl-audit-unused"));
                ours.push(("enable.auto.commit", "false"));
            }
        }
        let context = SourceContext::default();
        let consumer: BaseConsumer<SourceContext> = cfg
            .client_config(&ours)
            .create_with_context(context.clone())
            .map_err(|e| TransportError::Config(format!("Kafka consumer: {}", cfg.describe(&e))))?;
        let metadata = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| {
                // librdkafka's log lines wait in the queue `poll` serves: let them reach the
                // context, which keeps the reason for the failure.
                for _ in 0..1000 {
                    if consumer.poll(Duration::ZERO).is_none() {
                        break;
                    }
                }
                TransportError::Connect(format!(
                    "cannot reach the Kafka cluster at {}: {}\nhelp: check --kafka and -X security.protocol / sasl.* properties ({} / {} for credentials)",
                    cfg.bootstrap_servers,
                    cfg.describe_with(&e, &context.reason),
                    super::ENV_SASL_USERNAME,
                    super::ENV_SASL_PASSWORD
                ))
            })?;
        let partitions = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none())
            .map(|t| t.partitions().len())
            .unwrap_or(0);
        if partitions == 0 {
            return Err(TransportError::Connect(format!(
                "topic \"{topic}\" does not exist on the Kafka cluster at {}\nhelp: create it, or start the producers first",
                cfg.bootstrap_servers
            )));
        }
        match group {
            Some(_) => consumer.subscribe(&[topic]),
            None => {
                let mut tpl = TopicPartitionList::new();
                for p in 0..partitions {
                    // The end is looked up now rather than left to librdkafka (`Offset::End`),
                    // which resolves it after `assign` returns: records produced in between
                    // (after the audit said it was connected) were missed.
                    let offset = match start {
                        StartAt::Beginning => Offset::Beginning,
                        StartAt::End => consumer
                            .fetch_watermarks(topic, p as i32, timeout)
                            .map(|(_, high)| Offset::Offset(high))
                            .map_err(|e| {
                                TransportError::Connect(format!(
                                    "Kafka: the end of partition {p} of \"{topic}\": {}",
                                    cfg.describe(&e)
                                ))
                            })?,
                    };
                    tpl.add_partition_offset(topic, p as i32, offset)
                        .map_err(|e| TransportError::Io(e.to_string()))?;
                }
                context.assigned.send_replace(Some(partitions));
                consumer.assign(&tpl)
            }
        }
        .map_err(|e| {
            TransportError::Io(format!("Kafka: reading \"{topic}\": {}", cfg.describe(&e)))
        })?;
        Ok(KafkaSource {
            consumer,
            context,
            cfg: cfg.clone(),
            group: group.map(str::to_string),
            topic: topic.to_string(),
            partitions,
        })
    }

    /// The topic read.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Reads `partition` again from `offset` (`None`: from the oldest retained record).
    pub fn seek(&self, partition: i32, offset: Option<i64>) -> Result<(), TransportError> {
        let to = offset.map_or(Offset::Beginning, Offset::Offset);
        self.consumer
            .seek(&self.topic, partition, to, Duration::from_secs(2))
            .map_err(|e| {
                TransportError::Io(format!(
                    "Kafka: seeking partition {partition} of \"{}\": {}",
                    self.topic,
                    self.cfg.describe(&e)
                ))
            })
    }

    /// Asks the cluster whether the topic still exists and where each partition this consumer
    /// holds begins and ends; `Err` when it does not answer within `timeout`.
    pub fn topic_state(&self, timeout: Duration) -> Result<TopicCheck, TransportError> {
        let io = |e: KafkaError| TransportError::Io(self.cfg.describe(&e));
        let metadata = self
            .consumer
            .fetch_metadata(Some(&self.topic), timeout)
            .map_err(io)?;
        let exists = metadata
            .topics()
            .iter()
            .find(|t| t.name() == self.topic)
            .is_some_and(|t| t.error().is_none() && !t.partitions().is_empty());
        if !exists {
            return Ok(TopicCheck::Gone);
        }
        let held: Vec<i32> = self
            .consumer
            .assignment()
            .map_err(io)?
            .elements()
            .iter()
            .filter(|e| e.topic() == self.topic)
            .map(|e| e.partition())
            .collect();
        let mut out = Vec::with_capacity(held.len());
        for p in held {
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, p, timeout)
                .map_err(io)?;
            out.push((p, low, high));
        }
        Ok(TopicCheck::Partitions(out))
    }

    /// The next record, waiting at most `timeout`; `None` when none arrived.
    pub fn poll(&self, timeout: Duration) -> Option<Result<KafkaRecord<'_>, TransportError>> {
        match self.consumer.poll(timeout)? {
            Ok(m) => Some(Ok(KafkaRecord(m))),
            Err(e) => {
                let text = self.cfg.describe(&e);
                Some(Err(match e.rdkafka_error_code() {
                    Some(
                        RDKafkaErrorCode::AutoOffsetReset | RDKafkaErrorCode::OffsetOutOfRange,
                    ) => TransportError::OffsetReset(text),
                    _ => TransportError::Io(text),
                }))
            }
        }
    }

    /// Ends a period of lost brokers when records flow again, and returns the gaps seen since
    /// the last call.
    pub fn take_gaps(&self, flowing: bool) -> Vec<Gap> {
        let Ok(mut link) = self.context.link.lock() else {
            return Vec::new();
        };
        if flowing && let Some((since, reason)) = link.down_since.take() {
            link.gaps.push(Gap {
                duration: since.elapsed(),
                reason,
            });
        }
        std::mem::take(&mut link.gaps)
    }

    /// How many partitions this consumer holds, `None` while a group (re)balances. Without a
    /// group every partition is held from the start; with one, the assignment arrives while
    /// [`Self::poll`] is called, so another thread must be polling.
    pub fn assignment(&self) -> tokio::sync::watch::Receiver<Option<usize>> {
        self.context.assigned.subscribe()
    }

    /// Whether the brokers are currently lost.
    pub fn is_down(&self) -> bool {
        self.context
            .link
            .lock()
            .map(|l| l.down_since.is_some())
            .unwrap_or(false)
    }

    /// Commits the last offsets to the named group (only with `--group`) and leaves it.
    pub fn close(self) {
        if self.group.is_some() {
            let _ = self.consumer.commit_consumer_state(CommitMode::Sync);
            self.consumer.unsubscribe();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(key: &str) -> u64 {
        FETCH_SETTINGS
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} is not among the fetch settings"))
    }

    #[test]
    fn the_queue_is_refilled_before_the_audit_drains_it() {
        // At the rate the audit checks a backlog (about 250,000 records/s on two cores), the
        // queued messages must outlast several postponed looks at the queue: with librdkafka's
        // default backoff (1 s) a 20,000-message queue lasts 80 ms, then the audit waits for the
        // rest of the second (measured: 31,000 records/s).
        let drain_ms = setting("queued.min.messages") * 1000 / 250_000;
        let backoff_ms = setting("fetch.queue.backoff.ms");
        assert!(
            drain_ms >= 4 * backoff_ms,
            "the queue drains in {drain_ms} ms, the next fetch waits {backoff_ms} ms"
        );
        // And the bounds are bounds: below librdkafka's defaults (100,000 messages, 64 MiB).
        assert!(setting("queued.min.messages") < 100_000);
        assert!(setting("queued.max.messages.kbytes") < 65_536);
    }

    #[test]
    fn librdkafka_accepts_the_fetch_settings() {
        // Creating a consumer checks every property and its range; nothing is contacted.
        let cfg = KafkaConfig::new("127.0.0.1:1");
        let mut ours = FETCH_SETTINGS.to_vec();
        ours.push(("group.id", "schemactl-test"));
        let created = cfg.client_config(&ours).create::<BaseConsumer>();
        assert!(created.is_ok(), "{:?}", created.err());
    }
}
