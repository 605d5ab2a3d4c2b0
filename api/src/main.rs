//! The `docuvault` binary: a thin clap dispatcher.

fn main() {}
