//! `Buffer`s frozen on one thread and released on another, counted with a counting global
//! allocator: the two threads trade reference-count slots through the spares instead of
//! allocating one per buffer.
//!
//! One test per binary, so no other test allocates while it counts.

mod common;

use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;
use std::thread;

use bytepool::Buffer;
use common::{Counting, ALLOCS, POOLING};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

bytepool::define_tiers! {
    SmallTiers = [64];
}

/// Sends `n` frozen buffers from a producer thread to a consumer thread that drops them;
/// returns the allocations made meanwhile.
fn cross_threads(n: usize) -> u64 {
    let (tx, rx) = sync_channel::<Buffer>(16);
    let before = ALLOCS.load(Ordering::Relaxed);
    // `join` (unlike the end of a `thread::scope`) returns only after the threads'
    // thread-local destructors ran.
    let producer = thread::spawn(move || {
        for _ in 0..n {
            tx.send(SmallTiers::pool().get(10).freeze()).unwrap();
        }
    });
    let consumer = thread::spawn(move || rx.into_iter().for_each(drop));
    producer.join().unwrap();
    consumer.join().unwrap();
    ALLOCS.load(Ordering::Relaxed) - before
}

#[test]
fn buffers_released_on_another_thread_recycle_their_slots() {
    let n: u64 = if cfg!(miri) { 400 } else { 20_000 };
    // The first pass makes the pool's blocks and any lazy statics.
    cross_threads(100);
    let allocs = cross_threads(n as usize);
    // Two threads and their caches cost a few dozen allocations; a slot per buffer would be
    // `n` more.
    let blocks = if POOLING { 0 } else { n };
    assert!(
        allocs < blocks + n / 2,
        "{allocs} allocations for {n} buffers ({blocks} of them blocks)"
    );
}
