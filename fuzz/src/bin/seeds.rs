//! Writes the seed corpora (`corpus/<target>/`) and the public keys the token and request targets
//! trust (`keys/jwks.json`), with fresh keys: `cargo run --bin seeds` in `fuzz/`. Run it again only
//! to change the seeds: every signed seed changes with the keys.

use std::fs;
use std::path::{Path, PathBuf};

use auth_core::__fuzz::{AUDIENCE, ISSUER, NOW, sign_hs256};
use auth_core::Algorithm;
use auth_core::dev_issuer::{DpopKey, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let keys: Vec<SigningKey> = Algorithm::ALL
        .into_iter()
        .filter(|alg| !alg.is_symmetric())
        .map(|alg| SigningKey::generate(alg).expect("key generation").with_kid(format!("fuzz-{alg}")))
        .collect();
    let jwks = json!({ "keys": keys.iter().map(SigningKey::public_jwk).collect::<Vec<_>>() });
    fs::create_dir_all(root.join("keys")).expect("keys directory");
    fs::write(root.join("keys/jwks.json"), format!("{jwks:#}\n")).expect("keys/jwks.json");

    let token_seeds = tokens(&keys);
    write(&root, "token", &token_seeds);
    write(&root, "jwks", &jwks_documents(&jwks));
    let dpop = DpopKey::generate(Algorithm::ES256).expect("key generation");
    write(&root, "request", &requests(&keys[6], &dpop, &token_seeds[0].1));
    write(&root, "dpop_proof", &proofs());
    write(&root, "introspection", &answers());
}

/// Replaces `corpus/<target>/` with these files.
fn write(root: &Path, target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = root.join("corpus").join(target);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("corpus directory");
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).expect("seed file");
    }
    println!("corpus/{target}: {} seeds", seeds.len());
}

fn seed(name: &str, bytes: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
    (name.to_owned(), bytes.into())
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn good_claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-4711", "client_id": "client-a",
        "exp": NOW + 300, "iat": NOW - 10, "jti": "jti-1", "scope": "pets:read pets:write",
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

/// Tokens as sent (one valid per asymmetric algorithm, hostile ones), then `header\npayload`
/// texts the harness signs itself (they start with `{`).
fn tokens(keys: &[SigningKey]) -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<_> =
        keys.iter().map(|k| seed(&format!("valid-{}", k.algorithm()), k.mint(&good_claims()))).collect();
    let es = &keys[6];
    let header = |alg: &str| json!({ "alg": alg, "typ": "at+jwt", "kid": es.kid() });
    let claims = good_claims();
    seeds.extend([
        seed("alg-none", format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(claims.to_string()))),
        seed("expired", es.mint(&with(claims.clone(), "exp", json!(NOW - 3600)))),
        seed("not-yet-valid", es.mint(&with(claims.clone(), "nbf", json!(NOW + 3600)))),
        seed("wrong-audience", es.mint(&with(claims.clone(), "aud", json!(["other", "api"])))),
        seed("audience-array", es.mint(&with(claims.clone(), "aud", json!(["x", AUDIENCE])))),
        seed("foreign-issuer", es.mint(&with(claims.clone(), "iss", json!("https://evil.invalid")))),
        seed("unknown-kid", es.sign_jwt(&json!({"alg": "ES256", "kid": "nope"}), &claims)),
        seed("crit-header", es.sign_jwt(&json!({"alg": "ES256", "crit": ["b64"], "b64": false}), &claims)),
        seed(
            "jwt-typ",
            es.sign_jwt(
                &header("ES256")
                    .as_object()
                    .map(|h| {
                        let mut h = h.clone();
                        h.insert("typ".into(), "JWT".into());
                        Value::Object(h)
                    })
                    .unwrap_or_default(),
                &claims,
            ),
        ),
        seed("bad-signature", {
            let mut t = es.mint(&claims);
            t.pop();
            t.push('A');
            t
        }),
        seed("two-parts", format!("{}.{}", b64(header("ES256").to_string()), b64(claims.to_string()))),
        seed("five-parts-jwe", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"),
        seed(
            "padded-base64",
            format!("{}==.{}.AA", b64(header("ES256").to_string()), b64(claims.to_string())),
        ),
        seed("hs384-untrusted", format!("{}.{}.AAAA", b64(r#"{"alg":"HS384"}"#), b64(claims.to_string()))),
        seed(
            "valid-HS256",
            sign_hs256(format!("{}\n{claims}", json!({"alg": "HS256", "typ": "at+jwt"})).as_bytes()),
        ),
        seed("empty", ""),
        seed("dots", ".."),
    ]);
    let signed = |name: &str, header: &str, payload: &str| seed(name, format!("{header}\n{payload}"));
    let hs = r#"{"alg":"HS256","typ":"at+jwt"}"#;
    let now = NOW;
    seeds.extend([
        signed("signed-good", hs, &claims.to_string()),
        signed("signed-escapes", hs, &format!(r#"{{"iss":"https:\/\/issuer.fuzz.invalid","aud":"fuzz-\u0061pi","exp":{},"sub":"\ud83d\ude00 \"q\" \\"}}"#, now + 60)),
        signed("signed-duplicate-claims", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{},"exp":{}}}"#, now + 60, now - 60)),
        signed("signed-number-forms", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{}.5e0,"nbf":-0,"iat":1E9}}"#, now + 60)),
        signed("signed-huge-numbers", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":1e400,"iat":-99999999999999999999}}"#)),
        signed("signed-nested", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","x":[[[[{{"a":[{{}}]}}]]]],"cnf":{{"jkt":"abc"}}}}"#)),
        signed("signed-scopes", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{},"scope":"  a  b ","scp":["c","d"]}}"#, now + 60)),
        signed("signed-scopes-wrong-types", hs, &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{},"scp":["c",1,null]}}"#, now + 60)),
        signed("signed-wrong-types", hs, r#"{"iss":1,"aud":{"x":1},"exp":"soon","sub":[],"client_id":true}"#),
        signed("signed-header-kid-escape", r#"{"alg":"HS256","kid":"a\u0000b","typ":"at\/jwt"}"#, &claims.to_string()),
        signed("signed-not-an-object", hs, "[1,2,3]"),
        signed("signed-truncated", hs, r#"{"iss":"https://issuer.fu"#),
        signed("signed-whitespace", hs, &format!(" \t\r\n{{ \"iss\" : \"{ISSUER}\" ,\n\"aud\":\"{AUDIENCE}\", \"exp\" :{} }} ", now + 60)),
    ]);
    seeds
}

fn jwks_documents(jwks: &Value) -> Vec<(String, Vec<u8>)> {
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let find = |kty: &str, crv: Option<&str>| {
        keys.iter()
            .find(|k| k["kty"] == kty && crv.is_none_or(|c| k["crv"] == c))
            .cloned()
            .unwrap_or_default()
    };
    let (rsa, p256, p384, ed) =
        (find("RSA", None), find("EC", Some("P-256")), find("EC", Some("P-384")), find("OKP", None));
    let one = |k: &Value| json!({ "keys": [k] }).to_string();
    let changed = |k: &Value, name: &str, value: Value| {
        let mut k = k.clone();
        k[name] = value;
        one(&k)
    };
    vec![
        seed("all", jwks.to_string()),
        seed("rsa", one(&rsa)),
        seed("ec-p256", one(&p256)),
        seed("ec-p384", one(&p384)),
        seed("okp-ed25519", one(&ed)),
        seed(
            "oct-symmetric",
            r#"{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA","alg":"HS256"}]}"#,
        ),
        seed("rsa-small-modulus", changed(&rsa, "n", json!(b64([0xc1u8; 128])))),
        seed("rsa-even-exponent", changed(&rsa, "e", json!("AAAAAg"))),
        seed("rsa-huge-exponent", changed(&rsa, "e", json!(b64([0xffu8; 64])))),
        seed("rsa-private-member", changed(&rsa, "d", json!("AQAB"))),
        seed("ec-off-curve", changed(&p256, "y", json!(b64([1u8; 32])))),
        seed("ec-wrong-curve", changed(&p256, "crv", json!("P-521"))),
        seed("ec-short-coordinate", changed(&p384, "x", json!("AQ"))),
        seed("okp-x448", changed(&ed, "crv", json!("X25519"))),
        seed("use-enc", changed(&rsa, "use", json!("enc"))),
        seed("key-ops-sign-only", changed(&p256, "key_ops", json!(["sign"]))),
        seed("alg-mismatch", changed(&p256, "alg", json!("RS256"))),
        seed("x5c-only", r#"{"keys":[{"kty":"RSA","x5c":["MIIB"],"kid":"x"}]}"#),
        seed("duplicate-kids", json!({ "keys": [p256.clone(), p256.clone(), rsa.clone()] }).to_string()),
        seed("too-many-keys", json!({ "keys": vec![ed.clone(); 20] }).to_string()),
        seed("keys-not-array", r#"{"keys":{"kty":"RSA"}}"#),
        seed("no-keys-member", r#"{"jwks_uri":"https://x"}"#),
        seed("empty-keys", r#"{"keys":[]}"#),
        seed("unknown-kty", r#"{"keys":[{"kty":"XYZ","kid":"1"},null,1,"s",[]]}"#),
        seed(
            "base64-padding",
            changed(&ed, "x", json!(format!("{}=", ed["x"].as_str().unwrap_or_default()))),
        ),
        seed("not-json", "\u{feff}{\"keys\":[]}"),
    ]
}

/// Requests: a valid bearer token sent every way, a DPoP-bound token with its proof, and broken ones.
fn requests(key: &SigningKey, dpop: &DpopKey, token: &[u8]) -> Vec<(String, Vec<u8>)> {
    let token = String::from_utf8_lossy(token).into_owned();
    let target = "http://api.example.com/pets";
    let bound = key.mint(&with(good_claims(), "cnf", json!({ "jkt": dpop.thumbprint() })));
    let proof = |method: &str, uri: &str| {
        dpop.proof(method, uri).access_token(&bound).issued_at(NOW).jti("seed-1").sign()
    };
    let get = |headers: &str| format!("GET /pets\nhost: api.example.com\n{headers}");
    vec![
        seed("bearer", get(&format!("authorization: Bearer {token}"))),
        seed("bearer-odd-case-spacing", get(&format!("authorization: bEaReR  \t {token} \t"))),
        seed("bearer-twice", get(&format!("authorization: Bearer {token}\nauthorization: Bearer {token}"))),
        seed(
            "bearer-and-query",
            format!("GET /pets?access_token={token}\nhost: api.example.com\nauthorization: Bearer {token}"),
        ),
        seed("query", format!("GET /pets?limit=2&access_token={token}\nhost: api.example.com")),
        seed("query-twice", "GET /pets?access_token=a&access_token=b\nhost: api.example.com".to_owned()),
        seed("query-percent", "GET /pets?access_token=a%2Eb%2Ec%zz\nhost: api.example.com".to_owned()),
        seed("cookie", get(&format!("cookie: theme=dark; access_token=\"{token}\"; x=1"))),
        seed(
            "form",
            format!(
                "POST /pets\nhost: api.example.com\ncontent-type: application/x-www-form-urlencoded\n\naccess_token={token}&name=rex"
            ),
        ),
        seed("basic", get("authorization: Basic dXNlcjpwYXNz")),
        seed("bearer-empty", get("authorization: Bearer ")),
        seed("bearer-bad-syntax", get("authorization: Bearer a,b \"c\"")),
        seed("no-credentials", get("")),
        seed("dpop", get(&format!("authorization: DPoP {bound}\ndpop: {}", proof("GET", target)))),
        seed(
            "dpop-forwarded",
            format!(
                "GET /pets\nhost: internal:8080\nforwarded: for=1.2.3.4;proto=https;host=api.example.com\nauthorization: DPoP {bound}\ndpop: {}",
                proof("GET", "https://api.example.com/pets")
            ),
        ),
        seed(
            "dpop-x-forwarded",
            format!(
                "GET /pets\nhost: internal:8080\nx-forwarded-proto: https\nx-forwarded-host: api.example.com\nauthorization: dpop {bound}\ndpop: {}",
                proof("GET", "https://api.example.com/pets")
            ),
        ),
        seed(
            "dpop-wrong-method",
            get(&format!("authorization: DPoP {bound}\ndpop: {}", proof("POST", target))),
        ),
        seed(
            "dpop-two-proofs",
            get(&format!("authorization: DPoP {bound}\ndpop: {p}\ndpop: {p}", p = proof("GET", target))),
        ),
        seed("dpop-no-proof", get(&format!("authorization: DPoP {bound}"))),
        seed(
            "dpop-bound-as-bearer",
            get(&format!("authorization: Bearer {bound}\ndpop: {}", proof("GET", target))),
        ),
    ]
}

fn proofs() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256, Algorithm::EdDSA] {
        let key = DpopKey::generate(alg).expect("key generation");
        let proof = key.proof("GET", "https://api.example.com/pets").issued_at(NOW).jti("seed-1");
        seeds.push(seed(&format!("valid-{alg}"), proof.clone().sign()));
        if alg == Algorithm::ES256 {
            let mut private_jwk = key.public_jwk().clone();
            private_jwk["d"] = json!("AAAA");
            seeds.extend([
                seed("with-ath-nonce", proof.clone().access_token("a.b.c").nonce("n-1").sign()),
                seed("typ-jwt", proof.clone().header("typ", json!("JWT")).sign()),
                seed("alg-hs256", proof.clone().header("alg", json!("HS256")).sign()),
                seed("private-jwk", proof.clone().header("jwk", private_jwk).sign()),
                seed("no-jwk", proof.clone().header("jwk", Value::Null).sign()),
                seed("crit", proof.clone().header("crit", json!(["x"])).sign()),
                seed("jti-long", proof.clone().jti(&"j".repeat(300)).sign()),
                seed("iat-float", proof.clone().claim("iat", json!(1.7e9)).sign()),
                seed("iat-string", proof.clone().claim("iat", json!("1700000000")).sign()),
                seed("four-parts", format!("{}.e30", proof.clone().sign())),
            ]);
        }
    }
    seeds
}

fn answers() -> Vec<(String, Vec<u8>)> {
    let active = with(good_claims(), "active", json!(true));
    let changed = |name: &str, value: Value| with(active.clone(), name, value).to_string();
    vec![
        seed("active", active.to_string()),
        seed("active-minimal", format!(r#"{{"active":true,"aud":"{AUDIENCE}","client_id":"c"}}"#)),
        seed("inactive", r#"{"active":false}"#),
        seed("inactive-with-claims", changed("active", json!(false))),
        seed("active-string", changed("active", json!("true"))),
        seed("active-missing", r#"{"sub":"x","scope":"a"}"#),
        seed("expired", changed("exp", json!(NOW - 3600))),
        seed("not-yet-valid", changed("nbf", json!(NOW + 3600))),
        seed("foreign-issuer", changed("iss", json!("https://evil.invalid"))),
        seed("no-issuer", {
            let mut a = active.clone();
            a.as_object_mut().map(|o| o.remove("iss"));
            a.to_string()
        }),
        seed("audience-array", changed("aud", json!(["x", AUDIENCE]))),
        seed("wrong-audience", changed("aud", json!("other"))),
        seed("no-client-id", changed("client_id", Value::Null)),
        seed("scp-array", changed("scp", json!(["a", "b"]))),
        seed("scope-wrong-type", changed("scope", json!(42))),
        seed("duplicate-active", r#"{"active":false,"active":true,"aud":"fuzz-api","client_id":"c"}"#),
        seed(
            "escapes",
            // A lone surrogate: not JSON text, refused as malformed.
            r#"{"active":true,"aud":"fuzz-\u0061pi","client_id":"\ud800","iss":"https:\/\/issuer.fuzz.invalid"}"#,
        ),
        seed(
            "numbers",
            format!(r#"{{"active":true,"aud":"{AUDIENCE}","client_id":"c","exp":1e400,"iat":-1.5}}"#),
        ),
        seed("array", "[true]"),
        seed("nested", r#"{"active":true,"x":[[[[[[[[[[{}]]]]]]]]]]}"#),
        seed("truncated", r#"{"active":tru"#),
        seed("not-utf8", b"{\"active\":true,\"sub\":\"\xff\xfe\"}".to_vec()),
    ]
}
