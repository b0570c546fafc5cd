//! The output layer through the binary: a closed pipe ends a command quietly with its verdict's
//! exit code, and a real audit (Mosquitto, the simulator's misbehaving fleet) renders in every
//! format, its html looked at in a real headless browser (Debian's `chromium`).

mod common;
use common::brokers;

use brokers::Mosquitto;
use common::cli::{root, schemactl, schemactl_in, stdout_of};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// Runs schemactl with stdout a pipe whose reading end is closed before anything is written;
/// returns the exit code and stderr.
fn into_closed_pipe(args: &[&str]) -> (i32, String) {
    let mut child = common::cli::command(&root(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run schemactl");
    // The reader goes away first: every write to stdout finds the pipe closed.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for schemactl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_with_its_verdict() {
    let cases: &[&[&str]] = &[
        &[
            "diff",
            "schemas/generator/v2.json",
            "schemas/generator/v3.json",
        ],
        &[
            "diff",
            "schemas/generator/v3.json",
            "tests/fixtures/generator/tightens-fuel-range.json",
            "--format",
            "json",
        ],
        &[
            "validate",
            "tests/fixtures/generator/captured.jsonl",
            "--contract",
            "generator",
        ],
        &[
            "validate",
            "tests/fixtures/generator/captured.jsonl",
            "--contract",
            "generator",
            "--format",
            "sarif",
        ],
        &["test"],
        &["completions", "bash"],
    ];
    for args in cases {
        let read = schemactl(args);
        assert!(!read.stdout.is_empty(), "{args:?} prints something");
        let (code, stderr) = into_closed_pipe(args);
        assert_eq!(
            code, read.code,
            "{args:?}: the verdict does not change when nobody reads it; stderr: {stderr}"
        );
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    // The verdicts are the ones the commands stand for, not a blanket success.
    assert_eq!(
        into_closed_pipe(cases[0]).0,
        1,
        "diff v2 v3 is breaking (strict)"
    );
    assert_eq!(
        into_closed_pipe(cases[2]).0,
        1,
        "captured.jsonl holds violations"
    );
}

#[test]
fn html_is_refused_where_there_is_no_audit_and_markdown_is_everywhere() {
    let html = schemactl(&[
        "validate",
        "tests/fixtures/generator/captured.jsonl",
        "--contract",
        "generator",
        "--format",
        "html",
    ]);
    html.exits_saying(2, &["--format html"]);
    let md = schemactl(&[
        "validate",
        "tests/fixtures/generator/captured.jsonl",
        "--contract",
        "generator",
        "--format",
        "markdown",
    ]);
    assert_eq!(md.code, 1, "{}", md.stderr);
    assert!(
        md.stdout.starts_with("## schemactl validate\n"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| **FAIL** |"), "{}", md.stdout);
    // The finding carries its place: file and line.
    assert!(
        md.stdout
            .contains("at `tests/fixtures/generator/captured.jsonl:2:"),
        "{}",
        md.stdout
    );
    assert!(!md.stdout.contains('\u{1b}'));
}

/// An audit of the simulated fleet over Mosquitto, written as a report; generator3 sends a
/// number as text half the time.
fn audit_report(dir: &Path) -> PathBuf {
    let broker = Mosquitto::start();
    let report = dir.join("audit.json");
    let (generators, count) = (6, 16);
    let total = (generators * count).to_string();
    let mut audit = common::cli::command(&root(), &["audit", "--mqtt", &broker.url()])
        .args(["--max-messages", &total, "--duration", "120s", "--report"])
        .arg(&report)
        .args(["--format", "markdown"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start schemactl audit");
    let (tx, rx) = mpsc::channel();
    let err = audit.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        match rx.recv_timeout(brokers::BROKER_STARTUP) {
            Ok(line) if line.starts_with("schemactl audit: connected") => break,
            Ok(_) => {}
            Err(_) => {
                let _ = audit.kill();
                panic!("the audit did not connect");
            }
        }
    }
    // A few seconds of traffic, so the chart has several time buckets.
    let sim = schemactl(&[
        "simulate",
        "--mqtt",
        &broker.url(),
        "--generators",
        &generators.to_string(),
        "--count",
        &count.to_string(),
        "--rate",
        "5",
        "--faults",
        "wrong-type=3:0.5",
        "--seed",
        "5",
    ]);
    assert_eq!(sim.code, 0, "{}", sim.text());
    let out = audit.wait_with_output().expect("wait for the audit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "violations: exit 1\n{stdout}");
    // The audit's own markdown: the worst producer first, with what is wrong.
    let first_row = stdout
        .lines()
        .find(|l| l.starts_with("| generator"))
        .unwrap_or_else(|| panic!("no producer row:\n{stdout}"));
    assert!(
        first_row.starts_with("| generator3 | mqtt | 16 |")
            && first_row.contains(" is a string in "),
        "{stdout}"
    );
    assert!(
        stdout.contains("5 compliant producer(s), 80 messages, none invalid: 5 on mqtt (generator1, generator2, generator4, generator5, generator6)"),
        "{stdout}"
    );
    report
}

fn chromium() -> PathBuf {
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).is_file() {
            return c.into();
        }
    }
    panic!(
        "chromium is not installed: apt-get install -y chromium (or run scripts/install-test-deps.sh as root)"
    );
}

/// Decodes an RGBA or RGB PNG into (width, height, RGB pixels).
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open the screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let step = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let pixels = buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

fn rgb(hex: &str) -> [u8; 3] {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

#[test]
fn a_real_audit_renders_in_every_format_and_its_html_shows_the_charts_in_a_browser() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let report = audit_report(dir.path());
    let report = report.to_str().unwrap();

    // Every format of report merge, over the audit's own report.
    let junit = schemactl_in(
        dir.path(),
        &["report", "merge", report, "--format", "junit"],
    );
    junit.exits_printing(1, &["<testcase name=\"generator3 on mqtt\""]);
    assert!(junit.stdout.contains("failures=\"1\""), "{}", junit.stdout);
    let sarif = schemactl_in(
        dir.path(),
        &["report", "merge", report, "--format", "sarif"],
    );
    assert_eq!(sarif.code, 1, "{}", sarif.stderr);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "SCHEMA_VIOLATION", "{doc:#}");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "/fuel",
        "{doc:#}"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("generator3: /"),
        "{doc:#}"
    );
    let github = schemactl_in(
        dir.path(),
        &["report", "merge", report, "--format", "github"],
    );
    assert_eq!(github.code, 1, "{}", github.stderr);
    assert!(
        github
            .stdout
            .starts_with("::error title=SCHEMA_VIOLATION (generator3 on mqtt)::generator3: /"),
        "{}",
        github.stdout
    );
    let md = schemactl_in(
        dir.path(),
        &["report", "merge", report, "--format", "markdown"],
    );
    md.exits_printing(1, &["| mqtt | 96 | "]);

    let html = schemactl_in(dir.path(), &["report", "merge", report, "--format", "html"]);
    assert_eq!(html.code, 1, "{}", html.stderr);
    let page = dir.path().join("audit.html");
    std::fs::write(&page, &html.stdout).unwrap();
    let url = format!("file://{}", page.display());

    // What the browser made of it: the scorecard and generator3's section.
    let dom = stdout_of(
        Command::new(&browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
            .arg(&url),
        "chromium --dump-dom",
    );
    assert!(dom.contains("<table id=\"scorecard\">"), "{dom}");
    assert!(dom.contains("generator3 on mqtt: "), "{dom}");
    // A chart per producer in the scorecard, and generator3's own.
    assert_eq!(dom.matches("<svg").count(), 7, "{dom}");

    // What a person sees: a screenshot, its pixels counted.
    let shot = dir.path().join("audit.png");
    stdout_of(
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .arg(format!("--screenshot={}", shot.display()))
            .args(["--window-size=1200,2000"])
            .arg(&url),
        "chromium --screenshot",
    );
    let (width, height, pixels) = decode_png(&shot);
    assert!(width >= 1000 && height >= 1500, "{width}x{height}");
    let red = rgb(schemactl::report::audit::INVALID_FILL);
    let grey = rgb(schemactl::report::audit::TRAFFIC_FILL);
    let (mut reds, mut greys) = (0usize, 0usize);
    let (mut min_x, mut max_x) = (u32::MAX, 0);
    for (i, p) in pixels.iter().enumerate() {
        let x = i as u32 % width;
        if *p == red {
            reds += 1;
            min_x = min_x.min(x);
            max_x = max_x.max(x);
        } else if *p == grey {
            greys += 1;
        }
    }
    // generator3's invalid share is drawn, in the sparkline and the 640 px chart, and spread
    // over time (several buckets across the chart's width), beside the valid traffic's grey.
    assert!(reds > 2_000, "{reds} red pixels");
    assert!(max_x - min_x > 300, "red spans x {min_x}..{max_x} only");
    assert!(greys > 2_000, "{greys} grey pixels");
}

/// An audit report as an instance writes it: five generators on MQTT, generator10 and
/// generator2 as bad as each other, generator3 the worst, two compliant.
fn fleet_report(run: &str) -> String {
    let producer = |name: &str, invalid: u64, groups: serde_json::Value| {
        serde_json::json!({
            "transport": "mqtt", "producer": name, "messages": 10, "invalid": invalid,
            "violations": if invalid > 0 { serde_json::json!({"SCHEMA_VIOLATION": invalid}) } else { serde_json::json!({}) },
            "schema_versions": [3],
            "first_seen_millis": 1_795_000_000_000i64, "last_seen_millis": 1_795_000_009_000i64,
            "timeline": [
                {"start_millis": 1_795_000_000_000i64, "messages": 5, "invalid": invalid / 2},
                {"start_millis": 1_795_000_005_000i64, "messages": 5, "invalid": invalid - invalid / 2}
            ],
            "top_violations": groups
        })
    };
    let fuel = |n: u64| {
        serde_json::json!([{
            "kind": "SCHEMA_VIOLATION", "pointer": "/fuel", "keyword": "type", "count": n,
            "example": "\"64\"", "message": "\"64\" is not of type \"number\""
        }])
    };
    let missing = serde_json::json!([{
        "kind": "SCHEMA_VIOLATION", "pointer": "", "keyword": "required", "count": 2,
        "message": "\"fuel\" is a required property"
    }]);
    serde_json::json!({
        "contract": "generator", "subject": "emergency_generator-value", "runs": [run],
        "summary": {"mqtt": {"messages": 60, "invalid": 10,
                             "violations": {"SCHEMA_VIOLATION": 10}}},
        "bucket_millis": 5000,
        "producers": [
            producer("generator10", 2, missing),
            producer("generator2", 2, fuel(2)),
            producer("generator3", 6, fuel(6)),
            producer("generator1", 0, serde_json::json!([])),
            producer("generator4", 0, serde_json::json!([])),
            producer("generator11", 0, serde_json::json!([])),
            producer("generator5", 0, serde_json::json!([]))
        ],
        "violations": [], "violations_not_shown": 10
    })
    .to_string()
}

#[test]
fn the_scorecard_sorts_worst_first_in_natural_order_and_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    std::fs::write(&a, fleet_report("run-a")).unwrap();
    let a = a.to_str().unwrap();
    let text = schemactl_in(dir.path(), &["report", "merge", a]);
    assert_eq!(text.code, 1, "{}", text.stderr);
    let rows: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.starts_with("generator"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    // generator3 is worst; generator2 and generator10 tie and come in natural order.
    assert_eq!(
        rows,
        ["generator3", "generator2", "generator10"],
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "4 compliant producer(s), 40 messages, none invalid: 4 on mqtt (generator1, generator4, generator5, generator11)"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "  generator3 on mqtt: /fuel is a string in 60.0% of readings, e.g. \"64\" (SCHEMA_VIOLATION type)\n"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "  generator10 on mqtt: /fuel is missing in 20.0% of readings (SCHEMA_VIOLATION required)\n"
        ),
        "{}",
        text.stdout
    );
    insta::assert_snapshot!("scorecard_text", text.stdout);
    let md = schemactl_in(dir.path(), &["report", "merge", a, "--format", "markdown"]);
    assert_eq!(md.code, 1, "{}", md.stderr);
    insta::assert_snapshot!("scorecard_markdown", md.stdout);
    let github = schemactl_in(dir.path(), &["report", "merge", a, "--format", "github"]);
    // --fail-on decides errors and warnings the same way as the exit code.
    let lenient = schemactl_in(
        dir.path(),
        &[
            "report",
            "merge",
            a,
            "--format",
            "github",
            "--fail-on",
            "none",
        ],
    );
    assert_eq!((github.code, lenient.code), (1, 0));
    assert_eq!(
        github.stdout.matches("::error ").count(),
        3,
        "{}",
        github.stdout
    );
    assert_eq!(
        lenient.stdout.matches("::warning ").count(),
        3,
        "{}",
        lenient.stdout
    );
    assert!(!lenient.stdout.contains("::error "), "{}", lenient.stdout);
}
