//! The buffer handles: [`BufferMut`] (unique, writable) and [`Buffer`] (shared, immutable).
//!
//! Both are one non-generic type for every pool: a handle reaches its pool through a
//! `&'static` table of functions generated per tier set (as `bytes` does with its vtables), and
//! a handle of a global pool carries no reference count at all.

use std::fmt;
use std::io;
use std::mem;
use std::ops::{Deref, DerefMut};

use crate::pool::{ByteTicket, Vtable};
use crate::raw::{self, Consume, Consumed, Either, Payload, RawArc, Slot, StaticOr};
use crate::Error;

/// Where a pooled block goes back to, in one word: the vtable of the block's tier for a `Tiers`
/// type's process-wide pool (reached through the vtable, with nothing counted), or a ticket of
/// the instance pool, whose release finds the tier from the block's length.
pub(crate) struct Home(StaticOr<Vtable, ByteTicket>);

impl Home {
    #[inline(always)]
    pub(crate) fn global(vtable: &'static Vtable) -> Self {
        Home(StaticOr::from_static(vtable))
    }

    #[inline(always)]
    pub(crate) fn instance(ticket: ByteTicket) -> Self {
        Home(StaticOr::from_owned(ticket))
    }

    /// Returns `block` (the block a handle outgrew) to the pool; the handle keeps its home.
    #[inline]
    fn give_back(&self, block: Box<[u8]>) {
        match self.0.get() {
            Either::Static(vtable) => (vtable.release_global)(block),
            Either::Owned(ticket) => (ticket.shared().vtable.give_back_instance)(&ticket, block),
        }
    }

    /// Returns `block`, of this home, to its pool for good (a handle's drop).
    #[inline(always)]
    fn take_back(self, block: Box<[u8]>) {
        match self.0.into_inner() {
            // Nothing runs after the release: a tail call.
            Either::Static(vtable) => (vtable.release_global)(block),
            Either::Owned(ticket) => (ticket.shared().vtable.release_instance)(ticket, block),
        }
    }

    /// A block of at least `len` bytes from this home's pool, and the vtable of its tier when
    /// the home is a process-wide pool's (which [`move_to`](Self::move_to) then takes).
    fn acquire(&self, len: usize) -> Result<(Box<[u8]>, Option<&'static Vtable>), Error> {
        match self.0.get() {
            Either::Static(vtable) => {
                (vtable.acquire_global)(len).map(|(block, vtable)| (block, Some(vtable)))
            }
            Either::Owned(ticket) => {
                (ticket.shared().vtable.acquire_instance)(&ticket, len).map(|block| (block, None))
            }
        }
    }

    /// The tier sizes of the pool.
    fn sizes(&self) -> &'static [usize] {
        match self.0.get() {
            Either::Static(vtable) => vtable.sizes,
            Either::Owned(ticket) => ticket.shared().vtable.sizes,
        }
    }

    /// Leaves the pool with a block counted as handed out (`into_vec`).
    fn detach(self) {
        match self.0.into_inner() {
            Either::Static(vtable) => (vtable.detach_global)(),
            Either::Owned(ticket) => (ticket.shared().vtable.detach_instance)(ticket),
        }
    }

    /// Follows the handle to a new block, whose vtable is `vtable`.
    fn move_to(&mut self, vtable: &'static Vtable) {
        if let Either::Static(_) = self.0.get() {
            *self = Home::global(vtable);
        }
    }
}

/// A unique, writable byte buffer from a [`BytePool`](crate::BytePool).
///
/// Dereferences to its `len()` bytes. Its capacity is its tier's size; growing past it
/// ([`extend_from_slice`](Self::extend_from_slice), [`resize`](Self::resize),
/// [`reserve`](Self::reserve)) moves the bytes to a buffer of the next tier that fits (or to a
/// plain allocation above the largest tier) and returns the old one. Dropping it returns the
/// memory to its pool. It is `Send + Sync + 'static`; it is not `Clone`: use
/// [`freeze`](Self::freeze) to share it.
///
/// # Examples
/// ```
/// use bytepool::tiers::Stream;
/// use std::io::Write;
///
/// let mut buf = Stream::pool().with_capacity(100);
/// write!(buf, "GET / HTTP/1.1\r\n").unwrap();
/// buf.extend_from_slice(b"\r\n");
/// assert_eq!(buf.len(), 18);
/// assert_eq!(buf.capacity(), 1024);
/// ```
#[must_use = "dropping a buffer returns it to the pool at once"]
pub struct BufferMut {
    parts: Consumed<Parts>,
}

/// What a [`BufferMut`] holds; dropping the handle consumes it (see [`Consume`]).
struct Parts {
    /// Every byte is initialised (blocks are zeroed when allocated), so any `len <= capacity`
    /// is a valid length.
    block: Box<[u8]>,
    len: usize,
    home: Option<Home>,
}

impl Consume for Parts {
    /// Returns a pooled block home; an unpooled one is freed.
    #[inline(always)]
    fn consume(self) {
        if let Some(home) = self.home {
            home.take_back(self.block);
        }
    }
}

impl BufferMut {
    /// An empty buffer that belongs to no pool: growing it allocates plainly.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::BufferMut::new();
    /// buf.extend_from_slice(b"abc");
    /// assert_eq!(&buf[..], b"abc");
    /// ```
    pub fn new() -> Self {
        BufferMut::from_parts(Box::default(), 0, None)
    }

    #[inline(always)]
    fn from_parts(block: Box<[u8]>, len: usize, home: Option<Home>) -> Self {
        BufferMut {
            parts: Consumed::new(Parts { block, len, home }),
        }
    }

    #[inline(always)]
    pub(crate) fn from_block(block: Box<[u8]>, len: usize, home: Home) -> Self {
        debug_assert!(len <= block.len());
        BufferMut::from_parts(block, len, Some(home))
    }

    /// The number of bytes in the buffer.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::tiers::Stream::pool().get(10).len(), 10);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.parts.len
    }

    /// Whether the buffer holds no bytes.
    ///
    /// # Examples
    /// ```
    /// assert!(bytepool::tiers::Stream::pool().get(0).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.parts.len == 0
    }

    /// The bytes the buffer holds without moving: its tier's size.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::tiers::Stream::pool().get(10).capacity(), 1024);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.parts.block.len()
    }

    /// Sets the length to 0, keeping the capacity.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(10);
    /// buf.clear();
    /// assert!(buf.is_empty());
    /// assert_eq!(buf.capacity(), 1024);
    /// ```
    #[inline]
    pub fn clear(&mut self) {
        self.parts.len = 0;
    }

    /// Shortens the buffer to `len` bytes; does nothing if it is not longer.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(10);
    /// buf.truncate(4);
    /// assert_eq!(buf.len(), 4);
    /// buf.truncate(8);
    /// assert_eq!(buf.len(), 4);
    /// ```
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.parts.len = self.parts.len.min(len);
    }

    /// Sets the length to `new_len`, filling new bytes with `value`; grows as needed.
    ///
    /// # Panics
    /// If the new capacity exceeds `isize::MAX` or the allocator fails.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(0);
    /// buf.resize(3, b'x');
    /// assert_eq!(&buf[..], b"xxx");
    /// buf.resize(1, 0);
    /// assert_eq!(&buf[..], b"x");
    /// ```
    pub fn resize(&mut self, new_len: usize, value: u8) {
        if new_len > self.parts.len {
            self.reserve(new_len - self.parts.len);
            let parts = &mut *self.parts;
            parts.block[parts.len..new_len].fill(value);
        }
        self.parts.len = new_len;
    }

    /// Appends `bytes`, growing as needed.
    ///
    /// # Panics
    /// If the new capacity exceeds `isize::MAX` or the allocator fails.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(0);
    /// buf.extend_from_slice(&[7; 2000]); // moves from no block to the 4 KiB tier
    /// assert_eq!(buf.capacity(), 4096);
    /// ```
    #[inline]
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        let parts = &mut *self.parts;
        let end = parts.len + bytes.len();
        parts.block[parts.len..end].copy_from_slice(bytes);
        parts.len = end;
    }

    /// Makes room for at least `additional` more bytes.
    ///
    /// # Panics
    /// If the new capacity exceeds `isize::MAX` or the allocator fails;
    /// [`try_reserve`](Self::try_reserve) returns an `Err` instead.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(10);
    /// buf.reserve(5000);
    /// assert_eq!((buf.len(), buf.capacity()), (10, 16384));
    /// ```
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        if let Err(err) = self.try_reserve(additional) {
            panic!("BufferMut::reserve({additional}): {err}");
        }
    }

    /// Makes room for at least `additional` more bytes, or reports why it cannot.
    ///
    /// # Errors
    /// [`Error::CapacityOverflow`] when `len + additional` exceeds `isize::MAX`,
    /// [`Error::AllocFailed`] when the allocator fails. The buffer is unchanged then.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(10);
    /// assert!(buf.try_reserve(usize::MAX).is_err());
    /// assert_eq!(buf.len(), 10);
    /// ```
    #[inline]
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), Error> {
        let needed = self
            .parts
            .len
            .checked_add(additional)
            .ok_or(Error::CapacityOverflow)?;
        if needed <= self.capacity() {
            return Ok(());
        }
        self.grow(needed)
    }

    /// Moves the bytes to the smallest tier that holds them, when that tier is smaller than
    /// the current one (costs a copy); does nothing otherwise, or for a buffer of no pool.
    ///
    /// Useful after a short read into a large buffer that will be kept or queued for a while.
    ///
    /// # Panics
    /// If the allocator fails.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::Stream;
    /// let mut buf = Stream::pool().with_capacity(65536);
    /// buf.extend_from_slice(b"short read");
    /// buf.shrink_to_fit();
    /// assert_eq!((buf.len(), buf.capacity()), (10, 1024));
    /// assert_eq!(&buf[..], b"short read");
    /// ```
    pub fn shrink_to_fit(&mut self) {
        let Some(home) = &self.parts.home else {
            return;
        };
        let fits = home
            .sizes()
            .iter()
            .copied()
            .find(|&size| size >= self.parts.len);
        if self.parts.len == 0 || fits.is_none_or(|size| size >= self.capacity()) {
            return;
        }
        match home.acquire(self.parts.len) {
            Ok((smaller, vtable)) => self.move_to(smaller, vtable),
            Err(err) => panic!("BufferMut::shrink_to_fit: {err}"),
        }
    }

    #[cold]
    fn grow(&mut self, needed: usize) -> Result<(), Error> {
        if needed > isize::MAX as usize {
            return Err(Error::CapacityOverflow);
        }
        // Above the largest tier, grow geometrically so appends stay amortised O(1).
        let geometric = needed.max(self.capacity().saturating_mul(2).min(isize::MAX as usize));
        match &self.parts.home {
            Some(home) => {
                let largest = home.sizes().last().copied().unwrap_or(0);
                let target = if needed > largest { geometric } else { needed };
                let (bigger, vtable) = home.acquire(target)?;
                self.move_to(bigger, vtable);
            }
            None => self.move_to(raw::alloc_zeroed(geometric)?, None),
        }
        Ok(())
    }

    /// Moves the bytes to `block` and gives the old block back to the pool, if any. `vtable` is
    /// the new block's, for a process-wide pool's home.
    fn move_to(&mut self, mut block: Box<[u8]>, vtable: Option<&'static Vtable>) {
        block[..self.parts.len].copy_from_slice(&self.parts.block[..self.parts.len]);
        let old = mem::replace(&mut self.parts.block, block);
        if let Some(home) = &mut self.parts.home {
            home.give_back(old);
            if let Some(vtable) = vtable {
                home.move_to(vtable);
            }
        }
    }

    /// The bytes between the length and the capacity. They are initialised (zeros, or what an
    /// earlier user of the block left), like every byte of a block.
    #[cfg(feature = "bytes")]
    pub(crate) fn spare_capacity_mut(&mut self) -> &mut [u8] {
        let parts = &mut *self.parts;
        &mut parts.block[parts.len..]
    }

    /// Sets the length to `len`. Every byte of a block is initialised, so any `len` up to the
    /// capacity is valid.
    ///
    /// # Panics
    /// If `len` exceeds the capacity.
    #[cfg(feature = "bytes")]
    pub(crate) fn set_len_within_capacity(&mut self, len: usize) {
        assert!(
            len <= self.capacity(),
            "length {len} exceeds the capacity {}",
            self.capacity()
        );
        self.parts.len = len;
    }

    /// The buffer's bytes.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::BufferMut::new();
    /// buf.extend_from_slice(b"hi");
    /// assert_eq!(buf.as_slice(), b"hi");
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.parts.block[..self.parts.len]
    }

    /// The buffer's bytes, writable.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(2);
    /// buf.as_mut_slice().copy_from_slice(b"ok");
    /// assert_eq!(&buf[..], b"ok");
    /// ```
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let parts = &mut *self.parts;
        &mut parts.block[..parts.len]
    }

    /// Makes the buffer shared and immutable: a reference-counted [`Buffer`].
    ///
    /// Costs no allocation in steady state (each thread recycles the reference-count slots).
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(0);
    /// buf.extend_from_slice(b"shared");
    /// let buf = buf.freeze();
    /// let other = buf.clone();
    /// assert_eq!(other.ref_count(), 2);
    /// ```
    #[inline]
    pub fn freeze(self) -> Buffer {
        let Parts { block, len, home } = self.parts.into_inner();
        Buffer::from_parts(block, len, home)
    }

    /// Detaches the buffer from its pool as a `Vec<u8>` of the same length and capacity,
    /// without copying. The pool counts it in [`Stats::detached`](crate::Stats::detached);
    /// giving it back later with [`BytePool::put`](crate::BytePool::put) is allowed.
    ///
    /// # Examples
    /// ```
    /// let mut buf = bytepool::tiers::Stream::pool().get(3);
    /// buf.copy_from_slice(b"abc");
    /// let vec = buf.into_vec();
    /// assert_eq!((vec.as_slice(), vec.capacity()), (&b"abc"[..], 1024));
    /// ```
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        let Parts { block, len, home } = self.parts.into_inner();
        if let Some(home) = home {
            // An empty block (from a `get(0)`) was never counted as handed out.
            if block.is_empty() {
                drop(home);
            } else {
                home.detach();
            }
        }
        let mut vec = Vec::from(block);
        vec.truncate(len);
        vec
    }
}

impl Default for BufferMut {
    fn default() -> Self {
        BufferMut::new()
    }
}

impl From<Vec<u8>> for BufferMut {
    /// Wraps a vector in a buffer that belongs to no pool (its spare capacity is zeroed).
    fn from(mut vec: Vec<u8>) -> Self {
        let len = vec.len();
        vec.resize(vec.capacity(), 0);
        BufferMut::from_parts(vec.into_boxed_slice(), len, None)
    }
}

impl Deref for BufferMut {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for BufferMut {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for BufferMut {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for BufferMut {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl io::Write for BufferMut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.try_reserve(buf.len())?;
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write(buf).map(drop)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Extend<u8> for BufferMut {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for byte in iter {
            self.extend_from_slice(&[byte]);
        }
    }
}

impl fmt::Debug for BufferMut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferMut")
            .field("len", &self.parts.len)
            .field("capacity", &self.capacity())
            .field("pooled", &self.parts.home.is_some())
            .finish()
    }
}

impl PartialEq for BufferMut {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for BufferMut {}

impl Payload for BufferMut {
    fn last_release(mut slot: Box<Slot<Self>>) {
        // Return the bytes to their pool first, then keep the slot for the next `freeze`.
        drop(mem::take(&mut slot.value));
        slots::put(slot);
    }
}

/// A shared, immutable byte buffer: [`BufferMut::freeze`] makes one.
///
/// `clone` retains (one atomic increment), drop releases; the last release returns the memory
/// to the pool exactly once. A count that would overflow aborts the process, as `Arc` does, and
/// a released buffer can never be revived. [`retain`](Self::retain) and
/// [`release`](Self::release) name the same operations for readers of the Go API.
///
/// # Examples
/// ```
/// use bytepool::tiers::Stream;
///
/// let mut buf = Stream::pool().get(0);
/// buf.extend_from_slice(b"to every worker");
/// let shared = buf.freeze();
/// let handles: Vec<_> = (0..4)
///     .map(|_| {
///         let mine = shared.retain();
///         std::thread::spawn(move || mine.len())
///     })
///     .collect();
/// for h in handles {
///     assert_eq!(h.join().unwrap(), 15);
/// }
/// assert_eq!(shared.ref_count(), 1);
/// ```
#[must_use = "dropping the last reference returns the buffer to the pool at once"]
pub struct Buffer {
    raw: RawArc<BufferMut>,
}

impl Buffer {
    /// [`BufferMut::freeze`] from the handle's parts. `freeze` takes the handle apart first:
    /// copying it whole, just after it was written field by field, made the compiler read it
    /// with 16-byte loads, which cannot be forwarded from the 8-byte stores that wrote it
    /// (perf: half of `freeze`'s samples).
    ///
    /// A free slot is the fast path, inlined into the caller; making a slot is a cold call
    /// that gets the parts too, so the fast path keeps nothing alive across a call.
    #[inline]
    fn from_parts(block: Box<[u8]>, len: usize, home: Option<Home>) -> Buffer {
        match slots::pop() {
            Some(slot) => Buffer::fill(slot, block, len, home),
            None => Buffer::from_parts_in_new_slot(block, len, home),
        }
    }

    #[cold]
    #[inline(never)]
    fn from_parts_in_new_slot(block: Box<[u8]>, len: usize, home: Option<Home>) -> Buffer {
        // `new` only allocates, and a failed allocation aborts rather than unwinds, so the
        // parts cannot be lost here.
        Buffer::fill(slots::new(), block, len, home)
    }

    #[inline(always)]
    fn fill(
        mut slot: Box<Slot<BufferMut>>,
        block: Box<[u8]>,
        len: usize,
        home: Option<Home>,
    ) -> Buffer {
        // A free slot holds an empty handle of no pool, whose drop would do nothing.
        mem::forget(mem::replace(
            &mut slot.value,
            BufferMut::from_parts(block, len, home),
        ));
        Buffer {
            raw: RawArc::from_box(slot),
        }
    }

    /// Another reference to the same bytes (the same as `clone`).
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::tiers::Stream::pool().get(1).freeze();
    /// let b = a.retain();
    /// assert_eq!(a.ref_count(), 2);
    /// # drop(b);
    /// ```
    #[inline]
    pub fn retain(&self) -> Buffer {
        self.clone()
    }

    /// Gives up this reference (the same as `drop`).
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::tiers::Stream::pool().get(1).freeze();
    /// let b = a.retain();
    /// b.release();
    /// assert_eq!(a.ref_count(), 1);
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }

    /// The number of references (other threads may change it at any time).
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::tiers::Stream::pool().get(1).freeze();
    /// assert_eq!(a.ref_count(), 1);
    /// ```
    #[inline]
    pub fn ref_count(&self) -> usize {
        self.raw.ref_count()
    }

    /// The unique, writable buffer back when this is the only reference; `self` otherwise.
    ///
    /// # Errors
    /// Returns `self` when other references exist.
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::tiers::Stream::pool().get(1).freeze();
    /// let b = a.clone();
    /// let a = a.try_into_mut().unwrap_err(); // `b` still shares it
    /// drop(b);
    /// let mut unique = a.try_into_mut().unwrap();
    /// unique[0] = 1;
    /// ```
    pub fn try_into_mut(self) -> Result<BufferMut, Buffer> {
        match self.raw.try_unwrap() {
            Ok(mut slot) => {
                let buf = mem::take(&mut slot.value);
                slots::put(slot);
                Ok(buf)
            }
            Err(raw) => Err(Buffer { raw }),
        }
    }

    /// The buffer's bytes.
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::BufferMut::from(b"xy".to_vec()).freeze();
    /// assert_eq!(a.as_slice(), b"xy");
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self.raw.get().as_slice()
    }
}

impl Clone for Buffer {
    #[inline]
    fn clone(&self) -> Self {
        Buffer {
            raw: self.raw.clone(),
        }
    }
}

impl Deref for Buffer {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len())
            .field("ref_count", &self.ref_count())
            .finish()
    }
}

impl PartialEq for Buffer {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Buffer {}

/// Each thread keeps a few empty reference-count slots, so `freeze` allocates nothing in
/// steady state. A buffer frozen on one thread and released on another moves its slot between
/// the threads' free lists, so a full list spills half its slots to a process-wide queue of
/// spares and an empty one refills half from it: a producer and a consumer thread trade slots
/// in batches instead of allocating and freeing one per buffer. Disabled under loom, whose
/// atomics must not outlive one model execution.
mod slots {
    use super::{BufferMut, Slot};

    #[cfg(not(loom))]
    use std::sync::LazyLock;

    #[cfg(not(loom))]
    use crate::raw::Stack;
    #[cfg(not(loom))]
    use crate::sync::ArrayQueue;

    /// Slots one thread keeps.
    #[cfg(not(loom))]
    const KEEP: usize = 64;

    /// Spare slots kept for all threads (about 60 KiB at most).
    #[cfg(not(loom))]
    const SPARES: usize = 1024;

    #[cfg(not(loom))]
    std::thread_local! {
        /// Free slots. It has no destructor, so reaching it costs no "destroyed yet?" check;
        /// it keeps nothing (limit 0) until this thread has a [`Drain`] to empty it at exit.
        static FREE: Stack<Box<Slot<BufferMut>>, KEEP> = const { Stack::new() };
        static DRAIN: Drain = const { Drain };
    }

    /// Slots spilled by threads whose free list was full, for threads whose list is empty.
    #[cfg(not(loom))]
    static SPARE: LazyLock<ArrayQueue<Box<Slot<BufferMut>>>> =
        LazyLock::new(|| ArrayQueue::new(SPARES));

    /// Frees this thread's free slots at thread exit, and keeps further slots out.
    #[cfg(not(loom))]
    struct Drain;

    #[cfg(not(loom))]
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
    pub(super) fn pop() -> Option<Box<Slot<BufferMut>>> {
        #[cfg(not(loom))]
        let slot = FREE.try_with(Stack::pop).ok().flatten();
        #[cfg(loom)]
        let slot = None;
        slot
    }

    /// A slot when this thread has none free: a spare (refilling half the free list from the
    /// spares), or a new one.
    #[cold]
    pub(super) fn new() -> Box<Slot<BufferMut>> {
        #[cfg(not(loom))]
        if let Some(slot) = SPARE.pop() {
            let _ = FREE.try_with(|free| free.refill_half(|| SPARE.pop(), spare));
            return slot;
        }
        Slot::new(BufferMut::new())
    }

    #[inline]
    pub(super) fn put(slot: Box<Slot<BufferMut>>) {
        debug_assert!(slot.value.capacity() == 0);
        #[cfg(not(loom))]
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
    #[cfg(not(loom))]
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
    #[cfg(not(loom))]
    fn spare(slot: Box<Slot<BufferMut>>) {
        // A refused slot comes back in the `Err`, and is freed with it.
        let _ = SPARE.push(slot);
    }
}
