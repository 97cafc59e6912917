//! The crate's one unsafe module: a manually reference-counted slot ([`RawArc`]) that a typed
//! pool's object is built in place in ([`Slot::new_homed`], [`Emplace`]), a fallible zeroed
//! allocation ([`alloc_zeroed`]), a value dropped by value ([`Consumed`]), a static
//! reference or a pool's ticket in one word ([`StaticOr`]), an instance pool's life without a
//! reference count on its hot path ([`life`]), and the two pieces that let a thread
//! cache live in a thread-local without a destructor ([`Stack`], whose length may live in a
//! counter block's [`LenWord`], and [`Anchor`] with its [`Keeper`]).
//!
//! `RawArc` is `Arc` without the weak count and with a hook for the last release: the slot is
//! handed back to its owner ([`Payload::last_release`]) instead of being freed, so pooled
//! handles recycle their reference-count headers and typed objects return to their pool.
//! The counting follows `bytes` and `std::sync::Arc`: increments are `Relaxed` and abort past
//! `isize::MAX`; decrements are `Release`, and the thread that drops the last reference does an
//! `Acquire` load before touching the payload (a load rather than a fence, which ThreadSanitizer
//! understands).

mod barrier;
pub(crate) mod life;
mod stack;
mod thread_index;

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::ptr::{addr_of_mut, NonNull};

#[cfg(not(loom))]
use std::thread::LocalKey;

#[cfg(not(loom))]
use crate::sync::Cell;
use crate::sync::{AtomicUsize, Ordering};

use crate::Error;

pub(crate) use life::{Access, Owner, Reclaim, Ticket};
pub(crate) use stack::{Beside, LenWord, Length};
pub use stack::{Counted, Inline};
pub(crate) use stack::{Kept, Stack};

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

/// A value that is used up, by value, when its owner drops it: see [`Consumed`].
pub(crate) trait Consume {
    /// Runs instead of the value's drop glue.
    fn consume(self);
}

/// Owns a `T` and hands it to [`Consume::consume`] by value when dropped.
///
/// `Drop` lends `&mut self`, so a handle that gives its parts away on drop must leave
/// placeholders behind (`mem::take`), which the drop glue then inspects again after the
/// hand-off; across an indirect call the compiler cannot prove them empty. Here the drop moves
/// the value out once and nothing runs after `consume`, which can then be a tail call.
pub(crate) struct Consumed<T: Consume>(ManuallyDrop<T>);

impl<T: Consume> Consumed<T> {
    pub(crate) const fn new(value: T) -> Self {
        Consumed(ManuallyDrop::new(value))
    }

    /// The value, without consuming it.
    pub(crate) fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so this is the only move out of the value.
        unsafe { ManuallyDrop::take(&mut this.0) }
    }
}

impl<T: Consume> Deref for Consumed<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Consume> DerefMut for Consumed<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Consume> Drop for Consumed<T> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once, and `into_inner` forgets `self` instead of dropping
        // it, so the value is still there and is moved out exactly once.
        let value = unsafe { ManuallyDrop::take(&mut self.0) };
        value.consume();
    }
}

impl<T: Consume + fmt::Debug> fmt::Debug for Consumed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

/// A `&'static S` or an owned `O` (a one-pointer value such as a pool's [`Ticket`]) in one
/// word: a handle's way back to its pool, which is either a process-wide pool (`'static`,
/// nothing counted) or an instance pool the handle holds a ticket of.
///
/// An enum of the two would take two words, since neither pointer has a niche the other can
/// use; here bit 0 of the address says which it is (`S` is aligned to at least 2, and an `O`'s
/// pointer must be too).
pub(crate) struct StaticOr<S: 'static, O: OnePointer> {
    /// Bit 0 clear: a `&'static S`. Set: `O::into_raw` of an `O`, plus 1.
    ptr: NonNull<u8>,
    // Holds one of the two, for the drop checker and the auto traits.
    _holds: PhantomData<(&'static S, O)>,
}

/// An owned value that is one pointer, aligned to at least 2, given up and taken back whole.
pub(crate) trait OnePointer: Sized {
    /// What the pointer points at, aligned to at least 2 (checked at compile time).
    type Pointee;

    fn into_raw(self) -> NonNull<u8>;

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw), and this is its only use.
    unsafe fn from_raw(raw: NonNull<u8>) -> Self;
}

impl<S: Reclaim<P, Q>, P, Q> OnePointer for Ticket<S, P, Q> {
    type Pointee = life::Life<S, P, Q>;

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        Ticket::into_raw(self)
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        // SAFETY: the caller passes `into_raw` of a ticket of this type, once.
        unsafe { Ticket::from_raw(raw) }
    }
}

/// What a [`StaticOr`] holds.
pub(crate) enum Either<S, O> {
    Static(S),
    Owned(O),
}

/// An `O` lent out of a [`StaticOr`] for the borrow's length: it is not dropped.
pub(crate) struct Lent<'a, O>(ManuallyDrop<O>, PhantomData<&'a O>);

impl<O> Deref for Lent<'_, O> {
    type Target = O;

    #[inline(always)]
    fn deref(&self) -> &O {
        &self.0
    }
}

// SAFETY: a `StaticOr<S, O>` is a `&'static S` or an `O`, and is `Send` exactly when both of
// those are.
unsafe impl<S: Sync, O: OnePointer + Send> Send for StaticOr<S, O> {}
// SAFETY: as for `Send`: it lends out only `&S` and `&O`, and both of those are `Sync` here.
unsafe impl<S: Sync, O: OnePointer + Sync> Sync for StaticOr<S, O> {}

impl<S: 'static, O: OnePointer> StaticOr<S, O> {
    const TAG: usize = 1;
    const ALIGNED: () = assert!(align_of::<S>() > Self::TAG);
    const OWNED_ALIGNED: () = assert!(align_of::<O::Pointee>() > Self::TAG);

    #[inline(always)]
    pub(crate) fn from_static(s: &'static S) -> Self {
        let () = Self::ALIGNED;
        StaticOr {
            ptr: NonNull::from(s).cast(),
            _holds: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn from_owned(o: O) -> Self {
        let () = Self::OWNED_ALIGNED;
        let raw = o.into_raw();
        debug_assert!(
            raw.addr().get() & Self::TAG == 0,
            "a one-pointer value is aligned to 2"
        );
        StaticOr {
            ptr: raw.map_addr(|addr| addr | Self::TAG),
            _holds: PhantomData,
        }
    }

    /// The owned value's pointer, when this holds one.
    #[inline(always)]
    fn owned_ptr(&self) -> Option<NonNull<u8>> {
        let tagged = self.ptr.as_ptr();
        if tagged.addr() & Self::TAG == 0 {
            return None;
        }
        let raw = tagged.map_addr(|addr| addr & !Self::TAG);
        // SAFETY: the tag is set only on an owned value's pointer (`from_owned`), which is not
        // null and has bit 0 clear (`OWNED_ALIGNED`), so clearing the tag gives it back.
        Some(unsafe { NonNull::new_unchecked(raw) })
    }

    #[inline(always)]
    pub(crate) fn get(&self) -> Either<&'static S, Lent<'_, O>> {
        let Some(raw) = self.owned_ptr() else {
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            return Either::Static(unsafe { self.ptr.cast::<S>().as_ref() });
        };
        // SAFETY: `ptr` is `into_raw` of an `O` that `self` owns (`from_owned`); the copy made
        // here is lent, never dropped, for no longer than `self` is borrowed.
        let lent = ManuallyDrop::new(unsafe { O::from_raw(raw) });
        Either::Owned(Lent(lent, PhantomData))
    }

    #[inline(always)]
    pub(crate) fn into_inner(self) -> Either<&'static S, O> {
        let this = ManuallyDrop::new(self);
        match this.owned_ptr() {
            // SAFETY: `ptr` is `into_raw` of an `O` that `this` owned; `this` is not dropped,
            // so the `O` rebuilt here is its only owner.
            Some(raw) => Either::Owned(unsafe { O::from_raw(raw) }),
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            None => Either::Static(unsafe { this.ptr.cast::<S>().as_ref() }),
        }
    }
}

impl<S: 'static, O: OnePointer> Drop for StaticOr<S, O> {
    fn drop(&mut self) {
        if let Some(raw) = self.owned_ptr() {
            // SAFETY: as in `into_inner`; `drop` runs once, so the `O` is rebuilt once.
            drop(unsafe { O::from_raw(raw) });
        }
    }
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
        // SAFETY: `ptr` points at the slot's allocation, valid for writes and not yet
        // initialised; the projection creates no reference to uninitialised memory, and a
        // `MaybeUninit<T>` (same layout as `T`) may be uninitialised. If `init` unwinds, `slot`
        // frees the allocation without dropping anything in it.
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

#[cfg(not(loom))]
/// A value in a destructor-free thread-local (the cache) that points at a value kept by a
/// second thread-local with a destructor (the [`Keeper`]). Only [`Keeper::hold`] sets it, and
/// the keeper clears it before dropping what it points at.
#[doc(hidden)]
pub struct Anchor<T>(Cell<Option<NonNull<T>>>);

#[cfg(not(loom))]
impl<T> Anchor<T> {
    pub(crate) const fn new() -> Self {
        Anchor(Cell::new(None))
    }

    /// The kept value, while its keeper holds it.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&T> {
        // Only `Keeper::hold` sets the pointer: to the value its keeper (a thread-local of this
        // thread; the anchor is `!Send`) owns. The keeper's destructor clears this anchor before
        // it frees the value, and runs at thread exit from the runtime, never nested inside a
        // pool operation that could still hold a reference returned here.
        // SAFETY: so while the pointer is set, it points at a live value nobody mutates.
        self.0.get().map(|ptr| unsafe { ptr.as_ref() })
    }

    fn clear(&self) {
        self.0.set(None);
    }
}

#[cfg(not(loom))]
impl<T> fmt::Debug for Anchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Anchor")
            .field(&self.0.get().is_some())
            .finish()
    }
}

#[cfg(not(loom))]
/// A thread-local type that anchors a value kept by a [`Keeper`].
#[doc(hidden)]
pub trait Anchored: 'static {
    /// What the keeper keeps.
    type Target: 'static;

    /// The anchor in this thread's value.
    fn anchor(&self) -> &Anchor<Self::Target>;

    /// Called at thread exit while the kept value is still anchored, before it is dropped.
    fn retire(&self);
}

#[cfg(not(loom))]
/// Keeps, in a thread-local with a destructor, the value that a destructor-free thread-local
/// of type `C` reaches through its [`Anchor`]; at thread exit, retires the other value, clears
/// the anchor and only then drops what it keeps.
///
/// The value lives in its own allocation, not inside the keeper: dropping the keeper borrows
/// it mutably, which must not overlap the shared borrows the anchor hands out.
#[doc(hidden)]
pub struct Keeper<C: Anchored> {
    /// From `Box::leak`, owned by the keeper.
    value: Cell<Option<NonNull<C::Target>>>,
    anchored: Cell<Option<&'static LocalKey<C>>>,
}

#[cfg(not(loom))]
impl<C: Anchored> Keeper<C> {
    /// A keeper holding nothing.
    #[must_use]
    pub const fn new() -> Self {
        Keeper {
            value: Cell::new(None),
            anchored: Cell::new(None),
        }
    }

    /// Keeps `value` in this thread's `keeper` and anchors it in this thread's `anchored`;
    /// `false` (and `value` dropped) when the keeper is being destroyed (the thread is
    /// exiting) or already keeps a value.
    pub fn hold(
        keeper: &'static LocalKey<Self>,
        anchored: &'static LocalKey<C>,
        value: C::Target,
    ) -> bool {
        keeper
            .try_with(|keeper| {
                if keeper.value.get().is_some() {
                    return false;
                }
                let kept = NonNull::from(Box::leak(Box::new(value)));
                if anchored
                    .try_with(|owner| owner.anchor().0.set(Some(kept)))
                    .is_err()
                {
                    // SAFETY: `kept` came from `Box::leak` just above and was anchored nowhere.
                    drop(unsafe { Box::from_raw(kept.as_ptr()) });
                    return false;
                }
                keeper.value.set(Some(kept));
                keeper.anchored.set(Some(anchored));
                true
            })
            .unwrap_or(false)
    }
}

#[cfg(not(loom))]
impl<C: Anchored> Default for Keeper<C> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(loom))]
impl<C: Anchored> Drop for Keeper<C> {
    fn drop(&mut self) {
        if let Some(anchored) = self.anchored.take() {
            // A destroyed owner has no anchor left to clear.
            let _ = anchored.try_with(|owner| {
                // Cleared even if `retire` unwinds: the kept value is dropped next either way.
                let _clear = ClearOnDrop(owner.anchor());
                owner.retire();
            });
        }
        if let Some(kept) = self.value.take() {
            // The anchor pointing at it was cleared just above, and no reference it lent is in
            // use: this destructor runs from the thread-exit runtime, not inside a pool operation.
            // SAFETY: `kept` came from `Box::leak` in `hold`; the cell is empty now, so once.
            drop(unsafe { Box::from_raw(kept.as_ptr()) });
        }
    }
}

#[cfg(not(loom))]
/// Clears an anchor when dropped, also while unwinding.
struct ClearOnDrop<'a, T>(&'a Anchor<T>);

#[cfg(not(loom))]
impl<T> Drop for ClearOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.clear();
    }
}

#[cfg(not(loom))]
impl<C: Anchored> fmt::Debug for Keeper<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("holds", &self.value.get().is_some())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    static ANSWER: u64 = 42;

    /// A one-pointer value for the tests: a static counter, counting each time it is rebuilt.
    impl OnePointer for &'static std::sync::atomic::AtomicUsize {
        type Pointee = std::sync::atomic::AtomicUsize;

        fn into_raw(self) -> NonNull<u8> {
            NonNull::from(self).cast()
        }

        unsafe fn from_raw(raw: NonNull<u8>) -> Self {
            self_drops(raw)
        }
    }

    fn self_drops(raw: NonNull<u8>) -> &'static std::sync::atomic::AtomicUsize {
        // SAFETY: the tests store only `&'static AtomicUsize`s.
        let count = unsafe { raw.cast::<std::sync::atomic::AtomicUsize>().as_ref() };
        count.fetch_add(1, Ordering::Relaxed);
        count
    }

    #[test]
    fn a_static_or_gives_back_the_static_it_holds() {
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let held = Held::from_static(&ANSWER);
        assert!(matches!(held.get(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
        assert!(matches!(held.into_inner(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
    }

    #[test]
    fn a_static_or_rebuilds_what_it_owns_once_per_use() {
        static REBUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let held = Held::from_owned(&REBUILT);
        assert!(matches!(held.get(), Either::Owned(o) if std::ptr::eq(*o, &REBUILT)));
        assert_eq!(REBUILT.load(Ordering::Relaxed), 1, "lent: rebuilt once");
        let Either::Owned(back) = held.into_inner() else {
            panic!("an owned value came back as a static");
        };
        assert!(std::ptr::eq(back, &REBUILT));
        assert_eq!(REBUILT.load(Ordering::Relaxed), 2, "taken out: once more");
        drop(Held::from_owned(&REBUILT));
        assert_eq!(
            REBUILT.load(Ordering::Relaxed),
            3,
            "dropped: rebuilt to be dropped"
        );
    }

    #[test]
    fn a_static_or_is_one_word_and_its_option_too() {
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<Held>(), word);
        assert_eq!(std::mem::size_of::<Option<Held>>(), word);
    }
}
