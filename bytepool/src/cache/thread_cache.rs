//! [`ThreadCache`]: a process-wide pool's cache in one thread, and [`Attached`], its link to
//! the pool.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use super::local::{publish_net, Cached};
use super::{CacheLocal, Core, Local, Magazine, POOLING};
use crate::raw::Kept;
#[cfg(not(loom))]
use crate::raw::{Anchor, Anchored};
use crate::stats::{Counted, Length};
use crate::stats::{Counters, Recent, STANDIN};

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
    pub(super) core: &'static Core<B>,
    counters: &'static Counters,
    /// This thread's net buffers handed out (by its own counters) when it last published it.
    flushed: Cell<i64>,
}

impl<B> Drop for Attached<B> {
    fn drop(&mut self) {
        publish_net(self.core, self.counters, &self.flushed);
        self.core.registry.retire(self.counters);
    }
}

impl<B> fmt::Debug for Attached<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attached").finish_non_exhaustive()
    }
}

/// Runs `f` in the calling thread's context of a process-wide pool (`core` returns it):
/// through the thread's cache, which `with_cache` lends to the function it is given (it lends
/// none while the thread exits), else in the shared context.
pub(crate) fn run_global<B: Kept, L: Length, R>(
    core: fn() -> &'static Core<B>,
    with_cache: impl FnOnce(&mut dyn FnMut(&ThreadCache<B, L>)) -> Option<()>,
    f: impl FnOnce(&mut CacheLocal<'_, B, L>) -> R,
) -> R {
    let mut f = Some(f);
    let mut done = None;
    with_cache(&mut |cache| {
        if let Some(f) = f.take() {
            done = Some(cache.run(core, f));
        }
    });
    match (done, f) {
        (Some(done), _) => done,
        (None, Some(f)) => f(&mut Local::uncached(core())),
        (None, None) => {
            unreachable!("the thread cache consumed the operation without finishing it")
        }
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
        f: impl FnOnce(&mut CacheLocal<'_, B, L>) -> R,
    ) -> R {
        let attached = match self.attached() {
            Some(attached) => Some(attached),
            None => self.attach(core()),
        };
        match attached {
            Some(attached) => f(&mut Local {
                core: attached.core,
                counters: attached.counters,
                bin: None,
                cached: Some(Cached {
                    mags: &self.mags,
                    recent_next: &self.recent_next,
                    flushed: &attached.flushed,
                }),
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

    /// The hot path of a get: a block of tier `tier` from this thread's magazine, counted when
    /// `stats`, with the length `record` holds recorded (a typed pool's gets have none).
    /// `None` sends the caller to the general path: the magazine is empty or the cache is not
    /// attached yet.
    ///
    /// A thread cache belongs to a process-wide pool, which has no shared ring, so the length
    /// goes to this thread's own ring.
    #[inline]
    pub(crate) fn pop(&self, tier: usize, record: Option<usize>, stats: bool) -> Option<B> {
        if !POOLING {
            return None;
        }
        // A magazine that is not attached yet is empty, so this fails before `attached` is
        // needed.
        let block = self.mags.get(tier)?.pop(stats)?;
        if let (true, Some(len)) = (stats, record) {
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
