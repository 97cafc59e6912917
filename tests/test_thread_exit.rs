//! What a thread leaves behind when it exits, measured with a counting global allocator: the
//! slots it kept for `Buffer` headers become spares that the next thread reuses (or are freed
//! when the spares are full), not leaked.
//!
//! One test per binary, so no other test allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::thread;

use bytepool::{Buffer, BytePool};

struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counter
// is bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged: the caller upholds `System.alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
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

#[global_allocator]
static ALLOCATOR: Counting = Counting;

bytepool::define_tiers! {
    SmallTiers = [64];
}

/// A thread that freezes and drops `n` buffers of `pool` (an instance pool: no thread cache,
/// so the slot cache is the only thing the thread keeps), then exits. `join` (unlike the end
/// of a `thread::scope`) returns only after the thread's thread-local destructors ran.
fn freeze_on_a_thread(pool: &Arc<BytePool<SmallTiers>>, n: usize) {
    let pool = Arc::clone(pool);
    thread::spawn(move || {
        let shared: Vec<Buffer> = (0..n).map(|_| pool.get(10).freeze()).collect();
        drop(shared); // every header goes to this thread's free slots
    })
    .join()
    .unwrap();
}

#[test]
fn slots_kept_by_an_exiting_thread_are_reused_not_leaked() {
    let pool = Arc::new(
        BytePool::<SmallTiers>::builder()
            .max_idle_per_tier(64)
            .build(),
    );
    // The first thread makes the pool's blocks (kept idle after) and any lazy statics.
    freeze_on_a_thread(&pool, 20);
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    freeze_on_a_thread(&pool, 20);
    let after = LIVE_BYTES.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "bytes left behind by one exited thread");
}
