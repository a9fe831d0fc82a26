/* faxvault-fax: the fax engine tool. Dispatches to the renderer's commands
 * (render, topdf, preview) and runs the line engine's (send, receive). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "faxtool.h"
#include "line.h"
#include "log.h"

#ifdef FV_HAVE_RENDER
#include "render.h"
#endif

static void usage(FILE *f)
{
	fputs("usage: faxvault-fax COMMAND [ARGS]\n"
	      "\n"
	      "  render IN... -o OUT.tif [--fine] [--cover-text T] [--header H]\n"
	      "          documents (PDF, TIFF, PNG, JPEG, text) to TIFF-F; prints {pages, width, resolution}\n"
	      "  topdf IN.tif OUT.pdf          received TIFF-F to PDF (no re-encoding)\n"
	      "  preview IN.tif --page N -o OUT.png\n"
	      "  send sip:NUMBER@HOST[:PORT] FILE.tif [--t38|--no-t38] [--ecm|--no-ecm]\n"
	      "          [--max-rate 9600|14400] [--ident ID] [--header TEXT] [--user U]\n"
	      "          [--bind IP:PORT] [--ring-timeout S]\n"
	      "          [--transport udp|tcp|tls] [--tls-ca CA.pem] [--tls-name NAME]\n"
	      "          [--tls-cert CERT.pem --tls-key KEY.pem]\n"
	      "          sends a TIFF-F fax; prints the JSON result; exit 0 only when every\n"
	      "          page was confirmed (1: the fax failed, 2: bad usage or input)\n"
	      "          (password from the environment variable FV_SIP_PASSWORD)\n"
	      "  receive --listen IP:PORT --out DIR [--t38|--no-t38] [--ecm|--no-ecm]\n"
	      "          [--calls N] [--max-rate 9600|14400] [--ident ID]\n"
	      "          [--transport udp|tcp|tls --tls-cert CERT.pem --tls-key KEY.pem]\n"
	      "          answers calls; writes DIR/fax-NNN-*.tif and .json per call and prints\n"
	      "          each JSON result on a line\n"
	      "  resolve PEER [--transport udp|tcp|tls] [--transports udp,tcp,tls] [--families 4,6]\n"
	      "          where a trunk's peer (HOST, HOST:PORT, IP:PORT, [IPv6]:PORT) resolves to\n"
	      "          (NAPTR, SRV, A/AAAA: RFC 3263), in the order it would be dialled; JSON\n"
	      "\n"
	      "  --help, --version\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("faxvault-fax %s\n", FV_VERSION);
		libvers_t libs = { .n = 0 };
		line_lib_versions(&libs);
#ifdef FV_HAVE_RENDER
		render_lib_versions(&libs);
#endif
		for (size_t i = 0; i < libs.n; i++)
			printf("  %-12s %-22s %s\n", libs.v[i].name, libs.v[i].version, libs.v[i].parses);
		return 0;
	}
	if (strcmp(cmd, "send") == 0)
		return faxtool_send(argc - 1, argv + 1);
	if (strcmp(cmd, "receive") == 0)
		return faxtool_receive(argc - 1, argv + 1);
	if (strcmp(cmd, "resolve") == 0)
		return faxtool_resolve(argc - 1, argv + 1);
	if (strcmp(cmd, "render") == 0 || strcmp(cmd, "topdf") == 0 || strcmp(cmd, "preview") == 0) {
#ifdef FV_HAVE_RENDER
		return render_tool_main(cmd, argc - 1, argv + 1);
#else
		fprintf(stderr, "faxvault-fax: %s: this build has no renderer\n", cmd);
		return 2;
#endif
	}
	fprintf(stderr, "faxvault-fax: unknown command '%s' (try --help)\n", cmd);
	return 2;
}
