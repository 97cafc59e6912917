//! The crate's one unsafe module: a manually reference-counted slot ([`RawArc`]) and a
//! fallible zeroed allocation ([`alloc_zeroed`]).
//!
//! `RawArc` is `Arc` without the weak count and with a hook for the last release: the slot is
//! handed back to its owner ([`Payload::last_release`]) instead of being freed, so pooled
//! handles recycle their reference-count headers and typed objects return to their pool.
//! The counting follows `bytes` and `std::sync::Arc`: increments are `Relaxed` and abort past
//! `isize::MAX`; decrements are `Release`, and the thread that drops the last reference does an
//! `Acquire` load before touching the payload (a load rather than a fence, which ThreadSanitizer
//! understands).

use std::alloc::{self, Layout};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::sync::{AtomicUsize, Ordering};
use crate::Error;

/// Allocates `size` zeroed bytes, reporting failure instead of aborting.
///
/// Zeroed (not uninitialised) memory keeps every pooled byte initialised for its whole life, so
/// the safe code around it can hand out `&[u8]` of any length up to the capacity.
pub(crate) fn alloc_zeroed(size: usize) -> Result<Box<[u8]>, Error> {
    if size == 0 {
        return Ok(Box::default());
    }
    let layout = Layout::array::<u8>(size).map_err(|_| Error::CapacityOverflow)?;
    // SAFETY: `layout` has a non-zero size (checked above), as `alloc_zeroed` requires.
    let ptr = unsafe { alloc::alloc_zeroed(layout) };
    let ptr = NonNull::new(ptr).ok_or(Error::AllocFailed { size })?;
    let slice = NonNull::slice_from_raw_parts(ptr, size);
    // SAFETY: `slice` was just allocated by the global allocator with the layout of `[u8; size]`,
    // is zeroed (so initialised), and is owned by nobody else: exactly what `Box<[u8]>` owns.
    Ok(unsafe { Box::from_raw(slice.as_ptr()) })
}

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
