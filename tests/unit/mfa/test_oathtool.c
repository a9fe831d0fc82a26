/* Cross-checks totp_code() against an independent implementation, oathtool
 * (oath-toolkit), for random secrets and times: `oathtool --totp -b SECRET
 * -d DIGITS -N @UNIXTIME`. Usage: test_mfa_oathtool /path/to/oathtool */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "numparse.h"
#include "sec.h"
#include "totp.h"

extern char **environ;

/* Runs argv, returns its stdout (first line, newline dropped) in out; 0 / -1. */
static int run(char *const argv[], char *out, size_t outlen)
{
	int fd[2];
	if (pipe(fd) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0) {
		close(fd[0]);
		return -1;
	}
	size_t len = 0;
	ssize_t r;
	while (len + 1 < outlen && (r = read(fd[0], out + len, outlen - 1 - len)) > 0)
		len += (size_t)r;
	close(fd[0]);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || sec_init() != 0) {
		fprintf(stderr, "usage: %s OATHTOOL\n", argv[0]);
		return 2;
	}
	/* Fixed edges first (RFC times, 0, 2^32 s), then random ones. */
	static const uint64_t fixed[] = { 0, 59, 1111111109, 1234567890, 2000000000,
		20000000000ULL, 4294967296ULL };
	int fails = 0, runs = 0;
	for (int i = 0; i < 40; i++) {
		size_t keylen = (size_t)(i % 3 == 0 ? 20 : i % 3 == 1 ? 10 : 32);
		uint8_t key[32];
		sec_random(key, keylen);
		char b32[TOTP_BASE32_LEN(32) + 1];
		totp_base32_encode(key, keylen, b32, sizeof b32);
		uint64_t t;
		if (i < (int)(sizeof fixed / sizeof fixed[0])) {
			t = fixed[i];
		} else {
			uint32_t r;
			sec_random(&r, sizeof r);
			t = r; /* 1970 .. 2106 */
		}
		int digits = i % 2 ? 8 : 6;
		char d[4], when[32], got[64];
		snprintf(d, sizeof d, "%d", digits);
		snprintf(when, sizeof when, "@%llu", (unsigned long long)t);
		char *args[] = { argv[1], "--totp", "-b", b32, "-d", d, "-N", when, NULL };
		if (run(args, got, sizeof got) != 0) {
			fprintf(stderr, "FAIL: oathtool did not run for t=%s\n", when);
			fails++;
			continue;
		}
		uint64_t theirs;
		uint32_t ours = totp_code(key, keylen, t / TOTP_PERIOD, digits);
		runs++;
		if (strlen(got) != (size_t)digits ||
		    parse_u64(got, strlen(got), UINT32_MAX, &theirs) != 0 || theirs != ours) {
			fprintf(stderr, "FAIL: secret %s t=%llu digits %d: oathtool %s, ours %0*u\n",
				b32, (unsigned long long)t, digits, got, digits, (unsigned)ours);
			fails++;
		}
		/* And the typed oathtool code verifies at that step. */
		if (digits == 6 && totp_verify(key, keylen, got, t / TOTP_PERIOD, 1) < 0) {
			fprintf(stderr, "FAIL: verify of %s at t=%llu\n", got, (unsigned long long)t);
			fails++;
		}
	}
	printf("oathtool cross-check: %d compared, %d failed\n", runs, fails);
	return fails ? 1 : 0;
}
