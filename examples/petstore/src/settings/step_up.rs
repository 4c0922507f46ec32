//! The step-up settings of `POST /store/orders/{id}/payment`: `AUTH_STEP_UP_ACR` and
//! `AUTH_STEP_UP_MAX_AGE`.

use std::time::Duration;

use auth_core::{ConfigError, StepUp};

use super::{AUTH_STEP_UP_ACR, AUTH_STEP_UP_MAX_AGE};

/// The accepted `acr` values when `AUTH_STEP_UP_ACR` is unset.
pub const DEFAULT_STEP_UP_ACR: &str = "mfa";
/// The maximum age of the user's authentication, in seconds, when `AUTH_STEP_UP_MAX_AGE` is unset.
pub const DEFAULT_STEP_UP_MAX_AGE: u64 = 300;

/// The default requirement: `acr` `mfa`, authenticated within 300 s.
pub fn default_step_up() -> StepUp {
    StepUp::acr([DEFAULT_STEP_UP_ACR]).max_age(Duration::from_secs(DEFAULT_STEP_UP_MAX_AGE))
}

/// `AUTH_STEP_UP_ACR` (comma-separated, any one satisfies) and `AUTH_STEP_UP_MAX_AGE` (seconds,
/// at least 1); errors name the variable.
pub(super) fn step_up(get: &impl Fn(&str) -> Option<String>) -> Result<StepUp, ConfigError> {
    let acr: Vec<String> = match get(AUTH_STEP_UP_ACR) {
        None => vec![DEFAULT_STEP_UP_ACR.to_owned()],
        Some(list) => {
            let values: Vec<String> = list.split(',').map(|v| v.trim().to_owned()).collect();
            if let Some(bad) = values.iter().find(|v| v.is_empty() || v.contains(char::is_whitespace)) {
                return Err(ConfigError::new(
                    AUTH_STEP_UP_ACR,
                    format!("`{bad}` is not an acr value: list them comma-separated, like `mfa,hwk`"),
                ));
            }
            values
        }
    };
    let max_age = match get(AUTH_STEP_UP_MAX_AGE) {
        None => DEFAULT_STEP_UP_MAX_AGE,
        Some(secs) => match secs.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(ConfigError::new(
                    AUTH_STEP_UP_MAX_AGE,
                    format!("`{secs}` is not a number of seconds (at least 1)"),
                ));
            }
        },
    };
    Ok(StepUp::acr(acr).max_age(Duration::from_secs(max_age)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(acr: Option<&str>, age: Option<&str>) -> Result<StepUp, ConfigError> {
        step_up(&|name: &str| match name {
            AUTH_STEP_UP_ACR => acr.map(str::to_owned),
            AUTH_STEP_UP_MAX_AGE => age.map(str::to_owned),
            _ => None,
        })
    }

    #[test]
    fn defaults_and_lists() {
        assert_eq!(read(None, None).unwrap(), default_step_up());
        let r = read(Some("mfa, hwk"), Some("60")).unwrap();
        assert_eq!(r.acr_values(), Some("mfa hwk"));
        assert_eq!(r.max_age_secs(), Some(60));
    }

    #[test]
    fn errors_name_the_variable() {
        for acr in ["mfa,,hwk", "two words", ","] {
            assert_eq!(read(Some(acr), None).unwrap_err().setting(), AUTH_STEP_UP_ACR, "{acr}");
        }
        for age in ["0", "-1", "5m", "1.5"] {
            assert_eq!(read(None, Some(age)).unwrap_err().setting(), AUTH_STEP_UP_MAX_AGE, "{age}");
        }
    }
}
