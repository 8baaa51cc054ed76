//! The `kqlite` command.

fn main() {}
