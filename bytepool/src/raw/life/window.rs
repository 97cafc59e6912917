//! The windows that a ticket's operation runs in, and that the owner's drop waits for (see the
//! module docs of [`super`]).

use std::ptr::NonNull;

use super::{barrier, free, is_live, thread_index, Life, Reclaim, Slot, LIVE_UNFENCED};
use crate::sync::{fence, Ordering};

/// How a ticket's operation reaches the pool.
pub(crate) enum Access<'a, P, Q> {
    /// Through this thread's slot, in a window.
    Here(&'a P, &'a Q),
    /// Without a slot (the thread is exiting): the shared state alone.
    Elsewhere,
    /// The owner is gone: the pool keeps nothing any more.
    Gone,
}

pub(super) enum Entered<'a, S, P, Q> {
    Here(SlotWindow<'a, P, Q>),
    Elsewhere(UnslottedWindow<'a, S, P, Q>),
    Gone,
}

/// A window open on a slot; closed when dropped, also while unwinding.
pub(super) struct SlotWindow<'a, P, Q> {
    pub(super) slot: &'a Slot<P, Q>,
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
pub(super) struct LeafWindow<'a, P, Q>(pub(super) &'a Slot<P, Q>);

impl<P, Q> Drop for LeafWindow<'_, P, Q> {
    fn drop(&mut self) {
        // `Release`, as for `SlotWindow`.
        self.0.leaf.store(false, Ordering::Release);
    }
}

/// An operation counted in `unslotted`; uncounted when dropped.
pub(super) struct UnslottedWindow<'a, S, P, Q>(pub(super) &'a Life<S, P, Q>);

impl<S, P, Q> Drop for UnslottedWindow<'_, S, P, Q> {
    fn drop(&mut self) {
        self.0.unslotted.fetch_sub(1, Ordering::Release);
    }
}

/// Frees a life when dropped: the last ticket's operation on a dead pool, also if it unwinds.
pub(super) struct FreeIfLast<S, P, Q>(pub(super) NonNull<Life<S, P, Q>>);

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

impl<S: Reclaim<P, Q>, P, Q> Life<S, P, Q> {
    /// Opens a window on `slot`, this thread's: `None` when the pool is no longer live.
    pub(super) fn enter_slot<'a>(&self, slot: &'a Slot<P, Q>) -> Option<SlotWindow<'a, P, Q>> {
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
    pub(super) fn enter_leaf<'a>(&self, slot: &'a Slot<P, Q>) -> Option<LeafWindow<'a, P, Q>> {
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
    pub(super) fn live_after_mark(&self) -> bool {
        // Only the compiler must not move the load above the mark.
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        if self.state.load(Ordering::Relaxed) == LIVE_UNFENCED {
            return true;
        }
        barrier::light();
        is_live(self.state.load(Ordering::Relaxed))
    }

    /// Opens a window for a ticket's operation: see the module docs.
    pub(super) fn enter(&self) -> Entered<'_, S, P, Q> {
        match self.mine() {
            Some(slot) => match self.enter_slot(slot) {
                Some(window) => Entered::Here(window),
                None => Entered::Gone,
            },
            None => self.enter_unslotted(),
        }
    }

    #[cold]
    pub(super) fn enter_unslotted(&self) -> Entered<'_, S, P, Q> {
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
}
