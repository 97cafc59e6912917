use bytepool::Pooled;

// A generic struct gets `Reset` only: it has no process-wide pool to configure.
#[derive(Pooled, Default)]
#[pooled(capacity = 64, thread_cache = 0)]
struct Batch<T> {
    items: Vec<T>,
}

fn main() {}
