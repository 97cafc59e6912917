// Only the struct must be `Send`: one with a field that is not, made `Send` by an
// `unsafe impl`, gets its process-wide pool.
use std::ptr::NonNull;

use bytepool::Pooled;

#[derive(Pooled)]
#[pooled(new = Cursor::empty)]
struct Cursor {
    data: Vec<u8>,
    /// Points into `data`, or dangles while it is empty.
    #[pooled(skip)]
    at: NonNull<u8>,
}

impl Cursor {
    fn empty() -> Self {
        Cursor {
            data: Vec::new(),
            at: NonNull::dangling(),
        }
    }
}

// SAFETY: `at` is only an address into `data`, which the struct owns; it is never dereferenced
// here.
unsafe impl Send for Cursor {}

fn main() {
    let mut cursor = Cursor::take();
    cursor.data.push(1);
    cursor.at = NonNull::from(&mut cursor.data[0]);
    drop(cursor);
    assert!(Cursor::take().data.is_empty());
}
