//! The simulator's fault plan: which generator misbehaves how ([`Fault`]), and how often.

pub use crate::producer::Fault;
use thiserror::Error;

/// Why a `--faults` spec cannot be read; each names the part at fault.
#[derive(Debug, Error, PartialEq)]
pub enum FaultSpecError {
    /// A share that is not a number in (0, 1].
    #[error("share \"{share}\" must be a number in (0, 1]")]
    Share {
        /// The share as written.
        share: String,
    },
    /// `all` followed by something other than `:SHARE`.
    #[error("unknown fault \"{spec}\"")]
    NotAll {
        /// The spec as written.
        spec: String,
    },
    /// A part that is not `FAULT=GENERATOR[:SHARE]`.
    #[error("\"{part}\": expected FAULT=GENERATOR[:SHARE], e.g. wrong-type=3:0.2")]
    NotARule {
        /// The part as written.
        part: String,
    },
    /// A fault name that does not exist.
    #[error("unknown fault \"{name}\" (known: {known})")]
    UnknownFault {
        /// The name as written.
        name: String,
        /// Every fault's name.
        known: String,
    },
    /// A generator that is not a number from 1.
    #[error("\"{part}\": generator must be a number from 1")]
    Generator {
        /// The part as written.
        part: String,
    },
}

/// Which generator misbehaves how, and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// (generator index, fault, share of its messages that are faulty).
    pub rules: Vec<(usize, Fault, f64)>,
}

impl FaultPlan {
    /// Parses `--faults`: `all[:P]`, or comma-separated `FAULT=GEN[:P]` where GEN is a 1-based
    /// generator number and P the share of its messages that are faulty (default 0.5). `all`
    /// gives each fault its own generator after the first, which stays compliant.
    pub fn parse(spec: &str) -> Result<FaultPlan, FaultSpecError> {
        let spec = spec.trim();
        let share = |s: Option<&str>| -> Result<f64, FaultSpecError> {
            match s {
                None => Ok(0.5),
                Some(p) => p
                    .parse::<f64>()
                    .ok()
                    .filter(|p| *p > 0.0 && *p <= 1.0)
                    .ok_or_else(|| FaultSpecError::Share { share: p.into() }),
            }
        };
        if let Some(rest) = spec.strip_prefix("all") {
            let p = share(rest.strip_prefix(':').filter(|s| !s.is_empty()))?;
            if !rest.is_empty() && !rest.starts_with(':') {
                return Err(FaultSpecError::NotAll { spec: spec.into() });
            }
            return Ok(FaultPlan {
                rules: Fault::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (i + 1, *f, p))
                    .collect(),
            });
        }
        let mut rules = Vec::new();
        for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, rest) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotARule { part: part.into() })?;
            let fault =
                Fault::from_name(name.trim()).ok_or_else(|| FaultSpecError::UnknownFault {
                    name: name.into(),
                    known: Fault::ALL.map(Fault::name).join(", "),
                })?;
            let (generator, p) = match rest.split_once(':') {
                Some((g, p)) => (g, Some(p)),
                None => (rest, None),
            };
            let generator: usize = generator
                .trim()
                .parse()
                .ok()
                .filter(|g| *g >= 1)
                .ok_or_else(|| FaultSpecError::Generator { part: part.into() })?;
            rules.push((generator - 1, fault, share(p)?));
        }
        Ok(FaultPlan { rules })
    }

    /// Each misbehaving generator by the id the contract's reading model gives it (`#N`
    /// without one), with its fault and the share of its messages that carry it.
    pub fn by_producer(
        &self,
        model: Option<&crate::catalog::ReadingModel>,
    ) -> Vec<(String, Fault, f64)> {
        self.rules
            .iter()
            .map(|(g, f, p)| {
                let id = model.map_or_else(|| format!("#{}", g + 1), |m| m.producer_id(*g));
                (id, *f, *p)
            })
            .collect()
    }

    /// The highest generator number used, so the fleet is at least that large.
    pub fn generators_needed(&self) -> usize {
        self.rules.iter().map(|(g, _, _)| g + 1).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plans() {
        let p = FaultPlan::parse("wrong-type=3:0.2, not-json=1").unwrap();
        assert_eq!(
            p.rules,
            vec![(2, Fault::WrongType, 0.2), (0, Fault::NotJson, 0.5)]
        );
        assert_eq!(p.generators_needed(), 3);
        let all = FaultPlan::parse("all:1").unwrap();
        assert_eq!(all.rules.len(), Fault::ALL.len());
        assert_eq!(all.generators_needed(), Fault::ALL.len() + 1);
        let unknown = FaultPlan::parse("wrong=1").unwrap_err();
        assert!(matches!(unknown, FaultSpecError::UnknownFault { .. }));
        assert!(
            unknown.to_string().contains("known: missing-field, "),
            "{unknown}"
        );
        assert_eq!(
            FaultPlan::parse("wrong-type=0").unwrap_err().to_string(),
            "\"wrong-type=0\": generator must be a number from 1"
        );
        assert_eq!(
            FaultPlan::parse("wrong-type=1:2").unwrap_err(),
            FaultSpecError::Share { share: "2".into() }
        );
        assert!(matches!(
            FaultPlan::parse("allsorts"),
            Err(FaultSpecError::NotAll { .. })
        ));
        assert!(matches!(
            FaultPlan::parse("wrong-type"),
            Err(FaultSpecError::NotARule { .. })
        ));
    }
}
