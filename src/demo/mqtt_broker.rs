//! A small MQTT 3.1.1 broker for `schemactl demo`, in-process on loopback: CONNECT, SUBSCRIBE
//! with `+`/`#` filters, PUBLISH at QoS 0 and 1, PING, DISCONNECT. No TLS, no authentication,
//! no retained messages, no persistence, no MQTT 5: enough for the demo's simulator and audit,
//! nothing more. It brings no dependency of its own (packets are rumqttc's codec), so no TLS
//! stack or advisory comes with it. Tests use Mosquitto, never this broker.

use bytes::BytesMut;
use rumqttc::mqttbytes::matches;
use rumqttc::{
    ConnAck, ConnectReturnCode, Packet, PubAck, Publish, QoS, SubAck, SubscribeReasonCode,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Largest packet accepted (the simulator's oversized payloads must get through).
const MAX_PACKET: usize = 64 << 20;
/// Packets queued for one subscriber before publishers wait for it.
const QUEUE: usize = 10_000;

struct Subscription {
    session: u64,
    filter: String,
    qos: QoS,
    tx: mpsc::Sender<Packet>,
}

#[derive(Default)]
struct Table {
    subscriptions: Vec<Subscription>,
    next_session: u64,
}

/// A running broker; it stops when dropped.
pub struct MqttBroker {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl MqttBroker {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<MqttBroker> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let table = Arc::new(Mutex::new(Table::default()));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let table = table.clone();
                tokio::spawn(async move {
                    let session = table
                        .lock()
                        .map(|mut t| {
                            t.next_session += 1;
                            t.next_session
                        })
                        .unwrap_or(0);
                    if let Err(e) = serve(stream, session, &table).await {
                        tracing::debug!("demo MQTT broker: session {session}: {e}");
                    }
                    if let Ok(mut t) = table.lock() {
                        t.subscriptions.retain(|s| s.session != session);
                    }
                });
            }
        });
        Ok(MqttBroker { addr, task })
    }

    /// The broker's URL.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

impl Drop for MqttBroker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a client's session with the demo broker ended early.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    /// The connection failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The client sent bytes that are not MQTT.
    #[error("{0:?}")]
    Malformed(rumqttc::mqttbytes::Error),
    /// A packet for the client could not be encoded.
    #[error("{0}")]
    Encode(rumqttc::mqttbytes::Error),
}

async fn serve(stream: TcpStream, session: u64, table: &Mutex<Table>) -> Result<(), SessionError> {
    stream.set_nodelay(true)?;
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Packet>(QUEUE);
    let write = tokio::spawn(async move {
        let mut out = BytesMut::with_capacity(64 * 1024);
        let mut pkid: u16 = 0;
        while let Some(first) = rx.recv().await {
            out.clear();
            let mut next = Some(first);
            // Write what is queued in one go.
            while let Some(mut packet) = next.take() {
                if let Packet::Publish(p) = &mut packet
                    && p.qos != QoS::AtMostOnce
                {
                    pkid = pkid % u16::MAX + 1;
                    p.pkid = pkid;
                }
                packet
                    .write(&mut out, MAX_PACKET)
                    .map_err(SessionError::Encode)?;
                if out.len() < 256 * 1024 {
                    next = rx.try_recv().ok();
                }
            }
            writer.write_all(&out).await?;
        }
        Ok::<(), SessionError>(())
    });
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let result = loop {
        let packet = match Packet::read(&mut buf, MAX_PACKET) {
            Ok(p) => p,
            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {
                match reader.read_buf(&mut buf).await {
                    Ok(0) => break Ok(()),
                    Ok(_) => continue,
                    Err(e) => break Err(SessionError::Io(e)),
                }
            }
            Err(e) => break Err(SessionError::Malformed(e)),
        };
        let reply = match packet {
            Packet::Connect(_) => Some(Packet::ConnAck(ConnAck::new(
                ConnectReturnCode::Success,
                false,
            ))),
            Packet::Subscribe(s) => {
                let mut codes = Vec::new();
                if let Ok(mut t) = table.lock() {
                    for f in s.filters {
                        if rumqttc::mqttbytes::valid_filter(&f.path) {
                            codes.push(SubscribeReasonCode::Success(f.qos));
                            t.subscriptions.push(Subscription {
                                session,
                                filter: f.path,
                                qos: f.qos,
                                tx: tx.clone(),
                            });
                        } else {
                            codes.push(SubscribeReasonCode::Failure);
                        }
                    }
                }
                Some(Packet::SubAck(SubAck::new(s.pkid, codes)))
            }
            Packet::Publish(p) => {
                let ack = (p.qos == QoS::AtLeastOnce).then(|| Packet::PubAck(PubAck::new(p.pkid)));
                let targets: Vec<(mpsc::Sender<Packet>, QoS)> = table
                    .lock()
                    .map(|t| {
                        t.subscriptions
                            .iter()
                            .filter(|s| matches(&p.topic, &s.filter))
                            .map(|s| (s.tx.clone(), s.qos))
                            .collect()
                    })
                    .unwrap_or_default();
                for (target, qos) in targets {
                    let qos = if qos == QoS::AtMostOnce || p.qos == QoS::AtMostOnce {
                        QoS::AtMostOnce
                    } else {
                        QoS::AtLeastOnce
                    };
                    let mut out = Publish::new(p.topic.clone(), qos, Vec::new());
                    out.payload = p.payload.clone();
                    // A subscriber that went away is dropped with its session.
                    let _ = target.send(Packet::Publish(out)).await;
                }
                ack
            }
            Packet::PingReq => Some(Packet::PingResp),
            Packet::Disconnect => break Ok(()),
            // Subscribers' acknowledgements: nothing is retransmitted on loopback.
            _ => None,
        };
        if let Some(r) = reply
            && tx.send(r).await.is_err()
        {
            break Ok(());
        }
    };
    drop(tx);
    write.abort();
    result
}
