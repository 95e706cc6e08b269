//! The examples' numbers and printed text, checked against closed forms and other modes.

mod tour;
mod training;
