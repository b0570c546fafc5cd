//! The four workloads of `benches/engine.rs`, a fixed number of times, for counting
//! instructions (criterion's timings are at the mercy of the shared machine's load):
//!
//! ```sh
//! cargo build --release --example engine_driver
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/engine_driver history-check 2
//! ```
//!
//! `engine_driver WORKLOAD N` runs WORKLOAD (`verdicts-parse`, `verdicts-check`,
//! `history-check` or `history-parse`) N times; the difference between N and 0 runs, divided
//! by N (and by 131 for the verdicts), is the cost of one operation. `FIXTURES=dir` reads the
//! fixture pairs from another tree, so that two builds are measured on the same input.
use std::hint::black_box;

#[path = "../benches/common/engine.rs"]
mod workloads;
use workloads::{History, Parsed, cases, parse, verdict};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workloads = [
        "verdicts-parse",
        "verdicts-check",
        "history-check",
        "history-parse",
    ];
    let (workload, n) = match &args[..] {
        [w, n] if workloads.contains(&w.as_str()) && n.parse::<usize>().is_ok() => {
            (w.as_str(), n.parse::<usize>().unwrap_or_default())
        }
        _ => {
            eprintln!("usage: engine_driver {} N", workloads.join("|"));
            std::process::exit(2);
        }
    };
    let mut sink = 0usize;
    match workload {
        "verdicts-parse" | "verdicts-check" => {
            let cases = cases();
            let parsed: Vec<Parsed> = cases.iter().map(parse).collect();
            for _ in 0..n {
                sink += if workload == "verdicts-parse" {
                    cases
                        .iter()
                        .filter(|case| verdict(&parse(black_box(case))))
                        .count()
                } else {
                    parsed
                        .iter()
                        .filter(|pair| verdict(black_box(pair)))
                        .count()
                };
            }
        }
        _ => {
            let history = History::new();
            for _ in 0..n {
                let v = if workload == "history-check" {
                    black_box(history.check(black_box(&history.schemas)))
                } else {
                    black_box(history.parse_and_check())
                };
                sink += v.findings.len();
            }
        }
    }
    println!("{workload} {n} {sink}");
}
