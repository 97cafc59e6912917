//! [`Registry`]: every counter block of one pool, the blocks' reuse across threads, the sampled
//! peak of `outstanding`, and the snapshot that sums them into [`Stats`](super::Stats).

use super::{Counters, Stats, TierStats, RECENT_LENGTHS};
use crate::ring::Ring;
use crate::sync::{lock, AtomicU64, Mutex, Ordering};

/// Whether a pool's threads record the length of every get in their counter blocks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lengths {
    /// Byte pools: for `Stats::recent_lengths` and the tier advisor.
    Recorded,
    /// Typed pools, whose objects have no length.
    Unrecorded,
}

/// Every counter block of one pool, and its sampled `outstanding` peak.
#[derive(Debug)]
pub(crate) struct Registry {
    /// Written with `fetch_add`: instance pools, threads without a cache, exited threads.
    pub(crate) shared: Counters,
    /// The blocks of the threads that use the pool through their caches.
    blocks: Mutex<Blocks>,
    /// Net buffers handed out, as flushed by threads at slow-path events (wrapping `i64`).
    flushed: AtomicU64,
    high_water: AtomicU64,
    /// Whether the threads' blocks record the length of every get they count (byte pools;
    /// typed pools record no lengths).
    lengths: Lengths,
}

/// Per-thread counter blocks. They are `&'static` so that a thread's cache can hold its block
/// in a plain `Cell` and reach a counter in one load; a retired block is kept, zeroed, for the
/// next thread, so the blocks ever allocated are as many as the most threads alive at once.
#[derive(Debug)]
struct Blocks {
    /// One block per live thread; a snapshot sums them.
    live: Vec<&'static Counters>,
    /// Retired blocks, zeroed.
    spare: Vec<&'static Counters>,
}

impl Registry {
    pub(crate) fn new(tiers: usize, lengths: Lengths) -> Self {
        Registry {
            lengths,
            shared: Counters::new(tiers),
            blocks: Mutex::new(Blocks {
                live: Vec::new(),
                spare: Vec::new(),
            }),
            flushed: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
        }
    }

    /// Registers a new thread's block: a spare one, or a new one that is never freed (only a
    /// process-wide pool, which lives as long as the process, has thread caches).
    pub(crate) fn register(&'static self, tiers: usize) -> &'static Counters {
        let spare = lock(&self.blocks).spare.pop();
        // Allocated outside the lock.
        let block = spare.unwrap_or_else(|| Box::leak(Box::new(Counters::new(tiers))));
        lock(&self.blocks).live.push(block);
        block
    }

    /// Folds an exiting thread's block into the shared one and keeps it, zeroed, for the next
    /// thread. The thread must not write the block any more.
    pub(crate) fn retire(&self, block: &'static Counters) {
        let mut blocks = lock(&self.blocks);
        for len in self.lengths(block, block.gets()) {
            self.shared.recent.record(len);
        }
        self.shared.absorb(block);
        block.clear();
        blocks.live.retain(|b| !std::ptr::eq(*b, block));
        blocks.spare.push(block);
    }

    /// The lengths in `block`'s ring, oldest first: the shared block's, or a registered one's
    /// that has counted `gets`.
    fn lengths(&self, block: &Counters, gets: usize) -> Vec<usize> {
        if std::ptr::eq(block, &self.shared) {
            block
                .recent
                .lengths(block.recent.pushes.load(Ordering::Acquire))
        } else if self.lengths == Lengths::Recorded {
            block.recent.lengths(gets)
        } else {
            Vec::new()
        }
    }

    /// Adds `delta` (net buffers handed out since the caller's last flush) to the shared
    /// estimate of `outstanding` and raises `high_water` to it.
    pub(crate) fn flush_outstanding(&self, delta: i64) {
        let now = self
            .flushed
            .fetch_add(delta as u64, Ordering::Relaxed)
            .wrapping_add(delta as u64) as i64;
        // A load first: in steady state the peak does not move, and the line stays shared
        // instead of bouncing between the threads that flush.
        if now > 0 && now as u64 > self.high_water.load(Ordering::Relaxed) {
            self.high_water.fetch_max(now as u64, Ordering::Relaxed);
        }
    }

    /// Builds a snapshot, counting `slots` (an instance pool's per-thread blocks) too.
    pub(crate) fn snapshot(
        &self,
        sizes: &[usize],
        ring: Option<&(dyn Ring<usize> + Send + Sync)>,
        slots: &[&Counters],
    ) -> Stats {
        let mut stats = Stats {
            tiers: sizes
                .iter()
                .map(|&size| TierStats {
                    size,
                    ..TierStats::default()
                })
                .collect(),
            ..Stats::default()
        };
        let mut idle = vec![0i64; sizes.len()];
        let mut untiered_puts = 0;
        let mut recent = Vec::new();
        {
            let registered = lock(&self.blocks);
            let blocks = || {
                std::iter::once(&self.shared)
                    .chain(registered.live.iter().copied())
                    .chain(slots.iter().copied())
            };
            for block in blocks() {
                block.add_releases_to(&mut stats, &mut idle, &mut untiered_puts);
            }
            for block in blocks() {
                let gets = block.add_gets_to(&mut stats, &mut idle);
                recent.extend(self.lengths(block, gets));
            }
        }
        for (t, idle) in stats.tiers.iter_mut().zip(idle) {
            // Negative only transiently, while other threads are mid-operation.
            t.idle = usize::try_from(idle).unwrap_or(0);
        }
        stats.total_gets = stats.tiers.iter().map(|t| t.gets).sum::<u64>() + stats.oversize;
        stats.total_puts = stats.tiers.iter().map(|t| t.puts).sum::<u64>() + untiered_puts;
        let returned = stats.total_puts.saturating_sub(stats.foreign_puts);
        stats.outstanding = stats
            .total_gets
            .saturating_sub(stats.detached)
            .saturating_sub(returned);
        let peak = self
            .high_water
            .fetch_max(stats.outstanding, Ordering::Relaxed);
        stats.high_water = peak.max(stats.outstanding);
        stats.idle_bytes = stats.tiers.iter().map(|t| t.idle * t.size).sum();
        stats.recent_lengths = match ring {
            Some(ring) => ring.to_vec(),
            None => recent.split_off(recent.len().saturating_sub(RECENT_LENGTHS)),
        };
        stats
    }
}
