/*
 * bench/reports/expat_bare.c - the ceiling of the report ingest benchmark:
 * a bare expat parse of the same bytes (64 KiB reads, one parser per file,
 * a start-element handler that counts <record> and sums nothing else).
 * Not part of the build; bench/reports/run.sh compiles it with cc -lexpat.
 *
 * Usage: expat_bare FILE...   prints "files N records N bytes N seconds S"
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <expat.h>

static unsigned long long records;

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	(void)arg;
	(void)attrs;
	if (strcmp(name, "record") == 0)
		records++;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	unsigned long long bytes = 0;
	struct timespec a, b;
	int i, bad = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		XML_Parser p;
		size_t n;

		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		p = XML_ParserCreate(NULL);
		XML_SetStartElementHandler(p, on_start);
		do {
			n = fread(buf, 1, sizeof(buf), f);
			bytes += n;
			if (XML_Parse(p, buf, (int)n, n == 0) ==
			    XML_STATUS_ERROR) {
				fprintf(stderr, "%s: %s\n", argv[i],
					XML_ErrorString(XML_GetErrorCode(p)));
				bad++;
				break;
			}
		} while (n > 0);
		XML_ParserFree(p);
		fclose(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("files %d records %llu bytes %llu seconds %.3f\n", argc - 1,
	       records, bytes, (double)(b.tv_sec - a.tv_sec) +
	       (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return bad ? 1 : 0;
}
