//! Producing to Kafka, for the simulator: records are queued without waiting, and each send
//! hands back a future resolving to the partition and offset once the broker acknowledged it.

use super::KafkaConfig;
use crate::transport::TransportError;
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

/// A producer.
pub struct KafkaSink {
    producer: FutureProducer,
    cfg: KafkaConfig,
}

impl KafkaSink {
    /// Connects, checking within `timeout` that the cluster answers.
    pub fn open(cfg: &KafkaConfig, timeout: Duration) -> Result<KafkaSink, TransportError> {
        let producer: FutureProducer = cfg
            .client_config(&[
                ("linger.ms", "5"),
                ("acks", "all"),
                ("enable.idempotence", "false"),
                // Room for the simulator's oversized payloads (the audit still flags them).
                ("message.max.bytes", "16000000"),
                ("queue.buffering.max.messages", "1000000"),
            ])
            .create()
            .map_err(|e| TransportError::Config(format!("Kafka producer: {}", cfg.describe(&e))))?;
        producer.client().fetch_metadata(None, timeout).map_err(|e| {
            TransportError::Connect(format!(
                "cannot reach the Kafka cluster at {}: {}\nhelp: check --kafka and -X security.protocol / sasl.* properties",
                cfg.bootstrap_servers,
                cfg.describe(&e)
            ))
        })?;
        Ok(KafkaSink {
            producer,
            cfg: cfg.clone(),
        })
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
