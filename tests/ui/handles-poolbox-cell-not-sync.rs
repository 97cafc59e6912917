// A `PoolBox` of a type that is not `Sync` cannot be shared between threads.
use std::cell::Cell;

use bytepool::PoolBox;

fn assert_sync<T: Sync>() {}

fn main() {
    assert_sync::<PoolBox<Cell<u8>>>();
}
