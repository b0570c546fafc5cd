//! The simulator's fault plan: which generator misbehaves how ([`Fault`]), and how often.

pub use crate::producer::Fault;

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
    pub fn parse(spec: &str) -> Result<FaultPlan, String> {
        let spec = spec.trim();
        let share = |s: Option<&str>| -> Result<f64, String> {
            match s {
                None => Ok(0.5),
                Some(p) => p
                    .parse::<f64>()
                    .ok()
                    .filter(|p| *p > 0.0 && *p <= 1.0)
                    .ok_or_else(|| format!("share \"{p}\" must be a number in (0, 1]")),
            }
        };
        if let Some(rest) = spec.strip_prefix("all") {
            let p = share(rest.strip_prefix(':').filter(|s| !s.is_empty()))?;
            if !rest.is_empty() && !rest.starts_with(':') {
                return Err(format!("unknown fault \"{spec}\""));
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
            let (name, rest) = part.trim().split_once('=').ok_or_else(|| {
                format!("\"{part}\": expected FAULT=GENERATOR[:SHARE], e.g. wrong-type=3:0.2")
            })?;
            let fault = Fault::from_name(name.trim()).ok_or_else(|| {
                format!(
                    "unknown fault \"{name}\" (known: {})",
                    Fault::ALL.map(Fault::name).join(", ")
                )
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
                .ok_or_else(|| format!("\"{part}\": generator must be a number from 1"))?;
            rules.push((generator - 1, fault, share(p)?));
        }
        Ok(FaultPlan { rules })
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
        assert!(FaultPlan::parse("wrong=1").unwrap_err().contains("known:"));
        assert!(FaultPlan::parse("wrong-type=0").is_err());
        assert!(FaultPlan::parse("wrong-type=1:2").is_err());
    }
}
