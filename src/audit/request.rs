//! `schemactl audit` as one use case: the run over its plan, the capture it writes as it runs,
//! its score against a simulator manifest, and its report file, returned as one
//! [`AuditOutcome`]. What a person is told on the way is said through [`Events`].

use super::outcome::{AuditOutcome, AuditReport};
use super::{AuditError, Plan, Progress, run_capturing, score};
use crate::capture;
use crate::catalog::Contract;
use crate::transport::TransportKind;
use crate::validate::resolver::SchemaLookup;
use crate::validate::{PayloadValidator, ViolationKind};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where to keep what producers sent (`--capture`), and how much of it.
#[derive(Clone, Debug)]
pub struct CaptureTo {
    /// The capture file.
    pub path: PathBuf,
    /// Keep at most this many messages per producer (reservoir sampling).
    pub sample: Option<u64>,
}

/// What an audit tells as it runs, for a person or a script (the output layer says it).
pub trait Events {
    /// Every transport is connected: producing may start.
    fn connected(&self, transports: &BTreeSet<TransportKind>);
    /// The capture is complete.
    fn captured(&self, path: &Path, written: &capture::Written, sample: Option<u64>);
    /// The simulator's manifest is not there yet; it is waited for up to `wait`.
    fn waiting_for_manifest(&self, path: &Path, wait: Duration);
}

/// An audit as the command line asks for it.
pub struct Request {
    /// What to audit and for how long.
    pub plan: Plan,
    /// The contract audited.
    pub contract: Contract,
    /// Its newest version (the capture's header names it).
    pub version: u32,
    /// Checks MQTT payloads as the newest version.
    pub validator: PayloadValidator,
    /// The consumer group and shared subscription, if the work is split.
    pub group: Option<String>,
    /// Where to capture what was audited, if anywhere.
    pub capture: Option<CaptureTo>,
    /// The simulator's manifest to score the run against.
    pub expect: Option<PathBuf>,
    /// Where to write the JSON report too.
    pub report: Option<PathBuf>,
    /// The violation kinds that fail the run.
    pub fail_on: BTreeSet<ViolationKind>,
}

impl Request {
    /// Runs the audit until its plan's limits or `shutdown`, finishes the capture, scores the
    /// run against the manifest and writes the report file, as asked.
    pub async fn run<L: SchemaLookup + 'static>(
        self,
        lookup: Option<L>,
        progress: Arc<Progress>,
        events: &impl Events,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<AuditOutcome, AuditError> {
        let Request {
            plan,
            contract,
            version,
            validator,
            group,
            capture,
            expect,
            report,
            fail_on,
        } = self;
        let audited = plan.transports();
        let writer = match &capture {
            Some(c) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                let header = plan.capture_header(
                    &contract.name,
                    version,
                    c.sample,
                    crate::report::rfc3339(now),
                );
                Some(Arc::new(
                    capture::Writer::create(&c.path, header, now as u64)
                        .map_err(|e| AuditError::Capture(e.to_string()))?,
                ))
            }
            None => None,
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let announce = async {
            if ready_rx.await.is_ok() {
                events.connected(&audited);
            }
        };
        let running = run_capturing(
            plan,
            Some(validator),
            lookup,
            progress,
            Some(ready_tx),
            shutdown,
            writer.clone(),
        );
        let (card, ()) = tokio::join!(running, announce);
        let card = card?;
        if let (Some(w), Some(c)) = (&writer, &capture) {
            let written = w
                .finish()
                .map_err(|e| AuditError::CaptureUnfinished(e.to_string()))?;
            events.captured(w.path(), &written, c.sample);
        }
        let scored = match &expect {
            Some(path) => Some(score::score_file(path, &card.seen, &audited, |wait| {
                events.waiting_for_manifest(path, wait)
            })?),
            None => None,
        };
        let doc = AuditReport::of_run(&contract, group, card, scored);
        if let Some(path) = &report {
            doc.write(path)?;
        }
        Ok(AuditOutcome {
            report: doc,
            fail_on,
        })
    }
}
