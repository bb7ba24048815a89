// A real OpenID provider for Veriseal's sign-in tests: node-oidc-provider (OpenID
// Certified), configured from the environment, with a scripted login page in place of
// a person typing a password:
//
//   ISSUER    the issuer URL (the tests front it with a proxy at this address)
//   PORT      the loopback port to listen on
//   CLIENTS   JSON list of {client_id, client_secret, redirect_uris}
//   ACCOUNTS  JSON object sub -> claims (email, email_verified, name, ...)
//
// Interaction: GET /interaction/<uid> is a one-field form; POST it with login=<sub> and
// the account signs in and consents to the requested scopes at once. Prints "ready" on
// stdout once listening.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const { ISSUER, PORT, CLIENTS, ACCOUNTS } = process.env;
const accounts = JSON.parse(ACCOUNTS);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(ISSUER, {
  clients: JSON.parse(CLIENTS).map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  pkce: { methods: ['S256'], required: () => true },
  jwks: { keys: [signing] },
  cookies: { keys: ['veriseal-test-cookie-key'] },
  features: { devInteractions: { enabled: false } },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    profile: ['name', 'preferred_username'],
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    if (!accounts[sub]) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = `<form method="post" action="/interaction/${details.uid}">`
      + `<input name="login"><button>Sign in</button></form>`;
    return undefined;
  }
  const login = (await readForm(ctx.req)).get('login');
  if (!accounts[login]) {
    ctx.status = 400;
    ctx.body = 'no such account';
    return undefined;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const redirect = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: login },
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(redirect);
  return undefined;
});

provider.listen(Number(PORT), '127.0.0.1', () => { process.stdout.write('ready\n'); });
