// `#[tiers(crate = path)]`: the path form, which `macro_rules!` wrappers can fill from a
// `$krate:path` fragment. The string form is in tiers-crate-path.rs.
#![deny(warnings)]

extern crate bytepool as runtime;

mod reexport {
    pub use ::bytepool;
}

runtime::define_tiers! {
    #[tiers(crate = ::runtime)]
    pub Renamed = [64, 128];

    #[tiers(crate = runtime, stats = false)]
    pub Relative = [100, 200];

    #[tiers(crate = crate::reexport::bytepool)]
    pub Reexported = [1KiB, 4KiB]
}

macro_rules! tiers_in {
    ($krate:path, $name:ident) => {
        runtime::define_tiers! {
            #[tiers(crate = $krate)]
            pub $name = [64, 256];
        }
    };
}

tiers_in!(crate::reexport::bytepool, FromMacro);

fn main() {
    let _ = <Renamed as runtime::Tiers>::class_of(1);
    let _ = <Relative as runtime::Tiers>::class_of(1);
    let _ = <Reexported as runtime::Tiers>::class_of(1);
    let _ = <FromMacro as runtime::Tiers>::class_of(1);
}
