/* The line commands of faxvault-fax. argv[0] is the subcommand name. Each
 * returns the process exit code: 0 success, 1 the fax failed, 2 bad usage. */
#ifndef FV_FAXTOOL_H
#define FV_FAXTOOL_H

int faxtool_send(int argc, char **argv);
int faxtool_receive(int argc, char **argv);
/* Prints where a trunk's peer resolves to (JSON); 1 when it does not. */
int faxtool_resolve(int argc, char **argv);

#endif
