/*
 * sort.c -- int64 sorting and de-duplication (resource ids, timestamps).
 */
#include "postgres.h"

#include "core/core.h"

int
patsvc_cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

int
patsvc_sort_distinct(int64 *values, int n)
{
	int			k = 0;

	qsort(values, n, sizeof(int64), patsvc_cmp_int64);
	for (int i = 0; i < n; i++)
		if (k == 0 || values[k - 1] != values[i])
			values[k++] = values[i];
	return k;
}
