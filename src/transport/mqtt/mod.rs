//! MQTT 3.1.1 and 5 through rumqttc: [`MqttSource`] sniffs topic filters, [`MqttSink`]
//! publishes. Both speak either version behind one small wrapper so callers never match on it.

mod config;
mod sink;
mod source;

pub use config::{
    ENV_PASSWORD, ENV_USERNAME, Endpoint, MQTT_MAX_PACKET, MqttConfig, MqttVersion, Qos, redact_url,
};
pub use sink::MqttSink;
pub use source::{MqttEvent, MqttMessage, MqttSource};

use crate::transport::TransportError;
use bytes::Bytes;
use rumqttc::v5;

/// A client handle of either protocol version.
#[derive(Clone)]
pub(crate) enum Client {
    V3(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

/// An event loop of either protocol version (boxed: they differ in size and live long).
pub(crate) enum EventLoop {
    V3(Box<rumqttc::EventLoop>),
    V5(Box<v5::EventLoop>),
}

/// What one poll of the event loop produced, with the version's differences erased.
pub(crate) enum Polled {
    ConnAck,
    Publish {
        topic: Bytes,
        payload: Bytes,
        user_properties: Vec<(String, String)>,
        /// The packet id (0 at QoS 0).
        pkid: u16,
        /// The DUP flag: the broker sends this message again.
        dup: bool,
    },
    PubAck,
    SubAck {
        refused: bool,
    },
    /// The client's own DISCONNECT went out: everything queued before it was written.
    Disconnected,
    Other,
    Error(String),
}

fn qos(q: Qos) -> (rumqttc::QoS, v5::mqttbytes::QoS) {
    match q {
        Qos::AtMostOnce => (rumqttc::QoS::AtMostOnce, v5::mqttbytes::QoS::AtMostOnce),
        Qos::AtLeastOnce => (rumqttc::QoS::AtLeastOnce, v5::mqttbytes::QoS::AtLeastOnce),
    }
}

/// A client id unique enough for loopback tests and fleets of sniffers.
pub(crate) fn default_client_id(role: &str) -> String {
    format!(
        "schemactl-{role}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .get(..8)
            .unwrap_or("0")
    )
}

/// Builds a client and its event loop; nothing is sent until the loop is polled.
pub(crate) fn build(
    cfg: &MqttConfig,
    role: &str,
    capacity: usize,
) -> Result<(Client, EventLoop), TransportError> {
    let endpoint = cfg.endpoint()?;
    let id = cfg
        .client_id
        .clone()
        .unwrap_or_else(|| default_client_id(role));
    let transport = if endpoint.tls {
        rumqttc::Transport::Tls(rumqttc::TlsConfiguration::NativeConnector(
            cfg.tls_connector()?,
        ))
    } else {
        rumqttc::Transport::Tcp
    };
    let password = cfg
        .password
        .as_ref()
        .map(|p| p.expose().to_string())
        .unwrap_or_default();
    match cfg.version {
        MqttVersion::V311 => {
            let mut o = rumqttc::MqttOptions::new(id, endpoint.host, endpoint.port);
            o.set_keep_alive(cfg.keep_alive())
                .set_max_packet_size(cfg.max_packet_bytes, cfg.max_packet_bytes)
                .set_clean_session(true)
                .set_inflight(1000)
                .set_request_channel_capacity(capacity)
                .set_transport(transport);
            if let Some(user) = &cfg.username {
                o.set_credentials(user.clone(), password);
            }
            let (client, eventloop) = rumqttc::AsyncClient::new(o, capacity);
            Ok((Client::V3(client), EventLoop::V3(Box::new(eventloop))))
        }
        MqttVersion::V5 => {
            let mut o = v5::MqttOptions::new(id, endpoint.host, endpoint.port);
            o.set_keep_alive(cfg.keep_alive())
                .set_max_packet_size(Some(
                    u32::try_from(cfg.max_packet_bytes).unwrap_or(u32::MAX),
                ))
                .set_clean_start(true)
                .set_request_channel_capacity(capacity)
                .set_transport(transport);
            if let Some(user) = &cfg.username {
                o.set_credentials(user.clone(), password);
            }
            let (client, eventloop) = v5::AsyncClient::new(o, capacity);
            Ok((Client::V5(client), EventLoop::V5(Box::new(eventloop))))
        }
    }
}

impl Client {
    pub(crate) async fn subscribe(&self, filter: &str, q: Qos) -> Result<(), TransportError> {
        let (q3, q5) = qos(q);
        let r = match self {
            Client::V3(c) => c.subscribe(filter, q3).await.map_err(|e| e.to_string()),
            Client::V5(c) => c.subscribe(filter, q5).await.map_err(|e| e.to_string()),
        };
        r.map_err(|e| TransportError::Io(format!("MQTT subscribe to \"{filter}\": {e}")))
    }

    pub(crate) async fn publish(
        &self,
        topic: &str,
        q: Qos,
        payload: Vec<u8>,
    ) -> Result<(), TransportError> {
        let (q3, q5) = qos(q);
        let r = match self {
            Client::V3(c) => c
                .publish(topic, q3, false, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish(topic, q5, false, payload)
                .await
                .map_err(|e| e.to_string()),
        };
        r.map_err(|e| TransportError::Io(format!("MQTT publish to \"{topic}\": {e}")))
    }

    pub(crate) async fn disconnect(&self) {
        // Fails only when the event loop is gone, which is the disconnect already done.
        match self {
            Client::V3(c) => {
                let _ = c.disconnect().await;
            }
            Client::V5(c) => {
                let _ = c.disconnect().await;
            }
        }
    }
}

impl EventLoop {
    pub(crate) async fn poll(&mut self) -> Polled {
        match self {
            EventLoop::V3(l) => {
                use rumqttc::{Event, Packet, SubscribeReasonCode};
                match l.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => Polled::ConnAck,
                    Ok(Event::Incoming(Packet::Publish(p))) => Polled::Publish {
                        topic: Bytes::from(p.topic.into_bytes()),
                        payload: p.payload,
                        user_properties: Vec::new(),
                        pkid: p.pkid,
                        dup: p.dup,
                    },
                    Ok(Event::Incoming(Packet::PubAck(_))) => Polled::PubAck,
                    Ok(Event::Incoming(Packet::SubAck(s))) => Polled::SubAck {
                        refused: s
                            .return_codes
                            .iter()
                            .any(|c| matches!(c, SubscribeReasonCode::Failure)),
                    },
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Polled::Disconnected,
                    Ok(_) => Polled::Other,
                    Err(e) => Polled::Error(e.to_string()),
                }
            }
            EventLoop::V5(l) => {
                use v5::mqttbytes::v5::{Packet, SubscribeReasonCode};
                match l.poll().await {
                    Ok(v5::Event::Incoming(Packet::ConnAck(_))) => Polled::ConnAck,
                    Ok(v5::Event::Incoming(Packet::Publish(p))) => Polled::Publish {
                        topic: p.topic,
                        payload: p.payload,
                        pkid: p.pkid,
                        dup: p.dup,
                        user_properties: p
                            .properties
                            .map(|pr| pr.user_properties)
                            .unwrap_or_default(),
                    },
                    Ok(v5::Event::Incoming(Packet::PubAck(_))) => Polled::PubAck,
                    Ok(v5::Event::Incoming(Packet::SubAck(s))) => Polled::SubAck {
                        refused: s
                            .return_codes
                            .iter()
                            .any(|c| !matches!(c, SubscribeReasonCode::Success(_))),
                    },
                    Ok(v5::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Polled::Disconnected,
                    Ok(_) => Polled::Other,
                    Err(e) => Polled::Error(e.to_string()),
                }
            }
        }
    }
}
