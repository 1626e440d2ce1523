/*
 * checkdigit.c -- the Luhn (mod 10) check digit, used by the NPI
 * (codes/npi.c, with the 80840 prefix's contribution as the starting sum)
 * and by generated medical record numbers (registry/mrn.c).
 */
#include "postgres.h"

#include "core/core.h"

int
patsvc_luhn_check_digit(const char *digits, int n, int sum)
{
	for (int i = 0; i < n; i++)
	{
		int			d = digits[i] - '0';

		/* double every other digit, starting with the rightmost */
		if ((n - 1 - i) % 2 == 0)
		{
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (10 - sum % 10) % 10;
}
