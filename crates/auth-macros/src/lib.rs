//! Procedural macros for handler-level scope requirements and typed claims. Not written yet:
//! tracked as open work.
#![forbid(unsafe_code)]
