//! [`RawArc`]: a reference-counted [`Slot`] whose last release hands the slot back to its
//! owner ([`Payload::last_release`]) instead of freeing it, and [`Homed`] objects built in their
//! slot ([`Slot::new_homed`], [`Emplace`]).

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{addr_of_mut, NonNull};

use crate::sync::{AtomicUsize, Ordering};

/// What a [`RawArc`] does with its slot when the last reference goes.
pub(crate) trait Payload: Sized {
    /// Takes back the slot of the last reference; the default frees it.
    fn last_release(slot: Box<Slot<Self>>) {
        drop(slot);
    }
}

/// A heap slot with a reference count, reusable across [`RawArc`] lifetimes.
#[derive(Debug)]
pub(crate) struct Slot<P> {
    count: AtomicUsize,
    pub(crate) value: P,
}

impl<P> Slot<P> {
    pub(crate) fn new(value: P) -> Box<Self> {
        Box::new(Slot {
            count: AtomicUsize::new(0),
            value,
        })
    }
}

/// A typed pool's object and its way home: the payload of a [`Slot`] that
/// [`Slot::new_homed`] builds in place.
pub(crate) struct Homed<T, H> {
    pub(crate) value: T,
    pub(crate) home: H,
}

impl<T, H> Slot<Homed<T, H>> {
    /// A slot holding the value `make` returns, written straight into the slot's heap memory,
    /// and `home`. A large `T` then needs no stack beyond what `make` uses: the same as
    /// `Box::new(make())`, where building the value and then moving it into a payload and a
    /// slot would put it on the stack once per step.
    #[inline(always)]
    pub(crate) fn new_homed(home: H, make: impl FnOnce() -> T) -> Box<Self> {
        Self::new_emplaced(home, |value| emplace(value, make))
    }

    /// [`new_homed`](Self::new_homed) with an [`Emplace`]: through a boxed closure, the value
    /// is still written in place (a closure returning it would return it through the stack).
    pub(crate) fn new_from(home: H, emplace: &Emplace<T>) -> Box<Self> {
        Self::new_emplaced(home, &*emplace.0)
    }

    /// `init` writes the value into the `MaybeUninit` it is given, or unwinds (both callers
    /// above guarantee it: their closures end in `emplace`).
    #[inline(always)]
    fn new_emplaced(home: H, init: impl FnOnce(&mut MaybeUninit<T>)) -> Box<Self> {
        let mut slot = Box::<Self>::new_uninit();
        let ptr = slot.as_mut_ptr();
        // The projection creates no reference to uninitialised memory, and a `MaybeUninit<T>`
        // (same layout as `T`) may be uninitialised. If `init` unwinds, `slot` frees the
        // allocation without dropping anything in it.
        // SAFETY: `ptr` points at the slot's allocation, valid for writes, not yet initialised.
        init(unsafe { &mut *addr_of_mut!((*ptr).value.value).cast::<MaybeUninit<T>>() });
        // SAFETY: as above; a field of its own, written once.
        unsafe { addr_of_mut!((*ptr).value.home).write(home) };
        // SAFETY: as above; the count, the last field, written once.
        unsafe { addr_of_mut!((*ptr).count).write(AtomicUsize::new(0)) };
        // SAFETY: `init` wrote the value (it returned), and the two lines above the other two
        // fields.
        unsafe { slot.assume_init() }
    }
}

/// A factory behind a pointer that builds its value where it is told to: a `Pool`'s factory,
/// kept boxed, which [`Slot::new_from`] calls to write a new object straight into its slot.
pub(crate) struct Emplace<T>(EmplaceFn<T>);

type EmplaceFn<T> = Box<dyn Fn(&mut MaybeUninit<T>) + Send + Sync>;

impl<T> Emplace<T> {
    pub(crate) fn new(make: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Emplace(Box::new(move |value| emplace(value, &make)))
    }
}

/// Writes `make()` into `value`. `MaybeUninit::write` would do, but unoptimised builds give it
/// a frame with a copy of the value of its own: one more `T` on the stack.
#[inline(always)]
fn emplace<T>(value: &mut MaybeUninit<T>, make: impl FnOnce() -> T) {
    // SAFETY: `value` is a unique borrow of memory for a `T`, valid for writes; a `MaybeUninit`
    // holds nothing to drop, so overwriting it leaks nothing.
    unsafe { value.as_mut_ptr().write(make()) };
}

/// A shared reference to a [`Slot`]; the last one passes the slot to [`Payload::last_release`].
pub(crate) struct RawArc<P: Payload> {
    ptr: NonNull<Slot<P>>,
    // Owns a `Slot<P>` for the drop checker and the auto traits.
    _owns: PhantomData<Slot<P>>,
}

// SAFETY: a `RawArc<P>` gives shared access to `P` from every thread holding a clone (so `P: Sync`)
// and the last release moves the `P` to whichever thread drops last (so `P: Send`); the count
// itself is atomic. These are exactly `Arc<P>`'s bounds.
unsafe impl<P: Payload + Send + Sync> Send for RawArc<P> {}
// SAFETY: as for `Send`: `&RawArc<P>` can clone (moving a `P` owner across threads) and deref.
unsafe impl<P: Payload + Send + Sync> Sync for RawArc<P> {}

impl<P: Payload> RawArc<P> {
    /// Makes `slot` shared, with a count of one.
    pub(crate) fn from_box(slot: Box<Slot<P>>) -> Self {
        // Unique access through the box: no other thread can observe the count yet; the
        // handle is published to other threads only through a synchronising operation.
        slot.count.store(1, Ordering::Relaxed);
        RawArc {
            ptr: NonNull::from(Box::leak(slot)),
            _owns: PhantomData,
        }
    }

    fn slot(&self) -> &Slot<P> {
        // SAFETY: `ptr` came from `Box::leak` in `from_box` and the slot is freed or handed back
        // only by the last reference (`release`), so it is live while `self` exists.
        unsafe { self.ptr.as_ref() }
    }

    /// The shared value.
    pub(crate) fn get(&self) -> &P {
        &self.slot().value
    }

    /// The number of references (a snapshot: other threads may change it right after).
    pub(crate) fn ref_count(&self) -> usize {
        self.slot().count.load(Ordering::Acquire)
    }

    /// Mutable access when this is the only reference.
    pub(crate) fn get_mut(&mut self) -> Option<&mut P> {
        if self.ref_count() != 1 {
            return None;
        }
        // SAFETY: count == 1 and it is ours, so no other `RawArc` exists or can be made; the
        // `Acquire` load in `ref_count` ordered every earlier release before this access.
        Some(unsafe { &mut self.ptr.as_mut().value })
    }

    /// The slot, if this is the only reference; otherwise `self` back.
    pub(crate) fn try_unwrap(self) -> Result<Box<Slot<P>>, Self> {
        if self.ref_count() != 1 {
            return Err(self);
        }
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: we held the only reference (checked above) and `forget` ended it without a
        // decrement, so the box leaked in `from_box` is ours to reclaim, exactly once.
        Ok(unsafe { Box::from_raw(ptr.as_ptr()) })
    }

    /// Drops one reference; returns the slot when it was the last.
    fn release(&mut self) -> Option<Box<Slot<P>>> {
        let count = &self.slot().count;
        // The common single-owner case needs no read-modify-write: with a count of 1 we hold the
        // only reference and nobody can create another.
        if count.load(Ordering::Acquire) != 1 {
            if count.fetch_sub(1, Ordering::Release) != 1 {
                return None;
            }
            // Synchronise with the `Release` decrements of the other owners before reusing
            // the slot (an `Acquire` load rather than a fence, for ThreadSanitizer).
            let _ = count.load(Ordering::Acquire);
        }
        // SAFETY: ours was the last reference (count 1, or our decrement reached 0), ordered after
        // the others by the `Acquire` above; `ptr` came from `Box::leak` and this runs once.
        Some(unsafe { Box::from_raw(self.ptr.as_ptr()) })
    }
}

impl<P: Payload> Clone for RawArc<P> {
    fn clone(&self) -> Self {
        // `Relaxed` suffices for an increment (a new reference is made from an existing one, so
        // the slot cannot be released concurrently); see `std::sync::Arc::clone`.
        let old = self.slot().count.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            // Like `Arc`: a count this high means leaked clones; wrapping would free a live slot.
            std::process::abort();
        }
        RawArc {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<P: Payload> Drop for RawArc<P> {
    fn drop(&mut self) {
        if let Some(slot) = self.release() {
            P::last_release(slot);
        }
    }
}

impl<P: Payload + std::fmt::Debug> std::fmt::Debug for RawArc<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawArc")
            .field("count", &self.ref_count())
            .field("value", self.get())
            .finish()
    }
}
