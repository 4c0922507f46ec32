use tower_auth::requires_step_up;

#[requires_step_up()]
async fn empty() {}

#[requires_step_up(acr = "mfa", level = "x")]
async fn unknown_key() {}

#[requires_step_up(acr = ["mfa", "mfa"], max_age = "300")]
async fn duplicate_and_string_age() {}

#[requires_step_up(acr = ["two words", ""])]
async fn malformed() {}

#[requires_step_up(acr_levels = ["pwd", "mfa"], acr_at_least = "phr")]
async fn unknown_level() {}

#[requires_step_up(acr = "mfa", acr_levels = ["pwd", "mfa"], acr_at_least = "mfa")]
async fn both_forms() {}

#[requires_step_up(acr = "mfa")]
fn not_async() {}

fn main() {}
