<?php
/* SimpleSAMLphp (Debian's simplesamlphp) as the SAML identity provider of
 * tests/integ/api/test_sso_ssp.sh: SIMPLESAMLPHP_CONFIG_DIR names this
 * folder; everything it writes goes under FV_SSP_DIR, the test's own
 * temporary folder (keys, sessions, log, the SP metadata and overrides). */
$dir = getenv('FV_SSP_DIR');
if ($dir === false || $dir === '') {
    throw new Exception('FV_SSP_DIR is not set');
}
$config = [
    // The host and port come from each request (PHP's built-in server).
    'baseurlpath' => '/',
    'certdir' => $dir . '/cert/',
    'loggingdir' => $dir . '/log/',
    'datadir' => $dir . '/data/',
    'tempdir' => $dir . '/tmp',
    'metadatadir' => __DIR__ . '/metadata/',
    'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',
    'technicalcontact_name' => 'faxvault tests',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',
    'secretsalt' => trim(file_get_contents($dir . '/salt')),
    'auth.adminpassword' => trim(file_get_contents($dir . '/salt')),
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'showerrors' => true,
    'errorreporting' => false,
    'logging.level' => SimpleSAML\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'ssp.log',
    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.phpsession.savepath' => $dir . '/sessions',
    'language.default' => 'en',
    'metadata.sources' => [['type' => 'flatfile']],
];
