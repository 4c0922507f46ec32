//! The startup banner: where the service listens, ready tokens, and commands to paste.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::auth::{ADMIN_SCOPES, Auth, DevAccess, USER_SCOPES};

/// The address a client on this machine should use: an unspecified listen address
/// (`0.0.0.0`, `[::]`) becomes loopback.
pub fn client_addr(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, listen.port())),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, listen.port())),
        _ => listen,
    }
}

/// `curl` commands for the HTTP Petstore at `listen`, one per line, to paste after the
/// `TOKEN=` / `ADMIN_TOKEN=` lines (expected: 200, 200, 201, 403, 204, 200).
pub fn curl_commands(listen: SocketAddr) -> Vec<String> {
    let base = format!("http://{}", client_addr(listen));
    vec![
        format!("curl -i {base}/health"),
        format!("curl -i -H \"Authorization: Bearer $TOKEN\" {base}/pets"),
        format!(
            "curl -i -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \
             -d '{{\"name\":\"Nemo\",\"tag\":\"fish\"}}' {base}/pets"
        ),
        format!("curl -i -X DELETE -H \"Authorization: Bearer $TOKEN\" {base}/pets/1"),
        format!("curl -i -X DELETE -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/pets/1"),
        format!("curl -i -H \"Authorization: Bearer $TOKEN\" {base}/me"),
    ]
}

/// The DPoP request of the HTTP banner, with the client that ships with the examples: a fresh
/// proof for `GET /pets` with `DPOP_TOKEN` (bound to `DPOP_KEY`).
pub fn dpop_command(listen: SocketAddr) -> String {
    format!(
        "cargo run -q -p petstore --bin dpop-request -- --key \"$DPOP_KEY\" --token \"$DPOP_TOKEN\" GET http://{}/pets",
        client_addr(listen)
    )
}

/// `POST /admin/revocations` with `ADMIN_TOKEN` and the JSON `body` (see [`crate::revocation`]);
/// `DELETE` with the same body lifts it.
pub fn revoke_command(listen: SocketAddr, body: &str) -> String {
    format!(
        "curl -i -X POST -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/json' \
         -d '{body}' http://{}/admin/revocations",
        client_addr(listen)
    )
}

/// The step-up part of the HTTP banner (RFC 9470): `TOKEN` refused with the challenge, then
/// `STEP_UP_TOKEN` accepted, and how to get a fresh one from the development issuer once its
/// `auth_time` is older than the maximum age (a token exchange with `acr_values`, the dev
/// issuer's stand-in for signing in again).
pub fn step_up_commands(listen: SocketAddr, auth: &Auth, dev: &DevAccess) -> Vec<String> {
    let pay = format!("http://{}/store/orders/1/payment", client_addr(listen));
    let acr = auth.step_up.acr_values().unwrap_or_default();
    let max_age = auth.step_up.max_age_secs().unwrap_or_default();
    let (id, secret) = dev.issuer.service_client();
    let (audience, first_acr) = &dev.step_up_claims;
    vec![
        format!(
            "# Paying needs a stronger sign-in (acr {acr}, within {max_age} s): TOKEN gets 401 \
             insufficient_user_authentication, the challenge naming acr_values and max_age:"
        ),
        format!("curl -i -X POST -H \"Authorization: Bearer $TOKEN\" {pay}"),
        format!("# STEP_UP_TOKEN (acr {first_acr}, auth_time at startup) pays (expect 200) for {max_age} s:"),
        format!("curl -i -X POST -H \"Authorization: Bearer $STEP_UP_TOKEN\" {pay}"),
        "# Later its max_age fails too: sign in again (the dev issuer's stand-in) and retry:".to_owned(),
        format!(
            "STEP_UP_TOKEN=$(curl -s -u '{id}:{secret}' -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
             -d subject_token_type=urn:ietf:params:oauth:token-type:access_token -d \"subject_token=$TOKEN\" \
             -d 'scope={USER_SCOPES}' -d audience={audience} -d acr_values={first_acr} {} \
             | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')",
            dev.issuer.token_endpoint()
        ),
    ]
}

/// The banner for the HTTP binaries.
pub fn http_banner(name: &str, listen: SocketAddr, auth: &Auth) -> String {
    let url = format!("http://{}", client_addr(listen));
    let mut commands = curl_commands(listen);
    commands.push(
        "# What a client learns after a 401 (RFC 9728): this API's issuer, scopes and token methods:"
            .to_owned(),
    );
    commands.push(format!("curl -i {url}{}", auth_core::metadata::WELL_KNOWN_PATH));
    if let Some(dev) = &auth.dev {
        commands
            .push("# DPOP_TOKEN is bound to DPOP_KEY: a fresh proof per request (expect 200):".to_owned());
        commands.push(dpop_command(listen));
        commands.push(
            "# Revoke every token bound to DPOP_KEY (expect 204; the DPoP request then answers 401):"
                .to_owned(),
        );
        commands.push(revoke_command(listen, &format!(r#"{{"jkt":"{}"}}"#, dev.dpop_key.thumbprint())));
        commands.push("# OPAQUE_TOKEN is checked by introspection at the issuer (expect 200):".to_owned());
        commands.push(format!("curl -i -H \"Authorization: Bearer $OPAQUE_TOKEN\" {url}/me"));
        commands.extend(step_up_commands(listen, auth, dev));
    }
    banner(name, &url, auth, "expect 200, 200, 201, 403 (no admin scope), 204, 200", &commands)
}

/// The line saying the built-in development issuer is trusted, and where it runs.
pub fn dev_issuer_line(issuer: &auth_core::dev_issuer::DevIssuer) -> String {
    format!(
        "No AUTH_ISSUER or AUTH_JWKS_URL set: trusting the built-in development issuer at {} \
         (tokens valid for 1 hour).",
        issuer.issuer()
    )
}

/// A banner: the service, its token source, then a block of lines that work pasted into a
/// shell (`TOKEN=...` lines when the development issuer is used, then `commands`).
/// `expect` says what the commands should answer.
pub fn banner(name: &str, url: &str, auth: &Auth, expect: &str, commands: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{name} listening on {url}");
    match &auth.dev {
        Some(dev) => {
            let _ = writeln!(out, "{}", dev_issuer_line(&dev.issuer));
            let _ = writeln!(out, "TOKEN has scopes `{USER_SCOPES}`; ADMIN_TOKEN has `{ADMIN_SCOPES}`.");
            let _ = writeln!(out, "Paste into a shell ({expect}):\n");
            let _ = writeln!(out, "TOKEN={}", dev.token);
            let _ = writeln!(out, "ADMIN_TOKEN={}", dev.admin_token);
            let _ = writeln!(out, "DPOP_KEY={}", dev.dpop_key.to_base64url());
            let _ = writeln!(out, "DPOP_TOKEN={}", dev.dpop_token);
            let _ = writeln!(out, "OPAQUE_TOKEN={}", dev.opaque_token);
            let _ = writeln!(out, "STEP_UP_TOKEN={}", dev.step_up_token);
        }
        None => {
            let _ = writeln!(
                out,
                "Get access tokens from your provider (scopes `{USER_SCOPES}`, and `admin` to delete),"
            );
            let _ = writeln!(out, "set TOKEN and ADMIN_TOKEN to them, then run ({expect}):\n");
        }
    }
    for command in commands {
        let _ = writeln!(out, "{command}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_become_loopback() {
        assert_eq!(client_addr("0.0.0.0:80".parse().unwrap()).to_string(), "127.0.0.1:80");
        assert_eq!(client_addr("[::]:80".parse().unwrap()).to_string(), "[::1]:80");
        assert_eq!(client_addr("10.0.0.1:80".parse().unwrap()).to_string(), "10.0.0.1:80");
        assert!(curl_commands("0.0.0.0:9".parse().unwrap())[0].ends_with("http://127.0.0.1:9/health"));
    }
}
