//! The crate's one unsafe module: a manually reference-counted slot ([`RawArc`]) that a typed
//! pool's object is built in place in ([`Slot::new_homed`], [`Emplace`]), a fallible zeroed
//! allocation ([`alloc_zeroed`]), a value dropped by value ([`Consumed`]), a static
//! reference or an `Arc` in one word ([`StaticOrArc`]), and the two pieces that let a thread
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

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::ptr::{addr_of_mut, NonNull};

#[cfg(not(loom))]
use std::thread::LocalKey;

use crate::sync::{const_unless_loom, Arc, AtomicU64, AtomicUsize, Ordering};
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

/// A `&'static S` or an `Arc<A>` in one word: a handle's way back to its pool, which is either a
/// process-wide pool (`'static`, no reference count) or an instance pool the handle keeps alive.
///
/// An enum of the two would take two words, since neither pointer has a niche the other can
/// use; here bit 0 of the address says which it is (both types are aligned to at least 2).
/// Making `BufferMut` four words instead of five took the 128 B round trip from 4.70-5.05 ns to
/// 4.41-4.69 ns in four code layouts (3.75-4.07 to 3.44-3.47 ns with statistics compiled out).
pub(crate) struct StaticOrArc<S: 'static, A> {
    /// Bit 0 clear: a `&'static S`. Set: `Arc::into_raw` of an `Arc<A>`, plus 1.
    ptr: NonNull<u8>,
    // Holds one of the two, for the drop checker and the auto traits.
    _holds: PhantomData<(&'static S, Arc<A>)>,
}

/// What a [`StaticOrArc`] holds.
pub(crate) enum Either<S, A> {
    Static(S),
    Arc(A),
}

// SAFETY: a `StaticOrArc<S, A>` is a `&'static S` or an `Arc<A>`, and is `Send` exactly when both
// of those are.
unsafe impl<S: Sync, A: Send + Sync> Send for StaticOrArc<S, A> {}
// SAFETY: as for `Send`: it lends out only `&S` and `&A`, and both of those are `Sync` here.
unsafe impl<S: Sync, A: Send + Sync> Sync for StaticOrArc<S, A> {}

impl<S: 'static, A> StaticOrArc<S, A> {
    const TAG: usize = 1;
    const ALIGNED: () = assert!(align_of::<S>() > Self::TAG && align_of::<A>() > Self::TAG);

    pub(crate) fn from_static(s: &'static S) -> Self {
        let () = Self::ALIGNED;
        StaticOrArc {
            ptr: NonNull::from(s).cast(),
            _holds: PhantomData,
        }
    }

    pub(crate) fn from_arc(a: Arc<A>) -> Self {
        let () = Self::ALIGNED;
        let ptr = NonNull::new(Arc::into_raw(a).cast_mut())
            .unwrap_or_else(|| unreachable!("`Arc::into_raw` returned null"));
        StaticOrArc {
            ptr: ptr.cast::<u8>().map_addr(|addr| addr | Self::TAG),
            _holds: PhantomData,
        }
    }

    /// The `Arc`'s pointer, when this holds one.
    #[inline(always)]
    fn arc_ptr(&self) -> Option<*const A> {
        let tagged = self.ptr.as_ptr().cast_const();
        (tagged.addr() & Self::TAG != 0).then(|| tagged.map_addr(|addr| addr & !Self::TAG).cast())
    }

    #[inline(always)]
    pub(crate) fn get(&self) -> Either<&'static S, &A> {
        match self.arc_ptr() {
            // SAFETY: `ptr` is `Arc::into_raw` of an `Arc<A>` that `self` owns (`from_arc`), so
            // the `A` lives at least as long as `self` is borrowed.
            Some(arc) => Either::Arc(unsafe { &*arc }),
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            None => Either::Static(unsafe { self.ptr.cast::<S>().as_ref() }),
        }
    }

    #[inline(always)]
    pub(crate) fn into_inner(self) -> Either<&'static S, Arc<A>> {
        let this = ManuallyDrop::new(self);
        match this.arc_ptr() {
            // SAFETY: `ptr` is `Arc::into_raw` of an `Arc<A>` that `this` owned; `this` is not
            // dropped, so the count it held moves to the `Arc` rebuilt here, once.
            Some(arc) => Either::Arc(unsafe { Arc::from_raw(arc) }),
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            None => Either::Static(unsafe { this.ptr.cast::<S>().as_ref() }),
        }
    }
}

impl<S: 'static, A> Drop for StaticOrArc<S, A> {
    fn drop(&mut self) {
        if let Some(arc) = self.arc_ptr() {
            // SAFETY: as in `into_inner`; `drop` runs once, so the count is given up once.
            drop(unsafe { Arc::from_raw(arc) });
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

/// A block that a [`Stack`] keeps as one pointer: a thread cache's byte block or object slot.
pub(crate) trait Kept: Sized {
    /// The box the block is, which the stack takes apart.
    type Boxed: Thin;

    fn into_boxed(self) -> Self::Boxed;

    fn from_boxed(boxed: Self::Boxed) -> Self;
}

/// A box whose pointer alone, with the length a [`Stack`] knows, gives the box back.
pub(crate) trait Thin: Sized {
    /// Whether [`from_raw`](Self::from_raw) with `size` rebuilds this box: a slice of that
    /// length, or any sized box.
    fn fits(&self, size: usize) -> bool;

    fn into_raw(self) -> NonNull<u8>;

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw) of a box that [`fits`](Self::fits)
    /// `size`, and nothing else owns it.
    unsafe fn from_raw(raw: NonNull<u8>, size: usize) -> Self;
}

/// A box is kept as itself.
impl<T: Thin> Kept for T {
    type Boxed = Self;

    #[inline(always)]
    fn into_boxed(self) -> Self {
        self
    }

    #[inline(always)]
    fn from_boxed(boxed: Self) -> Self {
        boxed
    }
}

impl Thin for Box<[u8]> {
    #[inline(always)]
    fn fits(&self, size: usize) -> bool {
        self.len() == size
    }

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        NonNull::from(Box::leak(self)).cast()
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>, size: usize) -> Self {
        let slice = NonNull::slice_from_raw_parts(raw, size);
        // SAFETY: the caller passes the pointer of a leaked `Box<[u8]>` of length `size`, which
        // it owns: this rebuilds that very box.
        unsafe { Box::from_raw(slice.as_ptr()) }
    }
}

impl<P> Thin for Box<Slot<P>> {
    #[inline(always)]
    fn fits(&self, _size: usize) -> bool {
        true
    }

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        NonNull::from(Box::leak(self)).cast()
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>, _size: usize) -> Self {
        // SAFETY: the caller passes the pointer of a leaked `Box<Slot<P>>`, which it owns.
        unsafe { Box::from_raw(raw.cast::<Slot<P>>().as_ptr()) }
    }
}

/// Where a [`Stack`] keeps its length: in itself ([`Inline`]), or in a [`LenWord`] of a
/// counter block ([`Counted`]), where the length shares one word with the counts of the
/// stack's counted pops and pushes, so that a counted operation is still one load and one
/// store. Not part of the public API (named by the generated `Tiers` impls).
#[doc(hidden)]
pub trait Length: 'static {
    /// What the stack holds: its word, or the link to it.
    #[doc(hidden)]
    type Home;
    /// The home of a stack that keeps nothing yet.
    #[cfg(not(loom))]
    #[doc(hidden)]
    const HOME: Self::Home;
    #[cfg(loom)]
    #[doc(hidden)]
    fn home() -> Self::Home;
    /// The word's length bits.
    #[doc(hidden)]
    const LEN_MASK: u64;
    /// Added to the word by a counted pop and a counted push.
    #[doc(hidden)]
    const POP: u64;
    #[doc(hidden)]
    const PUSH: u64;
    /// The bits that, set after a counted pop, ask for the counts to be taken out (the sign
    /// bit: free to test after the addition).
    #[doc(hidden)]
    const FULL: u64;
    /// The bits that, set, ask for the counts to be taken out at the next slow-path event.
    #[doc(hidden)]
    const SETTLE: u64;
    #[doc(hidden)]
    fn load(home: &Self::Home) -> u64;
    #[doc(hidden)]
    fn store(home: &Self::Home, word: u64);
    /// Points `home` at `word`, which it claims (nothing for `Inline`).
    ///
    /// # Panics
    /// If another stack holds `word`, or `word`'s length is not 0.
    #[doc(hidden)]
    fn bind(home: &Self::Home, word: &'static LenWord);
    /// Lets go of the word (nothing for `Inline`).
    #[doc(hidden)]
    fn unbind(home: &Self::Home);
}

/// The length in the stack, a plain `usize` (counted operations count nothing).
#[doc(hidden)]
#[derive(Debug)]
pub enum Inline {}

/// The length in a [`LenWord`] of a counter block, with the counts of pops and pushes.
#[doc(hidden)]
#[derive(Debug)]
pub enum Counted {}

impl Length for Inline {
    type Home = Cell<u64>;
    #[cfg(not(loom))]
    const HOME: Cell<u64> = Cell::new(0);
    #[cfg(loom)]
    fn home() -> Cell<u64> {
        Cell::new(0)
    }
    const LEN_MASK: u64 = u64::MAX;
    const POP: u64 = u64::MAX; // -1, wrapping
    const PUSH: u64 = 1;
    const FULL: u64 = 0;
    const SETTLE: u64 = 0;

    #[inline(always)]
    fn load(home: &Cell<u64>) -> u64 {
        home.get()
    }

    #[inline(always)]
    fn store(home: &Cell<u64>, word: u64) {
        home.set(word);
    }

    fn bind(_: &Cell<u64>, _: &'static LenWord) {}

    fn unbind(_: &Cell<u64>) {}
}

impl Length for Counted {
    type Home = Cell<&'static LenWord>;
    #[cfg(not(loom))]
    const HOME: Cell<&'static LenWord> = Cell::new(&UNBOUND);
    #[cfg(loom)]
    fn home() -> Cell<&'static LenWord> {
        Cell::new(&UNBOUND)
    }
    const LEN_MASK: u64 = LenWord::LEN_MASK;
    const POP: u64 = (1 << LenWord::POPS_AT) - 1;
    const PUSH: u64 = (1 << LenWord::PUSHES_AT) + 1;
    const FULL: u64 = LenWord::FULL;
    const SETTLE: u64 = LenWord::SETTLE;

    #[inline(always)]
    fn load(home: &Cell<&'static LenWord>) -> u64 {
        // Only this thread stores to a bound word (`Stack::open`).
        home.get().0.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn store(home: &Cell<&'static LenWord>, word: u64) {
        // `Release`, a plain store on x86, like the counters' (`stats::bump`): a snapshot that
        // sees a later count sees this one.
        home.get().0.store(word, Ordering::Release);
    }

    fn bind(home: &Cell<&'static LenWord>, word: &'static LenWord) {
        Self::unbind(home);
        let was = word.0.fetch_or(LenWord::CLAIMED, Ordering::Relaxed);
        assert!(
            was & (LenWord::CLAIMED | LenWord::LEN_MASK) == 0,
            "a length word opens for one empty stack at a time"
        );
        home.set(word);
    }

    fn unbind(home: &Cell<&'static LenWord>) {
        let unbound: &'static LenWord = &UNBOUND;
        let word = home.replace(unbound);
        if !std::ptr::eq(word, unbound) {
            word.0.fetch_and(!LenWord::CLAIMED, Ordering::Relaxed);
        }
    }
}

/// The word of every [`Counted`] stack that keeps nothing: its length bits stay 0, because such
/// a stack's limit is 0 (a push is refused before it stores) and a pop of length 0 stores
/// nothing either. Private, so no stack can claim it.
#[cfg(not(loom))]
static UNBOUND: LenWord = LenWord::new();

#[cfg(loom)]
loom::lazy_static! {
    static ref UNBOUND: LenWord = LenWord::new();
}

/// A [`Counted`] stack's length (the low [`LEN_BITS`](Self::LEN_BITS)) and, above it, how many
/// counted pushes and pops it made since its counts were last taken: a thread cache's
/// magazine lives in a thread-local, and a snapshot on another thread reads its hits and puts
/// here, in a counter block, at no cost beyond the length update the stack makes anyway.
///
/// The pops are the top [`POP_BITS`](Self::POP_BITS) and the pushes the bits between. The owner
/// takes the counts out (see [`take_counts`](Self::take_counts)) when a pop sets the sign bit,
/// and at slow-path events once either count passes a quarter of its range
/// ([`SETTLE`](Self::SETTLE)). Every way blocks leave a stack uncounted (a spill, a trim) is
/// such an event, so between two of them pushes exceed pops by at most twice the stack's limit
/// and the pushes never wrap either: at most 2^26 + 2^27 + 64 < 2^28.
///
/// The stack's length has 7 bits; the eighth says that a stack holds the word
/// ([`Stack::open`]), which makes that stack the only writer of the length bits. Anyone else
/// only changes other bits, with atomic read-modify-writes.
#[doc(hidden)]
pub struct LenWord(AtomicU64);

impl LenWord {
    const LEN_BITS: u32 = 8;
    const CLAIMED: u64 = 1 << (Self::LEN_BITS - 1);
    /// Small under loom, so that the models take counts out.
    const POP_BITS: u32 = if cfg!(loom) { 2 } else { 28 };
    const LEN_MASK: u64 = Self::CLAIMED - 1;
    const PUSHES_AT: u32 = Self::LEN_BITS;
    const POPS_AT: u32 = 64 - Self::POP_BITS;
    const PUSH_MASK: u64 = (1 << (Self::POPS_AT - Self::PUSHES_AT)) - 1;
    const FULL: u64 = 1 << 63;
    /// Pops or pushes at or above a quarter of the pops' range (the pops' top two bits).
    const SETTLE: u64 = 0b11 << (Self::POPS_AT + Self::POP_BITS - 2)
        | (Self::PUSH_MASK & !((1 << (Self::POP_BITS - 2)) - 1)) << Self::PUSHES_AT;

    const_unless_loom! {
        pub(crate) fn new() -> Self {
            LenWord(AtomicU64::new(0))
        }
    }

    /// A word whose counts of pops and pushes are both `n`, as after a long run.
    #[cfg(all(test, not(loom)))]
    pub(crate) const fn with_counts(n: u64) -> Self {
        LenWord(AtomicU64::new(n << Self::PUSHES_AT | n << Self::POPS_AT))
    }

    /// Adds `n` to the count of pushes, as `n` counted pushes whose blocks then left the stack
    /// uncounted would.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn add_pushes(&self, n: u64) {
        self.0.fetch_add(n << Self::PUSHES_AT, Ordering::Relaxed);
    }

    /// The most pops that leave the sign bit clear.
    #[cfg(all(test, not(loom)))]
    pub(crate) const NEAR_FULL: u64 = (1 << (Self::POP_BITS - 1)) - 1;

    /// The counted pops and pushes since the counts were last taken.
    pub(crate) fn counts(&self) -> (u64, u64) {
        Self::decode(self.0.load(Ordering::Acquire))
    }

    /// Takes the counted pops and pushes out, leaving the length: one atomic RMW that changes
    /// no length bit, so any thread may call it.
    pub(crate) fn take_counts(&self) -> (u64, u64) {
        let keep = Self::LEN_MASK | Self::CLAIMED;
        Self::decode(self.0.fetch_and(keep, Ordering::AcqRel))
    }

    fn decode(word: u64) -> (u64, u64) {
        (
            word >> Self::POPS_AT,
            word >> Self::PUSHES_AT & Self::PUSH_MASK,
        )
    }
}

impl fmt::Debug for LenWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.0.load(Ordering::Relaxed);
        let (pops, pushes) = Self::decode(word);
        f.debug_struct("LenWord")
            .field("len", &(word & Self::LEN_MASK))
            .field("pops", &pops)
            .field("pushes", &pushes)
            .finish()
    }
}

/// A bounded stack of `N` blocks (a power of two) that has no destructor, so a thread-local
/// holding it needs no destructor either and every access skips the "destroyed yet?" check
/// that `thread_local!` makes for values with one. Blocks left in it are leaked: its owner
/// empties it (a thread cache's [`Keeper`] does, at thread exit).
///
/// A slot holds one pointer: a byte block's length is the stack's `size` (a tier's size), so
/// a push and a pop move one word, and a slot's address is a scaled index. A block of another
/// length is refused, like a push onto a full stack.
///
/// `slots[..len]` hold blocks, `len` being the length bits of the stack's word (`L`); `len <=
/// limit <= N` always. A push above `limit` is refused, so a `limit` of 0 makes the stack full
/// and empty at once. A [`Counted`] stack's word is a [`LenWord`] it has claimed, whose length
/// bits nothing else changes, while open ([`open`](Self::open)); otherwise the shared,
/// always-empty `UNBOUND`, with a limit of 0.
pub(crate) struct Stack<B, const N: usize, L: Length = Inline> {
    len: L::Home,
    limit: Cell<usize>,
    /// The length of every byte block held (unused for sized boxes); changes only while empty.
    size: Cell<usize>,
    slots: [Cell<NonNull<u8>>; N],
    /// Owns the blocks in `slots[..len]`; `!Sync`, like the cells.
    _owns: PhantomData<B>,
}

impl<B, const N: usize, L: Length> Stack<B, N, L> {
    const INDEX_MASK: usize = {
        assert!(N.is_power_of_two());
        assert!(N as u64 <= L::LEN_MASK, "the length fits in its bits");
        N - 1
    };

    const_unless_loom! {
        pub(crate) fn new() -> Self {
            Stack {
                #[cfg(not(loom))]
                len: L::HOME,
                #[cfg(loom)]
                len: L::home(),
                limit: Cell::new(0),
                size: Cell::new(0),
                slots: [const { Cell::new(NonNull::dangling()) }; N],
                _owns: PhantomData,
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        // At most `N` (the invariant), so the cast is lossless.
        (L::load(&self.len) & L::LEN_MASK) as usize
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Refuses every further push (a limit of 0); the blocks held stay until popped.
    pub(crate) fn close(&self) {
        self.limit.set(0);
    }

    /// Lets the empty stack keep up to `limit` blocks (at most `N`) of `size` bytes, its length
    /// in `word` (for a [`Counted`] stack, which claims it; an [`Inline`] one ignores it).
    ///
    /// # Panics
    /// If the stack holds blocks, or `word` is claimed by another stack or not empty.
    pub(crate) fn open(&self, word: &'static LenWord, limit: usize, size: usize) {
        assert!(self.len() == 0, "a stack opens empty");
        L::bind(&self.len, word);
        self.size.set(size);
        self.limit.set(limit.min(N));
    }

    /// Closes the stack and, for a [`Counted`] one, lets go of its word: blocks still held are
    /// leaked, so the owner empties the stack first.
    pub(crate) fn shut(&self) {
        self.close();
        L::unbind(&self.len);
    }

    /// Whether the counts should be taken out at this slow-path event: see [`LenWord`].
    pub(crate) fn counts_full(&self) -> bool {
        L::load(&self.len) & L::SETTLE != 0
    }
}

impl<B, const N: usize> Stack<B, N, Inline> {
    /// Sets how many blocks the stack keeps (at most `N`). Blocks above a lowered limit stay
    /// until popped; only pushes are refused. (The thread's free list of `Buffer` slots, which
    /// loom does not model.)
    #[cfg(not(loom))]
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.set(limit.min(N));
    }

    /// Sets the length of the byte blocks the stack keeps (a tier's size); stacks of sized
    /// boxes ignore it.
    ///
    /// # Panics
    /// If the stack holds blocks (of the old length).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn set_size(&self, size: usize) {
        assert!(
            self.len() == 0,
            "a stack's block size changes only while it is empty"
        );
        self.size.set(size);
    }
}

impl<B: Kept, const N: usize, L: Length> Stack<B, N, L> {
    /// The newest block, if any.
    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<B> {
        self.pop_adding(u64::MAX).map(|(block, _)| block) // -1, wrapping
    }

    /// The newest block, if any, counted as a pop in a [`Counted`] stack's word, and whether
    /// the counts should be taken out now ([`LenWord`]).
    #[inline(always)]
    pub(crate) fn pop_counted(&self) -> Option<(B, bool)> {
        self.pop_adding(L::POP)
    }

    /// Keeps `block`, or hands it back when `limit` blocks are held or its length is not the
    /// stack's block size.
    #[inline(always)]
    pub(crate) fn push(&self, block: B) -> Result<(), B> {
        self.push_adding(block, 1)
    }

    /// [`push`](Self::push), counted as a push in a [`Counted`] stack's word.
    #[inline(always)]
    pub(crate) fn push_counted(&self, block: B) -> Result<(), B> {
        self.push_adding(block, L::PUSH)
    }

    /// Pops, adding `add` (the length's -1, wrapping, plus any count) to the word; says
    /// whether the word then has a [`FULL`](Length::FULL) bit.
    #[inline(always)]
    fn pop_adding(&self, add: u64) -> Option<(B, bool)> {
        let word = L::load(&self.len);
        let top = ((word & L::LEN_MASK) as usize).checked_sub(1)?;
        let word = word.wrapping_add(add);
        L::store(&self.len, word);
        // The stack is `!Sync` (its cells) and never lends references into its slots. `top <
        // len <= N`: `slots[top]` holds the pointer of a box that `push` took apart when its
        // size was `size` (which changes only while the stack is empty).
        let raw = self.slots[top & Self::INDEX_MASK].get();
        // SAFETY: `raw` is that box's, with its length; lowering `len` made it ours.
        let boxed = unsafe { B::Boxed::from_raw(raw, self.size.get()) };
        Some((B::from_boxed(boxed), word & L::FULL != 0))
    }

    /// Pushes, adding `add` (the length's +1, plus any count) to the word.
    #[inline(always)]
    fn push_adding(&self, block: B, add: u64) -> Result<(), B> {
        let word = L::load(&self.len);
        let len = (word & L::LEN_MASK) as usize;
        let boxed = block.into_boxed();
        if len >= self.limit.get() || !boxed.fits(self.size.get()) {
            return Err(B::from_boxed(boxed));
        }
        // `len < limit <= N`: the slot above the top, which holds nothing.
        self.slots[len & Self::INDEX_MASK].set(boxed.into_raw());
        L::store(&self.len, word.wrapping_add(add));
        Ok(())
    }

    /// Fills the stack toward half its limit from `source`, leaving room for the one block
    /// the caller takes for itself, so that one visit to a shared queue serves the next few
    /// pops. A block the stack refuses (only a re-entrant push can have filled it) goes to
    /// `refused`, and the refill stops.
    pub(crate) fn refill_half(
        &self,
        mut source: impl FnMut() -> Option<B>,
        refused: impl FnOnce(B),
    ) {
        while self.len() + 1 < self.limit().div_ceil(2) {
            let Some(block) = source() else { return };
            if let Err(block) = self.push(block) {
                return refused(block);
            }
        }
    }

    /// Takes up to half its limit of blocks off the stack, newest first, into `sink`. Each
    /// block leaves the stack before `sink` sees it, so a re-entrant operation from `sink`
    /// finds the stack consistent.
    pub(crate) fn spill_half(&self, sink: impl FnMut(B)) {
        (0..self.limit().div_ceil(2))
            .map_while(|_| self.pop())
            .for_each(sink);
    }
}

impl<B, const N: usize, L: Length> fmt::Debug for Stack<B, N, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("len", &self.len())
            .field("limit", &self.limit())
            .finish_non_exhaustive()
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

    fn block(len: usize, first: u8) -> Box<[u8]> {
        let mut block = vec![0; len].into_boxed_slice();
        block[0] = first;
        block
    }

    #[test]
    fn a_stack_gives_back_byte_blocks_whole_and_refuses_other_lengths() {
        let stack = Stack::<Box<[u8]>, 4>::new();
        stack.set_size(128);
        stack.set_limit(2);
        let refused = stack.push(block(64, 7)).unwrap_err();
        assert_eq!((refused.len(), refused[0]), (64, 7));
        stack.push(block(128, 1)).unwrap();
        stack.push(block(128, 2)).unwrap();
        let full = stack.push(block(128, 3)).unwrap_err();
        assert_eq!(full[0], 3);
        let popped: Vec<(usize, u8)> = std::iter::from_fn(|| stack.pop())
            .map(|b| (b.len(), b[0]))
            .collect();
        assert_eq!(popped, [(128, 2), (128, 1)]);
    }

    #[test]
    fn a_stack_exchanges_half_its_limit_in_a_batch() {
        let stack = Stack::<Box<[u8]>, 8>::new();
        stack.set_size(128);
        stack.set_limit(8);
        let mut source = (10..20).map(|first| block(128, first));
        // Half of 8, less the block the caller takes for itself.
        stack.refill_half(|| source.next(), |_| panic!("nothing to refuse"));
        assert_eq!(stack.len(), 3);
        while stack.push(block(128, 0)).is_ok() {}
        let mut spilled = Vec::new();
        stack.spill_half(|b| spilled.push((b.len(), b[0])));
        assert_eq!((spilled.len(), stack.len()), (4, 4));
        assert_eq!(spilled[0], (128, 0), "newest first");
        // A block the stack refuses goes back and ends the refill.
        stack.spill_half(drop);
        let mut source = [block(64, 1), block(128, 2)].into_iter();
        let mut refused = None;
        stack.refill_half(|| source.next(), |b| refused = Some((b.len(), b[0])));
        assert_eq!((refused, stack.len()), (Some((64, 1)), 0));
        assert_eq!(source.next().map(|b| b[0]), Some(2));
    }

    #[test]
    fn a_counted_stack_keeps_its_length_and_counts_in_its_word() {
        static WORD: LenWord = LenWord::new();
        let (word, stack) = (&WORD, Stack::<Box<[u8]>, 4, Counted>::new());
        assert!(stack.push_counted(block(128, 1)).is_err(), "not open: full");
        assert!(stack.pop_counted().is_none(), "not open: empty");
        stack.open(word, 4, 128);
        stack.push_counted(block(128, 1)).unwrap();
        stack.push(block(128, 2)).unwrap(); // a refill: not counted
        assert!(stack.push_counted(block(64, 3)).is_err(), "wrong length");
        let popped = stack.pop_counted().map(|(b, full)| (b[0], full));
        assert_eq!(popped, Some((2, false)));
        assert_eq!(stack.len(), 1);
        assert_eq!(word.counts(), (1, 1), "one counted pop, one counted push");
        // Taking the counts out leaves the length (and the claim).
        assert_eq!(word.take_counts(), (1, 1));
        assert_eq!((word.counts(), stack.len()), ((0, 0), 1));
        assert_eq!(stack.pop().map(|b| b[0]), Some(1)); // a spill: not counted
        assert_eq!(word.counts(), (0, 0));
        stack.shut();
        assert!(stack.push_counted(block(128, 4)).is_err(), "shut: full");
        // The word is free again, for this stack or another.
        Stack::<Box<[u8]>, 4, Counted>::new().open(word, 4, 128);
    }

    #[test]
    fn a_counted_stack_asks_for_its_counts_to_be_taken_before_they_wrap() {
        // A pop that sets the sign bit says so.
        const NEAR: u64 = LenWord::NEAR_FULL - 1;
        static WORD: LenWord = LenWord::with_counts(NEAR);
        let stack = Stack::<Box<[u8]>, 4, Counted>::new();
        stack.open(&WORD, 1, 128);
        let round_trip = || {
            stack.push_counted(block(128, 0)).unwrap();
            stack.pop_counted().map(|(_, full)| full)
        };
        assert_eq!(round_trip(), Some(false));
        assert_eq!(round_trip(), Some(true), "pops reached the sign bit");
        assert_eq!(WORD.take_counts(), (NEAR + 2, NEAR + 2));
        assert_eq!(round_trip(), Some(false));
        // A slow-path event asks once either count passes a quarter of the pops' range.
        const QUARTER: u64 = 1 << (LenWord::POP_BITS - 2);
        static SLOW: LenWord = LenWord::with_counts(QUARTER - 1);
        let stack = Stack::<Box<[u8]>, 4, Counted>::new();
        stack.open(&SLOW, 1, 128);
        assert!(!stack.counts_full());
        stack.push_counted(block(128, 0)).unwrap();
        assert!(stack.counts_full(), "pushes at a quarter");
        assert_eq!(SLOW.take_counts(), (QUARTER - 1, QUARTER));
        assert!(!stack.counts_full() && stack.len() == 1);
        assert!(stack.pop().is_some());
    }

    #[test]
    fn a_length_word_opens_for_one_stack_at_a_time() {
        static WORD: LenWord = LenWord::new();
        let (word, first) = (&WORD, Stack::<Box<[u8]>, 4, Counted>::new());
        first.open(word, 4, 128);
        first.push(block(128, 1)).unwrap();
        let second = Stack::<Box<[u8]>, 4, Counted>::new();
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| second.open(word, 4, 128)));
        assert_eq!(
            refused.unwrap_err().downcast_ref::<&str>(),
            Some(&"a length word opens for one empty stack at a time")
        );
        assert!(second.pop().is_none(), "the refused stack stays unbound");
        assert_eq!(first.pop().map(|b| b[0]), Some(1));
    }

    #[test]
    fn a_stack_of_sized_boxes_ignores_the_block_size() {
        let stack = Stack::<Box<Slot<u32>>, 4>::new();
        stack.set_size(128);
        stack.set_limit(4);
        stack.push(Slot::new(5)).unwrap();
        assert_eq!(stack.pop().map(|slot| slot.value), Some(5));
    }

    #[test]
    fn a_stacks_block_size_cannot_change_under_its_blocks() {
        let stack = Stack::<Box<[u8]>, 4>::new();
        stack.set_size(128);
        stack.set_limit(1);
        stack.push(block(128, 1)).unwrap();
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stack.set_size(256)));
        let refused = refused.unwrap_err();
        assert_eq!(
            refused.downcast_ref::<&str>(),
            Some(&"a stack's block size changes only while it is empty")
        );
        assert_eq!(stack.pop().map(|b| (b.len(), b[0])), Some((128, 1)));
    }

    static ANSWER: u64 = 42;

    #[test]
    fn a_static_or_arc_gives_back_the_static_it_holds() {
        let held = StaticOrArc::<u64, String>::from_static(&ANSWER);
        assert!(matches!(held.get(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
        assert!(matches!(held.into_inner(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
    }

    #[test]
    fn a_static_or_arc_holds_one_count_of_its_arc_and_gives_it_up_once() {
        let arc = Arc::new(String::from("pool"));
        let held = StaticOrArc::<u64, String>::from_arc(Arc::clone(&arc));
        assert_eq!(Arc::strong_count(&arc), 2);
        assert!(matches!(held.get(), Either::Arc(s) if std::ptr::eq(s, &*arc)));
        let Either::Arc(back) = held.into_inner() else {
            panic!("an `Arc` came back as a static");
        };
        assert!(Arc::ptr_eq(&back, &arc));
        assert_eq!(
            Arc::strong_count(&arc),
            2,
            "`into_inner` moves the count out"
        );
        drop(back);
        assert_eq!(Arc::strong_count(&arc), 1);

        drop(StaticOrArc::<u64, String>::from_arc(Arc::clone(&arc)));
        assert_eq!(Arc::strong_count(&arc), 1, "dropping it releases its count");
    }

    #[test]
    fn a_static_or_arc_is_one_word_and_its_option_too() {
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<StaticOrArc<u64, String>>(), word);
        assert_eq!(
            std::mem::size_of::<Option<StaticOrArc<u64, String>>>(),
            word
        );
    }
}
