//! Tower layer over auth-core (being written).
