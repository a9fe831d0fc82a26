/* The processes faxvaultd runs as (docs/architecture.md, "Processes"): the
 * service (HTTP, SIP, domain, store), the key holder it starts from a fresh
 * image of this program with `--role vault` and its socket on KEYD_FD, and
 * the SMTP front end (`--role smtp`). */
#ifndef FV_ROLE_H
#define FV_ROLE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* faxvaultd's supervisor (`faxvaultd` serving; supv.h): binds the
 * listening sockets, starts the service (`--role service`, "faxvaultd:
 * service", fv-service) with its control socket on fd 3 and those sockets on
 * SERVICE_LISTEN_FD0 + SERVICE_LISTEN_* (/dev/null where none is
 * configured), starts the key holder and the front ends the service asks
 * for (SUPV_SPAWN) and tells it when one ends, restarts the service when it
 * dies after it was started (backoff 1 s doubling to 30 s, back to 1 s
 * after a minute of life; its children are ended first), and on SIGTERM or
 * SIGINT passes it on and waits for everything to end. SIGHUP reopens its
 * log and is passed on. The exit status: the service's when it stopped or
 * could not start (1 when killed), 1 when a listener cannot be bound. */
enum {
	SERVICE_LISTEN_HTTP,
	SERVICE_LISTEN_METRICS,
	SERVICE_LISTEN_SIP,     /* the loopback trunk's UDP socket */
	SERVICE_LISTEN_SMTP,
	SERVICE_LISTEN_LMTP,
	SERVICE_LISTEN_N
};
#define SERVICE_CTL_FD 3
#define SERVICE_LISTEN_FD0 4
int supervisor_main(const config_t *cfg, char *const *argv);
/* The service, first thing (before its threads): no_new_privs and its
 * seccomp filter (confine_deny: confine_service_killed, and
 * confine_identity_killed when it does not run as root; only the
 * address families of the Internet, local sockets and netlink, no raw
 * IP socket), inherited by the programs it starts (the render helper,
 * sendmail). A forbidden call kills it (SIGSYS) and the supervisor starts
 * it again. 0, or -1 with why. */
int role_service_confine(char *why, size_t n);
/* testing.service_seccomp_probe: a call the service's filter forbids
 * (unshare), which kills it. */
void role_service_seccomp_probe(void);
/* argv (this program's command line) for a child: title, --role name, then
 * argv's options and command. The array is the caller's (free it; the
 * strings are borrowed). */
char **role_argv_of(char *const *argv, const char *title, const char *name);

/* Who runs as whom when faxvaultd is started as root with
 * daemon.service_user set (the packaged unit; docs/architecture.md,
 * "Users and capabilities"): the supervisor stays root with only
 * ROLE_SUPERVISOR_CAPS (role_supervisor_caps, once the listening sockets
 * are bound), the service and the key holder become that user with no
 * capability (role_become_service_user), each front end becomes its own
 * user in an empty root (role_front_confine_as, _net). Not root, or the
 * setting empty: nobody changes user (development, tests). */
/* CAP_KILL (signal the children, who run as other users), CAP_SETUID,
 * CAP_SETGID, CAP_SYS_CHROOT, CAP_SYS_ADMIN (what the children started as
 * root need to change user and root: a mount namespace for the SIP front
 * end). */
#define ROLE_SUPERVISOR_CAPS                                                                      \
	((1ull << 5) | (1ull << 6) | (1ull << 7) | (1ull << 18) | (1ull << 21))
/* 1 with daemon.service_user's ids when this process is root and the
 * setting is not empty, 0 when nothing changes, -1 with why (no such
 * user, or root). */
int role_service_user(const config_t *cfg, uid_t *uid, gid_t *gid, char *why, size_t n);
/* The service and the key holder, first thing: under root becomes
 * daemon.service_user (its group, no supplementary groups, every
 * capability gone, no_new_privs). 0 (also when nothing changes), or -1
 * with why. */
int role_become_service_user(const config_t *cfg, char *why, size_t n);
/* 1 once role_become_service_user changed this process's user. */
int role_is_service_user(void);
/* The supervisor under root: its capabilities (effective, permitted and,
 * when it may, the bounding set its children inherit) cut to
 * ROLE_SUPERVISOR_CAPS. 0, or -1 with why (one of them missing). */
int role_supervisor_caps(char *why, size_t n);
/* log.file opened (reopen: again, on SIGHUP) with daemon.service_user's
 * file-system ids when role_service_user applies, so that the file is that
 * user's whichever process creates it. 0, or -1 (log_open). */
int role_log_open(const config_t *cfg, int reopen);

/* Sets the process's name (prctl PR_SET_NAME, 15 bytes shown by ps -o comm
 * and top). Its command line (ps -o args) starts with the title it was
 * started under, e.g. "faxvaultd: vault". */
void role_set_name(const char *name);

/* What every network front end does once its descriptors are set up: under
 * root becomes daemon.unprivileged_user (no supplementary groups), sets the
 * parent-death signal again and no_new_privs, and loads the front ends'
 * seccomp filter (confine.h) with extra[] allowed besides. 0, or -1 with
 * the reason in why. */
int role_front_confine(const config_t *cfg, const int *extra, size_t nextra, char *why, size_t n);
/* The same, first changing the root to an empty directory under root
 * (role_front_empty_root), as user (NULL or "": daemon.unprivileged_user):
 * the HTTP front end passes daemon.http_user, the SMTP one
 * daemon.smtp_user; a front end that reads no file once confined calls
 * this one. */
int role_front_confine_as(const config_t *cfg, const char *user, const int *extra, size_t nextra,
	char *why, size_t n);
/* Under root: the calling process's root becomes an empty directory that
 * no longer has a name (made 0555 under /tmp, opened, removed, then
 * chrooted into), so that nothing of the file system is in view and
 * nothing can be created there; the working directory is that root. What
 * the process needs from files (libraries, iconv modules, the log) must
 * be loaded or opened before. 0 (also when not root: nothing done), or -1
 * with the reason in why. */
int role_front_empty_root(char *why, size_t n);
/* Under root: as role_front_empty_root, for a process that names the
 * descriptors it holds by their /proc/self/fd links (the SIP front end:
 * spandsp and libtiff take file names): in a mount namespace of its own,
 * the root becomes a read-only tmpfs (mounted on /tmp there, seen by no
 * other process) holding only a /proc of its own processes
 * (hidepid=invisible, subset=pid) and, bound read-only, the resolver's
 * files of /etc (hosts, resolv.conf, nsswitch.conf, host.conf, gai.conf,
 * those that exist). 0 (also when not root: nothing done), or -1 with the
 * reason in why. */
int role_front_proc_root(char *why, size_t n);
/* As role_front_confine_as, for the SIP front end, which makes sockets of
 * its own (media, calls out): its root is role_front_proc_root's, user
 * (NULL or "": daemon.unprivileged_user) daemon.sip_user; unkill[] (calls
 * of the killed list: socket, bind, connect, listen) are allowed instead,
 * and the process stays dumpable so that it can open its /proc/self/fd
 * links (a core dump is prevented by RLIMIT_CORE). */
int role_front_confine_net(const config_t *cfg, const char *user, const int *extra, size_t nextra,
	const int *unkill, size_t nunkill, char *why, size_t n);

/* testing.front_bad_frames: SIGUSR2 (with sigqueue's value kind) makes a
 * front end send the service one frame the service must refuse. On its
 * channel sock, any front end: ROLE_BAD_EMPTY an empty datagram,
 * ROLE_BAD_VERSION a header of another IPC version (ipc_recv refuses
 * both: EBADMSG), ROLE_BAD_TYPE a well-formed message of a type no channel
 * of the service takes (its check refuses it), ROLE_BAD_CLOSE its channel
 * shut and the process stopped (SIGSTOP), alive but silent. The others
 * are a front end's own (role_http.c, role_sip.c), each a frame refused
 * only after it decoded: ROLE_BAD_BODY_SIZE (HTTP) a request whose body's
 * memfd is shorter than the length it declares; ROLE_BAD_INFLIGHT (HTTP)
 * requests sent until the service refuses one (more than HTTPF_INFLIGHT_MAX
 * waiting there while its workers are held: testing.worker_hold_file);
 * ROLE_BAD_PAGE (SIP) the next page report of a call out replaced, on the
 * call's own socket, by a message of a type the service does not take;
 * ROLE_BAD_RESULT (SIP) the same for the next result of a call in;
 * ROLE_BAD_VERDICT (SIP) the same for the next verdict on an INVITE's
 * credentials (the service's SIPF_AUTH_CHECK); ROLE_BAD_RPC (SIP) the same
 * for the next answer to a request of the service on a socket of its own
 * (REGISTER, OPTIONS, the loops' figures, a lookup). Logged
 * first as NAME.test_bad_frame (kind). The front end's part of the tests of
 * the service's reaction (tests/integ/daemon): nothing else sends such a
 * frame. */
enum role_bad_frame {
	ROLE_BAD_EMPTY,
	ROLE_BAD_VERSION,
	ROLE_BAD_TYPE,
	ROLE_BAD_CLOSE,
	ROLE_BAD_BODY_SIZE,
	ROLE_BAD_INFLIGHT,
	ROLE_BAD_PAGE,
	ROLE_BAD_RESULT,
	ROLE_BAD_VERDICT,
	ROLE_BAD_RPC,
	ROLE_BAD_KINDS
};
/* The type of the message ROLE_BAD_TYPE and the SIP kinds send (no
 * channel of the service takes it). */
#define ROLE_BAD_MSG_TYPE 0x7ffe
/* The name of kind (NULL when there is none), for the log. */
const char *role_bad_frame_name(int kind);
/* The kinds any front end sends (ROLE_BAD_EMPTY to ROLE_BAD_CLOSE): sent
 * on sock; another kind is logged as not sent (sent=0). */
void role_front_bad_frame(const char *name, int sock, int kind);
/* A message of type ROLE_BAD_MSG_TYPE on sock, logged as NAME.test_bad_frame
 * with its kind, what = where it went: 0, or -1 (errno). */
int role_front_bad_message(const char *name, int sock, int kind, const char *what);

/* The key holder: reads the master key (created on first start), answers
 * READY with the audit keys (or START_FAILED with the reason, exit 1), then
 * serves keyd requests on KEYD_FD until the service closes it. The exit
 * status: 0 after a clean end, 1 otherwise. */
int role_vault_main(const config_t *cfg);

/* The SMTP front end's descriptors: its socket to the service, the SMTP
 * listening socket bound by the service at start, a memfd of
 * SMTP_COUNTERS counters shared with it (for /metrics), and the LMTP
 * listening socket. A listener that is not configured (mail.smtp_listen
 * or mail.lmtp_listen empty) has the counters' memfd in its place, which
 * the front end closes unused. */
#define SMTP_FRONT_SOCK_FD 3
#define SMTP_FRONT_LISTEN_FD 4
#define SMTP_FRONT_COUNTERS_FD 5
#define SMTP_FRONT_LMTP_FD 6

/* The SMTP front end (`--role smtp`): under root becomes
 * daemon.unprivileged_user, loads its seccomp filter, then runs the SMTP
 * sessions on SMTP_FRONT_LISTEN_FD and the LMTP sessions on
 * SMTP_FRONT_LMTP_FD, parses each mail's MIME and hands it
 * to the service (smtp_wire.h) for the verdict. Ends on SIGTERM or SIGINT
 * (after its sessions) or when the service closes its socket. The exit
 * status: 0 after a clean end (it exits without returning), 1 when it
 * could not start. */
int role_smtp_main(const config_t *cfg);

/* The HTTP front end's descriptors: its socket to the service, the HTTP
 * listening socket bound by the service at start, the metrics listening
 * socket (metrics.listen; when not configured, the counters' memfd in its
 * place, closed unused), and a memfd of the front end's counters shared
 * with the service (metrics_front_t: slow clients, the requests' whole
 * way; for /metrics). */
#define HTTP_FRONT_SOCK_FD 3
#define HTTP_FRONT_LISTEN_FD 4
#define HTTP_FRONT_METRICS_FD 5
#define HTTP_FRONT_COUNTERS_FD 6

/* The HTTP front end (`--role http`): under root becomes
 * daemon.unprivileged_user, loads its seccomp filter, then runs
 * libmicrohttpd on HTTP_FRONT_LISTEN_FD (and HTTP_FRONT_METRICS_FD) and
 * hands each request to the service (http_wire.h) for its answer. Ends on
 * SIGTERM or SIGINT (after the requests in flight, up to
 * shutdown.drain_seconds) or when the service closes its socket. The exit
 * status: 0 after a clean end (it exits without returning), 1 when it
 * could not start. */
int role_http_main(const config_t *cfg);

/* The SIP front end (`--role sip`): its socket to the service on fd 3 and
 * nothing else (the listeners' sockets, bound by the service, come in
 * SIPF_LISTEN). Under root its root becomes role_front_proc_root's and it
 * becomes daemon.sip_user, loads its seccomp filter, then runs the
 * line engine: the listeners and the calls the service asks for
 * (sip_wire.h). Ends on SIGTERM or SIGINT (its calls ended first) or when
 * the service closes its socket. The exit status: 0 after a clean end (it
 * exits without returning), 1 when it could not start. */
#define SIP_FRONT_SOCK_FD 3
int role_sip_main(const config_t *cfg);

#endif
