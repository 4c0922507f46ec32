//! Configuration errors, caught when the validator is built.

/// A configuration mistake, found at startup. The message names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting `{setting}`: {message}")]
pub struct ConfigError {
    setting: String,
    message: String,
}

impl ConfigError {
    /// A new error about `setting`.
    pub fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { setting: setting.into(), message: message.into() }
    }

    /// The setting at fault (e.g. `issuers[0].jwks_uri`, `AUTH_AUDIENCE`).
    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error, attributed to another setting name (an environment variable, a config key).
    pub fn for_setting(mut self, setting: impl Into<String>) -> Self {
        self.setting = setting.into();
        self
    }
}
