//! Producing to Kafka, for the simulator: records are queued without waiting, and each send
//! hands back a future resolving to the partition and offset once the broker acknowledged it.
//! Before anything is produced, a metadata request checks that the topic exists (the producer
//! never asks the broker to create it on the fly): a missing topic fails at once, naming the
//! topic and how to create it, or is created when asked ([`KafkaSink::ensure_topic`]).

use super::KafkaConfig;
use super::config::ReasonContext;
use crate::transport::TransportError;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use std::future::Future;
use std::time::Duration;

/// Where a record landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
}

/// How to create a topic that does not exist (`simulate --create-topic`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewTopicSpec {
    /// Partitions; -1 lets the broker choose (its `num.partitions`).
    pub partitions: i32,
    /// Replication factor; -1 lets the broker choose (its `default.replication.factor`).
    pub replication: i32,
}

/// What [`KafkaSink::ensure_topic`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicState {
    /// The topic was there, with this many partitions.
    Existed {
        /// Its partitions.
        partitions: usize,
    },
    /// The topic was missing and has been created; this many partitions now exist.
    Created {
        /// Its partitions, as the broker reports them after creating it.
        partitions: usize,
    },
}

/// The commands that create `topic` on `bootstrap`, for a message that says how.
pub fn create_topic_hint(bootstrap: &str, topic: &str) -> String {
    let first = bootstrap.split(',').next().unwrap_or(bootstrap).trim();
    format!(
        "create it first, e.g. `kafka-topics --bootstrap-server {bootstrap} --create --topic {topic} --partitions 3` \
         (Apache Kafka, Confluent Platform), `tansu topic create {topic} --partitions 3 --broker tcp://{first}` (Tansu), \
         or pass --create-topic to let schemactl create it"
    )
}

/// A producer.
pub struct KafkaSink {
    producer: FutureProducer<ReasonContext>,
    cfg: KafkaConfig,
}

impl KafkaSink {
    /// Connects, checking within `timeout` that the cluster answers.
    pub fn open(cfg: &KafkaConfig, timeout: Duration) -> Result<KafkaSink, TransportError> {
        let context = ReasonContext::default();
        let producer: FutureProducer<ReasonContext> = cfg
            .client_config(&[
                // A missing topic is reported by ensure_topic, never created as a side effect
                // of asking for it.
                ("allow.auto.create.topics", "false"),
                ("linger.ms", "5"),
                ("acks", "all"),
                ("enable.idempotence", "false"),
                // Room for the simulator's oversized payloads (the audit still flags them).
                ("message.max.bytes", "16000000"),
                ("queue.buffering.max.messages", "1000000"),
            ])
            .create_with_context(context.clone())
            .map_err(|e| TransportError::Config(format!("Kafka producer: {}", cfg.describe(&e))))?;
        producer.client().fetch_metadata(None, timeout).map_err(|e| {
            // The reason may still wait in the queue the producer's thread polls.
            producer.poll(Duration::ZERO);
            TransportError::Connect(format!(
                "cannot reach the Kafka cluster at {}: {}\nhelp: check --kafka and -X security.protocol / sasl.* properties",
                cfg.bootstrap_servers,
                cfg.describe_with(&e, &context.reason)
            ))
        })?;
        Ok(KafkaSink {
            producer,
            cfg: cfg.clone(),
        })
    }

    /// Checks with a metadata request that `topic` exists. A missing topic is created as `create`
    /// says, or else is an error (exit 2) naming the topic and how to create it. Blocking: call
    /// it from a blocking thread of a Tokio runtime.
    pub fn ensure_topic(
        &self,
        topic: &str,
        create: Option<NewTopicSpec>,
        timeout: Duration,
    ) -> Result<TopicState, TransportError> {
        if let Some(partitions) = self.partitions(topic, timeout)? {
            return Ok(TopicState::Existed { partitions });
        }
        let Some(spec) = create else {
            return Err(TransportError::Config(format!(
                "the Kafka topic \"{topic}\" does not exist on {}\nhelp: {}",
                self.cfg.bootstrap_servers,
                create_topic_hint(&self.cfg.bootstrap_servers, topic)
            )));
        };
        self.create_topic(topic, spec, timeout)?;
        // Creation is asynchronous on some brokers: wait, within the timeout, until the
        // topic's metadata shows its partitions.
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(partitions) = self.partitions(topic, timeout)? {
                return Ok(TopicState::Created { partitions });
            }
            if std::time::Instant::now() >= deadline {
                return Err(TransportError::Io(format!(
                    "created the Kafka topic \"{topic}\", but its metadata did not show it within {} s",
                    timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The topic's partition count, `None` when the broker does not know the topic.
    fn partitions(&self, topic: &str, timeout: Duration) -> Result<Option<usize>, TransportError> {
        use rdkafka::types::RDKafkaRespErr;
        let metadata = self
            .producer
            .client()
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| {
                TransportError::Connect(format!(
                    "cannot ask the Kafka cluster at {} about topic \"{topic}\": {}",
                    self.cfg.bootstrap_servers,
                    self.cfg.describe(&e)
                ))
            })?;
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Ok(None);
        };
        match found.error() {
            None if found.partitions().is_empty() => Ok(None),
            None => Ok(Some(found.partitions().len())),
            Some(code) => match code {
                RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                | RDKafkaRespErr::RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
                | RDKafkaRespErr::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE => Ok(None),
                other => Err(TransportError::Connect(format!(
                    "the Kafka cluster at {} answered for topic \"{topic}\" with {other:?}",
                    self.cfg.bootstrap_servers
                ))),
            },
        }
    }

    fn create_topic(
        &self,
        topic: &str,
        spec: NewTopicSpec,
        timeout: Duration,
    ) -> Result<(), TransportError> {
        let admin: AdminClient<DefaultClientContext> =
            self.cfg.client_config(&[]).create().map_err(|e| {
                TransportError::Config(format!("Kafka admin client: {}", self.cfg.describe(&e)))
            })?;
        let new = NewTopic::new(
            topic,
            spec.partitions,
            TopicReplication::Fixed(spec.replication),
        );
        let options = AdminOptions::new().operation_timeout(Some(timeout));
        // Called from a blocking thread (as KafkaSink::open is), where waiting on the runtime is
        // allowed.
        let results = tokio::runtime::Handle::current()
            .block_on(admin.create_topics([&new], &options))
            .map_err(|e| {
                TransportError::Connect(format!(
                    "cannot create the Kafka topic \"{topic}\" on {}: {}",
                    self.cfg.bootstrap_servers,
                    self.cfg.describe(&e)
                ))
            })?;
        for result in results {
            match result {
                Ok(_) => {}
                // Created meanwhile by someone else: what was asked for exists.
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => {
                    return Err(TransportError::Connect(format!(
                        "the Kafka cluster at {} refused to create topic \"{topic}\" ({} partitions, replication factor {}): {code}",
                        self.cfg.bootstrap_servers,
                        shown(spec.partitions),
                        shown(spec.replication)
                    )));
                }
            }
        }
        Ok(())
    }

    /// Queues one record; waits only while librdkafka's queue is full. The returned future
    /// resolves when the broker acknowledges the record.
    pub async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        headers: &[(&str, &[u8])],
        payload: &[u8],
    ) -> Result<impl Future<Output = Result<Delivered, TransportError>> + use<>, TransportError>
    {
        loop {
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).payload(payload);
            if let Some(k) = key {
                record = record.key(k);
            }
            if !headers.is_empty() {
                let mut h = OwnedHeaders::new_with_capacity(headers.len());
                for (name, value) in headers {
                    h = h.insert(Header {
                        key: name,
                        value: Some(*value),
                    });
                }
                record = record.headers(h);
            }
            match self.producer.send_result(record) {
                Ok(delivery) => {
                    let cfg = self.cfg.clone();
                    let topic = topic.to_string();
                    return Ok(async move {
                        match delivery.await {
                            Ok(Ok(d)) => Ok(Delivered {
                                partition: d.partition,
                                offset: d.offset,
                            }),
                            Ok(Err((e, _))) => Err(TransportError::Io(format!(
                                "Kafka refused a record for \"{topic}\": {}",
                                cfg.describe(&e)
                            ))),
                            Err(_) => Err(TransportError::Io(format!(
                                "Kafka producer closed before a record for \"{topic}\" was acknowledged"
                            ))),
                        }
                    });
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Back-pressure: let librdkafka drain its queue.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err((e, _)) => {
                    return Err(TransportError::Io(format!(
                        "Kafka: cannot queue a record for \"{topic}\": {}",
                        self.cfg.describe(&e)
                    )));
                }
            }
        }
    }

    /// Waits until every queued record is acknowledged or `timeout` passes.
    pub fn flush(&self, timeout: Duration) -> Result<(), TransportError> {
        self.producer.flush(timeout).map_err(|e| {
            TransportError::Io(format!(
                "Kafka: {} record(s) not acknowledged within {} s: {}",
                self.producer.in_flight_count(),
                timeout.as_secs_f64(),
                self.cfg.describe(&e)
            ))
        })
    }
}

/// A partition or replication count as asked, -1 being the broker's default.
fn shown(n: i32) -> String {
    if n < 0 {
        "the broker's default".into()
    } else {
        n.to_string()
    }
}
