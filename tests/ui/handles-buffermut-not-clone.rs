// `BufferMut` is unique: it is not `Clone` (freeze it to share it).
use bytepool::BufferMut;

fn assert_clone<T: Clone>() {}

fn main() {
    assert_clone::<BufferMut>();
}
