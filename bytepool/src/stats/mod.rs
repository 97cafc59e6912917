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

use std::fmt;

use crate::sync::LOOM;

mod counters;
mod len_word;
mod registry;

pub(crate) use counters::{Counters, Event, Recent, TierCounters, Writers, STANDIN};
pub(crate) use len_word::{Beside, LenWord, Length, Packing};
pub use len_word::{Counted, Inline};
pub(crate) use registry::{Lengths, Registry};

/// How many recent request lengths a snapshot reports.
pub const RECENT_LENGTHS: usize = 256;

// Loom tracks every atomic; a short ring keeps models small.
const RECENT_SLOTS: usize = if LOOM { 4 } else { RECENT_LENGTHS };

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
///
/// With the `serde` feature, serialized and deserialized like [`Stats`]: a struct of the
/// fields below, named as in Rust.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(::serde::Serialize, ::serde::Deserialize),
    serde(default)
)]
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
/// With the `serde` feature, `Stats` serializes as a struct of its fields, named as in Rust and
/// in declaration order (`tiers` as a sequence of [`TierStats`]), and deserializes from the
/// same shape: a field missing from the input reads as zero (or empty) and an unknown one is
/// ignored, so snapshots saved by another version of this crate, with fields added since,
/// read back. For the Go original's JSON shape, serialize `Stats::expvar` instead.
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
#[cfg_attr(
    feature = "serde",
    derive(::serde::Serialize, ::serde::Deserialize),
    serde(default)
)]
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

    /// What happened between the snapshot `earlier` and this one: counters as differences,
    /// gauges as they are now.
    ///
    /// Divide the counters by the time between the two snapshots for rates (gets per second,
    /// the share of gets that allocated), or print the result for a table of one interval.
    /// Field by field:
    ///
    /// - counters, as `self − earlier`: `total_gets`, `total_puts`, `discarded`, `oversize`,
    ///   `detached`, `foreign_puts`, and each tier's `gets`, `puts`, `hits` and `misses`
    ///   ([`allocations`](Self::allocations) of the result is then the interval's too);
    /// - gauges, as in `self`: `outstanding`, `idle_bytes`, and each tier's `idle` (and its
    ///   `size`);
    /// - `high_water`, as in `self`: the peak since the pool was made, which may lie before
    ///   `earlier` (no snapshot says when its peak was reached);
    /// - `recent_lengths`, as in `self`: with several threads the lengths are listed by
    ///   thread, not in time order, so the ring cannot say which came after `earlier`.
    ///
    /// Tiers are matched by size: a tier of `self` that `earlier` lacks counts from zero, and
    /// one that only `earlier` has is left out. The differences saturate at zero: a counter
    /// never goes down between two snapshots of one pool taken in that order, so a smaller
    /// value in `self` means swapped snapshots or two different pools, and reads as 0 rather
    /// than wrapping to a huge count.
    ///
    /// The relations documented on the type that involve only counters (`gets == hits +
    /// misses`, `total_gets == Σ gets + oversize`, …) hold for the differences of two exact
    /// snapshots; the one for `outstanding`, a gauge, holds only for a snapshot itself.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    ///
    /// let pool = BytePool::<Stream>::new();
    /// drop(pool.get(100));
    /// let held = pool.get(100);
    /// let before = pool.stats();
    /// drop(held);
    /// drop(pool.get(3000));
    /// let interval = pool.stats().since(&before);
    /// // Counters: what the interval did.
    /// assert_eq!((interval.total_gets, interval.total_puts), (1, 2));
    /// assert_eq!((interval.tiers[0].gets, interval.tiers[0].puts), (0, 1));
    /// assert_eq!((interval.tiers[1].gets, interval.allocations()), (1, 1));
    /// // Gauges: the pool now.
    /// assert_eq!((interval.outstanding, interval.high_water), (0, 1));
    /// ```
    #[must_use = "`since` returns the difference and changes neither snapshot"]
    pub fn since(&self, earlier: &Stats) -> Stats {
        // Without `..`: a new field does not compile here until it is sorted into counters
        // or gauges.
        let Stats {
            tiers,
            total_gets,
            total_puts,
            discarded,
            outstanding,
            high_water,
            idle_bytes,
            recent_lengths,
            oversize,
            detached,
            foreign_puts,
        } = self;
        let none = TierStats::default();
        Stats {
            tiers: tiers
                .iter()
                .map(|now| {
                    let before = earlier.tiers.iter().find(|t| t.size == now.size);
                    now.since(before.unwrap_or(&none))
                })
                .collect(),
            total_gets: total_gets.saturating_sub(earlier.total_gets),
            total_puts: total_puts.saturating_sub(earlier.total_puts),
            discarded: discarded.saturating_sub(earlier.discarded),
            outstanding: *outstanding,
            high_water: *high_water,
            idle_bytes: *idle_bytes,
            recent_lengths: recent_lengths.clone(),
            oversize: oversize.saturating_sub(earlier.oversize),
            detached: detached.saturating_sub(earlier.detached),
            foreign_puts: foreign_puts.saturating_sub(earlier.foreign_puts),
        }
    }
}

impl TierStats {
    /// [`Stats::since`] for one tier: the counters as saturating differences, `size` and
    /// `idle` as now.
    fn since(&self, earlier: &TierStats) -> TierStats {
        let TierStats {
            size,
            gets,
            puts,
            hits,
            misses,
            idle,
        } = self;
        TierStats {
            size: *size,
            gets: gets.saturating_sub(earlier.gets),
            puts: puts.saturating_sub(earlier.puts),
            hits: hits.saturating_sub(earlier.hits),
            misses: misses.saturating_sub(earlier.misses),
            idle: *idle,
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>10} {:>12} {:>12} {:>12} {:>12} {:>8} {:>11}",
            "tier", "gets", "puts", "hits", "misses", "idle", "idle bytes"
        )?;
        for t in &self.tiers {
            writeln!(
                f,
                "{:>10} {:>12} {:>12} {:>12} {:>12} {:>8} {:>11}",
                Bytes(t.size),
                t.gets,
                t.puts,
                t.hits,
                t.misses,
                t.idle,
                Bytes(t.idle.saturating_mul(t.size))
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
        let text = match whole_binary_unit(self.0) {
            Some((count, unit)) => format!("{count} {unit}"),
            None => format!("{} B", self.0),
        };
        f.pad(&text)
    }
}

/// `bytes` as a whole number of the largest binary unit (GiB, MiB, KiB) that divides it, if
/// any: `3072` is `(3, "KiB")`.
pub(crate) fn whole_binary_unit(bytes: usize) -> Option<(usize, &'static str)> {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    UNITS
        .iter()
        .find(|&&(unit, _)| bytes >= unit && bytes % unit == 0)
        .map(|&(unit, name)| (bytes / unit, name))
}
