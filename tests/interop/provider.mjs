// Test-only OpenID provider (panva's `oidc-provider`) on loopback, for the Rust
// end-to-end interop tests. NOT for production use: static client secrets,
// in-memory storage, plain HTTP.
//
// Start:  node tests/interop/provider.mjs   (cwd does not matter)
// Stdout: exactly one JSON line once listening:
//   {"issuer":"http://127.0.0.1:PORT","token_endpoint":"http://127.0.0.1:PORT/token",
//    "jwks_uri":"http://127.0.0.1:PORT/jwks","rotate_url":"http://127.0.0.1:PORT/__rotate"}
// Everything else (logs, oidc-provider notices) goes to stderr.
// Exits on SIGTERM, SIGINT, or when stdin reaches EOF / closes (unless
// INTEROP_IGNORE_STDIN=1).

import * as crypto from 'node:crypto';
import * as http from 'node:http';

// ESM bare specifiers resolve relative to this file, so this finds
// tests/interop/node_modules whatever the cwd is.
import Provider, { errors } from 'oidc-provider';
// oidc-provider's own JOSE library, for the token exchange grant below.
import { createLocalJWKSet, jwtVerify } from 'jose';

// oidc-provider prints its NOTICEs with console.info (stdout). Stdout is reserved
// for the single JSON line, so route every console method to stderr.
for (const m of ['log', 'info', 'debug']) {
  console[m] = (...args) => console.error(...args);
}
const log = (...args) => console.error('[interop-provider]', ...args);

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

let generation = 0;

// One RSA-2048 key (shared by RS256 and PS256: published WITHOUT an `alg`
// member, since a JWK can only name one alg), one EC P-256 key (alg ES256) and
// one Ed25519 key (alg EdDSA). kids are unique per generation.
function generateKeys() {
  generation += 1;
  const suffix = `${generation}-${crypto.randomBytes(4).toString('hex')}`;
  const jwk = (type, opts) => crypto.generateKeyPairSync(type, opts).privateKey.export({ format: 'jwk' });
  return {
    rsa: { ...jwk('rsa', { modulusLength: 2048 }), kid: `rsa-${suffix}`, use: 'sig' },
    ec: { ...jwk('ec', { namedCurve: 'P-256' }), kid: `ec-${suffix}`, use: 'sig', alg: 'ES256' },
    okp: { ...jwk('ed25519'), kid: `ed25519-${suffix}`, use: 'sig', alg: 'EdDSA' },
  };
}

// Current signing keys, plus (optionally) retired keys still published in the JWKS.
let current = generateKeys();
let retired = [];

// Which key signs which alg.
const KEY_FOR_ALG = { RS256: 'rsa', PS256: 'rsa', ES256: 'ec', EdDSA: 'okp' };

// ---------------------------------------------------------------------------
// Clients & resource servers
// ---------------------------------------------------------------------------

const CLIENT_ALG = {
  'rs256-client': 'RS256',
  'ps256-client': 'PS256',
  'es256-client': 'ES256',
  'eddsa-client': 'EdDSA',
  'dpop-client': 'ES256',
};

// Clients whose access tokens must be DPoP-bound (RFC 9449): their token
// request must carry a DPoP proof, and the token gets `cnf.jkt` and
// `token_type: DPoP`. (The other clients may send a proof too, and then get a
// bound token; without one they get plain Bearer tokens.)
const DPOP_BOUND = new Set(['dpop-client']);

const clients = [
  ...Object.keys(CLIENT_ALG).map((client_id) => ({
    client_id,
    client_secret: 'secret', // test only
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    ...(DPOP_BOUND.has(client_id) ? { dpop_bound_access_tokens: true } : undefined),
  })),
  // The resource server's own client: it introspects opaque tokens (RFC 7662) with
  // client_secret_basic, as the Petstore does.
  {
    client_id: 'petstore-resource',
    client_secret: 'resource-secret', // test only
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  // The gateway's client: client credentials and token exchange with client_secret_basic, as
  // petstore-gateway asks.
  {
    client_id: 'gateway-client',
    client_secret: 'gateway-secret', // test only
    grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

// `opaque`: access tokens for it are opaque (random text), checked at the introspection
// endpoint; the others are JWTs.
const RESOURCE_SERVERS = {
  'urn:petstore': { audience: 'petstore', scope: 'pets:read pets:write admin' },
  'urn:other': { audience: 'other-api', scope: 'pets:read pets:write admin' },
  'urn:petstore-gateway': { audience: 'petstore-gateway', scope: 'gateway:pets' },
  'urn:petstore-opaque': { audience: 'petstore', scope: 'pets:read pets:write admin', opaque: true },
  'urn:other-opaque': { audience: 'other-api', scope: 'pets:read pets:write admin', opaque: true },
};
const DEFAULT_RESOURCE = 'urn:petstore';

// ---------------------------------------------------------------------------
// Provider factory (a fresh Provider per key generation, same issuer)
// ---------------------------------------------------------------------------

function makeProvider(issuer) {
  const keys = current;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [keys.rsa, keys.ec, keys.okp, ...retired] },
    cookies: { keys: ['interop-test-cookie-key'] },
    routes: { token: '/token', jwks: '/jwks' },
    // DPoP proofs: oidc-provider's default (ES256, Ed25519, EdDSA) plus RSA, so
    // clients can bind tokens to any key type the resource servers may meet.
    enabledJWA: { dPoPSigningAlgValues: ['ES256', 'Ed25519', 'EdDSA', 'RS256', 'PS256'] },
    features: {
      devInteractions: { enabled: false },
      // On by default in oidc-provider 9; explicit here. No nonceSecret: the
      // provider issues no DPoP nonces (proofs are checked by iat window + jti replay).
      dPoP: { enabled: true },
      clientCredentials: { enabled: true },
      // RFC 7662 at /token/introspection (named in discovery), RFC 7009 at /token/revocation.
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A request without `resource` gets the petstore resource server.
        defaultResource: async () => DEFAULT_RESOURCE,
        getResourceServerInfo: async (_ctx, resourceIndicator, client) => {
          const rs = RESOURCE_SERVERS[resourceIndicator];
          if (!rs) throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
          if (rs.opaque) {
            return { scope: rs.scope, audience: rs.audience, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
          }
          const alg = CLIENT_ALG[client.clientId] ?? 'RS256';
          return {
            scope: rs.scope,
            audience: rs.audience,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            // Pin the kid so a retired key of the same type is never used.
            jwt: { sign: { alg, kid: keys[KEY_FOR_ALG[alg]].kid } },
          };
        },
      },
    },
  });
  registerTokenExchange(provider, issuer, keys);
  provider.on('server_error', (_ctx, err) => log('server_error', err));
  provider.on('grant.error', (_ctx, err) => log('grant.error', err.message, err.error_description ?? ''));
  return provider;
}

// ---------------------------------------------------------------------------
// Token exchange (RFC 8693), through oidc-provider's grant type extension point
// ---------------------------------------------------------------------------

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// The subject token must be an access token this provider signed; the exchanged token is a JWT
// for the requested resource, with the subject's `sub` and the requesting client as `client_id`.
function registerTokenExchange(provider, issuer, keys) {
  const publicKeys = [keys.rsa, keys.ec, keys.okp].map(({ d, p, q, dp, dq, qi, ...pub }) => pub);
  const jwks = createLocalJWKSet({ keys: publicKeys });
  provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
    const { params, client } = ctx.oidc;
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE || !params.subject_token) {
      throw new errors.InvalidRequest('subject_token must be an access token');
    }
    let subject;
    try {
      ({ payload: subject } = await jwtVerify(params.subject_token, jwks, { issuer }));
    } catch {
      throw new errors.InvalidGrant('the subject token is not valid');
    }
    const rs = RESOURCE_SERVERS[params.resource];
    if (!rs || rs.opaque) throw new errors.InvalidTarget('unknown resource');
    const allowed = new Set(rs.scope.split(' '));
    const scope = (params.scope ?? '').split(' ').filter((s) => allowed.has(s)).join(' ') || undefined;
    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      grantId: `exchange-${crypto.randomUUID()}`,
      gty: 'token-exchange',
      scope,
    });
    token.resourceServer = new provider.ResourceServer(params.resource, {
      scope: rs.scope,
      audience: rs.audience,
      accessTokenTTL: 3600,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256', kid: keys.ec.kid } },
    });
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope,
    };
  }, ['subject_token', 'subject_token_type', 'resource', 'audience', 'scope', 'requested_token_type']);
}

// ---------------------------------------------------------------------------
// HTTP server: stable listener delegating to the current provider
// ---------------------------------------------------------------------------

let provider;
let handler;

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__rotate') {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    req.resume(); // discard any body
    // ?keep_old=1 keeps the previous keys published in the JWKS (after the new
    // ones, never used for signing). Default: old keys are dropped.
    const keepOld = ['1', 'true'].includes(url.searchParams.get('keep_old'));
    const previous = current;
    retired = keepOld ? [previous.rsa, previous.ec, previous.okp, ...retired] : [];
    current = generateKeys();
    provider = makeProvider(provider.issuer);
    handler = provider.callback();
    log(`rotated keys -> generation ${generation} (keep_old=${keepOld})`,
      [current.rsa.kid, current.ec.kid, current.okp.kid].join(' '));
    res.writeHead(204).end();
    return;
  }
  handler(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  provider = makeProvider(issuer);
  handler = provider.callback();
  const line = JSON.stringify({
    issuer,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    rotate_url: `${issuer}/__rotate`,
  });
  process.stdout.write(`${line}\n`, () => log(`listening at ${issuer}`));
});

// ---------------------------------------------------------------------------
// Shutdown
// ---------------------------------------------------------------------------

let stopping = false;
function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  log(`shutting down (${reason})`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// A harness holds our stdin open (piped); when it drops the pipe we exit.
// Set INTEROP_IGNORE_STDIN=1 to run detached with stdin at /dev/null.
if (process.env.INTEROP_IGNORE_STDIN !== '1') {
  process.stdin.on('end', () => shutdown('stdin end'));
  process.stdin.on('close', () => shutdown('stdin close'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}
