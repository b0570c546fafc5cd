//! Writes the simulated fleet's payloads as JSON lines, for `schemactl validate` and its
//! benchmark (docs/BENCHMARKS.md):
//!
//!     cargo run --release --example fleet_jsonl -- 1500000 > fleet.jsonl
//!     cargo run --release --example fleet_jsonl -- 100000 --faults all:0.5 > faulty.jsonl
//!
//! Arguments: number of payloads (default 1,000,000), `--generators N` (default 1000),
//! `--faults SPEC` (as `schemactl simulate --faults`), `--seed S`.

use schemactl::simulate::FaultPlan;
use schemactl::simulate::fleet::Fleet;
use schemactl::transport::TransportKind;
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut count, mut generators, mut faults, mut seed) = (1_000_000u64, 1000usize, None, 0u64);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--generators" => generators = args.next().ok_or("--generators N")?.parse()?,
            "--faults" => faults = Some(args.next().ok_or("--faults SPEC")?),
            "--seed" => seed = args.next().ok_or("--seed S")?.parse()?,
            n => count = n.parse()?,
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let contract = schemactl::catalog::load_contract(root, "generator")?;
    let history = schemactl::catalog::load_history(&contract.schemas)?;
    let newest = history.last().ok_or("no schema")?;
    let plan = match faults {
        Some(spec) => FaultPlan::parse(&spec)?,
        None => FaultPlan { rules: vec![] },
    };
    let model = contract.simulator.as_ref().ok_or("no [simulator]")?;
    let mut fleet = Fleet::new(model, &newest.schema, generators, seed, &plan, 1 << 20)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for n in 0..count {
        let reading = fleet.read(n as usize % generators);
        let faulted = fleet.apply(&reading, TransportKind::Mqtt, Default::default());
        // A payload with a newline would split into two lines: write those as NOT_JSON text.
        let bytes: Vec<u8> = faulted
            .bytes
            .iter()
            .map(|b| if *b == b'\n' { b' ' } else { *b })
            .collect();
        out.write_all(&bytes)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
