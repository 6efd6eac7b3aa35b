/*
 * Standalone fuzz driver for `make check` (no libFuzzer needed):
 *
 *   fuzz_NAME [-runs=N] [-seed=S] DIR|FILE...
 *
 * Every corpus file is run through LLVMFuzzerTestOneInput, then N inputs
 * made by mutating corpus files (bit flips, byte inserts and deletes,
 * splices of two files, chunks copied from another file) with a fixed
 * seed, so a failure repeats exactly.  Exits 0 unless the target crashes
 * (then the signal ends the process).  Other -flag=value options of
 * libFuzzer are ignored, so the same command line works with both.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct input {
	uint8_t *data;
	size_t   len;
};

static struct input *corpus;
static size_t        ncorpus;
static uint64_t      rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	/* xorshift64*: small, fast, and the same everywhere */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void
add_file(const char *path)
{
	FILE        *fp = fopen(path, "rb");
	struct input in;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	in.data = malloc(FUZZ_MAX_INPUT);
	in.len = fread(in.data, 1, FUZZ_MAX_INPUT, fp);
	fclose(fp);
	corpus = realloc(corpus, (ncorpus + 1) * sizeof(*corpus));
	if (in.data == NULL || corpus == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	corpus[ncorpus++] = in;
}

static void
add_path(const char *path)
{
	struct dirent **names;
	struct stat     st;
	int             n;

	if (stat(path, &st) != 0) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	/* sorted, so the mutation sequence does not depend on the fs */
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		perror(path);
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(full, &st) == 0 &&
		    S_ISREG(st.st_mode))
			add_file(full);
		free(names[i]);
	}
	free(names);
}

/* Bytes that matter to text formats (the config language above all). */
static uint8_t
interesting(void)
{
	static const char set[] = "\n \t\r\"$#,-*:/.[]0123456789\xff";

	return (rng() % 4 == 0) ? (uint8_t)rng() :
	    (uint8_t)set[rng() % (sizeof(set) - 1)];
}

static void
mutate_once(uint8_t *b, size_t *len)
{
	const struct input *o = ncorpus ? &corpus[rng() % ncorpus] : NULL;
	size_t pos = rng() % (*len + 1), k;

	switch (rng() % 6) {
	case 0:    /* flip a bit */
		if (*len > 0)
			b[pos % *len] ^= (uint8_t)(1u << (rng() % 8));
		break;
	case 1:    /* insert a byte */
		if (*len < FUZZ_MAX_INPUT) {
			memmove(b + pos + 1, b + pos, *len - pos);
			b[pos] = interesting();
			(*len)++;
		}
		break;
	case 2:    /* delete a few bytes */
		k = 1 + rng() % 8;
		if (k > *len - pos)
			k = *len - pos;
		memmove(b + pos, b + pos + k, *len - pos - k);
		*len -= k;
		break;
	case 3:    /* splice: our head, another file's tail */
		if (o != NULL) {
			size_t from = rng() % (o->len + 1);

			k = o->len - from;
			if (k > FUZZ_MAX_INPUT - pos)
				k = FUZZ_MAX_INPUT - pos;
			memcpy(b + pos, o->data + from, k);
			*len = pos + k;
		}
		break;
	case 4:    /* copy a chunk of another file in */
		if (o != NULL && o->len > 0) {
			size_t from = rng() % o->len;

			k = 1 + rng() % 64;
			if (k > o->len - from)
				k = o->len - from;
			if (k > FUZZ_MAX_INPUT - *len)
				k = FUZZ_MAX_INPUT - *len;
			memmove(b + pos + k, b + pos, *len - pos);
			memcpy(b + pos, o->data + from, k);
			*len += k;
		}
		break;
	default:   /* overwrite a byte */
		if (*len > 0)
			b[pos % *len] = interesting();
		break;
	}
}

int
main(int argc, char **argv)
{
	unsigned long long runs = 0;
	uint8_t           *buf = malloc(FUZZ_MAX_INPUT);

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0)
			runs = strtoull(argv[i] + 6, NULL, 10);
		else if (strncmp(argv[i], "-seed=", 6) == 0)
			rng_state = strtoull(argv[i] + 6, NULL, 10) | 1;
		else if (argv[i][0] != '-')
			add_path(argv[i]);
	}
	if (buf == NULL)
		return 2;
	for (size_t i = 0; i < ncorpus; i++)
		LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].len);
	for (unsigned long long r = 0; r < runs; r++) {
		size_t len = 0;
		int    n = 1 + (int)(rng() % 4);

		if (ncorpus > 0) {
			const struct input *in = &corpus[rng() % ncorpus];

			memcpy(buf, in->data, in->len);
			len = in->len;
		}
		while (n-- > 0)
			mutate_once(buf, &len);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("%s: %zu corpus inputs, %llu mutated inputs, no crash\n",
	    argv[0], ncorpus, runs);
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i].data);
	free(corpus);
	free(buf);
	return 0;
}
