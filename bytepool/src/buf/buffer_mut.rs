//! [`BufferMut`]: the unique, writable handle, and how it grows from tier to tier.

use std::fmt;
use std::io;
use std::mem;
use std::ops::{Deref, DerefMut};

use super::home::{Home, Vtable};
use super::slots;
use super::Buffer;
use crate::raw::{self, Consume, Consumed, Payload, Slot};
use crate::Error;

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
    pub(super) fn from_parts(block: Box<[u8]>, len: usize, home: Option<Home>) -> Self {
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
    #[track_caller]
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
    #[track_caller]
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
    #[track_caller]
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
    #[track_caller]
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
    #[track_caller]
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
