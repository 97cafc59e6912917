// A lock-free ring holds only values with a native atomic: a pair of words has none, so its
// seqlock reads would race. `LockedRingQueue` takes any `Clone` type.
use bytepool::ring::RingQueue;

fn main() {
    let _ring = RingQueue::<(u64, u64)>::new(8);
}
