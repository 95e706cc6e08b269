//! nalgebra's `RealField` (and the simba traits under it) for the graph's `Sym`: matrix code over
//! `T: RealField` records into a graph unchanged (see [`crate::linalg_reverse`] for what is tested).

use nalgebra::RealField;
use num_traits::{One, Zero};

use super::Sym;
use crate::base::linalg::impl_real_field;

impl_real_field!([] Sym, f64);

const _: () = {
    const fn assert_real_field<X: RealField>() {}
    assert_real_field::<Sym>();
};
