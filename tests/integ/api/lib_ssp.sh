# SimpleSAMLphp (Debian's simplesamlphp) as a SAML 2.0 identity provider on
# loopback, run by PHP's built-in server and configured from tests/saml/ssp
# (its example users by exampleauth:UserPass, a key pair made here, the
# service providers it knows read from FV_SSP_DIR/sp-*.xml, their options
# from FV_SSP_DIR/sp-overrides.json at every request). Sourced after lib.sh
# (needs TMP and poll_until); ssp_start sets SSP (its base URL), SSP_PID
# and exports FV_SSP_DIR. Shared by test_sso_ssp.sh and the browser test
# of real identity providers (tests/browser/run.sh sso_real).
SSP_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../saml/ssp" && pwd)"
SSP_WWW=/usr/share/simplesamlphp/www

ssp_start() {
	[ -f "$SSP_WWW/saml2/idp/SSOService.php" ] && command -v php >/dev/null ||
		{ echo "simplesamlphp or php missing: run scripts/install-deps"; exit 1; }
	export FV_SSP_DIR="$TMP/ssp" SIMPLESAMLPHP_CONFIG_DIR="$SSP_CONF"
	mkdir -p "$FV_SSP_DIR"/{cert,log,data,tmp,sessions}
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$FV_SSP_DIR/salt"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=ssp-test-idp \
		-keyout "$FV_SSP_DIR/cert/idp.key" -out "$FV_SSP_DIR/cert/idp.crt" 2>/dev/null ||
		{ echo "openssl could not make the IdP's key"; exit 1; }
	echo '{}' >"$FV_SSP_DIR/sp-overrides.json"
	php -S 127.0.0.1:0 -t "$SSP_WWW" >"$TMP/ssp.out" 2>&1 &
	SSP_PID=$!
	poll_until 300 grep -q 'Development Server (http://127.0.0.1:[0-9]*) started' "$TMP/ssp.out" ||
		{ echo "SimpleSAMLphp did not start"; cat "$TMP/ssp.out"; exit 1; }
	SSP="http://$(sed -n 's/.*Development Server (http:\/\/\(127.0.0.1:[0-9]*\)) started.*/\1/p' "$TMP/ssp.out" | head -1)"
}
