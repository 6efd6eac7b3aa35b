/*
 * Rotated log file names and period boundaries.  Boundaries are computed
 * on calendar fields with mktime() (timegm() for G templates) rather than
 * by adding fixed lengths, so months and years do not drift as 3proxy's
 * 28-day months do, and a DST change moves the hour with the clock.
 * Macros allowed in a file template are the date ones of `logformat`:
 * %Y %y %m %o %d %H %M %S %t and %% (conf/cmd_log.c checks the same list).
 */
#include <stdio.h>
#include <string.h>

#include "master/logname.h"

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static void
to_tm(time_t t, bool utc, struct tm *tm)
{
	if (utc)
		gmtime_r(&t, tm);
	else
		localtime_r(&t, tm);
}

static time_t
from_tm(struct tm *tm, bool utc)
{
	tm->tm_isdst = -1;
	return utc ? timegm(tm) : mktime(tm);
}

/* Truncates tm to the start of its period. */
static void
truncate_tm(enum pc_logrot rot, struct tm *tm)
{
	tm->tm_sec = 0;
	if (rot == PC_ROT_MINUTE)
		return;
	tm->tm_min = 0;
	if (rot == PC_ROT_HOUR)
		return;
	tm->tm_hour = 0;
	if (rot == PC_ROT_WEEK)
		tm->tm_mday -= tm->tm_wday;     /* back to Sunday */
	if (rot == PC_ROT_MONTH || rot == PC_ROT_YEAR)
		tm->tm_mday = 1;
	if (rot == PC_ROT_YEAR)
		tm->tm_mon = 0;
}

time_t
logname_period_start(enum pc_logrot rot, bool utc, time_t t)
{
	struct tm tm;

	if (rot == PC_ROT_NONE)
		return 0;
	to_tm(t, utc, &tm);
	truncate_tm(rot, &tm);
	return from_tm(&tm, utc);
}

time_t
logname_next(enum pc_logrot rot, bool utc, time_t t)
{
	struct tm tm;
	time_t    next;

	if (rot == PC_ROT_NONE)
		return 0;
	to_tm(t, utc, &tm);
	truncate_tm(rot, &tm);
	switch (rot) {
	case PC_ROT_MINUTE: tm.tm_min++; break;
	case PC_ROT_HOUR:   tm.tm_hour++; break;
	case PC_ROT_DAY:    tm.tm_mday++; break;
	case PC_ROT_WEEK:   tm.tm_mday += 7; break;
	case PC_ROT_MONTH:  tm.tm_mon++; break;
	default:            tm.tm_year++; break;
	}
	next = from_tm(&tm, utc);
	/* a DST gap can map the new field back onto the old hour: never
	 * answer a boundary that is not ahead */
	return next > t ? next : t + 60 - t % 60;
}

static const char *
suffix(enum pc_logrot rot)
{
	switch (rot) {
	case PC_ROT_MINUTE: return ".%Y.%m.%d-%H.%M";
	case PC_ROT_HOUR:   return ".%Y.%m.%d-%H";
	case PC_ROT_DAY:
	case PC_ROT_WEEK:   return ".%Y.%m.%d";
	case PC_ROT_MONTH:  return ".%Y.%m";
	case PC_ROT_YEAR:   return ".%Y";
	default:            return "";
	}
}

int
logname_template(const struct pc_logtarget *lt, char *out, size_t cap)
{
	int n;

	n = snprintf(out, cap, "%s%s", lt->path,
	    lt->pattern ? "" : suffix(lt->rot));
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Expands the date macros of tmpl for tm; -1 when out is too small. */
static int
expand(const char *tmpl, const struct tm *tm, time_t t, char *out,
    size_t cap)
{
	size_t len = 0;

	for (const char *p = tmpl; *p != '\0'; p++) {
		char tmp[32];
		int  n;

		if (*p != '%' || p[1] == '\0') {
			tmp[0] = *p;
			tmp[1] = '\0';
		} else {
			switch (*++p) {
			case 'Y': snprintf(tmp, sizeof(tmp), "%04d",
			    tm->tm_year + 1900); break;
			case 'y': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_year % 100); break;
			case 'm': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_mon + 1); break;
			case 'o': snprintf(tmp, sizeof(tmp), "%s",
			    months[tm->tm_mon]); break;
			case 'd': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_mday); break;
			case 'H': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_hour); break;
			case 'M': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_min); break;
			case 'S': snprintf(tmp, sizeof(tmp), "%02d",
			    tm->tm_sec); break;
			case 't': snprintf(tmp, sizeof(tmp), "%lld",
			    (long long)t); break;
			default:  snprintf(tmp, sizeof(tmp), "%c", *p); break;
			}
		}
		n = (int)strlen(tmp);
		if (len + (size_t)n >= cap)
			return -1;
		memcpy(out + len, tmp, (size_t)n);
		len += (size_t)n;
	}
	out[len] = '\0';
	return 0;
}

int
logname_expand(const struct pc_logtarget *lt, time_t t, char *out,
    size_t cap)
{
	char      tmpl[LOGNAME_MAX];
	struct tm tm;

	if (logname_template(lt, tmpl, sizeof(tmpl)) != 0)
		return -1;
	if (lt->rot != PC_ROT_NONE)
		t = logname_period_start(lt->rot, lt->utc, t);
	to_tm(t, lt->utc, &tm);
	return expand(tmpl, &tm, t, out, cap);
}

/* Reads exactly n digits (n 0: one or more) into *v; the end or NULL. */
static const char *
digits(const char *s, int n, long long *v)
{
	int i = 0;

	*v = 0;
	while (s[i] >= '0' && s[i] <= '9' && (n == 0 || i < n) && i < 18)
		*v = *v * 10 + (s[i++] - '0');
	return i == 0 || (n != 0 && i != n) ? NULL : s + i;
}

static const char *
match_month(const char *s, int *mon)
{
	for (int i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0) {
			*mon = i;
			return s + 3;
		}
	return NULL;
}

/* One macro of a template against s; the rest of s or NULL. */
static const char *
match_macro(char m, const char *s, struct tm *tm, long long *epoch)
{
	long long v;

	switch (m) {
	case 'Y': s = digits(s, 4, &v); tm->tm_year = (int)v - 1900; break;
	case 'y': s = digits(s, 2, &v); tm->tm_year = (int)v + 100; break;
	case 'm': s = digits(s, 2, &v); tm->tm_mon = (int)v - 1; break;
	case 'o': return match_month(s, &tm->tm_mon);
	case 'd': s = digits(s, 2, &v); tm->tm_mday = (int)v; break;
	case 'H': s = digits(s, 2, &v); tm->tm_hour = (int)v; break;
	case 'M': s = digits(s, 2, &v); tm->tm_min = (int)v; break;
	case 'S': s = digits(s, 2, &v); tm->tm_sec = (int)v; break;
	case 't': s = digits(s, 0, &v); *epoch = v; break;
	default:  return *s == m ? s + 1 : NULL;
	}
	return s;
}

bool
logname_match(const char *tmpl, bool utc, const char *name,
    const char *ext, time_t *key)
{
	const char *slash = strrchr(tmpl, '/');
	const char *p = slash != NULL ? slash + 1 : tmpl;
	const char *s = name;
	struct tm   tm = { .tm_mday = 1, .tm_year = 70 };
	long long   epoch = -1;

	for (; *p != '\0' && s != NULL; p++) {
		if (*p == '%' && p[1] != '\0')
			s = match_macro(*++p, s, &tm, &epoch);
		else
			s = *s == *p ? s + 1 : NULL;
	}
	if (s == NULL)
		return false;
	if (*s != '\0' && (ext == NULL || *s != '.' || strcmp(s + 1, ext) != 0))
		return false;
	*key = epoch >= 0 ? (time_t)epoch : from_tm(&tm, utc);
	return true;
}
