//! Replay: real payloads checked against today's newest schema and a proposal, to show what the
//! proposal would refuse that producers send today (`check-compat --replay`).
//!
//! Each version judges a payload by its schema ([`PayloadValidator`], the audit's validator),
//! then by its data-contract rules ([`RuleEngine`]) on a payload that passed the schema: a rule
//! failure (onFailure ERROR or DLQ) refuses the payload as a schema violation does. Each version
//! first reads the payload once ([`RuleEngine::one_pass`]: the schema's fast path, the rules
//! evaluated natively on the fields it picks, and the producer's id), which accepts it, refutes
//! it by its schema (a violation the fast path checks exactly), or is unsure; only a payload a
//! version is unsure of goes through that version's full checks, and the detailed check that
//! finds the pointer and keyword runs only for the few refused payloads shown as examples.

use crate::capture::Entry;
use crate::validate::fast::{Answer, Scalar, Twin};
use crate::validate::rules::{OnePass, RuleEngine};
use crate::validate::{PayloadValidator, Violation};
use serde::Serialize;
use std::collections::BTreeMap;

/// The producer of payloads whose producer is not known (no identity pointer in the contract,
/// or a payload that does not hold it).
pub const UNKNOWN_PRODUCER: &str = "(unknown)";

/// Counts for one producer, or for all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Payloads replayed.
    pub payloads: u64,
    /// Accepted by today's newest version, refused by the proposal.
    pub rejected: u64,
    /// Refused today, accepted by the proposal.
    pub newly_accepted: u64,
}

/// A payload accepted today and refused by the proposal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Example {
    /// `file:line`.
    pub at: String,
    pub producer: String,
    /// The JSON pointer the proposal refuses.
    pub pointer: Option<String>,
    /// The keyword that failed.
    pub keyword: Option<String>,
    /// The value at the pointer.
    pub value: Option<serde_json::Value>,
    /// The validator's sentence.
    pub message: String,
}

/// The replay's result.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Replay {
    #[serde(flatten)]
    pub total: Counts,
    pub by_producer: BTreeMap<String, Counts>,
    pub examples: Vec<Example>,
    /// The first refused payload of each producer, for the sentences.
    #[serde(skip)]
    pub first_by_producer: BTreeMap<String, Example>,
}

/// One version as the replay judges it: its schema, then (for a payload that passes it) its
/// data-contract rules, as `validate` and the audit do.
#[derive(Clone, Copy)]
pub struct Judge<'v> {
    pub schema: &'v PayloadValidator,
    pub rules: Option<&'v RuleEngine>,
}

impl<'v> Judge<'v> {
    /// The schema alone.
    pub fn schema(schema: &'v PayloadValidator) -> Judge<'v> {
        Judge {
            schema,
            rules: None,
        }
    }

    /// The schema and its rules (none evaluated when `rules` is empty).
    pub fn with_rules(schema: &'v PayloadValidator, rules: &'v RuleEngine) -> Judge<'v> {
        Judge {
            schema,
            rules: (!rules.is_empty()).then_some(rules),
        }
    }
}

/// Whether `rules` let `payload` (which passed its schema) through: no rule failed, or only
/// rules whose onFailure is NONE.
fn rules_pass(rules: Option<&RuleEngine>, payload: &[u8]) -> bool {
    let Some(rules) = rules else {
        return true;
    };
    rules.passes(payload)
        || serde_json::from_slice::<serde_json::Value>(payload)
            .is_ok_and(|v| rules.check(&v).iter().all(|f| !f.action.fails()))
}

/// The first reason `judge` refuses `payload`: a schema violation, else a failed rule.
fn first_violation(judge: Judge<'_>, payload: &[u8]) -> Option<Violation> {
    if let Some(v) = judge.schema.check(payload).into_iter().next() {
        return Some(v);
    }
    let record: serde_json::Value = serde_json::from_slice(payload).ok()?;
    judge
        .rules?
        .check(&record)
        .into_iter()
        .find(|f| f.action.fails())
        .map(Violation::rule)
}

/// Checks payloads against `today` and `proposal`, keeping up to `max_examples` examples.
pub struct Replayer<'v> {
    today: Judge<'v>,
    proposal: Judge<'v>,
    /// Each version's one-pass check (schema fast path and native rules in one read).
    today_fast: Fast<'v>,
    proposal_fast: Fast<'v>,
    /// Both versions judged in one read of the payload, when their one passes allow it.
    twin: Option<TwinPass<'v>>,
    /// Both versions evaluate the same rules the same way: a payload that needs the full
    /// checks has its rules run once for both.
    same_rules: bool,
    max_examples: usize,
    /// The contract's identity pointer, for entries that come without a producer.
    identity: Option<Identity>,
    /// Counts per producer while replaying, hashed (one lookup per payload), and whether the
    /// producer's first refused payload is kept; sorted into `result.by_producer` by `finish`.
    producers: foldhash::HashMap<String, (Counts, bool)>,
    result: Replay,
}

/// One version's cheap check: `Some` when the payload certainly passes the schema and every
/// rule, read once; `None` means "ask the full checks", never "refused".
enum Fast<'v> {
    /// No rules: the schema's fast path.
    Schema(&'v PayloadValidator),
    /// Rules evaluated natively on the fields the fast path picks, in the same pass.
    OnePass(&'v PayloadValidator, OnePass<'v>),
    /// Rules the one pass cannot evaluate: the schema's fast path, then the rules' own pass.
    Then(&'v PayloadValidator, &'v RuleEngine),
}

impl<'v> Fast<'v> {
    fn of(judge: Judge<'v>) -> Fast<'v> {
        match judge.rules {
            None => Fast::Schema(judge.schema),
            Some(rules) => {
                let one = rules.one_pass(judge.schema);
                if one.is_one_pass() {
                    Fast::OnePass(judge.schema, one)
                } else {
                    Fast::Then(judge.schema, rules)
                }
            }
        }
    }

    /// The schema's verdict on a payload this side was unsure of. With no rules the schema's
    /// fast path has already said "ask the full checks", so the payload goes straight to the
    /// full validator ([`PayloadValidator::is_valid`] would run the fast path again first).
    fn schema_is_valid(&self, payload: &[u8]) -> bool {
        match self {
            Fast::Schema(v) => v
                .check_parsed(payload)
                .is_ok_and(|value| v.value_is_valid(&value)),
            Fast::OnePass(v, _) | Fast::Then(v, _) => v.is_valid(payload),
        }
    }

    /// `Valid`: the payload passes the schema and every rule; `Invalid`: the schema's fast
    /// path is sure the schema refuses it (its rules then do not count, as in the full checks);
    /// `Unsure`: ask the full checks.
    fn judge(&self, payload: &[u8], capture: Option<&str>) -> Answer {
        match self {
            Fast::Schema(v) => v.judge(payload, capture),
            Fast::OnePass(_, one) => one.judge_capturing(payload, capture),
            Fast::Then(v, rules) => match v.judge(payload, capture) {
                Answer::Valid(found) if rules.passes(payload) => Answer::Valid(found),
                Answer::Valid(_) => Answer::Unsure,
                other => other,
            },
        }
    }
}

/// The most rule fields a twin picks (the rules' own limit is lower).
const TWIN_PICKS: usize = 16;

/// Both versions' one passes in one read ([`Twin`]): for schemas with fast paths, and rules (on
/// either side or both) that the one pass evaluates natively, one engine for both. Each side's
/// answer is what its own [`Fast::judge`] gives; where the twin gives up, they are asked.
struct TwinPass<'v> {
    twin: Twin,
    /// The rules' one pass (for their native verdict on the values the twin picks), and which
    /// sides they judge.
    rules: Option<(OnePass<'v>, [bool; 2])>,
}

impl<'v> TwinPass<'v> {
    fn of(today: Judge<'v>, proposal: Judge<'v>, capture: Option<&str>) -> Option<TwinPass<'v>> {
        let side = |j: Judge<'v>| -> Option<Option<(&'v RuleEngine, OnePass<'v>)>> {
            match j.rules {
                None => Some(None),
                Some(rules) => {
                    let one = rules.one_pass(j.schema);
                    one.is_one_pass().then_some(Some((rules, one)))
                }
            }
        };
        let rules = match (side(today)?, side(proposal)?) {
            (None, None) => None,
            (Some((a, one)), Some((b, _))) if std::ptr::eq(a, b) => Some((one, [true, true])),
            (Some((_, one)), None) => Some((one, [true, false])),
            (None, Some((_, one))) => Some((one, [false, true])),
            _ => return None,
        };
        let picked = match &rules {
            Some((one, _)) => one.reads()?,
            None => &[],
        };
        if picked.len() > TWIN_PICKS {
            return None;
        }
        let twin = Twin::new(today.schema, proposal.schema, picked, capture)?;
        Some(TwinPass { twin, rules })
    }

    /// Both sides' answers in one read, as `today.judge(payload, capture)` and
    /// `proposal.judge(payload, None)` give them; `None`: ask them.
    fn judge(&self, payload: &[u8], capture: bool) -> Option<(Answer, Answer)> {
        let mut vals: [Scalar<'_>; TWIN_PICKS] = Default::default();
        let [today, proposed] = self.twin.judge(payload, capture, &mut vals)?;
        let Some((one, ruled)) = &self.rules else {
            return Some((today, proposed));
        };
        // Evaluated at most once, for the sides whose schema passes.
        let mut native = None;
        let mut verdict =
            || *native.get_or_insert_with(|| one.native_verdict(&vals[..self.twin.picked()]));
        let today = if ruled[0] {
            OnePass::combine(today, &mut verdict)
        } else {
            today
        };
        let proposed = if ruled[1] {
            OnePass::combine(proposed, &mut verdict)
        } else {
            proposed
        };
        Some((today, proposed))
    }
}

/// A one-pass answer as the verdicts use it: `Some(true)` accepted (schema and rules),
/// `Some(false)` refused by the schema, `None` not known; and the producer id read.
fn split(answer: Answer) -> (Option<bool>, Option<String>) {
    match answer {
        Answer::Valid(found) => (Some(true), found),
        Answer::Invalid(found) => (Some(false), found),
        Answer::Unsure => (None, None),
    }
}

/// Where a payload names its producer.
struct Identity {
    pointer: String,
    /// The pointer's key when it names a top-level key: read while today's fast path checks
    /// the payload, so the payload is not parsed a second time to find its producer.
    key: Option<String>,
}

impl<'v> Replayer<'v> {
    /// Schemas only, no rules.
    pub fn new(
        today: &'v PayloadValidator,
        proposal: &'v PayloadValidator,
        max_examples: usize,
    ) -> Replayer<'v> {
        Replayer::judging(Judge::schema(today), Judge::schema(proposal), max_examples)
    }

    /// Schemas and rules. When both judges hold the very same rule engine (the contract's
    /// rules, with no CEL_FIELD rule whose fields depend on the schema), a payload that needs
    /// the full checks has its rules evaluated once for both.
    pub fn judging(today: Judge<'v>, proposal: Judge<'v>, max_examples: usize) -> Replayer<'v> {
        let same_rules = match (today.rules, proposal.rules) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (None, None) => true,
            _ => false,
        };
        Replayer {
            today,
            proposal,
            today_fast: Fast::of(today),
            proposal_fast: Fast::of(proposal),
            twin: TwinPass::of(today, proposal, None),
            same_rules,
            max_examples,
            identity: None,
            producers: foldhash::HashMap::default(),
            result: Replay::default(),
        }
    }

    /// Finds the producer of an entry that has none at `pointer` (a JSON pointer), as the
    /// payload is checked.
    pub fn with_identity(mut self, pointer: Option<&str>) -> Self {
        self.identity = pointer.map(|p| Identity {
            pointer: p.to_string(),
            key: p
                .strip_prefix('/')
                .filter(|k| !k.contains('/'))
                .map(|k| k.replace("~1", "/").replace("~0", "~")),
        });
        let key = self.identity.as_ref().and_then(|i| i.key.as_deref());
        self.twin = TwinPass::of(self.today, self.proposal, key);
        self
    }

    /// The producer at the identity pointer, read from the parsed payload.
    fn producer_at(pointer: &str, payload: &[u8]) -> Option<String> {
        let v = serde_json::from_slice::<serde_json::Value>(payload).ok()?;
        Some(match v.pointer(pointer)? {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Whether today's version and the proposal accept `entry`'s payload, and its producer
    /// at the identity pointer when the entry names none. Each version first reads the payload
    /// once ([`Fast`]), which accepts it, refutes it by its schema, or is unsure; only a
    /// payload that a version is unsure of goes through that version's full checks (the schema
    /// validator, then the rules).
    fn verdicts(&self, entry: &Entry) -> (bool, bool, Option<String>) {
        let payload = &entry.payload;
        let identity = self.identity.as_ref().filter(|_| entry.producer.is_none());
        let key = identity.and_then(|i| i.key.as_deref());
        // Both versions in one read when the twin can; else each version's own one pass.
        let (today, proposed) = match self
            .twin
            .as_ref()
            .and_then(|t| t.judge(payload, key.is_some()))
        {
            Some(both) => both,
            None => (
                self.today_fast.judge(payload, key),
                self.proposal_fast.judge(payload, None),
            ),
        };
        let (today, mut found) = split(today);
        if found.is_none()
            && let Some(identity) = identity
        {
            found = Replayer::producer_at(&identity.pointer, payload);
        }
        let (proposed, _) = split(proposed);
        if let (Some(t), Some(p)) = (today, proposed) {
            return (t, p, found);
        }
        // The full checks for the side(s) not known: the schema, then the rules on a payload
        // that passed it.
        let today_schema = today.unwrap_or_else(|| self.today_fast.schema_is_valid(payload));
        let proposed_schema =
            proposed.unwrap_or_else(|| self.proposal_fast.schema_is_valid(payload));
        let (today, proposed) = if self.same_rules {
            // One engine: rules that passed on an accepting side pass on the other.
            let rules = if today == Some(true) || proposed == Some(true) {
                true
            } else if today_schema || proposed_schema {
                rules_pass(self.today.rules, payload)
            } else {
                false
            };
            (today_schema && rules, proposed_schema && rules)
        } else {
            (
                today.unwrap_or_else(|| today_schema && rules_pass(self.today.rules, payload)),
                proposed
                    .unwrap_or_else(|| proposed_schema && rules_pass(self.proposal.rules, payload)),
            )
        };
        (today, proposed, found)
    }

    /// Replays one payload read at `file`.
    pub fn replay(&mut self, file: &str, entry: &Entry) {
        let (today, proposed, found) = self.verdicts(entry);
        let producer = entry
            .producer
            .as_deref()
            .or(found.as_deref())
            .unwrap_or(UNKNOWN_PRODUCER);
        let (counts, has_first) = match self.producers.get_mut(producer) {
            Some(c) => c,
            None => self.producers.entry(producer.to_string()).or_default(),
        };
        counts.payloads += 1;
        self.result.total.payloads += 1;
        match (today, proposed) {
            (true, false) => {
                counts.rejected += 1;
                self.result.total.rejected += 1;
                let first = !std::mem::replace(has_first, true);
                let wanted = self.result.examples.len() < self.max_examples;
                if wanted || first {
                    let example = self.example(file, entry, producer);
                    if wanted {
                        self.result.examples.push(example.clone());
                    }
                    if first {
                        self.result
                            .first_by_producer
                            .insert(producer.to_string(), example);
                    }
                }
            }
            (false, true) => {
                counts.newly_accepted += 1;
                self.result.total.newly_accepted += 1;
            }
            _ => {}
        }
    }

    fn example(&self, file: &str, entry: &Entry, producer: &str) -> Example {
        let at = format!("{file}:{}", entry.line);
        let violation = first_violation(self.proposal, &entry.payload);
        let value = violation.as_ref().and_then(|v| {
            if let Some(rule) = &v.rule
                && rule.field.is_none()
            {
                // A record-level rule: the values it read.
                return Some(serde_json::to_value(&rule.values).unwrap_or_default());
            }
            let doc: serde_json::Value = serde_json::from_slice(&entry.payload).ok()?;
            doc.pointer(v.pointer.as_deref()?).cloned()
        });
        match violation {
            Some(v) => Example {
                at,
                producer: producer.to_string(),
                pointer: v.pointer,
                keyword: v.keyword,
                value,
                message: v.message,
            },
            None => Example {
                at,
                producer: producer.to_string(),
                pointer: None,
                keyword: None,
                value: None,
                message: "refused by the proposal".into(),
            },
        }
    }

    /// Payloads replayed so far.
    pub fn payloads(&self) -> u64 {
        self.result.total.payloads
    }

    pub fn finish(mut self) -> Replay {
        self.result.by_producer = self
            .producers
            .into_iter()
            .map(|(producer, (counts, _))| (producer, counts))
            .collect();
        self.result
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Replay {
    /// Sentences a person can act on: one per producer the proposal refuses readings of, with
    /// the first example's pointer, value and reason.
    pub fn sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut refused: Vec<(&String, &Counts)> = self
            .by_producer
            .iter()
            .filter(|(_, c)| c.rejected > 0)
            .collect();
        refused.sort_by(|a, b| b.1.rejected.cmp(&a.1.rejected).then(a.0.cmp(b.0)));
        for (producer, c) in refused {
            let mut s = format!(
                "the proposal refuses {} of {} readings ({:.1}%) that {producer} sent",
                thousands(c.rejected),
                thousands(c.payloads),
                100.0 * c.rejected as f64 / c.payloads.max(1) as f64
            );
            if let Some(e) = self.first_by_producer.get(producer) {
                s.push_str(&format!("; {}", e.reason()));
            }
            out.push(s);
        }
        out
    }
}

impl Example {
    /// `/fuel 400 is greater than the maximum of 100`: the pointer, then the validator's
    /// sentence (which starts with the value).
    pub fn reason(&self) -> String {
        match &self.pointer {
            Some(p) if !p.is_empty() => format!("{p} {}", self.message),
            _ => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat::Schema;
    use serde_json::json;

    fn validator(max: Option<u64>) -> PayloadValidator {
        let mut fuel = json!({"type": "number"});
        if let Some(m) = max {
            fuel["maximum"] = json!(m);
        }
        let schema = Schema::parse(json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "fuel": fuel},
            "required": ["id", "fuel"]
        }))
        .unwrap();
        PayloadValidator::new(&schema).unwrap()
    }

    fn entry(line: u64, producer: Option<&str>, payload: &str) -> Entry {
        Entry {
            line,
            producer: producer.map(str::to_string),
            payload: payload.as_bytes().to_vec(),
        }
    }

    #[test]
    fn counts_rejected_and_newly_accepted_per_producer() {
        let today = validator(Some(1000));
        let proposal = validator(Some(100));
        let mut r = Replayer::new(&today, &proposal, 1);
        r.replay("f", &entry(1, Some("g1"), r#"{"id":"g1","fuel":400}"#));
        r.replay("f", &entry(2, Some("g1"), r#"{"id":"g1","fuel":50}"#));
        r.replay("f", &entry(3, Some("g2"), r#"{"id":"g2","fuel":500}"#));
        r.replay("f", &entry(4, None, "not json"));
        let result = r.finish();
        assert_eq!(
            result.total,
            Counts {
                payloads: 4,
                rejected: 2,
                newly_accepted: 0
            }
        );
        assert_eq!(result.by_producer["g1"].rejected, 1);
        assert_eq!(result.by_producer["g1"].payloads, 2);
        assert_eq!(result.by_producer[UNKNOWN_PRODUCER].payloads, 1);
        assert_eq!(result.examples.len(), 1);
        let e = &result.examples[0];
        assert_eq!(
            (e.at.as_str(), e.pointer.as_deref(), e.keyword.as_deref()),
            ("f:1", Some("/fuel"), Some("maximum"))
        );
        assert_eq!(e.value, Some(json!(400)));
        assert_eq!(
            result.sentences()[0],
            "the proposal refuses 1 of 2 readings (50.0%) that g1 sent; /fuel 400 is greater than the maximum of 100"
        );

        // The other way round: readings refused today and accepted by the proposal.
        let mut back = Replayer::new(&proposal, &today, 5);
        back.replay("f", &entry(1, Some("g1"), r#"{"id":"g1","fuel":400}"#));
        let back = back.finish();
        assert_eq!((back.total.rejected, back.total.newly_accepted), (0, 1));
        assert!(back.examples.is_empty());
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2431), "2,431");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    fn rule(name: &str, expr: &str, on_failure: Option<&str>) -> crate::catalog::Rule {
        crate::catalog::Rule {
            name: name.into(),
            doc: None,
            kind: crate::catalog::RuleKind::CONDITION,
            mode: crate::catalog::RuleMode::WRITEREAD,
            rule_type: "CEL".into(),
            tags: vec![],
            params: BTreeMap::new(),
            expr: Some(expr.into()),
            on_success: None,
            on_failure: on_failure.map(str::to_string),
            disabled: false,
        }
    }

    #[test]
    fn a_failed_rule_refuses_like_a_schema_violation() {
        let v = validator(None);
        let doc = json!({"type": "object"});
        let rules = RuleEngine::new(
            &[rule("fuel_not_negative", "message.fuel >= 0", None)],
            &doc,
            None,
        )
        .unwrap();
        let readings = [
            entry(1, Some("g1"), r#"{"id":"g1","fuel":-9}"#),
            entry(2, Some("g1"), r#"{"id":"g1","fuel":9}"#),
            entry(3, Some("g2"), r#"{"id":"g2"}"#),
        ];
        // Today has no rule, the proposal has one: the -9 reading is rejected, and the example
        // names the rule and the values it read.
        let mut r = Replayer::judging(Judge::schema(&v), Judge::with_rules(&v, &rules), 5);
        for e in &readings {
            r.replay("f", e);
        }
        let result = r.finish();
        assert_eq!((result.total.payloads, result.total.rejected), (3, 1));
        let e = &result.examples[0];
        assert_eq!(e.keyword.as_deref(), Some("fuel_not_negative"));
        assert_eq!(e.value, Some(json!({"message.fuel": -9})));
        assert!(
            e.message.starts_with("rule \"fuel_not_negative\" failed"),
            "{}",
            e.message
        );

        // The same engine on both sides runs once per payload and refuses on both: nothing
        // rejected, nothing newly accepted.
        let both = Judge::with_rules(&v, &rules);
        let mut r = Replayer::judging(both, both, 5);
        assert!(r.same_rules);
        for e in &readings {
            r.replay("f", e);
        }
        assert_eq!(
            r.finish().total,
            Counts {
                payloads: 3,
                rejected: 0,
                newly_accepted: 0
            }
        );

        // A rule whose onFailure is NONE only reports: it refuses nothing.
        let report_only = RuleEngine::new(
            &[rule("fuel_not_negative", "message.fuel >= 0", Some("NONE"))],
            &doc,
            None,
        )
        .unwrap();
        let mut r = Replayer::judging(Judge::schema(&v), Judge::with_rules(&v, &report_only), 5);
        r.replay("f", &readings[0]);
        assert_eq!(r.finish().total.rejected, 0);
    }

    /// The one-pass verdicts are the full checks' verdicts: for each pair of judges (no rules,
    /// rules on one side, the same engine on both, report-only rules, rules the one pass cannot
    /// evaluate, a schema the fast path cannot refute by), every payload is counted as the
    /// schema validator and the rule engine, run in full, judge it, and plain lines find their
    /// producer at the identity pointer whichever path judged them. The payloads include those
    /// the fast path must not refute although a value breaks a bound: a duplicate key whose
    /// last value is valid, a tail that does not parse, a number too large to compare exactly.
    #[test]
    fn the_one_pass_verdicts_are_the_full_checks_verdicts() {
        let (loose, tight) = (validator(Some(1000)), validator(Some(100)));
        // `integer` is beyond the fast path: nothing is refuted or certified by its bound.
        let opaque = PayloadValidator::new(
            &Schema::parse(json!({
                "type": "object",
                "properties": {"id": {"type": "string"}, "fuel": {"type": "integer", "maximum": 100}},
                "required": ["id", "fuel"]
            }))
            .unwrap(),
        )
        .unwrap();
        // Schemas for the twin: other names (an added property, a string enum), a closed
        // content model, another `required`.
        let named = PayloadValidator::new(
            &Schema::parse(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "fuel": {"type": "number", "maximum": 100},
                    "runHours": {"type": "number", "minimum": 0},
                    "status": {"enum": ["running", "standby"]}
                },
                "required": ["id", "fuel"]
            }))
            .unwrap(),
        )
        .unwrap();
        let closed = PayloadValidator::new(
            &Schema::parse(json!({
                "type": "object",
                "properties": {"id": {"type": "string"}, "fuel": {"type": "number", "maximum": 1000}},
                "required": ["id", "fuel"],
                "additionalProperties": false
            }))
            .unwrap(),
        )
        .unwrap();
        let needs_hours = PayloadValidator::new(
            &Schema::parse(json!({
                "type": "object",
                "properties": {"id": {"type": "string"}, "fuel": {"type": "number"}, "runHours": {"type": "number"}},
                "required": ["id", "runHours"]
            }))
            .unwrap(),
        )
        .unwrap();
        let doc = json!({"type": "object"});
        let strict = RuleEngine::new(
            &[rule("fuel_positive", "message.fuel > 0", None)],
            &doc,
            None,
        )
        .unwrap();
        let report_only = RuleEngine::new(
            &[rule("fuel_small", "message.fuel < 50", Some("NONE"))],
            &doc,
            None,
        )
        .unwrap();
        // A function call: evaluated by the `cel` crate, after the schema's fast path.
        let by_crate = RuleEngine::new(
            &[rule(
                "fuel_positive",
                "size(message.id) > 0 && message.fuel > 0",
                None,
            )],
            &doc,
            None,
        )
        .unwrap();
        assert!(strict.one_pass(&tight).is_one_pass());
        assert!(!by_crate.one_pass(&tight).is_one_pass());
        // The refusals the counts below rely on are found without the full validator.
        for judge in [
            Judge::schema(&tight),
            Judge::with_rules(&tight, &strict),
            Judge::with_rules(&tight, &by_crate),
        ] {
            assert_eq!(
                Fast::of(judge).judge(br#"{"id":"g1","fuel":400}"#, Some("id")),
                Answer::Invalid(Some("g1".into()))
            );
        }
        let deep = format!(
            r#"{{"id":"g9","fuel":400,"x":{}0{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let payloads = [
            r#"{"id":"g1","fuel":40}"#,
            r#"{"id":"g1","fuel":400}"#,
            r#"{"id":"g2","fuel":0}"#,
            r#"{"id":"g2","fuel":-3}"#,
            r#"{"id":"g3","fuel":5000}"#,
            r#"{"id":7,"fuel":60}"#,
            r#"{"fuel":60}"#,
            r#"{"id":"g4","fuel":"x"}"#,
            "not json",
            r#"{"id":"g5","fuel":400,"fuel":40}"#,
            r#"{"id":"g5","fuel":40,"fuel":400}"#,
            r#"{"id":"g5","fuel":4000,"fuel":-4}"#,
            r#"{"id":"g6","fuel":400} tail"#,
            r#"{"id":"g6","fuel":400"#,
            r#"{"id":"g6","fuel":40,"#,
            r#"{"id":"g7","fuel":9007199254740993}"#,
            r#"{"id":"g7","fuel":1e400}"#,
            r#"{"id":"g7","fuel":400.5,"extra":[1,{"a":2}]}"#,
            r#"{"id":"g8","fuel":-400}"#,
            r#"{"id":"g8","fuel":150,"id":"g10"}"#,
            r#"{"id":["g11"],"fuel":400}"#,
            r#"{"id":"g\u0031","fuel":4000}"#,
            r#"[{"id":"g12","fuel":400}]"#,
            &deep,
            r#"{"id":"g13","fuel":40,"runHours":12,"status":"standby"}"#,
            r#"{"id":"g13","fuel":40,"runHours":-1}"#,
            r#"{"id":"g13","fuel":4,"status":"fault"}"#,
            r#"{"id":"g14","runHours":3}"#,
            r#"{"id":"g14","fuel":40,"runHours":3,"runHours":-3}"#,
            r#"{"id":"g14","fuel":40,"x":1,"x":2}"#,
            r#"{"id":"g15","fuel":40,"extra":{"a":[1]}}"#,
            r#"{"id":"g15","fuel":400,"runHours":"many"}"#,
        ];
        let full = |j: Judge<'_>, p: &[u8]| {
            j.schema.check(p).is_empty()
                && j.rules.is_none_or(|r| {
                    let v: serde_json::Value = serde_json::from_slice(p).unwrap();
                    r.check(&v).iter().all(|f| !f.action.fails())
                })
        };
        let pairs = [
            (Judge::schema(&loose), Judge::schema(&tight)),
            (Judge::schema(&tight), Judge::schema(&loose)),
            (Judge::schema(&loose), Judge::with_rules(&tight, &strict)),
            (Judge::with_rules(&loose, &strict), Judge::schema(&tight)),
            (
                Judge::with_rules(&loose, &strict),
                Judge::with_rules(&tight, &strict),
            ),
            (
                Judge::with_rules(&tight, &strict),
                Judge::with_rules(&loose, &strict),
            ),
            (
                Judge::with_rules(&loose, &report_only),
                Judge::with_rules(&tight, &strict),
            ),
            (
                Judge::with_rules(&loose, &by_crate),
                Judge::with_rules(&tight, &by_crate),
            ),
            (Judge::schema(&loose), Judge::with_rules(&tight, &by_crate)),
            (Judge::schema(&loose), Judge::schema(&opaque)),
            (
                Judge::with_rules(&opaque, &strict),
                Judge::with_rules(&tight, &strict),
            ),
            // The twin: both versions in one read.
            (Judge::schema(&loose), Judge::schema(&named)),
            (Judge::schema(&named), Judge::schema(&closed)),
            (Judge::schema(&closed), Judge::schema(&needs_hours)),
            (Judge::schema(&needs_hours), Judge::schema(&opaque)),
            (
                Judge::with_rules(&loose, &strict),
                Judge::with_rules(&named, &strict),
            ),
            (
                Judge::with_rules(&closed, &strict),
                Judge::with_rules(&needs_hours, &strict),
            ),
            (Judge::schema(&named), Judge::with_rules(&closed, &strict)),
            (Judge::with_rules(&opaque, &strict), Judge::schema(&named)),
        ];
        for (case, (today, proposal)) in pairs.into_iter().enumerate() {
            let mut r = Replayer::judging(today, proposal, 0).with_identity(Some("/id"));
            // Every pair without rules the one pass cannot evaluate takes the twin.
            let by_crate_rules = [today, proposal]
                .iter()
                .any(|j| j.rules.is_some_and(|e| std::ptr::eq(e, &by_crate)));
            let two_engines =
                matches!((today.rules, proposal.rules), (Some(a), Some(b)) if !std::ptr::eq(a, b));
            assert_eq!(
                r.twin.is_some(),
                !by_crate_rules && !two_engines,
                "case {case}"
            );
            let mut want: BTreeMap<String, Counts> = BTreeMap::new();
            for (i, p) in payloads.iter().enumerate() {
                r.replay("f", &entry(i as u64 + 1, None, p));
                let producer = serde_json::from_str::<serde_json::Value>(p)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .map_or(UNKNOWN_PRODUCER.to_string(), |id| match id {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
                let c = want.entry(producer).or_default();
                c.payloads += 1;
                match (full(today, p.as_bytes()), full(proposal, p.as_bytes())) {
                    (true, false) => c.rejected += 1,
                    (false, true) => c.newly_accepted += 1,
                    _ => {}
                }
            }
            assert_eq!(r.finish().by_producer, want, "case {case}");
        }
    }
}
