//! Unit tests against a recording fake environment.
