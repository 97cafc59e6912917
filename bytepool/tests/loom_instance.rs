//! Loom models of an instance pool's per-thread caches against the pool's end: a thread
//! returning a buffer into its own cache while the pool's last reference goes on another
//! thread, and two threads trading buffers while a third drops the pool. Whatever the
//! interleaving, every buffer returns once (or is freed once the pool is gone), nothing is
//! read after it is freed (`.ci/sanitize loom-asan` runs these under AddressSanitizer), and
//! the pool's bookkeeping goes with its last reference (loom fails a model whose atomics or
//! `Arc`s outlive it).
#![cfg(loom)]

mod common;

use common::run_model;

use bytepool::BytePool;
use loom::sync::{Arc, Mutex};
use loom::thread;

bytepool::define_tiers! {
    /// One tier: a thread's slot then holds one magazine.
    One = [8];
}

/// A thread whose cache already holds a block of the pool takes it, and gives it back into its
/// cache, while the pool's last reference is dropped, on either thread.
#[test]
fn a_cached_release_races_the_pools_last_drop() {
    run_model("a_cached_release_races_the_pools_last_drop", || {
        let pool = Arc::new(BytePool::<One>::new());
        let theirs = Arc::clone(&pool);
        let held = pool.get(4);
        let t = thread::spawn(move || {
            drop(theirs.get(4)); // this thread's cache now keeps a block
            let mut buf = theirs.get(4); // from that cache
            buf[0] = 1;
            drop(theirs);
            drop(buf); // into the cache, or freed if the pool is gone
        });
        drop(pool);
        drop(held);
        t.join().unwrap();
    });
}

/// Two threads trade buffers of one pool (each returns the other's) while a third thread drops
/// the last reference to the pool.
#[test]
fn two_threads_trade_buffers_while_a_third_drops_the_pool() {
    run_model(
        "two_threads_trade_buffers_while_a_third_drops_the_pool",
        || {
            let pool = Arc::new(BytePool::<One>::new());
            let box_a = Arc::new(Mutex::new(Some(pool.get(1))));
            let box_b = Arc::new(Mutex::new(Some(pool.get(2))));
            let trader =
                |mine: Arc<Mutex<Option<bytepool::BufferMut>>>,
                 theirs: Arc<Mutex<Option<bytepool::BufferMut>>>| {
                    move || {
                        let taken = theirs.lock().unwrap().take();
                        drop(taken); // the other thread's buffer, returned on this thread
                        drop(mine);
                    }
                };
            let a = thread::spawn(trader(Arc::clone(&box_a), Arc::clone(&box_b)));
            let b = thread::spawn(trader(Arc::clone(&box_b), Arc::clone(&box_a)));
            let last = thread::spawn(move || drop(pool));
            a.join().unwrap();
            b.join().unwrap();
            last.join().unwrap();
            // Whatever a trader left in its box goes now, after the pool.
            drop((box_a, box_b));
        },
    );
}
