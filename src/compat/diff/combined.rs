//! Walker for `allOf` / `anyOf` / `oneOf`: the keyword change, the number of subschemas, and a
//! maximum matching of original subschemas to compatible update subschemas.

use super::{Change, Ctx};
use crate::compat::change::ChangeType::*;
use crate::compat::schema::{Criterion, NodeId, Schema};

type Side<'a> = (Criterion, &'a Vec<NodeId>);

pub(super) fn compare(ctx: &mut Ctx<'_>, (oc, osubs): Side<'_>, (uc, usubs): Side<'_>) {
    let criterion_change = if oc == uc {
        None
    } else if uc == Criterion::Any
        || (uc == Criterion::One && osubs.len() == 1)
        // Every value satisfying all of the original's subschemas satisfies the single one left.
        || (uc == Criterion::One && oc == Criterion::All && usubs.len() == 1)
        || (uc == Criterion::All && osubs.len() == 1 && usubs.len() == 1)
    {
        Some(COMBINED_TYPE_EXTENDED)
    } else {
        Some(COMBINED_TYPE_CHANGED)
    };
    if let Some(kind) = criterion_change {
        ctx.add_values(kind, Some(oc.keyword().into()), Some(uc.keyword().into()));
        if kind == COMBINED_TYPE_CHANGED {
            return;
        }
    }
    // Duplicate subschemas count once.
    let originals = distinct(ctx.orig(), osubs);
    let updates = distinct(ctx.upd(), usubs);
    let (on, un) = (originals.len(), updates.len());
    let count = |n: usize| Some(n.to_string());
    if on < un {
        let kind = if uc == Criterion::All {
            PRODUCT_TYPE_EXTENDED
        } else {
            SUM_TYPE_EXTENDED
        };
        ctx.add_values(kind, count(on), count(un));
    } else if on > un {
        let kind = if oc == Criterion::All {
            PRODUCT_TYPE_NARROWED
        } else {
            SUM_TYPE_NARROWED
        };
        ctx.add_values(kind, count(on), count(un));
    }
    // edges[i] lists the update subschemas original i may become, with what that changes.
    let mut edges: Vec<Vec<(usize, Vec<Change>)>> = Vec::with_capacity(on);
    for (i, &o) in originals.iter().enumerate() {
        ctx.enter_index(oc.keyword(), i);
        let mut row = Vec::new();
        for (j, &u) in updates.iter().enumerate() {
            let (changes, ok) = ctx.trial(|c| c.compare(o, u));
            if ok {
                row.push((j, changes));
            }
        }
        edges.push(row);
        ctx.leave();
    }
    let matched = maximum_matching(&edges, un);
    let size = matched.iter().flatten().count();
    for (i, j) in matched.iter().enumerate() {
        if let Some(j) = j
            && let Some((_, changes)) = edges[i].iter().find(|(k, _)| k == j)
        {
            ctx.extend(changes.clone());
        }
    }
    if size < on.min(un) {
        ctx.add(COMBINED_TYPE_SUBSCHEMAS_CHANGED);
    }
}

fn distinct(schema: &Schema, subs: &[NodeId]) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(subs.len());
    for &id in subs {
        let duplicate = out
            .iter()
            .any(|&seen| match (schema.raw(seen), schema.raw(id)) {
                (Some(a), Some(b)) => a == b,
                _ => seen == id,
            });
        if !duplicate {
            out.push(id);
        }
    }
    out
}

/// Kuhn's augmenting paths: for each original, the update it is matched with.
fn maximum_matching<T>(edges: &[Vec<(usize, T)>], updates: usize) -> Vec<Option<usize>> {
    fn augment<T>(
        i: usize,
        edges: &[Vec<(usize, T)>],
        visited: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, _) in &edges[i] {
            if visited[*j] {
                continue;
            }
            visited[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, visited, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; updates];
    for i in 0..edges.len() {
        let mut visited = vec![false; updates];
        augment(i, edges, &mut visited, &mut owner);
    }
    let mut matched = vec![None; edges.len()];
    for (j, i) in owner.iter().enumerate() {
        if let Some(i) = i {
            matched[*i] = Some(j);
        }
    }
    matched
}
