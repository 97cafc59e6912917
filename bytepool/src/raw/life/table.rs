//! The table of a life's slots: one per thread index, in buckets that double in size, made on
//! a thread's first use and found again through a thread-local shortcut to the last one used.

use std::ptr::NonNull;

use super::{locate, retire_slot, thread_index, Life, Reclaim, Slot, BUCKETS, LAST, LIVES};
use crate::sync::{lock, AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

impl<S: Reclaim<P, Q>, P, Q> Life<S, P, Q> {
    /// The slot of thread index `index`, if it was made.
    pub(super) fn slot_at(&self, index: usize) -> Option<&Slot<P, Q>> {
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
    pub(super) fn make_slot(&self, index: usize) -> &Slot<P, Q> {
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
    pub(super) fn adopt(&self, slot: &Slot<P, Q>) {
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
    pub(super) fn slots(&self) -> impl Iterator<Item = (usize, &Slot<P, Q>)> {
        (0..BUCKETS)
            .filter(|&bucket| !self.buckets[bucket].load(Ordering::Acquire).is_null())
            .flat_map(|bucket| (0..1usize << bucket).map(move |at| (1 << bucket) - 1 + at))
            .filter_map(|index| Some((index, self.slot_at(index)?)))
    }

    /// This thread's slot, through the shortcut or the table; made if missing. `None` for a
    /// thread that is exiting.
    #[inline(always)]
    pub(super) fn mine_or_make(&self) -> Option<&Slot<P, Q>> {
        match self.mine_last() {
            Some(slot) => Some(slot),
            None => self.mine_slow(Missing::Make),
        }
    }

    /// This thread's slot, if it has one: `None` for a thread that has none or is exiting.
    pub(super) fn mine(&self) -> Option<&Slot<P, Q>> {
        match self.mine_last() {
            Some(slot) => Some(slot),
            None => self.mine_slow(Missing::Leave),
        }
    }

    /// This thread's slot, if the shortcut holds it: the hot paths' lookup.
    #[inline(always)]
    pub(super) fn mine_last(&self) -> Option<&Slot<P, Q>> {
        let (id, slot) = LAST.with(std::cell::Cell::get);
        if id != self.id {
            return None;
        }
        // The shortcut is set (`mine_slow`) only to this thread's slot of the life with this
        // id, and ids are never reused.
        // SAFETY: so that life is `self`, which frees its slots only when freed itself.
        Some(unsafe { &*slot.cast::<Slot<P, Q>>() })
    }

    #[cold]
    fn mine_slow(&self, missing: Missing) -> Option<&Slot<P, Q>> {
        let index = thread_index::current()?;
        let slot = match (self.slot_at(index), missing) {
            (Some(slot), _) => slot,
            (None, Missing::Make) => self.make_slot(index),
            (None, Missing::Leave) => return None,
        };
        self.adopt(slot);
        let erased: *const Slot<P, Q> = slot;
        LAST.with(|last| last.set((self.id, erased.cast())));
        Some(slot)
    }
}

/// What a lookup of this thread's slot does when there is none.
#[derive(Clone, Copy)]
enum Missing {
    Make,
    Leave,
}
