//! Desktop app (placeholder).
fn main() {}
