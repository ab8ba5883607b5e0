//! Unit tests of the simulated machine (filled in below).
