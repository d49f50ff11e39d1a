// A real OpenID Connect provider for the single sign-on tests (oidc-provider, see package.json), on loopback only.
// Environment: PORT (to listen on), CLIENTS (JSON array of oidc-provider client metadata).
// Test accounts live in memory and are set through POST /test/accounts {sub, email, email_verified?, name?, groups?}
// (groups left out = the answer carries no groups claim); they may change between sign-ins: claims are read at every
// token issue. The login page asks only for the account's sub (no web fonts, no scripts from the internet).
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const clients = JSON.parse(process.env.CLIENTS ?? '[]');
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map();

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main>${body}</main></body></html>`;

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  // e-mail and groups come from the userinfo endpoint, as real providers send them unless told otherwise.
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  scopes: ['openid', 'profile', 'email'],
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out', `${form}<p>Signing you out of the test provider…</p><button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button>` +
          '<script>document.getElementById("op.logoutForm").insertAdjacentHTML("beforeend", \'<input type="hidden" name="logout" value="yes">\'); document.getElementById("op.logoutForm").submit();</script>');
      },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page('Signed out', '<h1>Signed out of the test provider</h1>'); },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => {
    if (!accounts.has(sub)) return undefined;
    return {
      accountId: sub,
      claims: async () => {
        const a = accounts.get(sub);
        const claims = { sub, email: a.email, email_verified: a.email_verified ?? true, name: a.name ?? a.email };
        if (Array.isArray(a.groups)) claims.groups = a.groups;
        return claims;
      },
    };
  },
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Provider error', `<h1>Provider error</h1><p>${escape(out.error)}: ${escape(out.error_description)}</p>`);
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/test/accounts' && req.method === 'POST') {
      const account = JSON.parse(await readBody(req));
      accounts.set(account.sub, account);
      res.writeHead(204).end();
      return;
    }

    const login = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (login) {
      const details = await provider.interactionDetails(req, res);
      if (login[2] && req.method === 'POST') {
        const sub = new URLSearchParams(await readBody(req)).get('login') ?? '';
        if (!accounts.has(sub)) {
          res.writeHead(200, { 'content-type': 'text/html' }).end(page('Sign in', `<p role="alert">Unknown account ${escape(sub)}</p>`));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(page('Test provider sign-in',
        `<h1>Test provider</h1><form method="post" action="/interaction/${escape(details.uid)}/login">` +
        '<label for="login">Account</label> <input id="login" name="login" autocomplete="off"> <button type="submit">Continue</button></form>'));
      return;
    }

    callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err?.message ?? err));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
