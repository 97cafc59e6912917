//! The counters a pool writes on its paths ([`Counters`], one block per thread that writes
//! them, [`TierCounters`] per tier) and what they count ([`Event`]).

use std::cell::Cell;

use super::{LenWord, Stats, RECENT_SLOTS};
use crate::sync::{
    const_unless_loom, fence, spin, static_init, zeroed_atomics, AtomicU64, AtomicUsize, Ordering,
};

/// Who writes a counter block: one thread, with a plain load and store, or any, with
/// `fetch_add`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Writers {
    /// The block is a thread's own (its cache's, or its slot's in an instance pool).
    One,
    /// The pool's shared block.
    Many,
}

/// The counters of one tier, in a [`Counters`] block. Aligned so that no two threads' blocks
/// share a cache line (each thread writes its own block on every operation).
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct TierCounters {
    // `gets` is derived (hits + misses): one counter per get on the hot path.
    puts: AtomicU64,
    hits: AtomicU64,
    /// The length of this tier's magazine in the owning thread's cache, with the hits (counted
    /// pops) and puts (counted pushes) made there since they were last folded into `hits` and
    /// `puts`: the hot path's one store counts them.
    pub(crate) magazine: LenWord,
    /// Odd while the owner folds `magazine`'s counts into `hits` and `puts` (a sequence lock:
    /// readers retry, so that no snapshot counts them twice or not at all).
    seq: AtomicU64,
    misses: AtomicU64,
    /// Idle blocks freed (discarded, trimmed, ...): with `prewarmed`, what makes `idle`
    /// derivable (`prewarmed + puts - hits - freed`) without a gauge on the hot path.
    freed: AtomicU64,
    prewarmed: AtomicU64,
}

/// A block of counters: one per thread that uses a global pool through its cache (written by
/// that thread alone), and one shared per pool. Aligned, like [`TierCounters`], so that another
/// thread's data never shares a cache line with it.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Counters {
    tiers: Box<[TierCounters]>,
    oversize: AtomicU64,
    untiered_puts: AtomicU64,
    discarded: AtomicU64,
    detached: AtomicU64,
    foreign_puts: AtomicU64,
    pub(crate) recent: Recent,
}

/// A counter block's ring of recent request lengths.
#[derive(Debug)]
pub(crate) struct Recent {
    slots: [AtomicUsize; RECENT_SLOTS],
    /// How many lengths were ever recorded, in the shared block. A thread's block records the
    /// length of every get it counts and no other ([`Recent::record_own`]), so its position is
    /// its count of gets ([`Counters::gets`]) and it publishes nothing here.
    pub(super) pushes: AtomicUsize,
}

/// What a thread cache's hot path counts into while the cache is not attached to a counter
/// block. Nothing is ever counted here (an unattached magazine is empty and full at once, so
/// its pops and pushes fail before counting), but a pointer that is always valid spares every
/// round trip a test and a bounds check.
#[derive(Debug)]
pub(crate) struct Standin {
    pub(crate) tier: TierCounters,
    pub(crate) recent: Recent,
}

static_init! {
    pub(crate) static STANDIN: Standin = Standin {
        tier: TierCounters::new(),
        recent: Recent::new(),
    };
}

/// Which counter an event increments.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Hit(usize),
    Miss(usize),
    Put(usize),
    Freed(usize),
    Prewarmed(usize),
    Oversize,
    UntieredPut,
    Discard,
    Detach,
    ForeignPut,
}

impl TierCounters {
    const_unless_loom! {
        fn new() -> Self {
            TierCounters {
                puts: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                magazine: LenWord::new(),
                seq: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                freed: AtomicU64::new(0),
                prewarmed: AtomicU64::new(0),
            }
        }
    }

    /// Moves the magazine's counts into `hits` and `puts` before they overflow, by the one
    /// thread that writes this block.
    #[cold]
    pub(crate) fn fold(&self) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        let (pops, pushes) = self.magazine.take_counts();
        bump(&self.hits, pops, Writers::One);
        bump(&self.puts, pushes, Writers::One);
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// Hits and puts, the magazine's counts included, read consistently with a fold on the
    /// owner's thread.
    fn hits_and_puts(&self) -> (u64, u64) {
        loop {
            let seq = self.seq.load(Ordering::Acquire);
            if seq % 2 == 0 {
                let (hits, puts) = (
                    self.hits.load(Ordering::Acquire),
                    self.puts.load(Ordering::Acquire),
                );
                let (pops, pushes) = self.magazine.counts();
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == seq {
                    return (hits + pops, puts + pushes);
                }
            }
            spin();
        }
    }
}

impl Recent {
    const_unless_loom! {
        fn new() -> Self {
            Recent {
                slots: zeroed_atomics![AtomicUsize; RECENT_SLOTS],
                pushes: AtomicUsize::new(0),
            }
        }
    }

    /// Records a requested length, from any thread.
    pub(crate) fn record(&self, len: usize) {
        let at = self.pushes.fetch_add(1, Ordering::Relaxed);
        self.slots[at % RECENT_SLOTS].store(len, Ordering::Relaxed);
    }

    /// Records the length of a get that its block counts, by the one thread that writes the
    /// block. `next` is that thread's copy of the position (the block's count of gets): the
    /// slot's address comes from it without a load from the block, and the position is not
    /// stored: storing it slowed the hot path, depending on where the caller's stack lies.
    #[inline]
    pub(crate) fn record_own(&self, next: &Cell<usize>, len: usize) {
        let at = next.get();
        next.set(at + 1);
        self.slots[at % RECENT_SLOTS].store(len, Ordering::Relaxed);
    }

    /// The lengths recorded up to position `pushes`, oldest first.
    pub(super) fn lengths(&self, pushes: usize) -> Vec<usize> {
        (pushes.saturating_sub(RECENT_SLOTS)..pushes)
            .map(|i| self.slots[i % RECENT_SLOTS].load(Ordering::Relaxed))
            .collect()
    }
}

impl Counters {
    /// The gets counted here, from tiers or above the largest tier: in a thread's block, the
    /// position of its ring.
    pub(crate) fn gets(&self) -> usize {
        let load = |c: &AtomicU64| c.load(Ordering::Acquire);
        let tiers: u64 = self
            .tiers
            .iter()
            .map(|t| t.hits_and_puts().0 + load(&t.misses))
            .sum();
        // Never more than `usize::MAX` gets fit in memory; wrapping keeps the ring's slots.
        (tiers + load(&self.oversize)) as usize
    }

    /// The per-tier counters.
    pub(crate) fn tiers(&self) -> &[TierCounters] {
        &self.tiers
    }

    pub(crate) fn new(tiers: usize) -> Self {
        Counters {
            tiers: (0..tiers).map(|_| TierCounters::new()).collect(),
            oversize: AtomicU64::new(0),
            untiered_puts: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            detached: AtomicU64::new(0),
            foreign_puts: AtomicU64::new(0),
            recent: Recent::new(),
        }
    }

    /// Counts `event`. [`Writers::One`] means only the calling thread ever writes this block, so a
    /// plain load and store replace the read-modify-write.
    #[inline]
    pub(crate) fn count(&self, event: Event, writers: Writers) {
        self.count_n(event, 1, writers);
    }

    /// Counts `n` occurrences of `event`.
    #[inline]
    pub(crate) fn count_n(&self, event: Event, n: u64, writers: Writers) {
        let counter = match event {
            Event::Hit(t) => &self.tiers[t].hits,
            Event::Miss(t) => &self.tiers[t].misses,
            Event::Put(t) => &self.tiers[t].puts,
            Event::Freed(t) => &self.tiers[t].freed,
            Event::Prewarmed(t) => &self.tiers[t].prewarmed,
            Event::Oversize => {
                bump(&self.discarded, n, writers);
                &self.oversize
            }
            Event::UntieredPut => &self.untiered_puts,
            Event::Discard => &self.discarded,
            Event::Detach => &self.detached,
            Event::ForeignPut => &self.foreign_puts,
        };
        bump(counter, n, writers);
    }

    /// Buffers handed out minus buffers taken back, by this block's counts alone (one thread's
    /// contribution to `outstanding`; negative for a thread that mostly releases).
    pub(crate) fn net(&self) -> i64 {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed) as i64;
        let tiers: i64 = self
            .tiers
            .iter()
            .map(|t| {
                let (hits, puts) = t.hits_and_puts();
                hits as i64 + load(&t.misses) - puts as i64
            })
            .sum();
        tiers + load(&self.oversize) - load(&self.untiered_puts) + load(&self.foreign_puts)
            - load(&self.detached)
    }

    /// Sets every counter to zero and forgets the recorded lengths, for a block that nobody
    /// writes or reads (a retired thread's, before the next thread takes it).
    pub(super) fn clear(&self) {
        for tier in &self.tiers {
            tier.magazine.take_counts();
            for counter in [
                &tier.puts,
                &tier.hits,
                &tier.misses,
                &tier.freed,
                &tier.prewarmed,
            ] {
                counter.store(0, Ordering::Relaxed);
            }
        }
        for counter in [
            &self.oversize,
            &self.untiered_puts,
            &self.discarded,
            &self.detached,
            &self.foreign_puts,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        self.recent.pushes.store(0, Ordering::Relaxed);
    }

    /// Adds every counter of `other` (and its recent lengths) into `self` with `fetch_add`.
    pub(super) fn absorb(&self, other: &Counters) {
        for (mine, theirs) in self.tiers.iter().zip(other.tiers.iter()) {
            let (hits, puts) = theirs.hits_and_puts();
            mine.hits.fetch_add(hits, Ordering::Relaxed);
            mine.puts.fetch_add(puts, Ordering::Relaxed);
            for (m, o) in [
                (&mine.misses, &theirs.misses),
                (&mine.freed, &theirs.freed),
                (&mine.prewarmed, &theirs.prewarmed),
            ] {
                m.fetch_add(o.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        for (m, o) in [
            (&self.oversize, &other.oversize),
            (&self.untiered_puts, &other.untiered_puts),
            (&self.discarded, &other.discarded),
            (&self.detached, &other.detached),
            (&self.foreign_puts, &other.foreign_puts),
        ] {
            m.fetch_add(o.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// Adds this block's release-side counters (puts, freed, detached, ...) into a snapshot
    /// under construction; `idle[i]` accumulates tier `i`'s `prewarmed + puts - freed`.
    ///
    /// A snapshot reads every block's release side before any block's get side
    /// ([`add_gets_to`](Self::add_gets_to)), and counters are stored with `Release` and loaded
    /// with `Acquire`: every return it counts then has its get counted too (the get happened
    /// before the return), so `outstanding` is never under-counted, even mid-churn.
    pub(super) fn add_releases_to(
        &self,
        stats: &mut Stats,
        idle: &mut [i64],
        untiered_puts: &mut u64,
    ) {
        let load = |c: &AtomicU64| c.load(Ordering::Acquire);
        for ((t, c), idle) in stats.tiers.iter_mut().zip(self.tiers.iter()).zip(idle) {
            let (_, puts) = c.hits_and_puts();
            t.puts += puts;
            *idle += (load(&c.prewarmed) + puts) as i64 - load(&c.freed) as i64;
        }
        *untiered_puts += load(&self.untiered_puts);
        stats.discarded += load(&self.discarded);
        stats.detached += load(&self.detached);
        stats.foreign_puts += load(&self.foreign_puts);
    }

    /// Adds this block's get-side counters into a snapshot; `idle[i]` loses tier `i`'s hits.
    /// Returns this block's gets, the position of its ring (see [`gets`](Self::gets)), so
    /// that the lengths a snapshot lists match the counts it reports.
    pub(super) fn add_gets_to(&self, stats: &mut Stats, idle: &mut [i64]) -> usize {
        let load = |c: &AtomicU64| c.load(Ordering::Acquire);
        let mut gets = 0;
        for ((t, c), idle) in stats.tiers.iter_mut().zip(self.tiers.iter()).zip(idle) {
            let ((hits, _), misses) = (c.hits_and_puts(), load(&c.misses));
            t.gets += hits + misses;
            t.hits += hits;
            t.misses += misses;
            *idle -= hits as i64;
            gets += hits + misses;
        }
        // Oversize gets also count as discarded: read after the release side, like the gets.
        let oversize = load(&self.oversize);
        stats.oversize += oversize;
        // Wrapping, as in `gets`.
        (gets + oversize) as usize
    }
}

#[inline]
fn bump(counter: &AtomicU64, n: u64, writers: Writers) {
    // `Release` (a plain store on x86) lets a snapshot's `Acquire` load of a later counter
    // see this one: see `Counters::add_releases_to`.
    if writers == Writers::One {
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Release);
    } else {
        counter.fetch_add(n, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::raw::Stack;
    use crate::stats::Counted;

    /// A fold moves the counts out of the magazine's word into `hits` and `puts` before they
    /// overflow; no total changes, and the stack keeps its length.
    #[test]
    fn a_fold_moves_the_magazine_counts_and_changes_no_total() {
        const NEAR: u64 = LenWord::NEAR_FULL;
        static COUNTERS: TierCounters = TierCounters {
            magazine: LenWord::with_counts(NEAR),
            ..TierCounters::new()
        };
        let (near, counters) = (NEAR, &COUNTERS);
        let stack = Stack::<Box<[u8]>, 4, Counted>::new();
        stack.open(&counters.magazine, 4, 128);
        assert_eq!(counters.hits_and_puts(), (near, near));
        stack.push_counted(vec![0; 128].into_boxed_slice()).unwrap();
        stack.push_counted(vec![0; 128].into_boxed_slice()).unwrap();
        let (_, full) = stack.pop_counted().unwrap();
        assert!(full, "the pops reached the sign bit");
        counters.fold();
        assert_eq!(counters.hits_and_puts(), (near + 1, near + 2));
        assert_eq!(counters.magazine.counts(), (0, 0));
        let folded = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let folded = (folded(&counters.hits), folded(&counters.puts));
        assert_eq!(folded, (near + 1, near + 2));
        assert!(stack.pop_counted().is_some(), "the fold left the length");
        assert_eq!(counters.hits_and_puts(), (near + 2, near + 2));
        assert_eq!(
            counters.seq.load(Ordering::Relaxed),
            2,
            "one fold, even: no reader waits"
        );
    }
}
