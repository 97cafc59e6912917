use bytepool::Pooled;

// A thread's cache has `bytepool::MAX_THREAD_CACHE` (32) slots per pool.
#[derive(Pooled, Default)]
#[pooled(thread_cache = 33)]
struct Entry {
    message: Vec<u8>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let _ = Entry::take();
    let _ = Entry::pool();
}
