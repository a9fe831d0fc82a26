<?php
/* Our service providers: every sp-*.xml the test saved from faxvault's SP
 * metadata (imported by SimpleSAMLphp's own parser), each with the
 * test's overrides of the moment (sp-overrides.json, read at every request:
 * e.g. saml20.sign.assertion false). Signed AuthnRequests are required. */
$dir = getenv('FV_SSP_DIR');
$over = [];
if (is_readable($dir . '/sp-overrides.json')) {
    $over = json_decode(file_get_contents($dir . '/sp-overrides.json'), true) ?: [];
}
foreach (glob($dir . '/sp-*.xml') as $f) {
    foreach (\SimpleSAML\Metadata\SAMLParser::parseDescriptorsFile($f) as $e) {
        $m = $e->getMetadata20SP();
        if ($m === null) {
            continue;
        }
        $m['validate.authnrequest'] = true;
        $m['attributes.NameFormat'] = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
        $metadata[$m['entityid']] = array_merge($m, $over);
    }
}
