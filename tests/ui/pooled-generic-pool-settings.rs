use bytepool::Pooled;

// A generic struct gets `Reset` only: it has no process-wide pool to configure.
#[derive(Pooled, Default)]
#[pooled(capacity = 64, thread_cache = 0)]
struct Batch<T> {
    items: Vec<T>,
}

// Uses of the type add no diagnostic of their own.
fn main() {
    let pool = bytepool::Pool::<Batch<u8>>::new();
    pool.get().items.push(1);
}
