// Tuple and unit structs derive `Pooled` too.
use bytepool::{Pooled, Reset};

#[derive(Pooled, Default)]
struct Frame(
    Vec<u8>,
    #[pooled(skip)] u32,
    #[pooled(max_capacity = 8)] Vec<u8>,
);

#[derive(Pooled, Default)]
struct Marker;

fn main() {
    let mut frame = Frame(vec![1, 2, 3], 7, Vec::with_capacity(100));
    frame.reset();
    assert!(frame.0.is_empty());
    assert_eq!(frame.1, 7);
    assert_eq!(frame.2.capacity(), 0);

    Marker.reset();
    let _frame = Frame::take();
    let _marker = Marker::take();
}
