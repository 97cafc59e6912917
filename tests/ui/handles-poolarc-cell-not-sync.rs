// A `PoolArc` shares its object between threads, so it is `Sync` only for `Sync` objects.
use std::cell::Cell;

use bytepool::PoolArc;

fn assert_sync<T: Sync>() {}

fn main() {
    assert_sync::<PoolArc<Cell<u8>>>();
}
