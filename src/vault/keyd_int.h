/* Between keyd.c and keyd_client.c: the client's requests (see keyd.h for
 * what each does). Each returns VAULT_ERR_UNAVAILABLE when the key holder is
 * down or does not answer in time. */
#ifndef FV_VAULT_KEYD_INT_H
#define FV_VAULT_KEYD_INT_H

#include "keyd.h"

vault_err_t keyd_client_account_key(keyd_client_t *c, const char *account,
	uint8_t wak[VAULT_WRAPPED_LEN]);
vault_err_t keyd_client_doc_put(keyd_client_t *c, const char *account, const uint8_t *wak,
	const char *doc, int plain_fd, uint8_t wdk[VAULT_WRAPPED_LEN]);
vault_err_t keyd_client_doc_get(keyd_client_t *c, const char *account, const uint8_t *wak,
	const char *doc, const uint8_t *wdk, int out_fd);
vault_err_t keyd_client_secret(keyd_client_t *c, int seal, const char *account,
	const uint8_t *wak, const char *purpose, const char *owner, const char *text, char **out);

#endif
