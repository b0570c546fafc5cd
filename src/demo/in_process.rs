//! The demo's services, started in this process on loopback: librdkafka's mock Kafka cluster,
//! the demo MQTT broker and the embedded schema registry (in memory, served over HTTP like any
//! other, its subject at the contract's level and policy), then [`super::run`] against them.

use super::mqtt_broker::MqttBroker;
use super::{DemoOutcome, DemoPlan, Services};
use crate::validate::PayloadValidator;
use std::time::{Duration, Instant};

/// Where the started services listen, as the demo announces them.
#[derive(Clone, Debug)]
pub struct Started {
    /// The embedded schema registry.
    pub registry_url: String,
    /// The MQTT broker and the Kafka cluster.
    pub services: Services,
}

/// A service of the demo that could not start or failed under it: the machine's fault (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// librdkafka's mock cluster.
    #[error("cannot start the mock Kafka cluster: {0}")]
    Kafka(String),
    /// The contract's topic on the mock cluster.
    #[error("cannot create topic \"{topic}\" on the mock cluster: {reason}")]
    Topic {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
    /// The async runtime.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The demo's MQTT broker.
    #[error("cannot start the demo MQTT broker: {0}")]
    Mqtt(String),
    /// The in-memory registry's store.
    #[error("cannot open the in-memory registry: {0}")]
    RegistryOpen(String),
    /// The subject's level and policy.
    #[error("cannot configure the in-memory registry: {0}")]
    RegistryConfig(String),
    /// The registry's HTTP server, or a client of it.
    #[error("cannot start the embedded registry: {0}")]
    Registry(String),
    /// The run itself: registering, auditing, simulating (with that error's own exit code).
    #[error(transparent)]
    Run(#[from] super::DemoRunError),
}

impl crate::Classified for ServiceError {
    /// The exit code: a service that failed is the machine's fault; the run's own errors keep
    /// theirs.
    fn exit(&self) -> crate::Exit {
        match self {
            ServiceError::Run(e) => e.exit(),
            _ => crate::Exit::Infrastructure,
        }
    }
}

/// What the demo did: its outcome, and how long it took.
#[derive(Debug)]
pub struct Ran {
    /// What the audit saw, against the simulator's ground truth.
    pub outcome: DemoOutcome,
    /// From the first service started to the last stopped.
    pub elapsed: Duration,
}

/// Starts the services, calls `started` once they listen, runs the demo of `plan` against them
/// (`tick` is called every half second with the messages audited so far), and stops them.
/// `validator` checks payloads as the contract's newest version.
pub fn run(
    plan: DemoPlan,
    validator: PayloadValidator,
    started: impl FnOnce(&Started),
    tick: impl Fn(u64),
) -> Result<Ran, ServiceError> {
    let began = Instant::now();
    let contract = plan.contract.clone();
    let topic = plan.kafka_topic().to_string();
    // librdkafka's mock cluster lives on this thread for the whole run.
    let cluster =
        rdkafka::mocking::MockCluster::new(1).map_err(|e| ServiceError::Kafka(e.to_string()))?;
    cluster
        .create_topic(&topic, 3, 1)
        .map_err(|e| ServiceError::Topic {
            topic: topic.clone(),
            reason: e.to_string(),
        })?;
    let runtime = tokio::runtime::Runtime::new().map_err(ServiceError::Runtime)?;
    let outcome = runtime.block_on(async {
        let broker = MqttBroker::start()
            .await
            .map_err(|e| ServiceError::Mqtt(e.to_string()))?;
        let store = crate::registry::server::Registry::open(None)
            .map_err(|e| ServiceError::RegistryOpen(e.to_string()))?;
        // The subject runs at the contract's level and policy, as `register` would set them.
        store
            .set_config(
                Some(&contract.subject),
                crate::registry::model::ConfigRequest {
                    compatibility: contract.level.name().to_string(),
                    compatibility_policy: Some(contract.policy.name().to_ascii_uppercase()),
                    ..Default::default()
                },
            )
            .map_err(|e| ServiceError::RegistryConfig(e.to_string()))?;
        let server = crate::registry::server::Server::bind(
            ([127, 0, 0, 1], 0).into(),
            std::sync::Arc::new(store),
            crate::registry::server::Options::default(),
        )
        .await
        .map_err(|e| ServiceError::Registry(e.to_string()))?;
        let registry_url = server
            .url()
            .map_err(|e| ServiceError::Registry(e.to_string()))?;
        let (stop_registry, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let registry = crate::registry::RegistryClient::new(&crate::config::RegistrySettings {
            url: Some(registry_url.clone()),
            ..Default::default()
        })
        .map_err(|e| ServiceError::Registry(e.to_string()))?;
        let services = Services {
            mqtt_url: broker.url(),
            kafka_bootstrap: cluster.bootstrap_servers(),
        };
        started(&Started {
            registry_url,
            services: services.clone(),
        });
        let result = super::run(plan, &services, registry, validator, tick).await;
        let _ = stop_registry.send(());
        let _ = serving.await;
        result.map_err(ServiceError::from)
    })?;
    drop(cluster);
    Ok(Ran {
        outcome,
        elapsed: began.elapsed(),
    })
}
