// Shared by the integration tests (`mod common;`).
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Whether buffers are really reused (off under `--features passthrough`, where every get
/// allocates): assertions about hits and idle buffers are gated on it.
pub const POOLING: bool = !cfg!(feature = "passthrough");

/// Scales an iteration count down under Miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        n / 100 + 1
    } else {
        n
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A global allocator that counts, for the test binaries that measure what the pools allocate
/// (each declares it with `#[global_allocator] static ALLOCATOR: Counting = Counting;`, and
/// holds one test, so no other test allocates meanwhile). The soak test has its own, which also
/// counts per tier size.
pub struct Counting;

/// Allocations made through [`Counting`].
pub static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated through [`Counting`] and not yet freed.
pub static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counters
// are bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged: the caller upholds `System.alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded unchanged: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
    }
}
