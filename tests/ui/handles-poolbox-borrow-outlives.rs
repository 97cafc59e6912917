// A borrow of a pooled object cannot outlive its `PoolBox` (whose drop resets the object).
use bytepool::Pool;

fn main() {
    let pool = Pool::<Vec<u8>>::new();
    let object: &Vec<u8>;
    {
        let boxed = pool.get();
        object = &boxed;
    }
    println!("{}", object.len());
}
