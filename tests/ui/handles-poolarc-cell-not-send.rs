// Sending a `PoolArc` clone to another thread shares its object, so `PoolArc<T>` is `Send`
// only when `T` is `Sync` too (as `Arc`).
use std::cell::Cell;

use bytepool::PoolArc;

fn assert_send<T: Send>() {}

fn main() {
    assert_send::<PoolArc<Cell<u8>>>();
}
