//! [`alloc_zeroed`]: a zeroed allocation that reports failure instead of aborting.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

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
