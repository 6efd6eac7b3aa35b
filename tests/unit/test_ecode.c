/*
 * The %E codes of common/ecode.h against the %E table of docs/portcullis.8,
 * both ways: every named code is a row of the table ("This is every code
 * ... logs:" up to .El), and every row is a named code.  Run from the top
 * of the tree (make unit does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ecode.h"
#include "tests/unit/check.h"

#define X_NUM_(name, num) num,
#define X_NAME_(name, num) #name,
static const int   nums[] = { PC_ECODES(X_NUM_) };
static const char *names[] = { PC_ECODES(X_NAME_) };
#define NCODES (sizeof(nums) / sizeof(nums[0]))

int
main(void)
{
	FILE *f = fopen("docs/portcullis.8", "r");
	char  line[1024];
	int   in = 0, rows[256], nrows = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return check_summary("test_ecode");
	while (fgets(line, sizeof(line), f) != NULL) {
		int n;

		if (strstr(line, "This is every code") != NULL)
			in = 1;
		else if (in && strncmp(line, ".El", 3) == 0)
			break;
		else if (in && sscanf(line, ".It %d Ta", &n) == 1 &&
		    nrows < 256)
			rows[nrows++] = n;
	}
	fclose(f);
	CHECK(nrows > 50);
	for (size_t i = 0; i < NCODES; i++) {
		int found = 0;

		for (int j = 0; j < nrows; j++)
			found |= rows[j] == nums[i];
		if (!found)
			fprintf(stderr, "%s (%d) is not in the %%E table of "
			    "docs/portcullis.8\n", names[i], nums[i]);
		CHECK(found);
	}
	for (int j = 0; j < nrows; j++) {
		int found = 0;

		for (size_t i = 0; i < NCODES; i++)
			found |= rows[j] == nums[i];
		if (!found)
			fprintf(stderr, "docs/portcullis.8 lists %d, which "
			    "common/ecode.h does not name\n", rows[j]);
		CHECK(found);
	}
	return check_summary("test_ecode");
}
