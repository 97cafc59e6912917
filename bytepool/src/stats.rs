//! Statistics: cheap counters on the hot path, merged into a [`Stats`] snapshot on demand.
//!
//! A pool's global (per-`Tiers`) instance gives every thread its own [`Counters`], written only
//! by that thread with plain `load` + `store` (no read-modify-write, no shared cache line), and
//! registered with the pool so a snapshot can sum them. The hits and puts of a thread's
//! magazines are not even separate stores: each magazine keeps its length in its tier's
//! counters ([`TierCounters::magazine`], a [`LenWord`]), packed with the counts of its pops and
//! pushes, and the thread folds those into `hits` and `puts` long before they overflow. A
//! thread's counters are folded into the pool's shared block when the thread exits, and the
//! block waits, zeroed, for the next thread to register. Instance pools and threads whose cache
//! is gone write the shared block with `fetch_add`.

use std::cell::Cell;
use std::fmt;

use crate::raw::LenWord;
use crate::ring::Ring;
use crate::sync::{const_unless_loom, fence, lock, spin, AtomicU64, AtomicUsize, Mutex, Ordering};

/// How many recent request lengths a snapshot reports.
pub const RECENT_LENGTHS: usize = 256;

// Loom tracks every atomic; a short ring keeps models small.
const RECENT_SLOTS: usize = if cfg!(loom) { 4 } else { RECENT_LENGTHS };

/// Reads a pool's statistics; implemented by every pool in this crate.
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, PoolStats};
///
/// let pool = bytepool::BytePool::<Stream>::new();
/// drop(pool.get(3000));
/// let stats = pool.stats();
/// assert_eq!(stats.total_gets, 1);
/// assert_eq!(stats.tiers[1].misses, 1);
/// assert_eq!(stats.outstanding, 0);
/// println!("{stats}");
/// ```
pub trait PoolStats {
    /// A snapshot of the pool's counters.
    ///
    /// Counters from other threads are read without stopping them. At quiescence the snapshot
    /// is exact. While other threads work, each counter is a value it really had, and returns
    /// are read before gets, so the buffers returned (`total_puts - foreign_puts`) never
    /// exceed `total_gets` and `outstanding` can only over-count (by the gets made while the
    /// snapshot ran), never go negative. (`total_puts` alone can exceed `total_gets`: `put`
    /// adopts vectors the pool never handed out.)
    fn stats(&self) -> Stats;
}

/// The counters of one tier, in a [`Stats`] snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TierStats {
    /// The tier's size in bytes (for typed pools, `size_of::<T>()`).
    pub size: usize,
    /// Buffers handed out from this tier: `hits + misses`.
    pub gets: u64,
    /// Buffers given back to this tier (by a handle's drop or by `put`), kept or not.
    pub puts: u64,
    /// Gets served from idle buffers.
    pub hits: u64,
    /// Gets that allocated a new buffer.
    pub misses: u64,
    /// Idle buffers held now: in the shared tier plus every thread's cache.
    pub idle: usize,
}

/// A snapshot of a pool's counters, from [`PoolStats::stats`].
///
/// Relations, exact at quiescence:
/// - `tiers[i].gets == tiers[i].hits + tiers[i].misses`;
/// - `total_gets == Σ tiers[i].gets + oversize`; `total_puts == Σ tiers[i].puts +` the
///   returns that fit no tier (oversize buffers released, `put`s of a capacity that is no
///   tier's);
/// - `outstanding == total_gets − detached − (total_puts − foreign_puts)`: a `put` of a
///   vector the pool never handed out counts in `total_puts` and `foreign_puts` and so never
///   makes `outstanding` negative;
/// - `idle_bytes == Σ tiers[i].idle × tiers[i].size`.
///
/// `high_water` is the largest `outstanding` seen. It is exact for instance pools. For a
/// global pool, whose threads count privately, it is sampled whenever a thread's cache
/// exchanges buffers with the shared tiers, the pool allocates, or a snapshot is taken, from
/// what each thread last published: a spike served entirely from thread caches can be
/// under-reported, and with several threads a sample can count buffers that another thread
/// has already put back in its cache, in either case by at most what the caches hold.
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, BytePool, PoolStats};
///
/// let pool = BytePool::<Stream>::new();
/// let a = pool.get(100);
/// let b = pool.get(100);
/// drop(a);
/// let s = pool.stats();
/// assert_eq!((s.total_gets, s.total_puts, s.outstanding, s.high_water), (2, 1, 1, 2));
/// assert_eq!(s.recent_lengths, [100, 100]);
/// # drop(b);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Per-tier counters, smallest tier first.
    pub tiers: Vec<TierStats>,
    /// Buffers handed out, from tiers or above the largest tier.
    pub total_gets: u64,
    /// Buffers given back: handle drops and `put` calls.
    pub total_puts: u64,
    /// Buffers the pool did not keep: requests above the largest tier (counted when served),
    /// returns to a full tier, and `put`s of a capacity that is no tier's.
    pub discarded: u64,
    /// Buffers handed out and not yet back (neither returned nor detached).
    pub outstanding: u64,
    /// The peak of `outstanding` (see the type's docs for how exact it is).
    pub high_water: u64,
    /// Bytes held in idle buffers.
    pub idle_bytes: usize,
    /// The last (up to) 256 requested lengths, oldest first: of the gets served (a request
    /// that fails with an error is not counted, and not recorded). With several threads, each
    /// thread's requests are in order but threads are concatenated, not interleaved in time,
    /// unless the pool was built with a shared ring
    /// ([`Builder::recent_lengths`](crate::Builder::recent_lengths)).
    pub recent_lengths: Vec<usize>,
    /// Requests above the largest tier (also counted in `discarded`).
    pub oversize: u64,
    /// Buffers detached from the pool (`into_vec`, `into_inner`): handed out, never returned.
    pub detached: u64,
    /// `put` calls (part of `total_puts`).
    pub foreign_puts: u64,
}

impl Stats {
    /// Sum of the per-tier `misses` plus `oversize`: how often the pool called the allocator.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let pool = BytePool::<Stream>::new();
    /// drop(pool.get(10));
    /// drop(pool.get(10));
    /// assert_eq!(pool.stats().allocations(), 1);
    /// ```
    #[must_use]
    pub fn allocations(&self) -> u64 {
        self.tiers.iter().map(|t| t.misses).sum::<u64>() + self.oversize
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>10} {:>12} {:>12} {:>12} {:>12} {:>8}",
            "tier", "gets", "puts", "hits", "misses", "idle"
        )?;
        for t in &self.tiers {
            writeln!(
                f,
                "{:>10} {:>12} {:>12} {:>12} {:>12} {:>8}",
                Bytes(t.size),
                t.gets,
                t.puts,
                t.hits,
                t.misses,
                t.idle
            )?;
        }
        writeln!(
            f,
            "gets {} · puts {} · outstanding {} (peak {}) · discarded {} (oversize {}) · \
             detached {} · idle {}",
            self.total_gets,
            self.total_puts,
            self.outstanding,
            self.high_water,
            self.discarded,
            self.oversize,
            self.detached,
            Bytes(self.idle_bytes)
        )?;
        let recent = &self.recent_lengths;
        if !recent.is_empty() {
            let shown = &recent[recent.len().saturating_sub(8)..];
            write!(f, "recent lengths ({} kept):", recent.len())?;
            for len in shown {
                write!(f, " {len}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A byte count printed with a binary unit when it is a whole number of them.
struct Bytes(usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        let text = UNITS
            .iter()
            .find(|(unit, _)| self.0 >= *unit && self.0 % unit == 0)
            .map_or_else(
                || format!("{} B", self.0),
                |(unit, name)| format!("{} {name}", self.0 / unit),
            );
        f.pad(&text)
    }
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
    pushes: AtomicUsize,
}

/// What a thread cache's hot path counts into while the cache is not attached to a counter
/// block. Nothing is ever counted here (an unattached magazine is empty and full at once, so
/// its pops and pushes fail before counting), but a pointer that is always valid spares every
/// round trip a test and a bounds check: about 0.6 ns of a 128 B round trip, measured.
#[derive(Debug)]
pub(crate) struct Standin {
    pub(crate) tier: TierCounters,
    pub(crate) recent: Recent,
}

#[cfg(not(loom))]
pub(crate) static STANDIN: Standin = Standin {
    tier: TierCounters::new(),
    recent: Recent::new(),
};

#[cfg(loom)]
loom::lazy_static! {
    pub(crate) static ref STANDIN: Standin = Standin {
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
        bump(&self.hits, pops, true);
        bump(&self.puts, pushes, true);
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
    #[cfg(not(loom))]
    const fn new() -> Self {
        Recent {
            slots: [const { AtomicUsize::new(0) }; RECENT_SLOTS],
            pushes: AtomicUsize::new(0),
        }
    }

    /// Loom's atomics cannot be made in a `const` block.
    #[cfg(loom)]
    fn new() -> Self {
        Recent {
            slots: std::array::from_fn(|_| AtomicUsize::new(0)),
            pushes: AtomicUsize::new(0),
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
    /// stored. Storing it measured 0.3 ns of a 128 B round trip in half of all processes,
    /// depending on where the caller's stack lies (bit 4 of its address).
    #[inline]
    pub(crate) fn record_own(&self, next: &Cell<usize>, len: usize) {
        let at = next.get();
        next.set(at + 1);
        self.slots[at % RECENT_SLOTS].store(len, Ordering::Relaxed);
    }

    /// The lengths recorded up to position `pushes`, oldest first.
    fn lengths(&self, pushes: usize) -> Vec<usize> {
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

    /// Counts `event`. `exclusive` means only the calling thread ever writes this block, so a
    /// plain load and store replace the read-modify-write.
    #[inline]
    pub(crate) fn count(&self, event: Event, exclusive: bool) {
        self.count_n(event, 1, exclusive);
    }

    /// Counts `n` occurrences of `event`.
    #[inline]
    pub(crate) fn count_n(&self, event: Event, n: u64, exclusive: bool) {
        let counter = match event {
            Event::Hit(t) => &self.tiers[t].hits,
            Event::Miss(t) => &self.tiers[t].misses,
            Event::Put(t) => &self.tiers[t].puts,
            Event::Freed(t) => &self.tiers[t].freed,
            Event::Prewarmed(t) => &self.tiers[t].prewarmed,
            Event::Oversize => {
                bump(&self.discarded, n, exclusive);
                &self.oversize
            }
            Event::UntieredPut => &self.untiered_puts,
            Event::Discard => &self.discarded,
            Event::Detach => &self.detached,
            Event::ForeignPut => &self.foreign_puts,
        };
        bump(counter, n, exclusive);
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
    fn clear(&self) {
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
    fn absorb(&self, other: &Counters) {
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
    fn add_releases_to(&self, stats: &mut Stats, idle: &mut [i64], untiered_puts: &mut u64) {
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
    fn add_gets_to(&self, stats: &mut Stats, idle: &mut [i64]) -> usize {
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
fn bump(counter: &AtomicU64, n: u64, exclusive: bool) {
    // `Release` (a plain store on x86) lets a snapshot's `Acquire` load of a later counter
    // see this one: see `Counters::add_releases_to`.
    if exclusive {
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Release);
    } else {
        counter.fetch_add(n, Ordering::Release);
    }
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
    lengths: bool,
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
    pub(crate) fn new(tiers: usize, lengths: bool) -> Self {
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
        } else if self.lengths {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::raw::{Counted, Stack};

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
