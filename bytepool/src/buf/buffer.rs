//! [`Buffer`]: the shared, immutable handle, a [`BufferMut`] in a reference-counted slot.

use std::fmt;
use std::mem;
use std::ops::Deref;

use super::home::Home;
use super::slots;
use super::BufferMut;
use crate::raw::{RawArc, Slot};

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
    /// with 16-byte loads, which cannot be forwarded from the 8-byte stores that wrote it.
    ///
    /// A free slot is the fast path, inlined into the caller; making a slot is a cold call
    /// that gets the parts too, so the fast path keeps nothing alive across a call.
    #[inline]
    pub(super) fn from_parts(block: Box<[u8]>, len: usize, home: Option<Home>) -> Buffer {
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
