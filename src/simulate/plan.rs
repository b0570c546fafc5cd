//! What a person asks of the simulator, planned against a contract: the fleet's size for the
//! faults asked for, the newest schema, and the brokers.

use super::FaultPlan;
use super::run::{Plan, SchemaIdIn, SimulateError};
use crate::catalog::Contract;
use crate::transport::kafka::{KafkaConfig, NewTopicSpec};
use crate::transport::mqtt::MqttConfig;
use std::time::Duration;

/// A simulation as the command line asks for it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The MQTT broker, if MQTT is produced to.
    pub mqtt: Option<MqttConfig>,
    /// The Kafka cluster, if Kafka is produced to.
    pub kafka: Option<KafkaConfig>,
    /// Fleet size (default: 5, or as many as `faults` names).
    pub generators: Option<usize>,
    /// Readings per second per generator, all together (default: the contract's interval).
    pub rate: Option<f64>,
    /// Readings per generator, then stop.
    pub count: Option<u64>,
    /// Run this long, then stop.
    pub duration: Option<Duration>,
    /// Seed of the stream.
    pub seed: u64,
    /// The `--faults` spec, if any.
    pub faults: Option<String>,
    /// Where Kafka records carry their schema.
    pub schema_id_in: SchemaIdIn,
    /// The size an oversized payload exceeds.
    pub oversize_bytes: usize,
    /// How long brokers and the registry may take to answer.
    pub connect_timeout: Duration,
    /// Register what the registry lacks.
    pub register: bool,
    /// Create the Kafka topic when it does not exist, so.
    pub create_topic: Option<NewTopicSpec>,
}

/// The fleet size when none is asked for and the faults need no more.
pub const DEFAULT_GENERATORS: usize = 5;

impl Plan {
    /// The transports the simulation produces to.
    pub fn transports(&self) -> std::collections::BTreeSet<crate::transport::TransportKind> {
        use crate::transport::TransportKind;
        [
            self.mqtt.as_ref().map(|_| TransportKind::Mqtt),
            self.kafka.as_ref().map(|_| TransportKind::Kafka),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The simulation of `contract` that `request` asks for. `all` and `FAULT=GEN` name
    /// generators the fleet must have: a fleet too small for them is an error, never quietly
    /// enlarged.
    pub fn from_contract(contract: Contract, request: Request) -> Result<Plan, SimulateError> {
        let schema_text = contract.newest(request.oversize_bytes)?.text;
        if request.mqtt.is_none() && request.kafka.is_none() {
            return Err(SimulateError::NothingToProduceTo);
        }
        let faults = match &request.faults {
            Some(spec) => FaultPlan::parse(spec)?,
            None => FaultPlan { rules: vec![] },
        };
        let needed = faults.generators_needed();
        let generators = match request.generators {
            Some(0) => return Err(SimulateError::NoGenerators),
            Some(given) if given < needed => {
                return Err(SimulateError::TooFewGenerators {
                    spec: request.faults.unwrap_or_default(),
                    needed,
                    given,
                });
            }
            Some(n) => n,
            None => needed.max(DEFAULT_GENERATORS),
        };
        if request.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            return Err(SimulateError::BadRate);
        }
        Ok(Plan {
            contract,
            schema_text,
            mqtt: request.mqtt,
            kafka: request.kafka,
            generators,
            rate: request.rate,
            count: request.count,
            duration: request.duration,
            seed: request.seed,
            faults,
            schema_id_in: request.schema_id_in,
            oversize_bytes: request.oversize_bytes,
            connect_timeout: request.connect_timeout,
            register: request.register,
            create_topic: request.create_topic,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classified;
    use crate::catalog::Catalog;

    fn request(generators: Option<usize>, faults: Option<&str>) -> Request {
        Request {
            mqtt: Some(MqttConfig::new("mqtt://127.0.0.1:1883")),
            kafka: None,
            generators,
            rate: None,
            count: Some(1),
            duration: None,
            seed: 0,
            faults: faults.map(str::to_string),
            schema_id_in: SchemaIdIn::Prefix,
            oversize_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(10),
            register: false,
            create_topic: None,
        }
    }

    fn generator() -> Contract {
        Catalog::at(".").contract(Some("generator")).unwrap()
    }

    #[test]
    fn the_fleet_is_as_large_as_the_faults_need_and_never_enlarged_quietly() {
        let all = Plan::from_contract(generator(), request(None, Some("all"))).unwrap();
        assert_eq!(all.generators, crate::simulate::Fault::ALL.len() + 1);
        let few = Plan::from_contract(generator(), request(None, Some("not-json=2"))).unwrap();
        assert_eq!(few.generators, DEFAULT_GENERATORS);
        assert_eq!(
            few.schema_text,
            generator().newest(1 << 20).unwrap().text,
            "the newest schema is produced"
        );
        let err =
            Plan::from_contract(generator(), request(Some(3), Some("not-json=4"))).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--faults not-json=4: names generator 4, but --generators is 3"),
            "{err}"
        );
        assert_eq!(err.exit(), crate::Exit::Usage);
    }

    #[test]
    fn requests_that_cannot_run_are_input_errors() {
        let cases = [
            (
                Request {
                    mqtt: None,
                    ..request(None, None)
                },
                "nothing to produce to",
            ),
            (request(Some(0), None), "--generators must be at least 1"),
            (
                Request {
                    rate: Some(0.0),
                    ..request(None, None)
                },
                "--rate must be above 0",
            ),
            (
                request(None, Some("bogus=1")),
                "--faults: unknown fault \"bogus\"",
            ),
        ];
        for (req, says) in cases {
            let err = Plan::from_contract(generator(), req).unwrap_err();
            assert!(err.to_string().starts_with(says), "{err}");
            assert_eq!(err.exit(), crate::Exit::Usage);
        }
    }
}
