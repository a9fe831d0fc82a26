# Shared by the single sign-on tests (test_sso_*.sh), after lib.sh and
# start_daemon: sso_clinic makes the account "Clinic" with an active owner
# (OP, ACC, OWNER) and a member u@clinic.example, invited (MEMBER_INVITATION
# holds the token) or, with "active", active with a password.
sso_clinic() {
	OP=$(operator_token)
	req POST /v1/accounts "$OP" '{"name":"Clinic","owner":{"email":"o@clinic.example","name":"O"}}'
	ACC=$(jqr .id)
	accept "$(jqr .owner_invitation.token)" "granite-harbour-1234"
	OWNER=$(login o@clinic.example granite-harbour-1234)
	req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"u@clinic.example","name":"U","role":"user"}'
	expect_status 201 "the member u@clinic.example"
	MEMBER_INVITATION=$(jqr .invitation.token)
	[ "${1:-}" = active ] && accept "$MEMBER_INVITATION" "user-password-12345"
	return 0
}
