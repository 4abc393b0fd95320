//! Device simulator (placeholder).
fn main() {}
