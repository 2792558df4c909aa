//! The Unifield mapping engine. Pure: no I/O beyond reading what it is handed, no
//! database, no HTTP. The studio, the CLI and the tests all run this one code path.

pub mod path;
