//! Kafka through rdkafka (librdkafka, OpenSSL for TLS and SCRAM): [`KafkaSource`] reads a topic
//! without committing anything unless a group is named, [`KafkaSink`] produces.

mod config;
mod sink;
mod source;

pub use config::{ENV_SASL_PASSWORD, ENV_SASL_USERNAME, KafkaConfig, is_secret};
pub use sink::{Delivered, KafkaSink, NewTopicSpec, TopicState, create_topic_hint};
pub use source::{FETCH_SETTINGS, Gap, KafkaRecord, KafkaSource, StartAt, TopicCheck};
