// panva's oidc-provider (OpenID Certified) as the identity provider of an
// SSO integration test: one confidential client for faxvault, the
// development login and consent pages (any password signs in the address
// typed as login), and accounts whose e-mail address is verified.
//
// Usage: node real_idp.mjs PORT_FILE CLIENT_ID CLIENT_SECRET REDIRECT_URI
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import Provider from "oidc-provider";

const [portFile, clientId, clientSecret, redirectUri] = process.argv.slice(2);
let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handler(req, res));
server.listen(0, "127.0.0.1", () => {
  const issuer = "http://127.0.0.1:" + server.address().port;
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
      grant_types: ["authorization_code"], response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic" }],
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: id, email_verified: true, name: "Provider Person" }),
    }),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ["faxvault-oidc-test"] },
    features: { devInteractions: { enabled: true } },
  });
  handler = provider.callback();
  writeFileSync(portFile, String(server.address().port));
});
