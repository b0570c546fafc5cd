//! Publishing to MQTT, for the simulator: a driver task polls the event loop, counts the
//! broker's acknowledgements, and `close` waits until everything sent is acknowledged (QoS 1)
//! or written (QoS 0).

use super::{Client, MqttConfig, Polled, Qos, build, redact_url};
use crate::transport::TransportError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// A publisher.
pub struct MqttSink {
    client: Client,
    qos: Qos,
    published: AtomicU64,
    acked: watch::Receiver<u64>,
    errors: Arc<AtomicU64>,
    driver: JoinHandle<()>,
    url: String,
}

impl MqttSink {
    /// Connects, waiting for the broker's CONNACK within `timeout`.
    pub async fn connect(cfg: &MqttConfig, timeout: Duration) -> Result<MqttSink, TransportError> {
        let (client, mut eventloop) = build(cfg, "simulate", 4096)?;
        let url = redact_url(&cfg.url);
        // The first connection attempt's outcome; later failures are retried and counted.
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), TransportError>>();
        let fail = {
            let url = url.clone();
            move |e: &str| {
                TransportError::Connect(format!(
                    "cannot connect to the MQTT broker at {url}: {e}\nhelp: check the URL, that the broker runs, and the credentials ({})",
                    super::ENV_USERNAME
                ))
            }
        };
        let driver_fail = fail.clone();
        let (acked_tx, acked) = watch::channel(0u64);
        let errors = Arc::new(AtomicU64::new(0));
        let driver_errors = errors.clone();
        let driver = tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut acks = 0u64;
            let mut backoff = Duration::from_millis(50);
            loop {
                match eventloop.poll().await {
                    Polled::ConnAck => {
                        backoff = Duration::from_millis(50);
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(Ok(()));
                        }
                    }
                    Polled::PubAck => {
                        acks += 1;
                        let _ = acked_tx.send(acks);
                    }
                    Polled::Disconnected => break,
                    Polled::Error(e) => {
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(Err(driver_fail(&e)));
                            break;
                        }
                        driver_errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!("MQTT publisher connection: {e}; reconnecting");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                    _ => {}
                }
            }
        });
        match tokio::time::timeout(timeout, ready_rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_)) => return Err(fail("connection closed")),
            Err(_) => {
                driver.abort();
                return Err(fail(&format!(
                    "no CONNACK within {} s",
                    timeout.as_secs_f64()
                )));
            }
        }
        Ok(MqttSink {
            client,
            qos: cfg.qos,
            published: AtomicU64::new(0),
            acked,
            errors,
            driver,
            url,
        })
    }

    /// Queues one publication (applies back-pressure when the queue is full).
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), TransportError> {
        self.client.publish(topic, self.qos, payload).await?;
        self.published.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// How many publications were queued.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Waits until the broker acknowledged every QoS 1 publication (or `timeout` passes), then
    /// disconnects once everything queued is written.
    pub async fn close(mut self, timeout: Duration) -> Result<(), TransportError> {
        let published = self.published();
        if self.qos == Qos::AtLeastOnce {
            let waited = tokio::time::timeout(timeout, self.acked.wait_for(|&a| a >= published))
                .await
                .is_ok();
            if !waited {
                let acked = *self.acked.borrow();
                self.driver.abort();
                return Err(TransportError::Io(format!(
                    "the MQTT broker at {} acknowledged {acked} of {published} publications within {} s",
                    self.url,
                    timeout.as_secs_f64()
                )));
            }
        }
        self.client.disconnect().await;
        if tokio::time::timeout(timeout, &mut self.driver)
            .await
            .is_err()
        {
            self.driver.abort();
        }
        let errors = self.errors.load(Ordering::Relaxed);
        if errors > 0 && self.qos == Qos::AtMostOnce {
            return Err(TransportError::Io(format!(
                "the connection to the MQTT broker at {} dropped {errors} time(s); QoS 0 publications may be lost",
                self.url
            )));
        }
        Ok(())
    }
}
