/*
 * ODBC connections of the helper processes (odbc_conn.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xmalloc.h"
#include "master/odbc_conn.h"

void
odbc_label(const char *dsn, char *out, size_t cap)
{
	char  *copy = xstrdup(dsn), *save = NULL;
	size_t o = 0;

	out[0] = '\0';
	for (char *kv = strtok_r(copy, ";", &save); kv != NULL;
	    kv = strtok_r(NULL, ";", &save)) {
		bool secret = strncasecmp(kv, "PWD=", 4) == 0 ||
		    strncasecmp(kv, "PASSWORD=", 9) == 0;
		int  n = snprintf(out + o, cap - o, "%s%.*s%s",
		    o > 0 ? ";" : "", secret ? (int)(strchr(kv, '=') - kv + 1) :
		    (int)strlen(kv), kv, secret ? "***" : "");

		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	free(copy);
}

void
odbc_diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t cap)
{
	SQLCHAR     state[6] = "?????", msg[512];
	SQLINTEGER  native = 0;
	SQLSMALLINT n = 0;

	msg[0] = '\0';
	if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg,
	    sizeof(msg), &n)))
		snprintf((char *)msg, sizeof(msg), "no diagnostic");
	snprintf(out, cap, "%s: %s", (char *)state, (char *)msg);
}

SQLHSTMT
odbc_exec(SQLHDBC dbc, const char *sql, char *why, size_t cap)
{
	SQLHSTMT  st;
	SQLRETURN rc;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
		odbc_diag(SQL_HANDLE_DBC, dbc, why, cap);
		return SQL_NULL_HSTMT;
	}
	SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT,
	    (SQLPOINTER)(intptr_t)ODBC_TIMEOUT_S, 0);
	rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		odbc_diag(SQL_HANDLE_STMT, st, why, cap);
		SQLFreeHandle(SQL_HANDLE_STMT, st);
		return SQL_NULL_HSTMT;
	}
	return st;
}

int
odbc_connect(SQLHENV env, SQLHDBC *dbc, const char *dsn, const char *user,
    const char *pass, char *why, size_t cap)
{
	char      *cs = NULL;
	SQLRETURN  rc;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, dbc))) {
		snprintf(why, cap, "SQLAllocHandle: out of memory");
		*dbc = SQL_NULL_HDBC;
		return -1;
	}
	SQLSetConnectAttr(*dbc, SQL_ATTR_LOGIN_TIMEOUT,
	    (SQLPOINTER)(intptr_t)ODBC_TIMEOUT_S, 0);
	if (strchr(dsn, '=') != NULL) {   /* a connection string */
		xasprintf(&cs, "%s%s%s%s%s", dsn,
		    user[0] != '\0' ? ";UID=" : "", user,
		    pass[0] != '\0' ? ";PWD=" : "", pass);
		rc = SQLDriverConnect(*dbc, NULL, (SQLCHAR *)cs, SQL_NTS,
		    NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
		explicit_bzero(cs, strlen(cs));
		free(cs);
	} else
		rc = SQLConnect(*dbc, (SQLCHAR *)dsn, SQL_NTS,
		    (SQLCHAR *)user, SQL_NTS, (SQLCHAR *)pass, SQL_NTS);
	if (!SQL_SUCCEEDED(rc)) {
		odbc_diag(SQL_HANDLE_DBC, *dbc, why, cap);
		SQLFreeHandle(SQL_HANDLE_DBC, *dbc);
		*dbc = SQL_NULL_HDBC;
		return -1;
	}
	return 0;
}
