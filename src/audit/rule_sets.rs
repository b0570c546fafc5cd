//! Which data-contract rules the audit evaluates on a payload: the rule set of the schema
//! version the payload was judged by, when the contract's history holds one for it, else the
//! newest version's (and the scorecard says so).

use crate::catalog::Contract;
use crate::validate::rules::RuleEngine;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The compiled rule sets of a contract's versions.
#[derive(Clone, Debug, Default)]
pub struct RuleSets {
    /// The newest version and its rules.
    newest: Option<(i32, Arc<RuleEngine>)>,
    /// Older versions whose rule set the history holds.
    older: BTreeMap<i32, Arc<RuleEngine>>,
}

/// The rules that apply to one payload.
#[derive(Clone, Copy, Debug)]
pub struct Applied<'a> {
    /// The rules.
    pub rules: &'a RuleEngine,
    /// The version whose rules they are, when that is not the version the payload was judged
    /// by (the history holds no rule set for that one).
    pub borrowed_from: Option<i32>,
}

impl RuleSets {
    /// No rules at all.
    pub fn none() -> RuleSets {
        RuleSets::default()
    }

    /// The newest version's rules (the contract's `[[rules]]`).
    pub fn new(newest_version: i32, rules: RuleEngine) -> RuleSets {
        RuleSets {
            newest: Some((newest_version, Arc::new(rules))),
            older: BTreeMap::new(),
        }
    }

    /// Adds the rule set the history holds for an older version.
    pub fn with_version(mut self, version: i32, rules: RuleEngine) -> RuleSets {
        self.older.insert(version, Arc::new(rules));
        self
    }

    /// A contract's rule sets: its `[[rules]]`, compiled against its newest schema, are the
    /// newest version's. The history (`schemas/…`) keeps schemas only, so no older version
    /// holds a rule set of its own yet.
    pub fn of_contract(contract: &Contract) -> Result<RuleSets, String> {
        let history = crate::catalog::load_history(&contract.schemas).map_err(|e| e.to_string())?;
        let Some(newest) = history.last() else {
            return Ok(RuleSets::none());
        };
        let rules = RuleEngine::new(
            &contract.rules,
            newest.schema.document(),
            contract.metadata.as_ref(),
        )
        .map_err(|(name, e)| format!("{}: rule \"{name}\": {e}", contract.file.display()))?;
        Ok(RuleSets::new(newest.version as i32, rules))
    }

    /// Whether no version has a rule to evaluate.
    pub fn is_empty(&self) -> bool {
        self.newest.as_ref().is_none_or(|(_, r)| r.is_empty())
            && self.older.values().all(|r| r.is_empty())
    }

    /// The rules for a payload judged by schema `version` (none when nothing is evaluated).
    pub fn for_version(&self, version: i32) -> Option<Applied<'_>> {
        if let Some(rules) = self.older.get(&version) {
            return (!rules.is_empty()).then_some(Applied {
                rules,
                borrowed_from: None,
            });
        }
        let (newest, rules) = self.newest.as_ref()?;
        (!rules.is_empty()).then_some(Applied {
            rules,
            borrowed_from: (*newest != version).then_some(*newest),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_versions_borrow_the_newest_rules_unless_the_history_holds_theirs() {
        let contract =
            crate::catalog::load_contract(std::path::Path::new("."), "generator").unwrap();
        let sets = RuleSets::of_contract(&contract).unwrap();
        assert!(!sets.is_empty());
        let newest = sets.for_version(3).expect("v3 has rules");
        assert_eq!((newest.rules.len(), newest.borrowed_from), (3, None));
        let v1 = sets
            .for_version(1)
            .expect("v1 is checked against v3's rules");
        assert_eq!(v1.borrowed_from, Some(3));
        let empty = RuleEngine::new(&[], &serde_json::json!({}), None).unwrap();
        let sets = sets.with_version(1, empty);
        assert!(sets.for_version(1).is_none(), "v1's own (empty) rule set");
        assert!(RuleSets::none().for_version(3).is_none());
    }
}
