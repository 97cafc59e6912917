use std::rc::Rc;

use bytepool::Pooled;

// A process-wide pool is shared by every thread: the error names the struct, points at the
// field that is not `Send` and suggests an instance pool, without the pool's internals.
#[derive(Pooled, Default)]
struct Node {
    value: Vec<u8>,
    #[pooled(skip)]
    parent: Option<Rc<Node>>,
}

fn main() {
    // The inherent `take()` stands in for the pool that cannot exist: no second error here.
    let _ = Node::take();
    let _ = Node::pool();
}
