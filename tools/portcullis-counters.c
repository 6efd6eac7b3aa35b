/*
 * portcullis-counters: list, reset and set traffic counters of a running
 * server through its control socket (COUNTERFILE.ctl, see `counter` in
 * portcullis.cfg(5)), so the file is never written behind the master's
 * back.  Without a running server, `list` reads the file itself.
 *
 *   portcullis-counters -f COUNTERFILE list
 *   portcullis-counters -f COUNTERFILE reset N
 *   portcullis-counters -f COUNTERFILE set N BYTES
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: portcullis-counters -f COUNTERFILE "
	    "list | reset N | set N BYTES\n");
	exit(2);
}

/* The server's answer to req, printed; exit status 0/1, or -1 when no
 * server listens. */
static int
ask(const char *file, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char               buf[65536];
	ssize_t            k;
	int                fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.ctl", file) >=
	    (int)sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
	    (k = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0) {
		close(fd);
		fprintf(stderr, "portcullis-counters: no answer from %s\n",
		    sa.sun_path);
		return 1;
	}
	close(fd);
	buf[k] = '\0';
	if (strncmp(buf, "ok\n", 3) == 0) {
		fputs(buf + 3, stdout);
		return 0;
	}
	fprintf(stderr, "portcullis-counters: %s", buf);
	return 1;
}

/* `list` from the file: "NUMBER BYTES RESET" per non-empty record. */
static int
list_file(const char *file)
{
	FILE    *f = fopen(file, "re");
	uint8_t  hdr[12];
	uint64_t rec[3];
	unsigned n = 0;

	if (f == NULL) {
		fprintf(stderr, "portcullis-counters: %s: %s\n", file,
		    strerror(errno));
		return 1;
	}
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
	    memcmp(hdr, "3CF", 4) != 0) {
		fprintf(stderr, "portcullis-counters: %s: not a counter "
		    "file\n", file);
		fclose(f);
		return 1;
	}
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		n++;
		if (rec[0] != 0 || rec[1] != 0)
			printf("%u %" PRIu64 " - %" PRId64 "\n", n, rec[0],
			    (int64_t)rec[1]);
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *file = NULL;
	char        req[128];
	int         c, rc;

	while ((c = getopt(argc, argv, "f:")) != -1) {
		if (c != 'f')
			usage();
		file = optarg;
	}
	argc -= optind;
	argv += optind;
	if (file == NULL || argc < 1)
		usage();
	if (strcmp(argv[0], "list") == 0 && argc == 1)
		snprintf(req, sizeof(req), "list");
	else if (strcmp(argv[0], "reset") == 0 && argc == 2)
		snprintf(req, sizeof(req), "reset %s", argv[1]);
	else if (strcmp(argv[0], "set") == 0 && argc == 3)
		snprintf(req, sizeof(req), "set %s %s", argv[1], argv[2]);
	else
		usage();
	rc = ask(file, req);
	if (rc >= 0)
		return rc;
	if (strcmp(argv[0], "list") == 0) {
		fprintf(stderr, "portcullis-counters: no server answers on "
		    "%s.ctl; reading the file\n", file);
		return list_file(file);
	}
	fprintf(stderr, "portcullis-counters: no server answers on %s.ctl: "
	    "counters are changed only through a running server\n", file);
	return 1;
}
