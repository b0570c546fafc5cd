//! `schemactl init` as a person reads it: each file written and where it came from, the
//! contract's subject, level, policy, identity guess and examples, and what to run next.

use crate::catalog::init::Adopted;
use std::fmt::Write as _;

/// What `init` wrote, as lines.
pub fn text(adopted: &Adopted) -> String {
    let mut out = String::new();
    for f in &adopted.files {
        let _ = writeln!(out, "{:<11} {}  ← {}", f.action, f.file, f.from);
    }
    let _ = writeln!(
        out,
        "contract {} for subject \"{}\"",
        adopted.name, adopted.subject
    );
    let _ = writeln!(out, "level: {} ({})", adopted.level, adopted.level_source);
    let _ = writeln!(
        out,
        "policy: {} ({})",
        adopted.policy, adopted.policy_source
    );
    let _ = match &adopted.identity_guess {
        Some(g) => writeln!(
            out,
            "identity: {} (a guess: {}; check it in the contract)",
            g.pointer, g.reason
        ),
        None => writeln!(
            out,
            "identity: none guessed; set [identity] pointer in the contract"
        ),
    };
    let _ = if adopted.examples == 0 {
        writeln!(out, "examples: none; the contract says how to add them")
    } else {
        writeln!(
            out,
            "examples: {} sample(s) kept as valid examples",
            adopted.examples
        )
    };
    let _ = writeln!(
        out,
        "next: schemactl test --contract {0} && schemactl check-compat --contract {0}",
        adopted.name
    );
    out
}
