//! Each thread keeps a few empty reference-count slots, so `freeze` allocates nothing in
//! steady state. A buffer frozen on one thread and released on another moves its slot between
//! the threads' free lists, so a full list spills half its slots to a process-wide queue of
//! spares and an empty one refills half from it: a producer and a consumer thread trade slots
//! in batches instead of allocating and freeing one per buffer. Under loom, whose atomics must
//! not outlive one model execution, every slot is new and freed.

#[cfg(not(loom))]
pub(super) use free_list::{new, pop, put};
#[cfg(loom)]
pub(super) use model::{new, pop, put};

#[cfg(not(loom))]
mod free_list {
    use std::sync::LazyLock;

    use super::super::BufferMut;
    use crate::raw::{Slot, Stack};
    use crate::sync::ArrayQueue;

    /// Slots one thread keeps.
    const KEEP: usize = 64;

    /// Spare slots kept for all threads (about 60 KiB at most).
    const SPARES: usize = 1024;

    std::thread_local! {
        /// Free slots. It has no destructor, so reaching it costs no "destroyed yet?" check;
        /// it keeps nothing (limit 0) until this thread has a [`Drain`] to empty it at exit.
        static FREE: Stack<Box<Slot<BufferMut>>, KEEP> = const { Stack::new() };
        static DRAIN: Drain = const { Drain };
    }

    /// Slots spilled by threads whose free list was full, for threads whose list is empty.
    static SPARE: LazyLock<ArrayQueue<Box<Slot<BufferMut>>>> =
        LazyLock::new(|| ArrayQueue::new(SPARES));

    /// Frees this thread's free slots at thread exit, and keeps further slots out.
    struct Drain;

    impl Drop for Drain {
        fn drop(&mut self) {
            let _ = FREE.try_with(|free| {
                free.set_limit(0);
                while let Some(slot) = free.pop() {
                    spare(slot);
                }
            });
        }
    }

    /// A free slot of this thread, if any.
    #[inline]
    pub(in crate::buf) fn pop() -> Option<Box<Slot<BufferMut>>> {
        let slot = FREE.try_with(Stack::pop).ok().flatten();
        #[cfg(loom)]
        let slot = None;
        slot
    }

    /// A slot when this thread has none free: a spare (refilling half the free list from the
    /// spares), or a new one.
    #[cold]
    pub(in crate::buf) fn new() -> Box<Slot<BufferMut>> {
        if let Some(slot) = SPARE.pop() {
            let _ = FREE.try_with(|free| free.refill_half(|| SPARE.pop(), spare));
            return slot;
        }
        Slot::new(BufferMut::new())
    }

    #[inline]
    pub(in crate::buf) fn put(slot: Box<Slot<BufferMut>>) {
        debug_assert!(slot.value.capacity() == 0);
        if let Ok(Err(slot)) = FREE.try_with(|free| free.push(slot)) {
            put_slow(slot);
        }
        #[cfg(loom)]
        drop(slot);
    }

    /// A slot the free list refused: it is full (half of it is spilled to the spares), or not
    /// open yet on this thread. It opens once its drain is registered, which cannot happen
    /// after the drain has run at thread exit; a slot it cannot keep is offered to the spares
    /// and freed when they are full too.
    #[cold]
    fn put_slow(slot: Box<Slot<BufferMut>>) {
        let drained_at_exit = DRAIN.try_with(|_| ()).is_ok();
        let _ = FREE.try_with(|free| {
            if drained_at_exit && free.limit() == 0 {
                free.set_limit(KEEP);
            }
            if free.len() >= free.limit() {
                free.spill_half(spare);
            }
            if let Err(slot) = free.push(slot) {
                spare(slot);
            }
        });
    }

    /// Keeps `slot` as a spare, or frees it when the spares are full.
    fn spare(slot: Box<Slot<BufferMut>>) {
        // A refused slot comes back in the `Err`, and is freed with it.
        let _ = SPARE.push(slot);
    }
}

/// Under loom: no free list.
#[cfg(loom)]
mod model {
    use super::super::BufferMut;
    use crate::raw::Slot;

    pub(in crate::buf) fn pop() -> Option<Box<Slot<BufferMut>>> {
        None
    }

    pub(in crate::buf) fn new() -> Box<Slot<BufferMut>> {
        Slot::new(BufferMut::new())
    }

    pub(in crate::buf) fn put(slot: Box<Slot<BufferMut>>) {
        drop(slot);
    }
}
