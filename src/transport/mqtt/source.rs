//! Sniffing MQTT: subscribe to topic filters and yield every publication with its topic, and
//! say when the connection was lost and regained.
//!
//! At QoS 1 a broker that missed our PUBACK sends the message again with the DUP flag and the
//! same packet id. The source remembers, per packet id, a digest of the last message it
//! delivered; a DUP message matching it is [`MqttEvent::Redelivered`], not a new message. A
//! message without DUP is always new (the broker reuses a packet id once it got the PUBACK).

use super::{Client, EventLoop, MqttConfig, Polled, build, redact_url};
use crate::transport::TransportError;
use bytes::Bytes;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

/// One publication as received.
#[derive(Clone, Debug)]
pub struct MqttMessage {
    /// The topic it was published on.
    pub topic: String,
    /// The payload bytes, untouched.
    pub payload: Bytes,
    /// MQTT 5 user properties (empty on 3.1.1).
    pub user_properties: Vec<(String, String)>,
    /// When it arrived.
    pub received: SystemTime,
}

/// What the source yields.
#[derive(Clone, Debug)]
pub enum MqttEvent {
    /// A publication.
    Message(MqttMessage),
    /// The connection was lost (messages published meanwhile are not seen).
    Lost {
        /// Why.
        reason: String,
    },
    /// A QoS 1 message delivered again (DUP, same packet id, same topic and payload): already
    /// delivered, not to be counted again.
    Redelivered {
        /// Its topic.
        topic: String,
    },
    /// The connection is back and the filters are subscribed again.
    Regained {
        /// How long the source was blind.
        gap: Duration,
        /// Why it was lost.
        reason: String,
    },
}

/// A subscriber to a set of topic filters.
pub struct MqttSource {
    client: Client,
    eventloop: EventLoop,
    cfg: MqttConfig,
    filters: Vec<String>,
    down_since: Option<(Instant, String)>,
    backoff: Duration,
    /// The digest of the last message delivered under each packet id (QoS 1).
    delivered: HashMap<u16, u64>,
}

fn digest(topic: &[u8], payload: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5c7e_3a11).build_hasher();
    h.write(topic);
    h.write_u8(0);
    h.write(payload);
    h.finish()
}

impl MqttSource {
    /// Connects and subscribes to every filter, waiting for the broker's SUBACKs; fails when the
    /// broker cannot be reached, refuses us, or refuses a filter within `timeout`.
    pub async fn connect(
        cfg: &MqttConfig,
        filters: Vec<String>,
        timeout: Duration,
    ) -> Result<MqttSource, TransportError> {
        let (client, eventloop) = build(cfg, "audit", 1024)?;
        let mut source = MqttSource {
            client,
            eventloop,
            cfg: cfg.clone(),
            filters,
            down_since: None,
            backoff: Duration::from_millis(50),
            delivered: HashMap::new(),
        };
        let url = redact_url(&cfg.url);
        let wait = async {
            source.subscribe_all().await?;
            let mut pending = source.filters.len();
            while pending > 0 {
                match source.eventloop.poll().await {
                    Polled::SubAck { refused: true } => {
                        return Err(TransportError::Connect(format!(
                            "the MQTT broker at {url} refused a subscription to {:?}\nhelp: check the broker's ACLs for this user; shared subscriptions ($share/...) need MQTT 5 (--mqtt-version 5)",
                            source.filters
                        )));
                    }
                    Polled::SubAck { refused: false } => pending -= 1,
                    Polled::Error(e) => {
                        return Err(TransportError::Connect(format!(
                            "cannot connect to the MQTT broker at {url}: {e}\nhelp: check the URL, that the broker runs, and the credentials ({})",
                            super::ENV_USERNAME
                        )));
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r.map(|()| source),
            Err(_) => Err(TransportError::Connect(format!(
                "the MQTT broker at {url} did not accept the connection and subscriptions within {} s",
                timeout.as_secs_f64()
            ))),
        }
    }

    /// Queues a SUBSCRIBE per filter. Takes its parts rather than `&self`: the event loop is not
    /// `Sync`, and the source must stay `Send` across this await.
    async fn subscribe_all(&mut self) -> Result<(), TransportError> {
        let (client, filters, qos) = (self.client.clone(), self.filters.clone(), self.cfg.qos);
        for filter in &filters {
            client.subscribe(filter, qos).await?;
        }
        Ok(())
    }

    /// The next publication, or a change of connection state. Reconnects by itself.
    pub async fn next(&mut self) -> MqttEvent {
        loop {
            match self.eventloop.poll().await {
                Polled::Publish {
                    topic,
                    payload,
                    user_properties,
                    pkid,
                    dup,
                } => {
                    if pkid != 0 {
                        let d = digest(&topic, &payload);
                        if dup && self.delivered.get(&pkid) == Some(&d) {
                            return MqttEvent::Redelivered {
                                topic: String::from_utf8_lossy(&topic).into_owned(),
                            };
                        }
                        self.delivered.insert(pkid, d);
                    }
                    return MqttEvent::Message(MqttMessage {
                        topic: String::from_utf8(topic.to_vec())
                            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                        payload,
                        user_properties,
                        received: SystemTime::now(),
                    });
                }
                Polled::ConnAck => {
                    self.backoff = Duration::from_millis(50);
                    // A clean session starts its packet ids afresh: nothing is redelivered.
                    self.delivered.clear();
                    // A clean session forgets subscriptions: ask again.
                    if self.subscribe_all().await.is_err() {
                        continue;
                    }
                    if let Some((since, reason)) = self.down_since.take() {
                        return MqttEvent::Regained {
                            gap: since.elapsed(),
                            reason,
                        };
                    }
                }
                Polled::Error(reason) => {
                    let first = self.down_since.is_none();
                    if first {
                        self.down_since = Some((Instant::now(), reason.clone()));
                    }
                    // Pace reconnection attempts; rumqttc reconnects on the next poll.
                    tokio::time::sleep(self.backoff).await;
                    self.backoff = (self.backoff * 2).min(Duration::from_secs(2));
                    if first {
                        return MqttEvent::Lost { reason };
                    }
                }
                _ => {}
            }
        }
    }

    /// Leaves the broker politely.
    pub async fn close(mut self) {
        self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match self.eventloop.poll().await {
                    Polled::Disconnected | Polled::Error(_) => break,
                    _ => {}
                }
            }
        })
        .await;
    }
}
