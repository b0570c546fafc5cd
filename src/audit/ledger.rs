//! Exactly once: which Kafka offsets the audit has counted, per partition.
//!
//! A broker may hand the consumer a record it already delivered (Tansu 0.6.0 repeats batches
//! within one fetch answer while a producer is appending, see [`OffsetLedger::admit`]), and a
//! seek, an offset reset or a reconnect may rewind a partition. A record at or below an offset
//! already counted is a replay: reported, never counted again. A record beyond the next
//! expected offset may mean records the broker skipped; the partition is read again once from
//! the expected offset, and a hole that is still there is reported as a gap of offsets.

use std::collections::HashMap;

/// What to do with a record the consumer delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// The next record of its partition: count it.
    Count,
    /// At or below an offset already counted: do not count it again.
    Replay,
    /// Beyond the next expected offset for the first time: do not count it yet, seek the
    /// partition back to `from` and read again.
    Reread {
        /// The offset expected next.
        from: i64,
    },
    /// Beyond the next expected offset again after reading again: count it; offsets
    /// `from..=to` were not delivered.
    CountAfterHole {
        /// The first offset not delivered.
        from: i64,
        /// The last offset not delivered.
        to: i64,
    },
}

/// A partition whose log no longer fits what the audit counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// The log now begins after the next offset expected: offsets `from..=to` expired before
    /// the audit read them (a consumer offset out of range); read on from `to + 1`.
    Expired {
        /// The partition.
        partition: i32,
        /// The first offset lost.
        from: i64,
        /// The last offset lost.
        to: i64,
    },
}

/// The next offset expected per partition (indexed by partition: this is on the hot path).
#[derive(Debug, Default)]
pub struct OffsetLedger {
    next: Vec<Option<i64>>,
    /// Partitions read again from this offset after a jump, not yet confirmed.
    reread: HashMap<i32, i64>,
}

impl OffsetLedger {
    /// Decides about the record at `offset` of `partition`, and accounts it when it counts.
    pub fn admit(&mut self, partition: i32, offset: i64) -> Admit {
        let i = usize::try_from(partition).unwrap_or(0);
        if i >= self.next.len() {
            self.next.resize(i + 1, None);
        }
        let slot = &mut self.next[i];
        let Some(next) = *slot else {
            *slot = Some(offset + 1);
            return Admit::Count;
        };
        if offset < next {
            return Admit::Replay;
        }
        if offset == next {
            *slot = Some(offset + 1);
            if !self.reread.is_empty() {
                self.reread.remove(&partition);
            }
            return Admit::Count;
        }
        if self.reread.get(&partition) == Some(&next) {
            *slot = Some(offset + 1);
            self.reread.remove(&partition);
            return Admit::CountAfterHole {
                from: next,
                to: offset - 1,
            };
        }
        self.reread.insert(partition, next);
        Admit::Reread { from: next }
    }

    /// The next offset expected on `partition`, once one record of it was counted.
    pub fn next(&self, partition: i32) -> Option<i64> {
        let i = usize::try_from(partition).ok()?;
        self.next.get(i).copied().flatten()
    }

    /// Forgets `partition`: its log was recreated or truncated, and its offsets now name other
    /// records.
    pub fn forget(&mut self, partition: i32) {
        if let Some(slot) = usize::try_from(partition)
            .ok()
            .and_then(|i| self.next.get_mut(i))
        {
            *slot = None;
        }
        self.reread.remove(&partition);
    }

    /// Compares the partitions' logs (partition, oldest retained offset, next offset to be
    /// written) with what was counted, and forgets the partitions that moved. The log's end is
    /// not used: Tansu 0.6.0 answers ListOffsets(latest) with a stale or last offset, which
    /// would look like a truncated log; a recreated topic is found by its absence instead.
    pub fn reconcile(&mut self, logs: &[(i32, i64, i64)]) -> Vec<Moved> {
        let mut moved = Vec::new();
        for &(partition, low, _high) in logs {
            let Some(next) = self.next(partition) else {
                continue;
            };
            if low > next {
                moved.push(Moved::Expired {
                    partition,
                    from: next,
                    to: low - 1,
                });
                self.forget(partition);
            }
        }
        moved
    }

    /// Partitions with a counted record.
    pub fn partitions(&self) -> Vec<i32> {
        (0..self.next.len())
            .filter(|i| self.next[*i].is_some())
            .map(|i| i as i32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_offset_once_and_rereads_a_hole_once() {
        let mut l = OffsetLedger::default();
        assert_eq!(l.admit(0, 10), Admit::Count);
        assert_eq!(l.admit(0, 11), Admit::Count);
        // The same batch again in one fetch answer, or a rewind: not counted.
        assert_eq!(l.admit(0, 10), Admit::Replay);
        assert_eq!(l.admit(0, 11), Admit::Replay);
        // Other partitions are independent.
        assert_eq!(l.admit(1, 0), Admit::Count);
        // A jump: read again from 12.
        assert_eq!(l.admit(0, 15), Admit::Reread { from: 12 });
        assert_eq!(l.next(0), Some(12));
        // Reading again delivered the hole: every record counted once.
        assert_eq!(l.admit(0, 12), Admit::Count);
        assert_eq!(l.admit(0, 13), Admit::Count);
        assert_eq!(l.admit(0, 14), Admit::Count);
        assert_eq!(l.admit(0, 15), Admit::Count);
        // A real hole (compacted, expired): read again once, then counted and reported.
        assert_eq!(l.admit(0, 20), Admit::Reread { from: 16 });
        assert_eq!(l.admit(0, 20), Admit::CountAfterHole { from: 16, to: 19 });
        assert_eq!(l.admit(0, 21), Admit::Count);
        // A recreated partition starts again.
        l.forget(0);
        assert_eq!(l.admit(0, 0), Admit::Count);
        assert_eq!(l.partitions(), [0, 1]);
    }

    #[test]
    fn a_log_that_moved_under_the_audit_is_named() {
        let mut l = OffsetLedger::default();
        for o in 0..10 {
            l.admit(0, o);
            l.admit(1, 100 + o);
        }
        // 0: as counted, its end answered as the last offset (Tansu), the next, or stale;
        // 1: 110..114 expired; 3: never counted.
        for end in [3, 9, 10] {
            assert!(l.reconcile(&[(0, 0, end)]).is_empty());
        }
        let moved = l.reconcile(&[(0, 0, 10), (1, 115, 120), (3, 0, 9)]);
        assert_eq!(
            moved,
            [Moved::Expired {
                partition: 1,
                from: 110,
                to: 114
            }]
        );
        assert_eq!(l.partitions(), [0]);
        // Read on from the new start: counted afresh.
        assert_eq!(l.admit(1, 115), Admit::Count);
        assert!(l.reconcile(&[(0, 0, 10), (1, 115, 120)]).is_empty());
    }
}
