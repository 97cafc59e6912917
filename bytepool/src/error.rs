//! The error type of the fallible (`try_`) methods.

use std::fmt;

/// Why a buffer could not be provided.
///
/// Returned by the `try_` methods ([`BytePool::try_get`](crate::BytePool::try_get),
/// [`BufferMut::try_reserve`](crate::BufferMut::try_reserve), ...); the panicking variants
/// panic with this error's message.
///
/// # Examples
/// ```
/// use bytepool::{tiers::PowerOfTwo, Error};
///
/// let err = PowerOfTwo::pool().try_get(usize::MAX).unwrap_err();
/// assert_eq!(err, Error::CapacityOverflow);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The requested size is above `isize::MAX` bytes, the largest allocation Rust allows, or
    /// computing it overflowed `usize`.
    CapacityOverflow,
    /// The global allocator could not provide `size` bytes.
    AllocFailed {
        /// The size of the failed allocation, in bytes.
        size: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::CapacityOverflow => {
                f.write_str("buffer size exceeds `isize::MAX` bytes (capacity overflow)")
            }
            Error::AllocFailed { size } => write!(f, "allocation of {size} bytes failed"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::OutOfMemory, err)
    }
}
