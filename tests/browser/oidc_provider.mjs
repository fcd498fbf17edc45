// A real OpenID provider for the single sign-on browser tests: panva's oidc-provider (certified),
// with one static client (Vigil) and test accounts the test controls.
//
//   node tests/browser/oidc_provider.mjs
//
// Environment: OIDC_TEST_PORT (where to listen, on 127.0.0.1), OIDC_TEST_ACCOUNTS (a JSON file
// the test fixture writes and may rewrite between sign-ins), OIDC_TEST_CLIENT_ID,
// OIDC_TEST_CLIENT_SECRET and OIDC_TEST_REDIRECT_URI (Vigil's callback address).
//
// The accounts file: {"accounts": {"ID": {"password": "...", "amr": ["pwd"], "claims": {...}}}}.
// It is read afresh at every sign-in and every claims look-up, so a test can change a person's
// claims, or remove them (the provider then refuses their sign-in), between two sign-ins.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accountsFile = process.env.OIDC_TEST_ACCOUNTS;

function accounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8')).accounts || {};
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_TEST_CLIENT_ID,
      client_secret: process.env.OIDC_TEST_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_TEST_REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  claims: {
    openid: ['sub', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'groups', 'force'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['vigil-browser-test-only'] },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...accounts()[id]?.claims };
      },
    };
  },
});

function page(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html lang="en"><head><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>${body}</body></html>`);
}

function form(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

function loginForm(uid, error) {
  return `${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label for="login">Username</label><input id="login" name="login" autocomplete="off">
  <label for="password">Password</label><input id="password" name="password" type="password">
  <button type="submit">Sign in at the provider</button>
</form>`;
}

async function interaction(req, res) {
  const url = new URL(req.url, issuer);
  const [, , uid, step] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    return page(res, 400, '<p>Wrong interaction.</p>');
  }
  const { prompt, params, session } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      return page(res, 200, loginForm(uid, ''));
    }
    return page(res, 200, `<p>Vigil asks to know who you are (${escape(params.scope)}).</p>
<form method="post" action="/interaction/${escape(uid)}/confirm">
  <button type="submit">Allow</button>
</form>`);
  }
  const body = await form(req);
  if (step === 'login') {
    const id = body.get('login') || '';
    const account = accounts()[id];
    if (!account || account.password !== body.get('password')) {
      return page(res, 200, loginForm(uid, 'No such account, or the wrong password.'));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: id, amr: account.amr || ['pwd'] },
    }, { mergeWithLastSubmission: false });
  }
  if (step === 'confirm') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) {
      grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    }
    if (prompt.details.missingOIDCClaims) {
      grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return page(res, 404, '<p>Not found.</p>');
}

const callback = provider.callback();
createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      page(res, 500, `<p>${escape(error.message)}</p>`);
    });
    return;
  }
  callback(req, res);
}).listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${issuer}\n`);
});
