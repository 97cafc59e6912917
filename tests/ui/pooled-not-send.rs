use std::rc::Rc;

use bytepool::Pooled;

#[derive(Pooled, Default)]
struct Entry {
    message: Vec<u8>,
    #[pooled(skip)]
    shared: Rc<u8>,
}

fn main() {}
