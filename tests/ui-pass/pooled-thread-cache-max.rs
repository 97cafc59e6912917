// `thread_cache` accepts up to `MAX_THREAD_CACHE`, and a thread then keeps that many objects.
use bytepool::{PoolStats, Pooled};

#[derive(Pooled, Default)]
#[pooled(thread_cache = 32, capacity = 64)]
struct Entry {
    message: Vec<u8>,
}

fn main() {
    assert_eq!(bytepool::MAX_THREAD_CACHE, 32);
    let taken: Vec<_> = (0..40).map(|_| Entry::take()).collect();
    drop(taken);
    // 40 came back: the thread's magazine filled to 32, spilled 16 to the shared tier and took
    // the last 8, so all 40 are idle and the next 40 takes are hits.
    let taken: Vec<_> = (0..40).map(|_| Entry::take()).collect();
    drop(taken);
    let stats = Entry::pool().stats();
    assert_eq!(stats.tiers[0].misses, 40);
    assert_eq!(stats.tiers[0].hits, 40);
}
