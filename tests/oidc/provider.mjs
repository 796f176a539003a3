// A real OpenID Connect provider on loopback for the single sign-on tests
// (panva's oidc-provider, pinned in package.json). tests/oidc/server.py starts it.
//
// Environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and
// OIDC_REDIRECT_URIS (space-separated). Its own development login form
// ("devInteractions") accepts the login names of ACCOUNTS with any password;
// consent is granted at once, as a company's own provider does for its apps.
// Prints "ready <issuer>" on stdout once it listens.
import Provider from 'oidc-provider';

/** @type {Record<string, {email: string, email_verified: boolean, name: string}>} */
const ACCOUNTS = {
  ada: { email: 'ada@acme.example', email_verified: true, name: 'Ada Acme' },
  carl: { email: 'carl@acme.example', email_verified: true, name: 'Carl Acme' },
  carla: { email: 'carla@northwind.example', email_verified: true, name: 'Carla Northwind' },
  una: { email: 'una@acme.example', email_verified: false, name: 'Una Unverified' },
};

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: (process.env.OIDC_REDIRECT_URIS || '').split(' ').filter(Boolean),
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  /** @param {any} _ctx @param {string} id */
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  /** @param {any} ctx */
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const existing = session.grantIdFor(client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    session.grantIdFor(client.clientId, grant.jti);
    return grant;
  },
});
// Plain HTTP on loopback: the tests' Daphne servers are plain HTTP too.
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
