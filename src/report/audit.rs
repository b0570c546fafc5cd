//! An audit's report (one instance's, or several merged) in every format: text is the
//! scorecard table a person reads; JSON is the report itself; JUnit, SARIF and GitHub annotations
//! render it as checks (one per transport and per producer); markdown is a summary for a pull
//! request or `$GITHUB_STEP_SUMMARY`; html is one self-contained page with a chart of each
//! producer's invalid rate over time.

use super::{Case, Item, Report, Severity, rfc3339};
use crate::audit::AuditReport;
use crate::audit::score::Score;
use crate::audit::scorecard::{ProducerCard, Scorecard, ViolationRecord};
use crate::validate::ViolationKind;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// More compliant producers than this are summed up in one line.
pub const COMPLIANT_ROWS: usize = 3;

fn pct(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// The transports that saw no message at all: an error in every format.
fn no_traffic(card: &Scorecard) -> impl Iterator<Item = &ViolationRecord> {
    card.violations
        .iter()
        .filter(|v| v.kind == ViolationKind::NO_TRAFFIC)
}

fn versions(p: &ProducerCard) -> String {
    if p.schema_versions.is_empty() {
        return "-".into();
    }
    p.schema_versions
        .iter()
        .map(|v| format!("v{v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The audit as checks: one per transport (traffic, gaps) and one per producer (its
/// violations, one item per kind and place, worst first).
pub fn checks(report: &AuditReport, fail_on: &BTreeSet<ViolationKind>) -> Report {
    let card = &report.card;
    let mut cases = Vec::new();
    for (t, totals) in &card.summary {
        let mut items = Vec::new();
        for v in card
            .violations
            .iter()
            .filter(|v| v.transport == *t && v.kind == ViolationKind::NO_TRAFFIC)
        {
            let help = "check the topic names and that the producers run; --allow-empty accepts a quiet window";
            items.push(
                Item::new(v.kind.to_string(), Severity::Error, v.message.clone()).with_help(help),
            );
        }
        for g in &totals.gaps {
            items.push(
                Item::new(
                    "GAP",
                    if g.open {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    format!(
                        "{t} not read for {:.1} s{}: {}",
                        g.millis as f64 / 1000.0,
                        if g.open {
                            ", still lost at the end"
                        } else {
                            ""
                        },
                        g.reason
                    ),
                )
                .with_help("what the broker held meanwhile was not audited"),
            );
        }
        cases.push(Case::new(
            format!(
                "{t}: {} messages, {} invalid",
                totals.messages, totals.invalid
            ),
            items,
        ));
    }
    for p in card.worst_first() {
        let mut items = Vec::new();
        let mut told = BTreeSet::new();
        for g in &p.top_violations {
            told.insert(g.kind);
            items.push(Item {
                rule: g.kind.to_string(),
                severity: severity(g.kind, fail_on),
                file: None,
                pointer: g.pointer.clone(),
                at: None,
                message: format!("{}: {}", p.producer, p.describe(g)),
                help: None,
            });
        }
        // Kinds no group tells (a report written before groups were kept, or past the cap).
        for (k, n) in p.violations.iter().filter(|(k, _)| !told.contains(*k)) {
            items.push(Item::new(
                k.to_string(),
                severity(*k, fail_on),
                format!(
                    "{}: {k} in {:.1}% of readings ({n})",
                    p.producer,
                    pct(*n, p.messages)
                ),
            ));
        }
        cases.push(Case::new(
            format!("{} on {}", p.producer, p.transport.name()),
            items,
        ));
    }
    Report::new("audit", cases)
}

fn severity(kind: ViolationKind, fail_on: &BTreeSet<ViolationKind>) -> Severity {
    if fail_on.contains(&kind) {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// A table cell: no pipe or line break can end it early.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// The producers with no invalid message, in one line ("12 compliant producers: ...").
pub fn compliant_line(card: &Scorecard) -> Option<String> {
    let compliant: Vec<&ProducerCard> = card
        .worst_first()
        .into_iter()
        .filter(|p| p.invalid == 0)
        .collect();
    if compliant.len() <= COMPLIANT_ROWS {
        return None;
    }
    let messages: u64 = compliant.iter().map(|p| p.messages).sum();
    let mut by_transport: Vec<String> = Vec::new();
    for t in card.summary.keys() {
        let names: Vec<&str> = compliant
            .iter()
            .filter(|p| p.transport == *t)
            .map(|p| p.producer.as_str())
            .collect();
        if !names.is_empty() {
            by_transport.push(format!("{} on {t} ({})", names.len(), names.join(", ")));
        }
    }
    Some(format!(
        "{} compliant producer(s), {messages} messages, none invalid: {}",
        compliant.len(),
        by_transport.join("; ")
    ))
}

fn shown_producers(card: &Scorecard) -> Vec<&ProducerCard> {
    let summarised = compliant_line(card).is_some();
    card.worst_first()
        .into_iter()
        .filter(|p| !(summarised && p.invalid == 0))
        .collect()
}

/// The audit as markdown: headings, tables, no escape codes.
pub fn markdown(report: &AuditReport, title: &str) -> String {
    let card = &report.card;
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", title.trim());
    if card.summary.is_empty() {
        let _ = writeln!(out, "No messages seen.\n");
    } else {
        let _ = writeln!(out, "| Transport | Messages | Invalid | Gaps |");
        let _ = writeln!(out, "|---|--:|--:|--:|");
        for (t, s) in &card.summary {
            let _ = writeln!(
                out,
                "| {t} | {} | {} ({:.1}%) | {} |",
                s.messages,
                s.invalid,
                pct(s.invalid, s.messages),
                s.gaps.len()
            );
        }
        out.push('\n');
    }
    for v in no_traffic(card) {
        let _ = writeln!(out, "> **error[NO_TRAFFIC]**: {}\n", v.message);
    }
    let shown = shown_producers(card);
    if !shown.is_empty() {
        let _ = writeln!(out, "### Producers, worst first\n");
        let _ = writeln!(
            out,
            "| Producer | Transport | Messages | Invalid | Versions | Most frequent violation |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|---|---|");
        for p in shown {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1}% | {} | {} |",
                cell(&p.producer),
                p.transport.name(),
                p.messages,
                pct(p.invalid, p.messages),
                versions(p),
                cell(&p.what_is_wrong().unwrap_or_else(|| "-".into()))
            );
        }
        out.push('\n');
    }
    if let Some(line) = compliant_line(card) {
        let _ = writeln!(out, "{line}\n");
    }
    if let Some(e) = &report.expect {
        let s = &e.score;
        let _ = writeln!(
            out,
            "### Against the manifest: {}\n\n{} sent, {} seen, {} matched once, {} missing, {} unexpected, {} false alarm(s).\n",
            if e.perfect { "perfect" } else { "NOT perfect" },
            s.sent,
            s.seen,
            s.matched,
            s.missing,
            s.unexpected,
            s.false_alarms
        );
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The fill of the invalid share in every chart; nothing else on the page uses it, so a
/// screenshot can find the charts by it.
pub const INVALID_FILL: &str = "#c0392b";
/// The fill of a bucket's traffic (valid share) in every chart.
pub const TRAFFIC_FILL: &str = "#cfd8dc";

/// An inline SVG of a producer's invalid rate per time bucket: a grey bar per bucket that held
/// traffic, its red part the invalid share.
fn chart(p: &ProducerCard, bucket_millis: u64, width: u32, height: u32, axes: bool) -> String {
    let mut svg = String::new();
    let (left, bottom) = if axes { (40.0, 18.0) } else { (0.0, 0.0) };
    let plot_w = f64::from(width) - left;
    let plot_h = f64::from(height) - bottom;
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="invalid rate of {} over time">"#,
        esc(&p.producer)
    );
    let (Some(first), Some(last)) = (p.timeline.first(), p.timeline.last()) else {
        let _ = write!(
            svg,
            r##"<text x="4" y="{}" font-size="11" fill="#555">no timeline in this report</text></svg>"##,
            height / 2
        );
        return svg;
    };
    let step = bucket_millis.max(1) as i64;
    let slots = ((last.start_millis - first.start_millis) / step + 1).max(1) as f64;
    let bar_w = plot_w / slots;
    let gap = if bar_w > 3.0 { 1.0 } else { 0.0 };
    for b in &p.timeline {
        let x = left + (b.start_millis - first.start_millis) as f64 / step as f64 * bar_w;
        let rate = b.invalid as f64 / b.messages.max(1) as f64;
        let red = (rate * plot_h).round();
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="0" width="{:.1}" height="{:.1}" fill="{TRAFFIC_FILL}"/>"#,
            (bar_w - gap).max(1.0),
            plot_h - red
        );
        if b.invalid > 0 {
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{red:.1}" fill="{INVALID_FILL}"><title>{} of {} invalid</title></rect>"#,
                plot_h - red,
                (bar_w - gap).max(1.0),
                b.invalid,
                b.messages
            );
        }
    }
    if axes {
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#333"/><line x1="{left}" y1="0" x2="{left}" y2="{plot_h}" stroke="#333"/><text x="{}" y="10" font-size="10" text-anchor="end" fill="#333">100%</text><text x="{}" y="{plot_h}" font-size="10" text-anchor="end" fill="#333">0%</text><text x="{left}" y="{}" font-size="10" fill="#333">{}</text><text x="{width}" y="{}" font-size="10" text-anchor="end" fill="#333">{}</text>"##,
            left - 4.0,
            left - 4.0,
            f64::from(height) - 4.0,
            esc(&rfc3339(first.start_millis)),
            f64::from(height) - 4.0,
            esc(&rfc3339(last.start_millis + step)),
        );
    }
    svg.push_str("</svg>");
    svg
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1100px}\
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px;margin:0 0 6px}\
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle;font-size:13px}\
th{background:#f0f0f0}td.n{text-align:right}code{background:#f4f4f4;padding:0 3px}\
.producer{border:1px solid #ddd;border-radius:6px;padding:12px;margin:12px 0}\
.bad{color:#8e1b10;font-weight:600}.ok{color:#1d6b35}.error{color:#8e1b10;font-weight:600}";

/// The audit as one self-contained html page: inline CSS and SVG, no script, no network asset.
pub fn html(report: &AuditReport, title: &str) -> String {
    let card = &report.card;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(title.trim()),
        esc(title.trim())
    );
    let _ = writeln!(
        h,
        "<p>Contract <code>{}</code>, subject <code>{}</code>{}; {} run(s).</p>",
        esc(&report.contract),
        esc(&report.subject),
        report
            .group
            .as_ref()
            .map(|g| format!(", group <code>{}</code>", esc(g)))
            .unwrap_or_default(),
        report.runs.len()
    );
    h.push_str("<h2>Summary</h2>\n<table><tr><th>Transport</th><th>Messages</th><th>Invalid</th><th>Gaps</th></tr>\n");
    for (t, s) in &card.summary {
        let _ = writeln!(
            h,
            "<tr><td>{t}</td><td class=\"n\">{}</td><td class=\"n\">{} ({:.1}%)</td><td class=\"n\">{}</td></tr>",
            s.messages,
            s.invalid,
            pct(s.invalid, s.messages),
            s.gaps.len()
        );
    }
    h.push_str("</table>\n");
    for v in no_traffic(card) {
        let _ = writeln!(
            h,
            "<p class=\"error\">error[NO_TRAFFIC]: {}</p>",
            esc(&v.message)
        );
    }
    h.push_str("<h2>Scorecard, worst first</h2>\n<table id=\"scorecard\"><tr><th>Producer</th><th>Transport</th><th>Messages</th><th>Invalid</th><th>Versions</th><th>Invalid rate over time</th><th>Most frequent violation</th></tr>\n");
    // Every producer, each with its chart: a page has room for the compliant ones too.
    for p in card.worst_first() {
        let class = if p.invalid > 0 { "bad" } else { "ok" };
        let _ = writeln!(
            h,
            "<tr><td class=\"{class}\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n {class}\">{:.1}%</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.producer),
            p.transport.name(),
            p.messages,
            pct(p.invalid, p.messages),
            versions(p),
            chart(p, card.bucket_millis, 200, 28, false),
            esc(&p.what_is_wrong().unwrap_or_else(|| "-".into()))
        );
    }
    h.push_str("</table>\n");
    let bad: Vec<&ProducerCard> = card
        .worst_first()
        .into_iter()
        .filter(|p| p.invalid > 0)
        .collect();
    if !bad.is_empty() {
        h.push_str("<h2>Misbehaving producers</h2>\n");
    }
    for p in bad {
        let _ = writeln!(
            h,
            "<div class=\"producer\"><h3>{} on {}: {} of {} invalid ({:.1}%)</h3>",
            esc(&p.producer),
            p.transport.name(),
            p.invalid,
            p.messages,
            pct(p.invalid, p.messages)
        );
        h.push_str(&chart(p, card.bucket_millis, 640, 140, true));
        h.push_str("<table><tr><th>Violations</th><th>Pointer</th><th>Keyword</th><th>Count</th><th>Example</th><th>What is wrong</th></tr>\n");
        for g in p.top_violations.iter().take(5) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
                g.kind,
                esc(g.pointer.as_deref().unwrap_or("-")),
                esc(g.keyword.as_deref().unwrap_or("-")),
                g.count,
                esc(g.example.as_deref().unwrap_or("-")),
                esc(&p.describe(g))
            );
        }
        h.push_str("</table></div>\n");
    }
    if let Some(e) = &report.expect {
        let s = &e.score;
        let _ = writeln!(
            h,
            "<h2>Against the manifest: {}</h2><p>{} sent, {} seen, {} matched once, {} missing, {} unexpected, {} false alarm(s).</p>",
            if e.perfect { "perfect" } else { "NOT perfect" },
            s.sent,
            s.seen,
            s.matched,
            s.missing,
            s.unexpected,
            s.false_alarms
        );
    }
    h.push_str("</body></html>\n");
    h
}

/// The audit as a person reads it (`--format text`): the scorecard, how many violations were
/// kept in detail, and the score against a manifest when there is one.
pub fn text(report: &AuditReport, title: &str) -> String {
    let card = &report.card;
    let mut out = scorecard_text(card, title);
    if card.violations_not_shown > 0 || !card.violations.is_empty() {
        let _ = writeln!(
            out,
            "\n{} violation(s) kept in detail{}; see --format json or --report",
            card.violations.len(),
            if card.violations_not_shown > 0 {
                format!(", {} more counted", card.violations_not_shown)
            } else {
                String::new()
            }
        );
    }
    if let Some(e) = &report.expect {
        out.push_str(&score_text(&e.score));
    }
    out
}

/// The scorecard as a person reads it.
pub fn scorecard_text(card: &Scorecard, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    if card.summary.is_empty() {
        let _ = writeln!(out, "no messages seen");
    }
    for (t, s) in &card.summary {
        let pct = pct(s.invalid, s.messages);
        let _ = writeln!(
            out,
            "{t:<6} {} messages, {} invalid ({pct:.1}%){}",
            s.messages,
            s.invalid,
            if s.gaps.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} gap(s): {}",
                    s.gaps.len(),
                    s.gaps
                        .iter()
                        .map(|g| if g.partition.is_some() {
                            g.reason.clone()
                        } else {
                            format!(
                                "{:.1} s blind until {} ({})",
                                g.millis as f64 / 1000.0,
                                rfc3339(g.regained_at_millis),
                                g.reason
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        );
        if s.replayed > 0 {
            let _ = writeln!(
                out,
                "{:<6} {} message(s) delivered again and not counted again",
                "", s.replayed
            );
        }
    }
    if !card.producers.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<16} {:<9} {:>9} {:>8}  {:<10} {:<24} {:<24} VIOLATIONS",
            "PRODUCER", "TRANSPORT", "MESSAGES", "INVALID", "VERSIONS", "FIRST SEEN", "LAST SEEN"
        );
        // Worst first; many compliant producers are one line after the table.
        let summary = compliant_line(card);
        for p in card
            .worst_first()
            .into_iter()
            .filter(|p| summary.is_none() || p.invalid > 0)
        {
            let pct = 100.0 * p.invalid as f64 / p.messages.max(1) as f64;
            let versions = if p.schema_versions.is_empty() {
                "-".to_string()
            } else {
                p.schema_versions
                    .iter()
                    .map(|v| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let kinds = if p.violations.is_empty() {
                "-".to_string()
            } else {
                p.violations
                    .iter()
                    .map(|(k, n)| format!("{k}×{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(
                out,
                "{:<16} {:<9} {:>9} {:>7.1}%  {:<10} {:<24} {:<24} {kinds}",
                p.producer,
                p.transport.name(),
                p.messages,
                pct,
                versions,
                rfc3339(p.first_seen_millis),
                rfc3339(p.last_seen_millis),
            );
        }
        if let Some(line) = &summary {
            let _ = writeln!(out, "{line}");
        }
        let wrong: Vec<String> = card
            .worst_first()
            .into_iter()
            .filter_map(|p| {
                p.what_is_wrong()
                    .map(|w| format!("{} on {}: {w}", p.producer, p.transport.name()))
            })
            .collect();
        if !wrong.is_empty() {
            let _ = writeln!(out, "\nwhat is wrong, worst first:");
            for line in wrong {
                let _ = writeln!(out, "  {line}");
            }
        }
        for p in card
            .producers
            .iter()
            .filter(|p| !p.other_schemas.is_empty())
        {
            let contract = p
                .schema_versions
                .iter()
                .map(|v| format!("v{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let _ = writeln!(
                out,
                "{} on {} named {}: judged by it and by the contract's {contract}",
                p.producer,
                p.transport.name(),
                p.other_schemas
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let rules = card.violations_by_rule();
    if !rules.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<28} {:<8} {:>10}  PRODUCERS",
            "RULE", "ACTION", "VIOLATIONS"
        );
        for (rule, t) in &rules {
            let producers = card
                .producers
                .iter()
                .filter_map(|p| {
                    p.rules
                        .get(rule)
                        .map(|n| format!("{}/{}×{n}", p.producer, p.transport.name()))
                })
                .collect::<Vec<_>>()
                .join(" ");
            let action = match &t.dlq_topic {
                Some(topic) => format!("DLQ → {topic}"),
                None => t.action.clone(),
            };
            let errors = if t.errors > 0 {
                format!(" ({} could not be evaluated)", t.errors)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{rule:<28} {action:<8} {:>10}  {producers}{errors}",
                t.violations
            );
        }
    }
    for (version, of) in &card.rules_borrowed {
        let _ = writeln!(
            out,
            "rules: payloads of v{version} were checked against v{of}'s rules (the contract's history holds no rule set for v{version})"
        );
    }
    for v in no_traffic(card) {
        let _ = writeln!(
            out,
            "\nerror[NO_TRAFFIC]: {}\nhelp: check the topic names and that the producers run; --allow-empty accepts a quiet window",
            v.message
        );
    }
    out
}

/// A ratio as a percentage, or "n/a" when there was nothing to divide.
fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// The score against a simulator manifest, as a person reads it.
pub fn score_text(s: &Score) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nagainst the manifest: {} sent, {} seen, {} matched once, {} missing, {} unexpected, {} false alarm(s) on compliant messages",
        s.sent, s.seen, s.matched, s.missing, s.unexpected, s.false_alarms
    );
    let _ = writeln!(
        out,
        "{:<20} {:>8} {:>9} {:>9} {:>10} {:>8}",
        "FAULT", "SENT", "DETECTED", "FALSE+", "PRECISION", "RECALL"
    );
    for f in &s.faults {
        let _ = writeln!(
            out,
            "{:<20} {:>8} {:>9} {:>9} {:>10} {:>8}",
            f.fault.name(),
            f.sent,
            f.detected,
            f.false_positives,
            percent(f.precision),
            percent(f.recall)
        );
    }
    for r in &s.fleet_rules {
        let _ = writeln!(
            out,
            "the fleet's own readings break rule {}: {} expected (as its firmware sends them, not a fault), {} reported",
            r.rule, r.expected, r.detected
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if s.perfect() {
            "score: perfect"
        } else {
            "score: NOT perfect"
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Origin;
    use crate::transport::TransportKind;
    use crate::validate::Violation;

    fn audited() -> AuditReport {
        let mut card = Scorecard::new(100, false);
        let wrong = Violation {
            pointer: Some("/fuel".into()),
            keyword: Some("type".into()),
            ..Violation::new(
                ViolationKind::SCHEMA_VIOLATION,
                "\"64\" is not of type \"number\"",
            )
        };
        for (i, name) in [
            "generator10",
            "generator2",
            "generator3",
            "generator4",
            "generator5",
        ]
        .iter()
        .enumerate()
        {
            for n in 0..10 {
                let bad = *name == "generator3" && n % 3 == 0;
                card.record(
                    TransportKind::Mqtt,
                    &Origin {
                        topic: "emergency_generator",
                        at_millis: 1_000_000 + n * 1000 + i as i64,
                        ..Origin::default()
                    },
                    name,
                    Some(3),
                    br#"{"generatorID":"x","fuel":"64"}"#,
                    if bad {
                        std::slice::from_ref(&wrong)
                    } else {
                        &[]
                    },
                );
            }
        }
        card.sort();
        AuditReport {
            contract: "generator".into(),
            subject: "emergency_generator-value".into(),
            group: None,
            runs: vec!["r".into()],
            card,
            expect: None,
        }
    }

    #[test]
    fn markdown_names_the_worst_producer_first_and_sums_up_the_compliant() {
        let md = markdown(&audited(), "audit of contract \"generator\"");
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| generator"))
            .collect();
        assert_eq!(rows.len(), 1, "{md}");
        assert!(
            rows[0].contains("/fuel is a string in 40.0% of readings, e.g. \"64\""),
            "{md}"
        );
        assert!(
            md.contains("4 compliant producer(s), 40 messages, none invalid: 4 on mqtt (generator2, generator4, generator5, generator10)"),
            "{md}"
        );
        assert!(!md.contains('\u{1b}'));
    }

    #[test]
    fn html_is_self_contained_with_a_chart_per_producer() {
        let page = html(&audited(), "audit <of> \"generator\"");
        assert!(page.contains("audit &lt;of&gt; &quot;generator&quot;"));
        assert!(!page.contains("<script"), "no script");
        assert!(!page.contains("src=\"http"), "no network asset");
        assert!(!page.contains("href=\"http"), "no network asset");
        // A sparkline per producer, and generator3's section's chart.
        assert_eq!(page.matches("<svg").count(), 6, "{page}");
        assert_eq!(
            page.matches(INVALID_FILL).count(),
            8,
            "4 invalid buckets, twice"
        );
    }

    #[test]
    fn checks_carry_one_item_per_violation_group() {
        let fail_on: BTreeSet<ViolationKind> = ViolationKind::ALL.into_iter().collect();
        let r = checks(&audited(), &fail_on);
        assert_eq!(r.cases[0].name, "mqtt: 50 messages, 4 invalid");
        assert_eq!(r.cases[1].name, "generator3 on mqtt");
        assert_eq!(r.cases[1].items.len(), 1);
        assert_eq!(r.cases[1].items[0].pointer.as_deref(), Some("/fuel"));
        assert!(!r.passed());
        let r = checks(&audited(), &BTreeSet::new());
        assert!(r.passed(), "kinds outside --fail-on are warnings");
    }
}
