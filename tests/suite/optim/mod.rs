//! The optimiser adapters, each behind its feature.

#[cfg(feature = "argmin")]
mod argmin;
#[cfg(feature = "levenberg-marquardt")]
mod levenberg_marquardt;
