//! What a thread leaves behind when it exits, measured with a counting global allocator: the
//! slots it kept for `Buffer` headers become spares that the next thread reuses (or are freed
//! when the spares are full), not leaked.
//!
//! One test per binary, so no other test allocates while it measures.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

use bytepool::{Buffer, BytePool};
use common::{Counting, LIVE_BYTES};

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
