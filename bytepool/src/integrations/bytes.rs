//! The `bytes` feature: [`bytes::BufMut`] for [`BufferMut`], and conversions of the handles
//! into [`bytes::Bytes`] that keep the pooled memory (no copy) and return it to the pool when
//! the last `Bytes` clone drops.
//!
//! This module opts out of `deny(unsafe_code)` for one reason: `BufMut` is an `unsafe trait`
//! with an `unsafe fn advance_mut`. No `unsafe` block is needed, and the impl cannot expose
//! uninitialised memory: every byte of a pooled block is initialised (blocks are zeroed when
//! allocated), so any length up to the capacity is valid whatever the caller wrote.

use ::bytes::buf::UninitSlice;
use ::bytes::{BufMut, Bytes};

use crate::{Buffer, BufferMut};

/// How far `chunk_mut` grows a full buffer (as `Vec<u8>`'s `BufMut` impl does): the next tier
/// that holds 64 more bytes.
const GROW_BY: usize = 64;

/// Writes through the `bytes` API; a full buffer grows through its pool's tiers.
///
/// # Examples
/// ```
/// use bytepool::tiers::Stream;
/// use bytes::BufMut;
///
/// let mut buf = Stream::pool().with_capacity(16); // the 1 KiB tier
/// buf.put_u32(7);
/// buf.put_slice(&[1; 2000]); // moves once, to the 4 KiB tier
/// assert_eq!((buf.len(), buf.capacity()), (2004, 4096));
/// let mut w = buf.writer(); // `io::Write` through `BufMut`
/// std::io::Write::write_all(&mut w, b"!").unwrap();
/// assert_eq!(w.get_ref().len(), 2005);
/// ```
// SAFETY: the trait's contract is that `chunk_mut` returns writable memory after the current
// contents, that `advance_mut(cnt)` only moves the length over bytes of that chunk, and that
// `remaining_mut` is honest. `chunk_mut` returns `block[len..capacity]` (growing through the
// pool first when it is empty and more room is possible); `advance_mut` panics unless
// `len + cnt <= capacity`, the chunk's end, before `set_len_within_capacity` (which asserts the
// same); `remaining_mut` is `isize::MAX - len`, the most `reserve` can reach. The bytes
// `len..capacity` are initialised (zeroed blocks, `BufferMut`'s invariant), so a caller that
// advances over bytes it did not write exposes old or zero bytes, never uninitialised memory.
unsafe impl BufMut for BufferMut {
    #[inline]
    fn remaining_mut(&self) -> usize {
        isize::MAX as usize - self.len()
    }

    /// Moves the length `cnt` bytes further into the spare capacity.
    ///
    /// # Panics
    /// If `cnt` exceeds the spare capacity (`capacity() - len()`), the length of the last
    /// [`chunk_mut`](BufMut::chunk_mut).
    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        let spare = self.capacity() - self.len();
        assert!(
            cnt <= spare,
            "BufferMut::advance_mut({cnt}) past the end of the chunk ({spare} bytes)"
        );
        self.set_len_within_capacity(self.len() + cnt);
    }

    /// The bytes between the length and the capacity. When there are none, first moves the
    /// contents to the pool's next tier that holds 64 more bytes (as `Vec<u8>` reserves 64).
    ///
    /// The returned bytes are initialised (zeros, or what an earlier user of the block left).
    #[inline]
    fn chunk_mut(&mut self) -> &mut UninitSlice {
        if self.len() == self.capacity() {
            let grow = GROW_BY.min(self.remaining_mut());
            if grow > 0 {
                self.reserve(grow);
            }
        }
        UninitSlice::new(self.spare_capacity_mut())
    }

    /// Appends `src` with one [`reserve`](BufferMut::reserve), so the buffer moves at most
    /// once, straight to the tier that holds the result.
    #[inline]
    fn put_slice(&mut self, src: &[u8]) {
        self.extend_from_slice(src);
    }

    /// Appends `cnt` copies of `val` with one [`resize`](BufferMut::resize).
    ///
    /// # Panics
    /// If the new length exceeds `isize::MAX`.
    #[inline]
    #[track_caller]
    fn put_bytes(&mut self, val: u8, cnt: usize) {
        let new_len = self
            .len()
            .checked_add(cnt)
            .filter(|&n| n <= isize::MAX as usize);
        match new_len {
            Some(new_len) => self.resize(new_len, val),
            None => panic!("BufferMut::put_bytes({cnt}): capacity overflow"),
        }
    }
}

impl From<Buffer> for Bytes {
    /// Wraps the shared buffer without copying ([`Bytes::from_owner`]): the memory goes back
    /// to its pool when the last `Bytes` clone (and the last `Buffer` reference) drops.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// use bytes::Bytes;
    ///
    /// let pool = BytePool::<Stream>::new();
    /// let mut buf = pool.get(0);
    /// buf.extend_from_slice(b"hello, world");
    /// let bytes = Bytes::from(buf.freeze());
    /// let hello = bytes.slice(..5); // shares the pooled block
    /// drop(bytes);
    /// assert_eq!(pool.stats().outstanding, 1);
    /// assert_eq!(hello, "hello");
    /// drop(hello);
    /// assert_eq!(pool.stats().outstanding, 0);
    /// ```
    fn from(buf: Buffer) -> Bytes {
        Bytes::from_owner(buf)
    }
}

impl From<BufferMut> for Bytes {
    /// Wraps the buffer without copying and without a [`Buffer`] reference count in between
    /// ([`Bytes::from_owner`]): the memory goes back to its pool when the last `Bytes` clone
    /// drops.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// use bytes::{BufMut, Bytes};
    ///
    /// let pool = BytePool::<Stream>::new();
    /// let mut buf = pool.with_capacity(64);
    /// buf.put_u16(0xcafe);
    /// let bytes = Bytes::from(buf);
    /// assert_eq!(bytes[..], [0xca, 0xfe]);
    /// drop(bytes);
    /// assert_eq!(pool.stats().outstanding, 0);
    /// ```
    fn from(buf: BufferMut) -> Bytes {
        Bytes::from_owner(buf)
    }
}
