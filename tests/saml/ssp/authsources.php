<?php
/* The example users of the SAML tests (exampleauth:UserPass): the member
 * invited beforehand, and a new person with groups for just in time. */
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'member:member-pass-1' => [
            'uid' => ['member'],
            'mail' => ['u@clinic.example'],
            'displayName' => ['Member Person'],
        ],
        'newcomer:newcomer-pass-1' => [
            'uid' => ['newcomer'],
            'mail' => ['new@clinic.example'],
            'displayName' => ['New Comer'],
            'eduPersonAffiliation' => ['member', 'fax-admins'],
        ],
        'stranger:stranger-pass-1' => [
            'uid' => ['stranger'],
            'mail' => ['stranger@clinic.example'],
        ],
    ],
];
