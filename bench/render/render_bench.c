/* fv-render-bench [--fine] [--workers N] [--helper] [--header] [--compose] OUT.tif FILE...:
 * renders each FILE as its own job through render_documents(), the way the fax service
 * calls the renderer (one process, a sandboxed child per document; with --helper each
 * child executes faxvault-render-helper, as faxvaultd's do; with --header each
 * page gets the header line faxvaultd always asks for; with --compose the helper
 * draws the header and codes the pages, render_opts.compose_in_helper, as
 * faxvaultd's send path asks), and prints "pages=N
 * seconds=S self_cpu=C" (wall clock over all jobs; C the CPU seconds of this
 * process alone, without its children: what the calling service spends on
 * composing and coding the pages). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "render.h"
#include "timeutil.h"

int main(int argc, char **argv)
{
	int i = 1, fine = 0, workers = 1, helper = 0, header = 0, compose = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--fine") == 0)
			fine = 1;
		else if (strcmp(argv[i], "--helper") == 0)
			helper = 1;
		else if (strcmp(argv[i], "--header") == 0)
			header = 1;
		else if (strcmp(argv[i], "--compose") == 0)
			compose = 1;
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			workers = argv[++i][0] - '0';
		else
			break;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: fv-render-bench [--fine] [--workers N] [--helper] [--header] "
			"[--compose] OUT.tif FILE...\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	const char *out = argv[i++];
	struct render_opts o;
	render_opts_init(&o);
	o.fine = fine;
	o.workers = workers;
	o.compose_in_helper = compose;
	if (header) {
		o.header = "ACME Imaging Supplies";
		o.header_number = "+33 1 23 45 67 89";
		o.date_ms = 1790000000000LL;
	}
	if (helper && !(o.helper_path = render_default_helper())) {
		fprintf(stderr, "fv-render-bench: faxvault-render-helper not found\n");
		return 1;
	}
	long pages = 0;
	int64_t t0 = time_mono_ns();
	for (; i < argc; i++) {
		const char *in[] = {argv[i]};
		struct render_result r;
		if (render_documents(in, 1, out, &o, &r) < 0) {
			fprintf(stderr, "fv-render-bench: %s: %s (%s)\n", argv[i], render_fail_code(r.fail),
				r.detail);
			return 1;
		}
		pages += r.pages;
	}
	double s = (double)(time_mono_ns() - t0) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double self = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	printf("pages=%ld seconds=%.4f self_cpu=%.4f\n", pages, s, self);
	return 0;
}
