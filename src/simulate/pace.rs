//! When producers read: all together at a fixed rate (`--rate`), or each on its own clock, once
//! per interval drawn from the contract's reading model, as a real fleet does.

use super::fleet::Rng;
use tokio::time::{Duration, Instant};

/// How often producers read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// Every producer reads this many times a second, all on one tick.
    Rate(f64),
    /// Each producer reads once per interval drawn afresh between the two, the first reading
    /// at the start.
    Interval(Duration, Duration),
}

/// The clock that says who reads next.
#[derive(Debug)]
pub struct Clock {
    pace: Pace,
    ticker: Option<tokio::time::Interval>,
    ticks: u64,
    /// Per producer: when it reads next and how many readings it made.
    next: Vec<(Instant, u64)>,
    rng: Rng,
}

impl Clock {
    /// A clock for `producers` producers, starting now; `seed` draws the intervals (apart from
    /// the payload stream, so that pacing does not change what is sent).
    pub fn new(pace: Pace, producers: usize, seed: u64) -> Clock {
        let now = Instant::now();
        let ticker = match pace {
            Pace::Rate(rate) => {
                let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                Some(t)
            }
            Pace::Interval(..) => None,
        };
        Clock {
            pace,
            ticker,
            ticks: 0,
            next: vec![(now, 0); producers],
            rng: Rng::new(seed ^ 0x7A11_C10C),
        }
    }

    /// Waits for the next readings and returns which producers make them; `None` once every
    /// producer made `count` readings, or when the next reading would come after `deadline`.
    pub async fn next(
        &mut self,
        count: Option<u64>,
        deadline: Option<Instant>,
    ) -> Option<Vec<usize>> {
        match self.pace {
            Pace::Rate(_) => {
                if count.is_some_and(|c| self.ticks >= c) {
                    return None;
                }
                self.ticker.as_mut()?.tick().await;
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return None;
                }
                self.ticks += 1;
                Some((0..self.next.len()).collect())
            }
            Pace::Interval(..) => {
                let (at, g) = self.take_next(count, deadline)?;
                tokio::time::sleep_until(at).await;
                Some(vec![g])
            }
        }
    }

    /// The interval pace's next reading: when, and by whom; it counts as made.
    fn take_next(
        &mut self,
        count: Option<u64>,
        deadline: Option<Instant>,
    ) -> Option<(Instant, usize)> {
        let Pace::Interval(lo, hi) = self.pace else {
            return None;
        };
        let (g, (at, _)) = self
            .next
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, (_, made))| count.is_none_or(|c| *made < c))
            .min_by_key(|(_, (at, _))| *at)?;
        if deadline.is_some_and(|d| at > d) {
            return None;
        }
        let wait = self.rng.range(lo.as_secs_f64(), hi.as_secs_f64());
        let slot = &mut self.next[g];
        slot.0 = at + Duration::from_secs_f64(wait);
        slot.1 += 1;
        Some((at, g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_producer_reads_once_per_interval_on_its_own_clock() {
        let (lo, hi) = (Duration::from_secs(60), Duration::from_secs(120));
        let mut clock = Clock::new(Pace::Interval(lo, hi), 3, 1);
        let start = clock.next[0].0;
        let mut times: Vec<Vec<Instant>> = vec![Vec::new(); 3];
        while let Some((at, g)) = clock.take_next(Some(4), None) {
            times[g].push(at);
        }
        for t in &times {
            assert_eq!(t.len(), 4);
            assert_eq!(t[0], start, "the first reading comes at the start");
            for w in t.windows(2) {
                let gap = w[1] - w[0];
                assert!(gap >= lo && gap <= hi, "{gap:?}");
            }
        }
        assert_ne!(times[0][1], times[1][1], "producers keep their own clocks");
        let mut clock = Clock::new(Pace::Interval(lo, lo), 1, 0);
        let deadline = Some(clock.next[0].0 + Duration::from_secs(90));
        assert!(clock.take_next(None, deadline).is_some());
        assert!(clock.take_next(None, deadline).is_some());
        assert_eq!(
            clock.take_next(None, deadline),
            None,
            "the third reading is past the deadline"
        );
    }

    #[tokio::test]
    async fn a_rate_ticks_everyone_until_the_count() {
        let mut clock = Clock::new(Pace::Rate(1000.0), 2, 0);
        assert_eq!(clock.next(Some(2), None).await, Some(vec![0, 1]));
        assert_eq!(clock.next(Some(2), None).await, Some(vec![0, 1]));
        assert_eq!(clock.next(Some(2), None).await, None);
    }
}
