//! The handles without the `metrics` feature: empty, and every call compiles to nothing.

/// A counter that counts nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meter;

impl Meter {
    #[inline(always)]
    pub(crate) fn new(_name: &'static str, _labels: &[(&'static str, &'static str)]) -> Meter {
        Meter
    }

    #[inline(always)]
    pub(crate) fn inc(&self) {}
}

/// A gauge that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Level;

impl Level {
    #[inline(always)]
    pub(crate) fn new(_name: &'static str, _label: Option<(&'static str, String)>) -> Level {
        Level
    }

    #[inline(always)]
    pub(crate) fn set(&self, _value: f64) {}

    #[inline(always)]
    pub(crate) fn set_to_now(&self) {}
}

/// A histogram that records nothing (and reads no clock).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timer;

impl Timer {
    #[inline(always)]
    pub(crate) fn new() -> Timer {
        Timer
    }

    #[inline(always)]
    pub(crate) fn start(&self) -> Started {
        Started
    }

    #[inline(always)]
    pub(crate) fn stop(&self, _started: Started) {}
}

/// When a timed step started: nothing to remember.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started;

#[inline(always)]
pub(crate) fn describe() {}
