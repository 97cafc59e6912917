// A `PoolBox` of a type that is not `Send` cannot move to another thread.
use std::rc::Rc;

use bytepool::PoolBox;

fn assert_send<T: Send>() {}

fn main() {
    assert_send::<PoolBox<Rc<u8>>>();
}
