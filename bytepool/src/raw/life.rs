//! The life of an instance pool, with no reference count on its hot path: one [`Owner`] (the
//! pool), any number of [`Ticket`]s (its handles, one word each), and a slot per thread that
//! uses the pool, holding that thread's cache.
//!
//! A thread's slot is found through its thread index ([`thread_index`]) in a table of
//! buckets, with a thread-local shortcut to the last slot it used. Its `private` part (the
//! cache's cells) is touched by that thread alone while the pool lives; its `public` part
//! (counters) is `Sync`, read by statistics on any thread.
//!
//! Tickets are counted without read-modify-writes: taking one adds one to the taking thread's
//! slot, giving one back subtracts one in the giving thread's slot, each a plain load and store
//! by the slot's own thread. Only the sum means anything, and only when nobody is counting.
//!
//! # The owner's drop, and the windows it waits for
//! While the owner lives, nobody can end the pool, so the owner's own operations (its gets)
//! need no protection. A ticket's operation (a handle's release) can race with the owner's
//! drop, so it runs in a *window*: it marks its slot busy, issues a light fence
//! ([`barrier::light`]), and proceeds only if the pool is still live. The owner's drop marks
//! the pool dying, issues the heavy fence ([`barrier::heavy`]) when another thread has a slot,
//! and waits until no slot is busy: the two fences make sure that either the window sees the
//! pool dying, or the drop sees the window and waits for it. A thread with no slot (its first
//! release on this pool, which makes one, or a thread that is exiting) counts itself in
//! `unslotted` instead, with a `SeqCst` fence on either side, and the drop waits for it too.
//!
//! Once nothing is in a window the drop has the pool to itself: it lets the caller reclaim
//! every slot's cache (`close`), then sums the tickets. None: everything is freed at once.
//! Some: the sum moves into one atomic count and the pool is dead; from then on every ticket
//! operation sees it dead, and the last ticket given back frees everything.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use super::barrier;
use super::thread_index;
use crate::sync::{
    fence, lock, thread_local_const, AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8,
    AtomicUsize, Backoff, Mutex, MutexGuard, Ordering,
};

/// Live, and the light fence is free ([`barrier::light_is_free`], fixed for the process): a
/// window checks this one value and is open.
const LIVE_UNFENCED: u8 = 0;
/// Live, and a window must fence before it reads the state.
const LIVE: u8 = 1;
const DYING: u8 = 2;
const DEAD: u8 = 3;

fn is_live(state: u8) -> bool {
    state <= LIVE
}

/// Thread indices up to `usize::MAX - 2` fit: bucket `b` holds the slots of indices
/// `2^b - 1 ..= 2^(b+1) - 2`. Loom's threads are few, and every bucket scanned is an atomic
/// load for loom to explore.
const BUCKETS: usize = if cfg!(loom) { 4 } else { usize::BITS as usize };

/// Every pool's `id` is different, for the life of the process, so a thread-local shortcut
/// to a slot of a pool that is gone never matches a pool that lives. (Std's atomic even under
/// loom: ids only need to differ, also across model executions.)
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The ids of the lives not yet freed. A life leaves it, under its lock, before it is freed, so
/// whoever holds the lock and finds an id here may use that life until it lets go.
#[cfg(not(loom))]
static LIVES: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

#[cfg(loom)]
loom::lazy_static! {
    static ref LIVES: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
}

thread_local_const! {
    /// The id of the pool whose slot this thread used last, and that slot.
    static LAST: std::cell::Cell<(u64, *const ())> = std::cell::Cell::new((0, std::ptr::null()));
}

/// What a pool keeps per thread: `public` (any thread may read it) and `private` (its thread's
/// alone while the pool lives).
struct Slot<P, Q> {
    /// Windows open on this slot (nested ones included), written by its thread alone.
    busy: AtomicUsize,
    /// Whether a leaf window is open on this slot (see [`Ticket::try_redeem_here`]), written by
    /// its thread alone. Apart from `busy` so that the hot path only stores: a leaf runs no
    /// code that could open another window, so it never nests in one of its own kind.
    leaf: AtomicBool,
    /// The serial of the last thread that took this slot up (`thread_index::serial`), by the
    /// threads holding its index.
    adopted: AtomicU64,
    /// Tickets taken minus tickets given back on this slot's thread, by that thread alone,
    /// but for those its parts count themselves ([`Reclaim::own_tickets`]).
    tickets: AtomicIsize,
    public: P,
    private: Q,
}

/// The heap block an owner and its tickets point at.
pub(crate) struct Life<S, P, Q> {
    id: u64,
    state: AtomicU8,
    /// Tickets counted outside any slot while the pool lives; all of them once it is dead.
    tickets: AtomicIsize,
    /// Ticket operations in progress without a slot.
    unslotted: AtomicUsize,
    /// Held by the owner's drop from the moment the pool is dying until it is dead: a ticket
    /// operation that finds the pool dying waits here, parked rather than spinning.
    closing: Mutex<()>,
    make: fn(&S) -> (P, Q),
    buckets: [AtomicPtr<AtomicPtr<Slot<P, Q>>>; BUCKETS],
    shared: S,
}

/// The bucket and the place in it of thread index `index`.
#[inline]
fn locate(index: usize) -> (usize, usize) {
    let position = index + 1;
    let bucket = (usize::BITS - 1 - position.leading_zeros()) as usize;
    (bucket, position - (1 << bucket))
}

impl<S: Reclaim<P, Q>, P, Q> Life<S, P, Q> {
    /// The slot of thread index `index`, if it was made.
    fn slot_at(&self, index: usize) -> Option<&Slot<P, Q>> {
        let (bucket, at) = locate(index);
        let bucket = NonNull::new(self.buckets[bucket].load(Ordering::Acquire))?;
        // SAFETY: a bucket's array has `2^bucket` elements and is freed only with the life
        // (`Drop`), and `at < 2^bucket` (`locate`).
        let cell = unsafe { &*bucket.as_ptr().add(at) };
        // SAFETY: a slot pointer is stored once (`make_slot`, `Release`, loaded `Acquire` here)
        // from `Box::into_raw`, and the slot is freed only with the life.
        unsafe { cell.load(Ordering::Acquire).as_ref() }
    }

    /// Makes the slot of `index`, which must be this thread's and have none yet.
    #[cold]
    fn make_slot(&self, index: usize) -> &Slot<P, Q> {
        let (bucket, at) = locate(index);
        let mut array = self.buckets[bucket].load(Ordering::Acquire);
        if array.is_null() {
            let fresh: Box<[AtomicPtr<Slot<P, Q>>]> = (0..1usize << bucket)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect();
            let fresh = Box::into_raw(fresh).cast::<AtomicPtr<Slot<P, Q>>>();
            // Another thread may install the same bucket first: then ours goes.
            match self.buckets[bucket].compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => array = fresh,
                Err(installed) => {
                    let ours = std::ptr::slice_from_raw_parts_mut(fresh, 1 << bucket);
                    // SAFETY: `ours` is the box leaked just above, published nowhere.
                    drop(unsafe { Box::from_raw(ours) });
                    array = installed;
                }
            }
        }
        let (public, private) = (self.make)(&self.shared);
        let slot = Box::into_raw(Box::new(Slot {
            busy: AtomicUsize::new(0),
            leaf: AtomicBool::new(false),
            adopted: AtomicU64::new(0),
            tickets: AtomicIsize::new(0),
            public,
            private,
        }));
        // SAFETY: `array` is this bucket's array of `2^bucket` elements, freed only with the
        // life, and `at < 2^bucket`.
        let cell = unsafe { &*array.add(at) };
        // Only this thread writes the place of its own index.
        cell.store(slot, Ordering::Release);
        // SAFETY: just made from a box, freed only with the life.
        unsafe { &*slot }
    }

    /// Makes `slot` this thread's: the first time this thread uses it (a new slot, or one an
    /// exited thread left), registers the work of handing what it keeps back at exit.
    fn adopt(&self, slot: &Slot<P, Q>) {
        let serial = thread_index::serial();
        if slot.adopted.load(Ordering::Relaxed) == serial {
            return;
        }
        slot.adopted.store(serial, Ordering::Relaxed);
        let work = thread_index::AtExit {
            run: retire_slot::<S, P, Q>,
            data: (self as *const Self).cast(),
            id: self.id,
        };
        // SAFETY: `retire_slot` uses `data` only while `LIVES` holds `id`, which it checks under
        // `LIVES`'s lock: a life leaves `LIVES` before it is freed.
        unsafe { thread_index::at_exit(work, |id| lock(&LIVES).contains(&id)) };
    }

    /// Every slot made, in index order.
    fn slots(&self) -> impl Iterator<Item = (usize, &Slot<P, Q>)> {
        (0..BUCKETS)
            .filter(|&bucket| !self.buckets[bucket].load(Ordering::Acquire).is_null())
            .flat_map(|bucket| (0..1usize << bucket).map(move |at| (1 << bucket) - 1 + at))
            .filter_map(|index| Some((index, self.slot_at(index)?)))
    }

    /// This thread's slot, through the shortcut or the table; made when `make` and missing.
    /// `None` for a thread that is exiting, or (without `make`) has none.
    #[inline(always)]
    fn mine(&self, make: bool) -> Option<&Slot<P, Q>> {
        match self.mine_last() {
            Some(slot) => Some(slot),
            None => self.mine_slow(make),
        }
    }

    /// This thread's slot, if the shortcut holds it: the hot paths' lookup.
    #[inline(always)]
    fn mine_last(&self) -> Option<&Slot<P, Q>> {
        let (id, slot) = LAST.with(std::cell::Cell::get);
        if id != self.id {
            return None;
        }
        // SAFETY: the shortcut is set (`mine_slow`) only to this thread's slot of the life with
        // this id; ids are never reused, so that life is `self`, which frees its slots only
        // when it is freed itself.
        Some(unsafe { &*slot.cast::<Slot<P, Q>>() })
    }

    /// Opens a window on `slot`, this thread's: `None` when the pool is no longer live.
    fn enter_slot<'a>(&self, slot: &'a Slot<P, Q>) -> Option<SlotWindow<'a, P, Q>> {
        let depth = slot.busy.load(Ordering::Relaxed);
        slot.busy.store(depth + 1, Ordering::Relaxed);
        // A nested window is covered by the one around it, which saw the pool live and keeps
        // the owner's drop waiting.
        if depth == 0 && !self.live_after_mark() {
            slot.busy.store(depth, Ordering::Release);
            return None;
        }
        Some(SlotWindow { slot, depth })
    }

    /// Opens a leaf window on `slot`, this thread's, for code that opens no other window
    /// inside it: `None` when the pool is no longer live.
    #[inline(always)]
    fn enter_leaf<'a>(&self, slot: &'a Slot<P, Q>) -> Option<LeafWindow<'a, P, Q>> {
        debug_assert!(
            !slot.leaf.load(Ordering::Relaxed),
            "a leaf window nests in none"
        );
        slot.leaf.store(true, Ordering::Relaxed);
        if !self.live_after_mark() {
            slot.leaf.store(false, Ordering::Release);
            return None;
        }
        Some(LeafWindow(slot))
    }

    /// Whether the pool is live, read after a window marked its slot: the light fence, then
    /// the state. Where the light fence is free, one load and test.
    #[inline(always)]
    fn live_after_mark(&self) -> bool {
        // Only the compiler must not move the load above the mark.
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        if self.state.load(Ordering::Relaxed) == LIVE_UNFENCED {
            return true;
        }
        barrier::light();
        is_live(self.state.load(Ordering::Relaxed))
    }

    #[cold]
    fn mine_slow(&self, make: bool) -> Option<&Slot<P, Q>> {
        let index = thread_index::current()?;
        let slot = match self.slot_at(index) {
            Some(slot) => slot,
            None if make => self.make_slot(index),
            None => return None,
        };
        self.adopt(slot);
        let erased: *const Slot<P, Q> = slot;
        LAST.with(|last| last.set((self.id, erased.cast())));
        Some(slot)
    }

    /// Opens a window for a ticket's operation: see the module docs.
    fn enter(&self) -> Entered<'_, S, P, Q> {
        match self.mine(false) {
            Some(slot) => match self.enter_slot(slot) {
                Some(window) => Entered::Here(window),
                None => Entered::Gone,
            },
            None => self.enter_unslotted(),
        }
    }

    #[cold]
    fn enter_unslotted(&self) -> Entered<'_, S, P, Q> {
        self.unslotted.fetch_add(1, Ordering::Relaxed);
        // Pairs with the fence after the owner's drop marks the pool dying: either this sees
        // it dying, or the drop sees this operation counted and waits for it. (Fences rather
        // than `SeqCst` accesses: loom checks those only as acquire-release.)
        fence(Ordering::SeqCst);
        if !is_live(self.state.load(Ordering::Relaxed)) {
            self.unslotted.fetch_sub(1, Ordering::Release);
            return Entered::Gone;
        }
        let window = UnslottedWindow(self);
        match thread_index::current() {
            Some(index) => {
                let slot = self.slot_at(index).unwrap_or_else(|| self.make_slot(index));
                self.adopt(slot);
                // Busy before `unslotted` drops back: the drop, once it sees no unslotted
                // operation, sees this window.
                slot.busy.store(1, Ordering::Relaxed);
                drop(window);
                Entered::Here(SlotWindow { slot, depth: 0 })
            }
            None => Entered::Elsewhere(window),
        }
    }

    /// Waits until the owner's drop has moved every ticket into `tickets`: it holds `closing`
    /// from before the pool is dying until it is dead.
    fn wait_dead(&self) {
        drop(lock(&self.closing));
        debug_assert_eq!(self.state.load(Ordering::Acquire), DEAD);
    }
}

/// This thread's exit work for its slot of the life at `data`: if the life is still there,
/// and live, hands what the slot keeps back to the pool (`Reclaim::retire_slot`), so that what
/// an exiting thread cached is not stranded in a slot until another thread takes its index.
///
/// # Safety
/// `data` points at a `Life<S, P, Q>` whose id is `id` as long as `LIVES` holds `id`.
unsafe fn retire_slot<S: Reclaim<P, Q>, P, Q>(data: *const (), id: u64) {
    let live = lock(&LIVES);
    if !live.contains(&id) {
        return;
    }
    // SAFETY: `LIVES` holds `id` and we hold its lock, so the life is not freed meanwhile (the
    // caller's contract; `free` takes the lock first).
    let life = unsafe { &*data.cast::<Life<S, P, Q>>() };
    let garbage = match life.enter() {
        Entered::Here(window) => Some(
            life.shared
                .retire_slot(&window.slot.public, &window.slot.private),
        ),
        Entered::Elsewhere(_) | Entered::Gone => None,
    };
    drop(live);
    // User code (an object's drop), outside the lock and the window.
    drop(garbage);
}

/// Frees a life that nothing refers to any more, after taking it out of `LIVES`.
///
/// # Safety
/// `life` came from `Box::leak` (`Owner::new`), and nothing refers to it: no owner, no ticket,
/// no operation in progress.
unsafe fn free<S, P, Q>(life: NonNull<Life<S, P, Q>>) {
    // SAFETY: the caller's contract: the life is alive until the `Box::from_raw` below.
    let id = unsafe { life.as_ref() }.id;
    lock(&LIVES).remove(&id);
    // SAFETY: the caller's contract; out of `LIVES`, so no exit work reaches it any more. Freed
    // outside the lock: its drop runs user code (the shared state's).
    drop(unsafe { Box::from_raw(life.as_ptr()) });
}

impl<S, P, Q> Drop for Life<S, P, Q> {
    fn drop(&mut self) {
        for bucket in 0..BUCKETS {
            // Loom's atomics have no `get_mut`; with `&mut self`, nothing else accesses it.
            let array = self.buckets[bucket].load(Ordering::Relaxed);
            if array.is_null() {
                // Buckets are made by the threads whose indices fall in them, in any order.
                continue;
            }
            let array = std::ptr::slice_from_raw_parts_mut(array, 1 << bucket);
            // SAFETY: installed once from `Box::into_raw` of a slice of this length
            // (`make_slot`); `drop` runs once, with nothing else referring to the life.
            let array = unsafe { Box::from_raw(array) };
            for cell in array.iter() {
                let slot = cell.load(Ordering::Relaxed);
                if !slot.is_null() {
                    // SAFETY: stored once from `Box::into_raw` (`make_slot`), freed only here.
                    drop(unsafe { Box::from_raw(slot) });
                }
            }
        }
    }
}

/// How a ticket's operation reaches the pool.
pub(crate) enum Access<'a, P, Q> {
    /// Through this thread's slot, in a window.
    Here(&'a P, &'a Q),
    /// Without a slot (the thread is exiting): the shared state alone.
    Elsewhere,
    /// The owner is gone: the pool keeps nothing any more.
    Gone,
}

enum Entered<'a, S, P, Q> {
    Here(SlotWindow<'a, P, Q>),
    Elsewhere(UnslottedWindow<'a, S, P, Q>),
    Gone,
}

/// A window open on a slot; closed when dropped, also while unwinding.
struct SlotWindow<'a, P, Q> {
    slot: &'a Slot<P, Q>,
    depth: usize,
}

impl<P, Q> Drop for SlotWindow<'_, P, Q> {
    fn drop(&mut self) {
        // `Release`: everything done in the window happens before the owner's drop sees it
        // closed.
        self.slot.busy.store(self.depth, Ordering::Release);
    }
}

/// A leaf window, open until dropped.
struct LeafWindow<'a, P, Q>(&'a Slot<P, Q>);

impl<P, Q> Drop for LeafWindow<'_, P, Q> {
    fn drop(&mut self) {
        // `Release`, as for `SlotWindow`.
        self.0.leaf.store(false, Ordering::Release);
    }
}

/// An operation counted in `unslotted`; uncounted when dropped.
struct UnslottedWindow<'a, S, P, Q>(&'a Life<S, P, Q>);

impl<S, P, Q> Drop for UnslottedWindow<'_, S, P, Q> {
    fn drop(&mut self) {
        self.0.unslotted.fetch_sub(1, Ordering::Release);
    }
}

/// Frees a life when dropped: the last ticket's operation on a dead pool, also if it unwinds.
struct FreeIfLast<S, P, Q>(NonNull<Life<S, P, Q>>);

impl<S, P, Q> Drop for FreeIfLast<S, P, Q> {
    fn drop(&mut self) {
        // SAFETY: the caller held a ticket, so the life is alive up to this decrement.
        let life = unsafe { self.0.as_ref() };
        if life.tickets.fetch_sub(1, Ordering::Release) == 1 {
            // The other tickets' decrements happen before the free (a load rather than a
            // fence, for ThreadSanitizer).
            let _ = life.tickets.load(Ordering::Acquire);
            // SAFETY: this was the last ticket of a dead pool (whose owner is gone), so
            // nothing refers to the life any more; it came from `Box::leak` (`new`).
            unsafe { free(self.0) };
        }
    }
}

/// What the owner's drop does with every slot, once it has the pool to itself.
pub(crate) trait Reclaim<P, Q> {
    /// What reclaiming takes out (the idle blocks), dropped once the pool is dead, so that
    /// their drops run outside every window.
    type Garbage;

    fn reclaim(&self, slots: &mut dyn Iterator<Item = (&P, &Q)>) -> Self::Garbage;

    /// What an exiting thread does with its slot of a live pool, in a window: hand what the
    /// slot keeps back to the shared state. The thread's next owner inherits the slot.
    fn retire_slot(&self, public: &P, private: &Q) -> Self::Garbage;

    /// The tickets a slot's parts counted themselves: taken by [`Here::private_ticket`] minus
    /// given back by [`Ticket::try_redeem_here`], on the slot's thread. Read by the owner's
    /// drop, with every window closed.
    fn own_tickets(&self, public: &P, private: &Q) -> isize;
}

/// The unique owner of a pool's life: see the module docs.
pub(crate) struct Owner<S: Reclaim<P, Q>, P, Q> {
    life: NonNull<Life<S, P, Q>>,
    _owns: PhantomData<Life<S, P, Q>>,
}

/// One counted reference to a pool's life, one pointer wide, counted per thread.
pub(crate) struct Ticket<S: Reclaim<P, Q>, P, Q> {
    life: NonNull<Life<S, P, Q>>,
    _holds: PhantomData<Life<S, P, Q>>,
}

// SAFETY: an owner lends `&S` and `&P` on any thread (so `S` and `P` are `Sync`), moves nothing
// out of `S` but drops it wherever the pool ends (so `Send`), and hands `Q`, each thread's
// private part, to the thread that ends the pool (so `Q: Send`). Everything else it holds is
// atomic.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Send for Owner<S, P, Q> {}
// SAFETY: as for `Send`: `&Owner` lends only `&S` and `&P`, and each thread's own `Q`.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Sync for Owner<S, P, Q> {}
// SAFETY: as for the owner: a ticket lends `&S`, `&P` and its thread's own `Q`, and may be the
// one that frees them, on any thread.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Send for Ticket<S, P, Q> {}
// SAFETY: as for `Send`.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Sync for Ticket<S, P, Q> {}

impl<S: Reclaim<P, Q>, P, Q> Owner<S, P, Q> {
    /// A live pool with shared state `shared`; `make` builds a thread's slot on its first use.
    pub(crate) fn new(shared: S, make: fn(&S) -> (P, Q)) -> Self {
        barrier::init();
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&LIVES).insert(id);

        let life = Box::new(Life {
            id,
            state: AtomicU8::new(if barrier::light_is_free() {
                LIVE_UNFENCED
            } else {
                LIVE
            }),
            tickets: AtomicIsize::new(0),
            unslotted: AtomicUsize::new(0),
            closing: Mutex::new(()),
            make,
            buckets: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            shared,
        });
        Owner {
            life: NonNull::from(Box::leak(life)),
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    fn life(&self) -> &Life<S, P, Q> {
        // SAFETY: the owner keeps the life alive: it is freed only after the owner is dropped
        // (`close`).
        unsafe { self.life.as_ref() }
    }

    /// The shared state.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &S {
        &self.life().shared
    }

    /// This thread's slot (made on first use), or `None` while the thread exits.
    #[inline(always)]
    pub(crate) fn here(&self) -> Option<Here<'_, S, P, Q>> {
        let slot = self.life().mine(true)?;
        Some(Here { owner: self, slot })
    }

    /// A ticket, counted in this thread's slot (or centrally while the thread exits).
    #[inline]
    pub(crate) fn ticket(&self) -> Ticket<S, P, Q> {
        match self.here() {
            Some(here) => here.ticket(),
            None => {
                self.life().tickets.fetch_add(1, Ordering::Relaxed);
                Ticket {
                    life: self.life,
                    _holds: PhantomData,
                }
            }
        }
    }

    /// The public part of every slot made so far.
    pub(crate) fn publics(&self) -> impl Iterator<Item = &P> {
        self.life().slots().map(|(_, slot)| &slot.public)
    }
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Owner<S, P, Q> {
    /// Ends the pool: waits until no ticket operation is in progress, lets `S::reclaim` empty
    /// every slot, frees everything now if no ticket is left (or leaves that to the last one),
    /// and only then drops what was reclaimed.
    fn drop(&mut self) {
        let life = self.life();
        let closing = lock(&life.closing);
        life.state.store(DYING, Ordering::Relaxed);
        // Pairs with the fence in `enter_unslotted`.
        fence(Ordering::SeqCst);
        let backoff = Backoff::new();
        while life.unslotted.load(Ordering::Acquire) != 0 {
            backoff.snooze();
        }
        let mine = thread_index::held();
        if life.slots().any(|(index, _)| Some(index) != mine) {
            barrier::heavy();
        }
        for (_, slot) in life.slots() {
            let backoff = Backoff::new();
            while slot.busy.load(Ordering::Acquire) != 0 || slot.leaf.load(Ordering::Acquire) {
                backoff.snooze();
            }
        }
        let garbage = {
            // Dead even if `reclaim` unwinds: ticket operations wait for it. Dropped in place at
            // the end of the block, never passed by value: its drop may free the life its lock
            // guard points into, which a reference passed to a function must outlive.
            let _finish = Finish {
                life: self.life,
                closing: Some(closing),
            };
            life.shared
                .reclaim(&mut life.slots().map(|(_, slot)| (&slot.public, &slot.private)))
        };
        drop(garbage);
    }
}

/// This thread's slot of a live pool, as its owner reaches it.
pub(crate) struct Here<'a, S: Reclaim<P, Q>, P, Q> {
    owner: &'a Owner<S, P, Q>,
    slot: &'a Slot<P, Q>,
}

impl<'a, S: Reclaim<P, Q>, P, Q> Here<'a, S, P, Q> {
    #[inline(always)]
    pub(crate) fn public(&self) -> &'a P {
        &self.slot.public
    }

    #[inline(always)]
    pub(crate) fn private(&self) -> &'a Q {
        &self.slot.private
    }

    /// A ticket, counted in this slot.
    #[inline(always)]
    pub(crate) fn ticket(&self) -> Ticket<S, P, Q> {
        let held = self.slot.tickets.load(Ordering::Relaxed);
        self.slot.tickets.store(held + 1, Ordering::Relaxed);
        self.private_ticket()
    }

    /// A ticket that the slot's parts counted themselves, as [`Reclaim::own_tickets`] reports:
    /// a hot path counts it with a store it makes anyway.
    #[inline(always)]
    pub(crate) fn private_ticket(&self) -> Ticket<S, P, Q> {
        Ticket {
            life: self.owner.life,
            _holds: PhantomData,
        }
    }
}

/// Moves every ticket into the life's count and marks it dead, or frees it when none is left.
struct Finish<'a, S: Reclaim<P, Q>, P, Q> {
    life: NonNull<Life<S, P, Q>>,
    /// The life's `closing` lock, let go once the pool is dead (or before it is freed).
    closing: Option<MutexGuard<'a, ()>>,
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Finish<'_, S, P, Q> {
    fn drop(&mut self) {
        // SAFETY: the owner's drop runs this, with the life alive.
        let life = unsafe { self.life.as_ref() };
        // Nobody counts while the pool is dying: ticket operations wait for it to be dead.
        let total = life.tickets.load(Ordering::Relaxed)
            + life
                .slots()
                .map(|(_, slot)| {
                    slot.tickets.load(Ordering::Relaxed)
                        + life.shared.own_tickets(&slot.public, &slot.private)
                })
                .sum::<isize>();
        if total == 0 {
            // No ticket, so nobody waits on the lock: let go of it before it is freed.
            drop(self.closing.take());
            // SAFETY: no owner and no ticket left, and no operation in progress (the windows
            // were waited for): nothing refers to the life. It came from `Box::leak` (`new`).
            unsafe { free(self.life) };
        } else {
            life.tickets.store(total, Ordering::Relaxed);
            life.state.store(DEAD, Ordering::Release);
            drop(self.closing.take());
        }
    }
}

impl<S: Reclaim<P, Q>, P, Q> Ticket<S, P, Q> {
    #[inline(always)]
    fn life(&self) -> &Life<S, P, Q> {
        // SAFETY: a ticket is counted: the life is freed only once every ticket is given
        // back (`Finish`, `FreeIfLast`).
        unsafe { self.life.as_ref() }
    }

    /// The shared state.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &S {
        &self.life().shared
    }

    /// Gives the ticket back, running `f` on the way: in this thread's slot's window while the
    /// pool lives (`f` must not run user code there: the owner's drop waits for it), or after
    /// the owner is gone. The count goes down before `f` runs while the pool keeps the life
    /// alive, after it otherwise.
    #[inline(always)]
    pub(crate) fn redeem<R>(self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        // SAFETY: as in `life`: the ticket (`this`, not dropped before this returns) is counted.
        let life = unsafe { this.life.as_ref() };
        if let Some(window) = life.mine_last().and_then(|slot| life.enter_slot(slot)) {
            let held = window.slot.tickets.load(Ordering::Relaxed);
            window.slot.tickets.store(held - 1, Ordering::Relaxed);
            let done = f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            );
            drop(window);
            return done;
        }
        ManuallyDrop::into_inner(this).redeem_slow(f)
    }

    /// The hot path of [`redeem`](Self::redeem): when the thread-local shortcut finds this
    /// thread's slot of a live pool, runs `f` in a leaf window; if `f` succeeds, it counted the
    /// ticket given back in the slot's parts ([`Reclaim::own_tickets`]), and the ticket is
    /// gone. Otherwise (no shortcut, a pool no longer live, or `f` handing `value` back)
    /// returns the ticket and `value` for the general path. Nothing here calls out of line, so
    /// the compiler can keep it a leaf.
    ///
    /// `f` must run no code that could open a window on this pool (no user code: a drop of
    /// another handle would): leaf windows do not nest.
    #[inline(always)]
    pub(crate) fn try_redeem_here<V>(
        self,
        value: V,
        f: impl FnOnce(V, &S, &P, &Q) -> Result<(), V>,
    ) -> Result<(), (Self, V)> {
        let life = self.life();
        let Some(window) = life.mine_last().and_then(|slot| life.enter_leaf(slot)) else {
            return Err((self, value));
        };
        let slot = window.0;
        match f(value, &life.shared, &slot.public, &slot.private) {
            Ok(()) => {
                drop(window);
                std::mem::forget(self);
                Ok(())
            }
            Err(value) => {
                drop(window);
                Err((self, value))
            }
        }
    }

    /// [`redeem`](Self::redeem) off its fast path: the slot looked up or made, or none.
    #[cold]
    #[inline(never)]
    fn redeem_slow<R>(self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        let life = this.life();
        // Bound, so that the window closes before `this` goes.
        let done = match life.enter() {
            Entered::Here(window) => {
                let held = window.slot.tickets.load(Ordering::Relaxed);
                window.slot.tickets.store(held - 1, Ordering::Relaxed);
                f(
                    &life.shared,
                    Access::Here(&window.slot.public, &window.slot.private),
                )
            }
            Entered::Elsewhere(_window) => {
                life.tickets.fetch_sub(1, Ordering::Relaxed);
                f(&life.shared, Access::Elsewhere)
            }
            Entered::Gone => {
                life.wait_dead();
                let _last = FreeIfLast(this.life);
                f(&life.shared, Access::Gone)
            }
        };
        done
    }

    /// Runs `f` as [`redeem`](Self::redeem) does, keeping the ticket.
    #[inline(always)]
    pub(crate) fn visit<R>(&self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let life = self.life();
        if let Some(window) = life.mine_last().and_then(|slot| life.enter_slot(slot)) {
            let done = f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            );
            drop(window);
            return done;
        }
        self.visit_slow(f)
    }

    #[cold]
    #[inline(never)]
    fn visit_slow<R>(&self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let life = self.life();
        let done = match life.enter() {
            Entered::Here(window) => f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            ),
            Entered::Elsewhere(_window) => f(&life.shared, Access::Elsewhere),
            Entered::Gone => {
                life.wait_dead();
                f(&life.shared, Access::Gone)
            }
        };
        done
    }

    /// The ticket as one pointer, to be given back by [`from_raw`](Self::from_raw).
    pub(crate) fn into_raw(self) -> NonNull<u8> {
        ManuallyDrop::new(self).life.cast()
    }

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw) of a ticket of this type, and is not
    /// used again.
    pub(crate) unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        Ticket {
            life: raw.cast(),
            _holds: PhantomData,
        }
    }
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Ticket<S, P, Q> {
    fn drop(&mut self) {
        let this = Ticket {
            life: self.life,
            _holds: PhantomData,
        };
        this.redeem(|_, _| ());
    }
}

impl<S: Reclaim<P, Q>, P, Q> std::fmt::Debug for Ticket<S, P, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("pool", &self.life().id)
            .finish()
    }
}

impl<S: Reclaim<P, Q>, P, Q> std::fmt::Debug for Owner<S, P, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner")
            .field("pool", &self.life().id)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::sync::Arc;

    use super::*;

    /// Shared state that counts its drops.
    struct Shared(Arc<StdAtomicUsize>);

    impl Drop for Shared {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    thread_local! {
        /// What the last owner's drop saw of each slot: its counter and its private cell.
        static RECLAIMED: Cell<Vec<(usize, usize)>> = const { Cell::new(Vec::new()) };
    }

    impl Reclaim<StdAtomicUsize, Cell<usize>> for Shared {
        type Garbage = ();

        fn reclaim(&self, slots: &mut dyn Iterator<Item = (&StdAtomicUsize, &Cell<usize>)>) {
            let seen = slots
                .map(|(public, private)| (public.load(Ordering::Relaxed), private.get()))
                .collect();
            RECLAIMED.with(|r| r.set(seen));
        }

        fn retire_slot(&self, public: &StdAtomicUsize, _: &Cell<usize>) {
            public.fetch_add(100, Ordering::Relaxed);
        }

        fn own_tickets(&self, _: &StdAtomicUsize, _: &Cell<usize>) -> isize {
            0
        }
    }

    type TestOwner = Owner<Shared, StdAtomicUsize, Cell<usize>>;

    fn owner() -> (TestOwner, Arc<StdAtomicUsize>) {
        let dropped = Arc::new(StdAtomicUsize::new(0));
        let owner = Owner::new(Shared(Arc::clone(&dropped)), |_| {
            (StdAtomicUsize::new(0), Cell::new(0))
        });
        (owner, dropped)
    }

    fn access_name<P, Q>(access: &Access<'_, P, Q>) -> &'static str {
        match access {
            Access::Here(..) => "here",
            Access::Elsewhere => "elsewhere",
            Access::Gone => "gone",
        }
    }

    #[test]
    fn a_pool_with_no_ticket_out_is_freed_when_its_owner_goes() {
        let (owner, dropped) = owner();
        let here = owner.here().unwrap();
        here.public().fetch_add(1, Ordering::Relaxed);
        here.private().set(7);
        let ticket = owner.ticket();
        assert_eq!(ticket.redeem(|_, access| access_name(&access)), "here");
        drop(owner);
        assert_eq!(RECLAIMED.with(Cell::take), [(1, 7)]);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn tickets_outliving_their_owner_free_the_pool_with_the_last_of_them() {
        let (owner, dropped) = owner();
        let tickets: Vec<_> = (0..3).map(|_| owner.ticket()).collect();
        drop(owner);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        let mut tickets = tickets.into_iter();
        let first = tickets.next().unwrap();
        assert_eq!(first.visit(|_, access| access_name(&access)), "gone");
        drop(first);
        let second = tickets.next().unwrap();
        assert_eq!(second.redeem(|_, access| access_name(&access)), "gone");
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        drop(tickets);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_ticket_given_back_on_another_thread_counts_there() {
        let (owner, dropped) = owner();
        let ticket = owner.ticket();
        let name = std::thread::spawn(move || ticket.redeem(|_, access| access_name(&access)))
            .join()
            .unwrap();
        assert_eq!(name, "here", "the other thread made its own slot");
        drop(owner);
        assert_eq!(RECLAIMED.with(Cell::take).len(), 2);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            1,
            "counts sum to zero across slots"
        );
    }

    #[test]
    fn ten_thousand_pools_made_and_dropped_leave_nothing() {
        let dropped = Arc::new(StdAtomicUsize::new(0));
        let pools = if cfg!(miri) { 100 } else { 10_000 };
        for _ in 0..pools {
            let owner: TestOwner = Owner::new(Shared(Arc::clone(&dropped)), |_| {
                (StdAtomicUsize::new(0), Cell::new(0))
            });
            let _ = owner.here();
            drop(owner.ticket());
        }
        assert_eq!(dropped.load(Ordering::SeqCst), pools);
    }

    #[test]
    fn thread_indices_land_in_buckets_of_doubling_size() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(1), (1, 0));
        assert_eq!(locate(2), (1, 1));
        assert_eq!(locate(3), (2, 0));
        assert_eq!(locate(6), (2, 3));
        assert_eq!(locate(7), (3, 0));
        assert_eq!(
            locate(usize::MAX - 2),
            (BUCKETS - 1, (1 << (BUCKETS - 1)) - 2)
        );
    }
}
