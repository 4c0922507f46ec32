// Test-only DPoP client (RFC 9449) built on panva's `oauth4webapi`, for the Rust
// end-to-end interop tests: an implementation independent of the Rust one.
//
//   node tests/interop/dpop-client.mjs <token_endpoint> <client_id> <target_url>
//        [--scope 'pets:read'] [--resource urn:petstore] [--secret secret]
//        [--alg ES256|EdDSA|Ed25519|RS256|PS256] [--method GET] [--json '{"name":"x"}']
//        [--bearer]
//
// 1. Generates a fresh key pair (`--alg`, default ES256).
// 2. Requests a token with client_credentials (client_secret_post) and a DPoP
//    proof for the token endpoint, so the token is bound to the key (`cnf.jkt`).
// 3. Calls <target_url> with `Authorization: DPoP <token>` and a fresh proof
//    (htm, htu, ath). A 401 `use_dpop_nonce` answer carrying a `DPoP-Nonce`
//    header is retried once with that nonce. With `--bearer` the same token is
//    sent as `Authorization: Bearer <token>` with no proof, once.
//
// Stdout: exactly one JSON line:
//   {"status":200,"www_authenticate":null,"body":[...],"token_type":"DPoP",
//    "cnf_jkt":"...","jkt":"...","alg":"ES256","scheme":"DPoP",
//    "attempts":[{"status":401,"www_authenticate":"DPoP error=\"use_dpop_nonce\"...",
//                 "dpop_nonce":"...","proof_nonce":null}, {"status":200,...}]}
// `status`, `www_authenticate` (every field joined with ", ") and `body` (JSON
// when it parses, else the text, null when empty) are the last answer's;
// `attempts` lists every answer from the target in order; `proof_nonce` is the
// nonce the proof of that attempt carried. Exit code 0 whenever the target
// answered (whatever the status). If the token request fails: one JSON line
// {"error":"token request failed","detail":...} and exit code 1.
//
// `--alg EdDSA` signs with Ed25519 and names the proof's alg `EdDSA` (RFC 8037);
// `--alg Ed25519` keeps oauth4webapi's own fully-specified name `Ed25519` (RFC 9864).

import * as oauth from 'oauth4webapi';

function usage(message) {
  process.stderr.write(`${message}\nusage: node dpop-client.mjs <token_endpoint> <client_id> <target_url> `
    + '[--scope S] [--resource R] [--secret S] [--alg ES256|EdDSA|Ed25519|RS256|PS256] '
    + '[--method M] [--json BODY] [--bearer]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const opts = {
    scope: undefined, resource: undefined, secret: 'secret', alg: 'ES256', method: 'GET', json: undefined, bearer: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (arg) {
      case '--scope': opts.scope = value(); break;
      case '--resource': opts.resource = value(); break;
      case '--secret': opts.secret = value(); break;
      case '--alg': opts.alg = value(); break;
      case '--method': opts.method = value().toUpperCase(); break;
      case '--json': opts.json = value(); break;
      case '--bearer': opts.bearer = true; break;
      default:
        if (arg.startsWith('--')) usage(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 3) usage('expected <token_endpoint> <client_id> <target_url>');
  const [tokenEndpoint, clientId, target] = positional;
  return { tokenEndpoint, clientId, target, ...opts };
}

const args = parseArgs(process.argv.slice(2));
const ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];
if (!ALGS.includes(args.alg)) usage(`--alg must be one of ${ALGS.join(', ')}`);

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// Plain HTTP on loopback is the point of the test setup.
const insecure = { [oauth.allowInsecureRequests]: true };

const tokenUrl = new URL(args.tokenEndpoint);
const as = { issuer: tokenUrl.origin, token_endpoint: tokenUrl.href };
const client = { client_id: args.clientId };
const clientAuth = oauth.ClientSecretPost(args.secret);

// The public key must be extractable (it goes into the proof's `jwk` header).
const keyPair = await oauth.generateKeyPair(args.alg === 'Ed25519' ? 'Ed25519' : args.alg, { extractable: true });

// Every proof passes through here just before it is signed: record its payload
// (for `proof_nonce`) and, for `--alg EdDSA`, use the RFC 8037 alg name.
let lastProof;
const DPoP = oauth.DPoP(client, keyPair, {
  [oauth.modifyAssertion]: (header, payload) => {
    if (args.alg === 'EdDSA') header.alg = 'EdDSA';
    lastProof = payload;
  },
});

// ---------------------------------------------------------------------------
// Token (bound to the key), retried once if the provider asks for a nonce.
// ---------------------------------------------------------------------------

async function requestToken() {
  const params = new URLSearchParams();
  if (args.scope !== undefined) params.set('scope', args.scope);
  if (args.resource !== undefined) params.set('resource', args.resource);
  for (let attempt = 1; ; attempt += 1) {
    const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, params, { DPoP, ...insecure });
    // oauth4webapi lowercases token_type; report what the provider sent.
    const raw = await response.clone().json().catch(() => undefined);
    try {
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      return { accessToken: result.access_token, tokenType: raw?.token_type ?? result.token_type };
    } catch (err) {
      if (attempt === 1 && oauth.isDPoPNonceError(err)) continue;
      throw Object.assign(err, { raw, httpStatus: response.status });
    }
  }
}

function jwtPayload(jwt) {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

let token;
try {
  token = await requestToken();
} catch (err) {
  out({
    error: 'token request failed',
    detail: { name: err.name, message: err.message, status: err.httpStatus ?? null, body: err.raw ?? null },
  });
  process.exit(1);
}

// ---------------------------------------------------------------------------
// The protected resource.
// ---------------------------------------------------------------------------

async function readBody(response) {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function callTarget(useDpop) {
  const headers = new Headers();
  let body = null;
  if (args.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = args.json;
  }
  lastProof = undefined;
  let response;
  let nonceError = false;
  try {
    response = await oauth.protectedResourceRequest(
      token.accessToken,
      args.method,
      new URL(args.target),
      headers,
      body,
      useDpop ? { DPoP, ...insecure } : insecure,
    );
  } catch (err) {
    // oauth4webapi throws on any WWW-Authenticate challenge; the answer is still what we report.
    if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
    response = err.response;
    nonceError = oauth.isDPoPNonceError(err);
  }
  const wwwAuthenticate = response.headers.get('www-authenticate');
  return {
    nonceError,
    answer: {
      status: response.status,
      www_authenticate: wwwAuthenticate,
      dpop_nonce: response.headers.get('dpop-nonce'),
      proof_nonce: useDpop ? (lastProof?.nonce ?? null) : null,
      body: await readBody(response),
    },
  };
}

const attempts = [];
if (args.bearer) {
  attempts.push((await callTarget(false)).answer);
} else {
  const first = await callTarget(true);
  attempts.push(first.answer);
  // The handle cached the DPoP-Nonce of that answer; the next proof carries it.
  if (first.nonceError && first.answer.dpop_nonce) {
    attempts.push((await callTarget(true)).answer);
  }
}

const last = attempts[attempts.length - 1];
out({
  status: last.status,
  www_authenticate: last.www_authenticate,
  body: last.body,
  token_type: token.tokenType,
  cnf_jkt: jwtPayload(token.accessToken)?.cnf?.jkt ?? null,
  jkt: await DPoP.calculateThumbprint(),
  alg: args.alg,
  scheme: args.bearer ? 'Bearer' : 'DPoP',
  attempts: attempts.map(({ body: _body, ...rest }) => rest),
});
