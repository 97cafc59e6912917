//! Per-thread caches ("magazines") in front of a global pool's shared tiers, and [`Local`],
//! the context every pool operation runs in.
//!
//! `define_tiers!` gives each tier set a `thread_local!` [`ThreadCache`] with one [`Magazine`]
//! per tier (statics in generic code would be shared by every instantiation, so the macro emits
//! them). A get pops the calling thread's magazine; an empty magazine refills half of its
//! capacity from the shared `ArrayQueue` in one go, and a full one spills half back, so a thread
//! touches shared cache lines once per batch, not once per buffer. A buffer released on another
//! thread lands in that thread's magazine and reaches the shared tier when it spills; at thread
//! exit every magazine is flushed to the shared tiers.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

#[cfg(not(loom))]
use crate::raw::{Anchor, Anchored};
use crate::raw::{Counted, Kept, Length, Stack};

use crate::ring::Ring;
use crate::stats::{Counters, Event, Recent, Registry, TierCounters, STANDIN};
use crate::sync::const_unless_loom;
use crate::sync::ArrayQueue;
use crate::Error;

/// `false` under the `passthrough` feature: nothing is ever kept idle.
const POOLING: bool = !cfg!(feature = "passthrough");

/// The type-erased heart of every pool: its tiers of idle blocks (`B` is `Box<[u8]>` for byte
/// pools, a boxed object slot for typed pools), its counters and its optional shared ring.
pub(crate) struct Core<B> {
    pub(crate) tiers: Box<[Tier<B>]>,
    pub(crate) registry: Registry,
    pub(crate) ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
}

impl<B> Core<B> {
    /// A pool of `tiers`; `lengths` says whether it records the length of every get (in
    /// `ring` when given, else in its counter blocks).
    pub(crate) fn new(
        tiers: Box<[Tier<B>]>,
        ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
        lengths: bool,
    ) -> Self {
        Core {
            registry: Registry::new(tiers.len(), lengths),
            tiers,
            ring,
        }
    }

    /// Frees every idle block of the shared tiers; returns the bytes (tier sizes) freed.
    ///
    /// Each block is counted before it is dropped, one at a time, so a `Drop` that panics
    /// leaves the counts matching what the tiers still hold.
    pub(crate) fn trim(&self) -> usize {
        let mut bytes = 0;
        for (t, tier) in self.tiers.iter().enumerate() {
            // At most the blocks idle now: a `Drop` that returns new blocks to this pool could
            // otherwise keep the loop going for ever.
            for block in (0..tier.idle_len()).map_while(|_| tier.unpark()) {
                self.registry.shared.count(Event::Freed(t), false);
                bytes += tier.size;
                drop(block);
            }
        }
        bytes
    }

    /// Fills tier `t` with up to `n` idle blocks made by `make` (prewarming), stopping when the
    /// tier is full.
    pub(crate) fn prewarm(&self, t: usize, n: usize, mut make: impl FnMut() -> B) {
        for _ in 0..n {
            if self.tiers[t].park(make()).is_err() {
                break;
            }
            self.registry.shared.count(Event::Prewarmed(t), false);
        }
    }
}

/// One size class: its idle blocks and bounds.
pub(crate) struct Tier<B> {
    pub(crate) size: usize,
    idle: Option<ArrayQueue<B>>,
    /// The most blocks of this tier one thread's cache keeps (at most [`MAGAZINE_SLOTS`]).
    pub(crate) cache_limit: usize,
}

impl<B> Tier<B> {
    /// A tier keeping at most `max_idle` idle blocks, and `cache_limit` per thread cache.
    pub(crate) fn new(size: usize, max_idle: usize, cache_limit: usize) -> Self {
        Tier {
            size,
            idle: (max_idle > 0).then(|| ArrayQueue::new(max_idle)),
            cache_limit: cache_limit.min(max_idle).min(MAGAZINE_SLOTS),
        }
    }

    /// Keeps `block` idle, or gives it back when the tier is full.
    pub(crate) fn park(&self, block: B) -> Result<(), B> {
        match &self.idle {
            Some(queue) if POOLING => queue.push(block),
            _ => Err(block),
        }
    }

    /// The number of blocks idle in the shared queue.
    fn idle_len(&self) -> usize {
        self.idle.as_ref().map_or(0, |queue| queue.len())
    }

    pub(crate) fn unpark(&self) -> Option<B> {
        self.idle.as_ref()?.pop()
    }
}

/// A thread's cache for one global pool: its magazines and the link to its counter block.
///
/// It has no destructor (every field is a `Cell`, an [`Anchor`] or a destructor-free
/// [`Stack`]), so `thread_local!` reaches it without a "destroyed yet?" check. Its link to the
/// pool, [`Attached`], lives in a second thread-local, a [`Keeper`](crate::raw::Keeper), whose
/// destructor empties the magazines into the pool at thread exit. No field is borrowed while
/// user code (a `Drop` of a pooled object) runs, so a re-entrant pool operation on the same
/// thread simply uses the cache too.
///
/// Generated per tier set by `define_tiers!` (and per type by `#[derive(Pooled)]`); not part
/// of the public API.
#[doc(hidden)]
pub struct ThreadCache<B: 'static, L: Length = Counted, M: ?Sized = [Magazine<B, L>]> {
    #[cfg(not(loom))]
    attached: Anchor<Attached<B>>,
    /// Keeps an `Attached` in this thread's keeper and anchors it here (generated).
    #[cfg(not(loom))]
    hold: fn(Attached<B>) -> bool,
    /// Loom drops a thread's locals all at once, so one cannot reach another from its
    /// destructor: there the cache keeps its link itself and each magazine empties itself.
    /// Each magazine holds a reference too, so the counters retire after the last magazine
    /// has given its blocks back and let go of its word in them.
    #[cfg(loom)]
    attached: std::cell::OnceCell<std::rc::Rc<Attached<B>>>,
    /// The hot path's way to this thread's ring of recent lengths, in its counter block while
    /// attached ([`STANDIN`] otherwise), and the ring's position (`Recent::record_own`). Blocks
    /// are `&'static`, so a plain `Cell` holds them and the ring is one load away.
    recent: Cell<&'static Recent>,
    recent_next: Cell<usize>,
    _length: PhantomData<L>,
    mags: M,
}

impl<B, L: Length, const N: usize> ThreadCache<B, L, [Magazine<B, L>; N]> {
    /// An empty cache, attached to its pool on first use through `hold`.
    #[must_use]
    #[cfg(not(loom))]
    pub const fn new(hold: fn(Attached<B>) -> bool) -> Self {
        ThreadCache {
            attached: Anchor::new(),
            hold,
            recent: Cell::new(&STANDIN.recent),
            recent_next: Cell::new(0),
            _length: PhantomData,
            mags: [const { Magazine::new() }; N],
        }
    }

    /// An empty cache, attached to its pool on first use.
    #[must_use]
    #[cfg(loom)]
    pub fn new() -> Self {
        ThreadCache {
            attached: std::cell::OnceCell::new(),
            recent: Cell::new(&STANDIN.recent),
            recent_next: Cell::new(0),
            _length: PhantomData,
            mags: std::array::from_fn(|_| Magazine::new()),
        }
    }
}

#[cfg(loom)]
impl<B, L: Length, const N: usize> Default for ThreadCache<B, L, [Magazine<B, L>; N]> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(loom))]
impl<B: Kept, L: Length, const N: usize> Anchored for ThreadCache<B, L, [Magazine<B, L>; N]> {
    type Target = Attached<B>;

    fn anchor(&self) -> &Anchor<Attached<B>> {
        &self.attached
    }

    fn retire(&self) {
        let cache: &ThreadCache<B, L> = self;
        cache.retire();
    }
}

impl<B, L: Length, M: ?Sized> ThreadCache<B, L, M> {
    /// The link to the pool, once attached.
    #[inline(always)]
    fn attached(&self) -> Option<&Attached<B>> {
        #[cfg(not(loom))]
        let attached = self.attached.get();
        #[cfg(loom)]
        let attached = self.attached.get().map(|attached| &**attached);
        attached
    }
}

impl<B, L: Length, M: ?Sized> fmt::Debug for ThreadCache<B, L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadCache")
            .field("attached", &self.attached().is_some())
            .finish_non_exhaustive()
    }
}

/// The link from a thread's cache to its pool, kept by the thread's
/// [`Keeper`](crate::raw::Keeper); dropping it (at thread exit) retires the thread's counters.
#[doc(hidden)]
pub struct Attached<B: 'static> {
    core: &'static Core<B>,
    counters: &'static Counters,
    /// This thread's net buffers handed out (by its own counters) when it last published it.
    flushed: Cell<i64>,
}

impl<B> Attached<B> {
    /// Publishes this thread's net buffers handed out, for `high_water` (a slow-path event).
    fn flush(&self) {
        let net = self.counters.net();
        let delta = net - self.flushed.replace(net);
        // Unchanged: spare the shared cache line.
        if delta != 0 {
            self.core.registry.flush_outstanding(delta);
        }
    }
}

impl<B> Drop for Attached<B> {
    fn drop(&mut self) {
        self.flush();
        self.core.registry.retire(self.counters);
    }
}

impl<B> fmt::Debug for Attached<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attached").finish_non_exhaustive()
    }
}

/// The most blocks of one tier a thread's cache keeps (a power of two).
pub(crate) const MAGAZINE_SLOTS: usize = 32;

/// One tier's stack of idle blocks in one thread, inline in the thread-local: a pop or push is
/// a few loads and stores at fixed offsets from the thread pointer. Its limit is 0 until the
/// cache attaches (so a magazine that is not attached is empty and full at once), then the
/// tier's `cache_limit`, and 0 again once the thread retires it.
///
/// With statistics (`L` = [`Counted`]) the stack's length lives in the tier's counters in the
/// thread's counter block, with the counts of hits and puts: one pointer away, but a hit or a
/// put is counted by the store that updates the length anyway.
#[doc(hidden)]
pub struct Magazine<B: 'static, L: Length = Counted> {
    stack: Stack<B, MAGAZINE_SLOTS, L>,
    /// This tier's counters in the thread's counter block while attached, [`STANDIN`]'s
    /// otherwise.
    counters: Cell<&'static TierCounters>,
    /// Under loom, where the magazine empties itself when dropped: its link to the pool, its
    /// tier and [`retire`](Self::retire) (a `Drop` cannot require `B: Kept`).
    #[cfg(loom)]
    #[allow(clippy::type_complexity)]
    home: Cell<Option<(std::rc::Rc<Attached<B>>, usize, fn(&Self, &Core<B>, usize))>>,
}

impl<B, L: Length> Magazine<B, L> {
    const_unless_loom! {
        fn new() -> Self {
            Magazine {
                stack: Stack::new(),
                counters: Cell::new(&STANDIN.tier),
                #[cfg(loom)]
                home: Cell::new(None),
            }
        }
    }

    fn len(&self) -> usize {
        self.stack.len()
    }
}

// Every method here is crate-private, like the bound.
#[allow(private_bounds)]
impl<B: Kept, L: Length> Magazine<B, L> {
    /// Lets the magazine keep up to its tier's `cache_limit` blocks of `core`'s tier `tier`,
    /// counted in `counters`, which belong to the calling thread alone (its counter block).
    fn open(&self, core: &'static Core<B>, tier: usize, counters: &'static TierCounters) {
        self.counters.set(counters);
        let tier = &core.tiers[tier];
        self.stack
            .open(&counters.magazine, tier.cache_limit, tier.size);
    }

    /// Gives the magazine back to the pool: no more pushes, every block parked in the shared
    /// tier (or freed and counted as discarded when it is full), and its word let go.
    fn retire(&self, core: &Core<B>, tier: usize) {
        self.stack.close();
        let counters = &core.registry.shared;
        self.drain(|block| {
            if let Err(block) = core.tiers[tier].park(block) {
                counters.count(Event::Discard, false);
                counters.count(Event::Freed(tier), false);
                drop(block);
            }
        });
        self.stack.shut();
        self.counters.set(&STANDIN.tier);
    }

    /// Takes out the blocks held now, newest first, uncounted, into `sink`, then settles the
    /// counts: pushes whose blocks leave without a counted pop would otherwise, over many
    /// drains, run into the pops' bits of the word. At most the blocks held now: a `sink` that
    /// returns blocks to this magazine could otherwise keep the loop going for ever.
    fn drain(&self, sink: impl FnMut(B)) {
        (0..self.len())
            .map_while(|_| self.stack.pop())
            .for_each(sink);
        self.settle();
    }

    /// The newest block, if any, counted as a hit when `counted`.
    #[inline(always)]
    fn pop(&self, counted: bool) -> Option<B> {
        if !counted {
            return self.stack.pop();
        }
        let (block, full) = self.stack.pop_counted()?;
        if full {
            self.counters.get().fold();
        }
        Some(block)
    }

    /// Keeps `block`, counted as a put when `counted`, or hands it back when the magazine is
    /// full (or not attached).
    #[inline(always)]
    fn push(&self, block: B, counted: bool) -> Result<(), B> {
        if counted {
            self.stack.push_counted(block)
        } else {
            self.stack.push(block)
        }
    }

    /// Folds the counts in the magazine's word into the counters once they pass a quarter of
    /// their range (a pop checks only the sign bit; see `LenWord`), at a slow-path event.
    fn settle(&self) {
        if self.stack.counts_full() {
            self.counters.get().fold();
        }
    }
}

#[cfg(loom)]
impl<B, L: Length> Drop for Magazine<B, L> {
    fn drop(&mut self) {
        if let Some((attached, tier, retire)) = self.home.take() {
            retire(self, attached.core, tier);
        }
    }
}

impl<B, L: Length> fmt::Debug for Magazine<B, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Magazine")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

// Every method here is crate-private, like the bound.
#[allow(private_bounds)]
impl<B: Kept, L: Length> ThreadCache<B, L> {
    /// Runs `f` in this thread's context for the pool `core` returns (the one this cache
    /// belongs to), attaching the cache first if needed; in the shared context when the
    /// thread is exiting and the cache can no longer attach.
    #[inline]
    pub(crate) fn run<R>(
        &self,
        core: fn() -> &'static Core<B>,
        f: impl FnOnce(&mut Local<'_, B, L>) -> R,
    ) -> R {
        let attached = match self.attached() {
            Some(attached) => Some(attached),
            None => self.attach(core()),
        };
        match attached {
            Some(attached) => f(&mut Local {
                core: attached.core,
                counters: attached.counters,
                cached: Some((attached, self)),
            }),
            None => f(&mut Local::uncached(core())),
        }
    }

    /// Links this cache to `core`: registers the thread's counters and gives each magazine its
    /// slots. Nothing here runs user code, but `core` (creating the pool) might, so a
    /// re-entrant attach is possible and the first one wins. `None` during thread exit.
    #[cold]
    fn attach(&self, core: &'static Core<B>) -> Option<&Attached<B>> {
        let counters = core.registry.register(core.tiers.len());
        let attached = Attached {
            core,
            counters,
            flushed: Cell::new(0),
        };
        // A refused `Attached` (thread exit, or a re-entrant attach that won and opened the
        // magazines) is dropped, which retires its counters (unused).
        #[cfg(not(loom))]
        let won = (self.hold)(attached);
        #[cfg(loom)]
        let won = self.attached.set(std::rc::Rc::new(attached)).is_ok();
        let attached = self.attached()?;
        if won {
            self.recent.set(&attached.counters.recent);
            self.recent_next.set(attached.counters.gets());
            for ((tier, mag), counters) in
                self.mags.iter().enumerate().zip(attached.counters.tiers())
            {
                mag.open(core, tier, counters);
                #[cfg(loom)]
                mag.home.set(Some((
                    std::rc::Rc::clone(self.attached.get()?),
                    tier,
                    Magazine::retire,
                )));
            }
        }
        Some(attached)
    }

    /// Empties the magazines into the shared tiers at thread exit (blocks that do not fit are
    /// freed and counted as discarded) and refuses further pushes.
    #[cfg(not(loom))]
    fn retire(&self) {
        let Some(attached) = self.attached() else {
            return;
        };
        for (tier, mag) in self.mags.iter().enumerate() {
            mag.retire(attached.core, tier);
        }
        // The counter block goes back to the pool right after this. The hot path counts only
        // after a magazine pop or push succeeds, which retired magazines refuse, so this is
        // tidiness; a `Drop` that unwinds out of the loop above aborts the thread-exit
        // destructor anyway.
        self.recent.set(&STANDIN.recent);
    }

    /// The hot path of a get: a block of tier `tier` from this thread's magazine, counted (and
    /// `len` recorded when `record`). `None` sends the caller to the general path: the magazine
    /// is empty or the cache is not attached yet.
    ///
    /// A thread cache belongs to a process-wide pool, which has no shared ring, so `len` goes
    /// to this thread's own ring.
    #[inline]
    pub(crate) fn pop(&self, tier: usize, len: usize, record: bool, stats: bool) -> Option<B> {
        if !POOLING {
            return None;
        }
        // A magazine that is not attached yet is empty, so this fails before `attached` is
        // needed.
        let block = self.mags.get(tier)?.pop(stats)?;
        if stats && record {
            self.recent.get().record_own(&self.recent_next, len);
        }
        Some(block)
    }

    /// The hot path of a return: keeps `*block` in this thread's magazine of tier `tier` and
    /// takes it out of the option. Leaves it in place (for the general path) when the magazine
    /// is full or the cache is not attached yet.
    #[inline]
    pub(crate) fn push(&self, tier: usize, block: &mut Option<B>, stats: bool) {
        if !POOLING {
            return;
        }
        let (Some(mag), Some(taken)) = (self.mags.get(tier), block.take()) else {
            return;
        };
        // A magazine that is not attached yet is full: the block goes back to the caller.
        if let Err(back) = mag.push(taken, stats) {
            *block = Some(back);
        }
    }
}

/// What one pool operation works with: the shared pool, a counter block and, for a global
/// pool's thread, that thread's magazines.
pub(crate) struct Local<'a, B: 'static, L: Length = Counted> {
    core: &'a Core<B>,
    counters: &'a Counters,
    /// The thread's link to its pool and its cache (magazines, position in `counters`' ring);
    /// `None` in the shared context, where `counters` are shared and every operation
    /// publishes its effect on `outstanding` at once (so `high_water` is exact).
    cached: Option<(&'a Attached<B>, &'a ThreadCache<B, L>)>,
}

impl<'a, B: Kept, L: Length> Local<'a, B, L> {
    /// The context without a thread cache: shared queues and shared counters.
    pub(crate) fn uncached(core: &'a Core<B>) -> Self {
        Local {
            core,
            counters: &core.registry.shared,
            cached: None,
        }
    }

    /// Whether `counters` is written by this thread only.
    #[inline]
    fn exclusive(&self) -> bool {
        self.cached.is_some()
    }

    /// This thread's magazines, with a thread cache.
    #[inline]
    fn mags(&self) -> Option<&'a [Magazine<B, L>]> {
        self.cached.map(|(_, cache)| &cache.mags)
    }

    #[inline]
    pub(crate) fn count(&self, event: Event, stats: bool) {
        if stats {
            self.counters.count(event, self.exclusive());
        }
    }

    /// Publishes the effect on `outstanding` of an operation that handed out (`+1`) or took
    /// back (`-1`) a buffer. A thread with a cache publishes only at slow-path events (`slow`),
    /// computing its net from its own counters; the shared context publishes every operation.
    #[inline]
    fn track(&self, delta: i64, slow: bool, stats: bool) {
        if !stats {
            return;
        }
        match self.cached {
            Some((attached, _)) if slow => attached.flush(),
            Some(_) => {}
            None => self.core.registry.flush_outstanding(delta),
        }
    }

    /// Records the length of a get just counted in the counter block's ring: in a thread's
    /// block, one record per get counted there keeps the ring's position equal to the block's
    /// count of gets. Not for a pool with a shared ring, whose `push` is user code that the
    /// caller runs once the get is settled.
    #[inline]
    pub(crate) fn record_len(&self, len: usize, stats: bool) {
        if !stats || self.core.ring.is_some() {
            return;
        }
        match self.cached {
            Some((_, cache)) => self.counters.recent.record_own(&cache.recent_next, len),
            None => self.counters.recent.record(len),
        }
    }

    /// A block of tier `tier`: from this thread's magazine, a batch from the shared tier, or
    /// `alloc`.
    #[inline]
    pub(crate) fn get_tier(
        &mut self,
        tier: usize,
        stats: bool,
        alloc: impl FnOnce(usize) -> Result<B, Error>,
    ) -> Result<B, Error> {
        if POOLING {
            if let Some(block) = self.mags().and_then(|m| m[tier].pop(stats)) {
                return Ok(block);
            }
        }
        self.get_tier_slow(tier, stats, alloc)
    }

    #[inline(never)]
    fn get_tier_slow(
        &mut self,
        tier: usize,
        stats: bool,
        alloc: impl FnOnce(usize) -> Result<B, Error>,
    ) -> Result<B, Error> {
        let shared_tier = &self.core.tiers[tier];
        let mut found = None;
        if POOLING {
            // Held while the magazine refills, which frees a block it cannot keep.
            found = shared_tier
                .unpark()
                .map(|block| self.unkept(tier, block, stats));
            if let Some(mags) = self.mags() {
                mags[tier].settle();
            }
            if let (Some(_), Some(mags)) = (&found, self.mags()) {
                mags[tier].stack.refill_half(
                    || shared_tier.unpark(),
                    |block| self.park_or_free(tier, block, stats),
                );
            }
        }
        let (block, event) = match found {
            Some(found) => (found.keep(), Event::Hit(tier)),
            None => (alloc(shared_tier.size)?, Event::Miss(tier)),
        };
        self.count(event, stats);
        self.track(1, true, stats);
        Ok(block)
    }

    /// Takes back a block of tier `tier`; `returned` is false for a foreign `put`, which does
    /// not change `outstanding`.
    #[inline]
    pub(crate) fn put_tier(&mut self, tier: usize, block: B, returned: bool, stats: bool) {
        if POOLING {
            if let Some(mags) = self.mags() {
                match mags[tier].push(block, stats) {
                    Ok(()) => return,
                    Err(back) => return self.put_tier_slow(tier, back, returned, stats),
                }
            }
        }
        self.put_tier_slow(tier, block, returned, stats);
    }

    #[inline(never)]
    fn put_tier_slow(&mut self, tier: usize, block: B, returned: bool, stats: bool) {
        // Settle the counts first: a block the tier cannot keep is dropped below, and a user
        // `Drop` that panics must leave the counters right.
        self.count(Event::Put(tier), stats);
        self.track(-i64::from(returned), true, stats);
        // Held while the magazine spills, which frees what the shared tier cannot keep.
        let block = self.unkept(tier, block, stats);
        if let Some(mags) = self.mags().filter(|_| POOLING) {
            // The magazine is full (or disabled): spill half of it in one visit.
            let mag = &mags[tier];
            mag.settle();
            mag.stack
                .spill_half(|spilled| self.park_or_free(tier, spilled, stats));
            if let Err(back) = mag.push(block.keep(), false) {
                self.park_or_free(tier, back, stats);
            }
        } else {
            self.park_or_free(tier, block.keep(), stats);
        }
    }

    /// Keeps `block`, idle or just returned, in the shared tier `tier`, or frees it, counted
    /// as discarded, when that tier is full.
    fn park_or_free(&self, tier: usize, block: B, stats: bool) {
        if let Err(block) = self.core.tiers[tier].park(block) {
            drop(self.unkept(tier, block, stats));
        }
    }

    /// Holds a block of tier `tier` that the pool counts as idle or returned but keeps
    /// nowhere yet: see [`Unkept`].
    fn unkept(&self, tier: usize, block: B, stats: bool) -> Unkept<'a, B> {
        Unkept {
            block: Some(block),
            counters: self.counters,
            tier,
            exclusive: self.exclusive(),
            stats,
        }
    }

    /// Counts a block served above the largest tier (allocated by the caller).
    pub(crate) fn got_oversize(&mut self, stats: bool) {
        self.count(Event::Oversize, stats);
        self.track(1, true, stats);
    }

    /// Counts a block above the largest tier coming back (freed by the caller).
    pub(crate) fn put_oversize(&mut self, stats: bool) {
        self.count(Event::UntieredPut, stats);
        self.track(-1, true, stats);
    }

    /// Counts a block of tier `tier` that came back but cannot be kept (its reset panicked,
    /// say): returned, then discarded and freed.
    pub(crate) fn drop_returned(&mut self, tier: usize, stats: bool) {
        self.count(Event::Put(tier), stats);
        self.count(Event::Discard, stats);
        self.count(Event::Freed(tier), stats);
        self.track(-1, true, stats);
    }

    /// Counts a buffer leaving the pool for good.
    pub(crate) fn detach(&mut self, stats: bool) {
        self.count(Event::Detach, stats);
        self.track(-1, true, stats);
    }

    /// Frees this thread's idle buffers of every tier; returns the bytes freed. As in
    /// [`Core::trim`], each block is counted before it is dropped.
    pub(crate) fn trim_cache(&mut self) -> usize {
        let exclusive = self.exclusive();
        let Some(mags) = self.mags() else {
            return 0;
        };
        let mut bytes = 0;
        for (tier, mag) in mags.iter().enumerate() {
            mag.drain(|block| {
                self.counters.count(Event::Freed(tier), exclusive);
                bytes += self.core.tiers[tier].size;
                drop(block);
            });
        }
        bytes
    }
}

/// A block the pool has counted as idle or returned but keeps nowhere yet, held in a local
/// while the pool runs code that may drop other blocks (a full tier's spill, a refill), and
/// with them user `Drop`s that may panic. Dropped (by that unwind, or by a pool that cannot
/// keep it), it counts itself discarded and freed, as every block the pool lets go is counted,
/// before it is dropped; [`keep`](Self::keep) takes it back out.
struct Unkept<'a, B> {
    block: Option<B>,
    counters: &'a Counters,
    tier: usize,
    exclusive: bool,
    stats: bool,
}

impl<B> Unkept<'_, B> {
    fn keep(mut self) -> B {
        match self.block.take() {
            Some(block) => block,
            None => unreachable!("an unkept block is kept once"),
        }
    }
}

impl<B> Drop for Unkept<'_, B> {
    fn drop(&mut self) {
        let Some(block) = self.block.take() else {
            return;
        };
        if self.stats {
            // Passthrough frees without discarding: a pool would have kept it.
            if POOLING {
                self.counters.count(Event::Discard, self.exclusive);
            }
            self.counters.count(Event::Freed(self.tier), self.exclusive);
        }
        drop(block);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::{PoolStats, Tiers};

    crate::define_tiers! {
        /// One tier, so that every put lands in one magazine.
        pub(crate) One = [128];
    }

    /// Blocks that leave a magazine uncounted (a trim) must not let the pushes counted in its
    /// word run into the pops: each trim folds the counts. Without that, 2^28 pushes trimmed in
    /// batches (`put` 32 vectors, `trim`, again) carried into the pops, and a `metrics`
    /// counter built on `puts` went backwards.
    #[test]
    fn a_trim_folds_the_counts_of_the_blocks_it_takes_out_of_a_magazine() {
        let pool = One::pool();
        drop(pool.get(1)); // attaches this thread's cache
        pool.trim(); // an empty magazine takes 32 puts without a spill, which would fold
        let before = pool.stats().tiers[0].clone();
        // As after 2^28 - 40 puts whose blocks were trimmed away, minus the folds.
        const RUN: u64 = (1 << 28) - 40;
        One::__with_cache(|cache| cache.mags[0].counters.get().magazine.add_pushes(RUN));
        for _ in 0..2 {
            for _ in 0..32 {
                pool.put(Vec::with_capacity(128));
            }
            pool.trim();
        }
        let after = pool.stats().tiers[0].clone();
        assert_eq!(after.hits, before.hits, "no get was served meanwhile");
        assert_eq!(after.puts, before.puts + RUN + 64);
    }
}
