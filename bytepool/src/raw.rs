//! The crate's one unsafe module: a manually reference-counted slot ([`RawArc`]), a fallible
//! zeroed allocation ([`alloc_zeroed`]), a value dropped by value ([`Consumed`]), and the two
//! pieces that let a thread cache live in a thread-local without a destructor ([`Stack`],
//! [`Anchor`] with its [`Keeper`]).
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
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

#[cfg(not(loom))]
use std::thread::LocalKey;

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

/// A bounded stack of `N` blocks (a power of two) that has no destructor, so a thread-local
/// holding it needs no destructor either and every access skips the "destroyed yet?" check
/// that `thread_local!` makes for values with one. Blocks left in it are leaked: its owner
/// empties it (a thread cache's [`Keeper`] does, at thread exit).
///
/// A slot holds one pointer: a byte block's length is the stack's `size` (a tier's size), so
/// a push and a pop move one word, and a slot's address is a scaled index. A block of another
/// length is refused, like a push onto a full stack.
///
/// `slots[..len]` hold blocks; `len <= limit <= N` always. A push above `limit` is refused, so
/// a `limit` of 0 makes the stack full and empty at once.
pub(crate) struct Stack<B, const N: usize> {
    len: Cell<usize>,
    limit: Cell<usize>,
    /// The length of every byte block held (unused for sized boxes); changes only while empty.
    size: Cell<usize>,
    slots: [Cell<NonNull<u8>>; N],
    /// Owns the blocks in `slots[..len]`.
    _owns: PhantomData<B>,
}

impl<B, const N: usize> Stack<B, N> {
    const INDEX_MASK: usize = {
        assert!(N.is_power_of_two());
        N - 1
    };

    pub(crate) const fn new() -> Self {
        Stack {
            len: Cell::new(0),
            limit: Cell::new(0),
            size: Cell::new(0),
            slots: [const { Cell::new(NonNull::dangling()) }; N],
            _owns: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Sets how many blocks the stack keeps (at most `N`). Blocks above a lowered limit stay
    /// until popped; only pushes are refused.
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.set(limit.min(N));
    }

    /// Sets the length of the byte blocks the stack keeps (a tier's size); stacks of sized
    /// boxes ignore it.
    ///
    /// # Panics
    /// If the stack holds blocks (of the old length).
    pub(crate) fn set_size(&self, size: usize) {
        assert!(
            self.len() == 0,
            "a stack's block size changes only while it is empty"
        );
        self.size.set(size);
    }
}

impl<B: Kept, const N: usize> Stack<B, N> {
    /// The newest block, if any.
    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<B> {
        let top = self.len.get().checked_sub(1)?;
        self.len.set(top);
        // The stack is `!Sync` (its cells) and never lends references into its slots. `top <
        // len <= N`: `slots[top]` holds the pointer of a box that `push` took apart when its
        // size was `size` (which changes only while the stack is empty).
        let raw = self.slots[top & Self::INDEX_MASK].get();
        // SAFETY: `raw` is that box's, with its length; lowering `len` made it ours.
        let boxed = unsafe { B::Boxed::from_raw(raw, self.size.get()) };
        Some(B::from_boxed(boxed))
    }

    /// Keeps `block`, or hands it back when `limit` blocks are held or its length is not the
    /// stack's block size.
    #[inline(always)]
    pub(crate) fn push(&self, block: B) -> Result<(), B> {
        let len = self.len.get();
        let boxed = block.into_boxed();
        if len >= self.limit.get() || !boxed.fits(self.size.get()) {
            return Err(B::from_boxed(boxed));
        }
        // `len < limit <= N`: the slot above the top, which holds nothing.
        self.slots[len & Self::INDEX_MASK].set(boxed.into_raw());
        self.len.set(len + 1);
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

impl<B, const N: usize> fmt::Debug for Stack<B, N> {
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
}
