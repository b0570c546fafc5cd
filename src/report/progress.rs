//! The live progress display of the long-running commands (`audit`, `simulate`, `demo`): one
//! spinner line on stderr, redrawn every half second from counters the library keeps, with a
//! rate per counter. It is shown only when both stdout and stderr are terminals: a pipe, a file
//! or a test reads the output, and must not get the display's redraws.

use crate::transport::TransportKind;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often the display reads its counters.
const EVERY: Duration = Duration::from_millis(500);

/// One counter as the display shows it: `LABEL: VALUE NOUN (RATE/s)DETAIL`.
#[derive(Clone, Debug, PartialEq)]
pub struct Count {
    /// What is counted (a transport).
    pub label: String,
    /// The count so far.
    pub value: u64,
    /// What one is (`msgs`, `sent`).
    pub noun: &'static str,
    /// Said after the rate (`, 3 invalid`).
    pub detail: String,
}

/// What the display shows at one moment: the counters, then a closing part with no rate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// The counters, each with its rate.
    pub counts: Vec<Count>,
    /// Said last (`12 with a fault`).
    pub tail: Option<String>,
}

/// The counts of the previous reading, to compute rates from.
#[derive(Debug, Default)]
struct Rates {
    last: Vec<u64>,
    at: Option<Instant>,
}

impl Rates {
    /// The display's line for `reading` taken at `now`.
    fn line(&mut self, reading: &Reading, now: Instant) -> String {
        let secs = self
            .at
            .map_or(EVERY, |at| now.duration_since(at))
            .as_secs_f64()
            .max(0.001);
        let mut parts: Vec<String> = reading
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let before = self.last.get(i).copied().unwrap_or(0);
                let rate = c.value.saturating_sub(before) as f64 / secs;
                format!(
                    "{}: {} {} ({rate:.0}/s){}",
                    c.label, c.value, c.noun, c.detail
                )
            })
            .collect();
        parts.extend(reading.tail.clone());
        self.last = reading.counts.iter().map(|c| c.value).collect();
        self.at = Some(now);
        parts.join("  |  ")
    }
}

/// A running display; [`Live::finish`] clears it.
pub struct Live {
    bar: indicatif::ProgressBar,
    ticker: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Live {
    /// Starts the display, saying `initial` until the first reading, and reads `read` every
    /// half second on a thread of its own (so it runs beside any runtime). Hidden, and `read`
    /// never called, unless stdout and stderr are terminals.
    pub fn start(initial: &str, read: impl Fn() -> Reading + Send + 'static) -> Live {
        let both_terminals = std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::io::IsTerminal::is_terminal(&std::io::stderr());
        Live::start_if(both_terminals, initial, read)
    }

    fn start_if(shown: bool, initial: &str, read: impl Fn() -> Reading + Send + 'static) -> Live {
        if !shown {
            return Live {
                bar: indicatif::ProgressBar::hidden(),
                ticker: None,
            };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        bar.set_message(initial.to_string());
        let shown = bar.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let ticker = std::thread::spawn(move || {
            let mut rates = Rates::default();
            loop {
                std::thread::park_timeout(EVERY);
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                shown.set_message(rates.line(&read(), Instant::now()));
            }
        });
        Live {
            bar,
            ticker: Some((stop, ticker)),
        }
    }

    /// A handle that writes above the display (see [`Above::line`]); usable from other tasks.
    pub fn above(&self) -> Above {
        Above(self.bar.clone())
    }

    /// Stops the display and clears its line.
    pub fn finish(self) {
        if let Some((stop, ticker)) = self.ticker {
            stop.store(true, Ordering::Relaxed);
            ticker.thread().unpark();
            let _ = ticker.join();
        }
        self.bar.finish_and_clear();
    }
}

/// Writes lines to stderr above a running display, which is redrawn below them.
#[derive(Clone)]
pub struct Above(indicatif::ProgressBar);

impl Above {
    /// Writes `line` to stderr; a closed stderr has nowhere to report to.
    pub fn line(&self, line: impl std::fmt::Display) {
        self.0.suspend(|| {
            use std::io::Write;
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        });
    }
}

/// What the audit tells as it runs, above the display. Tests and scripts wait for the
/// `connected` line before producing.
impl crate::audit::request::Events for Above {
    fn connected(&self, transports: &BTreeSet<TransportKind>) {
        let watched: Vec<String> = transports.iter().map(|t| t.to_string()).collect();
        self.line(format_args!(
            "schemactl audit: connected, auditing {}",
            watched.join(" and ")
        ));
    }

    fn captured(
        &self,
        path: &std::path::Path,
        written: &crate::capture::Written,
        sample: Option<u64>,
    ) {
        self.line(format_args!(
            "capture: {} of {} audited message(s) written to {}{}",
            written.kept,
            written.seen,
            path.display(),
            match sample {
                Some(n) => format!(" (at most {n} per producer)"),
                None => String::new(),
            }
        ));
    }

    fn waiting_for_manifest(&self, path: &std::path::Path, wait: Duration) {
        self.line(format_args!(
            "waiting up to {} s for the simulator to finish {}",
            wait.as_secs(),
            path.display()
        ));
    }
}

/// The audit's counters: per transport, messages, invalid messages, and the gap while its
/// broker is away (`RECONNECTING`, `TOPIC MISSING`).
pub fn audit(
    progress: Arc<crate::audit::Progress>,
    transports: BTreeSet<TransportKind>,
) -> impl Fn() -> Reading + Send + 'static {
    move || Reading {
        counts: transports
            .iter()
            .map(|t| {
                let counts = progress.of(*t);
                Count {
                    label: t.to_string(),
                    value: counts.messages.load(Ordering::Relaxed),
                    noun: "msgs",
                    detail: format!(
                        ", {} invalid{}",
                        counts.invalid.load(Ordering::Relaxed),
                        progress
                            .gap(*t)
                            .map(|g| format!(", {g} (gap)"))
                            .unwrap_or_default()
                    ),
                }
            })
            .collect(),
        tail: None,
    }
}

/// The simulator's counters: messages sent per transport it produces to, and how many carried
/// a fault.
pub fn simulate(
    sent: Arc<crate::simulate::run::Sent>,
    transports: BTreeSet<TransportKind>,
) -> impl Fn() -> Reading + Send + 'static {
    move || Reading {
        counts: transports
            .iter()
            .map(|t| Count {
                label: t.to_string(),
                value: match t {
                    TransportKind::Mqtt => &sent.mqtt,
                    TransportKind::Kafka => &sent.kafka,
                }
                .load(Ordering::Relaxed),
                noun: "sent",
                detail: String::new(),
            })
            .collect(),
        tail: Some(format!(
            "{} with a fault",
            sent.faulty.load(Ordering::Relaxed)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(mqtt: u64, kafka: u64) -> Reading {
        Reading {
            counts: vec![
                Count {
                    label: "mqtt".into(),
                    value: mqtt,
                    noun: "msgs",
                    detail: ", 2 invalid".into(),
                },
                Count {
                    label: "kafka".into(),
                    value: kafka,
                    noun: "msgs",
                    detail: String::new(),
                },
            ],
            tail: Some("1 with a fault".into()),
        }
    }

    #[test]
    fn each_counter_gets_its_rate_since_the_previous_reading() {
        let mut rates = Rates::default();
        let t0 = Instant::now();
        assert_eq!(
            rates.line(&reading(50, 0), t0),
            "mqtt: 50 msgs (100/s), 2 invalid  |  kafka: 0 msgs (0/s)  |  1 with a fault"
        );
        assert_eq!(
            rates.line(&reading(150, 400), t0 + Duration::from_secs(2)),
            "mqtt: 150 msgs (50/s), 2 invalid  |  kafka: 400 msgs (200/s)  |  1 with a fault"
        );
    }

    #[test]
    fn off_a_terminal_the_display_is_hidden_and_reads_nothing() {
        let live = Live::start_if(false, "waiting", || panic!("read while hidden"));
        assert!(live.bar.is_hidden());
        assert!(live.ticker.is_none());
        live.finish();
    }
}
