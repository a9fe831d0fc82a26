// A scripted OpenID Connect provider for the SSO integration tests: it
// serves discovery, a JWKS and a token endpoint on loopback, lets every
// authorization request through at once (no login page: the test is the
// user), and signs the ID token the test asked for with POST /control, so
// that the test can send faxvault tokens with a wrong audience, an expired
// one, alg "none", an HS256 one, or one signed by a key not (yet) in the
// JWKS. RFC 9207's "iss" in the authorization response follows issMode
// (POST /control {"iss_mode": …}): "" neither advertised nor sent, "ok"
// advertised and sent, "wrong" advertised and another issuer sent,
// "missing" advertised and not sent, "wrong_unadvertised" another issuer
// sent without advertising it. It checks what a real provider checks of faxvault: the client's
// secret (Basic or post), the redirect URI, PKCE S256, single-use codes.
//
// Usage: node scripted_idp.mjs PORT_FILE CLIENT_ID CLIENT_SECRET
import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { SignJWT, exportJWK, generateKeyPair, base64url } from "jose";

const [portFile, clientId, clientSecret] = process.argv.slice(2);
const keys = {};
async function makeKey(kid, alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  keys[kid] = { alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}
await makeKey("key-a", "RS256");
await makeKey("key-b", "RS256");
await makeKey("key-ec", "ES256");
await makeKey("rogue", "RS256");
let published = ["key-a", "key-ec"];
let next = {};        // tweaks of the next ID token (POST /control)
const codes = new Map();
let issuer = "";
let issMode = "";

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}
function readBody(req) {
  return new Promise((ok) => { let b = ""; req.on("data", (d) => (b += d)); req.on("end", () => ok(b)); });
}

async function idToken(c) {
  const t = { ...next };
  const now = Math.floor(Date.now() / 1000) + (t.clock_offset || 0);
  const claims = {
    iss: t.iss || issuer, sub: t.sub || "sub-" + c.email, aud: t.aud || clientId,
    exp: now + (t.exp_offset ?? 300), iat: now + (t.iat_offset || 0),
    nonce: t.nonce || c.nonce, email: t.email || c.email,
    email_verified: t.email_verified ?? true, name: t.name || "SSO Person",
  };
  if (t.groups) claims.groups = t.groups;
  if (t.alg === "none") {
    const enc = (o) => base64url.encode(JSON.stringify(o));
    return enc({ alg: "none", typ: "JWT" }) + "." + enc(claims) + ".";
  }
  if (t.alg === "HS256") {
    // Signed with the public key's modulus as an HMAC secret: the classic
    // confusion attack on verifiers that trust the header's alg.
    const secret = new TextEncoder().encode(keys["key-a"].jwk.n);
    return await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "key-a" }).sign(secret);
  }
  const kid = t.kid || "key-a";
  const k = keys[kid];
  return await new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid }).sign(k.privateKey);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === "/.well-known/openid-configuration") {
    return send(res, 200, { issuer, authorization_endpoint: issuer + "/auth",
      token_endpoint: issuer + "/token", jwks_uri: issuer + "/jwks",
      response_types_supported: ["code"], id_token_signing_alg_values_supported: ["RS256", "ES256"],
      ...(["ok", "wrong", "missing"].includes(issMode)
        ? { authorization_response_iss_parameter_supported: true } : {}) });
  }
  if (url.pathname === "/jwks")
    return send(res, 200, { keys: published.map((k) => keys[k].jwk) });
  if (url.pathname === "/control" && req.method === "POST") {
    const b = JSON.parse(await readBody(req) || "{}");
    if (b.publish) published = b.publish;
    if (b.iss_mode !== undefined) issMode = b.iss_mode;
    next = b.next || {};
    return send(res, 200, { ok: true });
  }
  if (url.pathname === "/auth") {
    const q = url.searchParams;
    if (q.get("client_id") !== clientId || q.get("response_type") !== "code" ||
        q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("nonce") ||
        !(q.get("scope") || "").split(" ").includes("openid"))
      return send(res, 400, { error: "invalid_request" });
    const code = randomBytes(24).toString("base64url");
    codes.set(code, { challenge: q.get("code_challenge"), nonce: q.get("nonce"),
      redirect: q.get("redirect_uri"), email: q.get("login_hint") || next.login || "u@clinic.example" });
    const to = new URL(q.get("redirect_uri"));
    to.searchParams.set("code", code);
    to.searchParams.set("state", q.get("state"));
    if (issMode === "ok") to.searchParams.set("iss", issuer);
    if (issMode === "wrong" || issMode === "wrong_unadvertised")
      to.searchParams.set("iss", "http://127.0.0.1:1");
    res.writeHead(302, { Location: to.toString() });
    return res.end();
  }
  if (url.pathname === "/token" && req.method === "POST") {
    const f = new URLSearchParams(await readBody(req));
    let id = f.get("client_id"), secret = f.get("client_secret");
    const auth = req.headers.authorization || "";
    if (auth.startsWith("Basic ")) {
      const [u, p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
      id = decodeURIComponent(u); secret = decodeURIComponent(p);
    }
    if (id !== clientId || secret !== clientSecret) return send(res, 401, { error: "invalid_client" });
    const c = codes.get(f.get("code"));
    codes.delete(f.get("code"));
    if (!c || f.get("grant_type") !== "authorization_code" || f.get("redirect_uri") !== c.redirect)
      return send(res, 400, { error: "invalid_grant" });
    const v = f.get("code_verifier") || "";
    if (createHash("sha256").update(v).digest("base64url") !== c.challenge)
      return send(res, 400, { error: "invalid_grant", error_description: "PKCE" });
    return send(res, 200, { access_token: randomBytes(16).toString("hex"), token_type: "Bearer",
      expires_in: 300, id_token: await idToken(c) });
  }
  send(res, 404, { error: "not_found" });
});
server.listen(0, "127.0.0.1", () => {
  issuer = "http://127.0.0.1:" + server.address().port;
  writeFileSync(portFile, String(server.address().port));
});
