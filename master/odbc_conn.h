/*
 * What the two ODBC helper processes (odbc_helper.c for `log &DSN`,
 * fleet_helper.c for `counter &DSN`) share: connecting to a DSN or a
 * connection string with the login timeout, the first diagnostic of a
 * handle, and a label of the data source without its password.
 */
#ifndef PC_MASTER_ODBC_CONN_H
#define PC_MASTER_ODBC_CONN_H

#include <stddef.h>

#include <sql.h>
#include <sqlext.h>

#define ODBC_TIMEOUT_S 10          /* login and query timeouts */

/* "DRIVER=x;PWD=secret;..." -> "DRIVER=x;PWD=***;..." into out. */
void odbc_label(const char *dsn, char *out, size_t cap);
/* "SQLSTATE: message" of the handle's first diagnostic record. */
void odbc_diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t cap);
/* Allocates *dbc and connects (SQLDriverConnect for a string holding
 * '=', else SQLConnect); 0, or -1 with *dbc freed and why filled in. */
int  odbc_connect(SQLHENV env, SQLHDBC *dbc, const char *dsn,
	    const char *user, const char *pass, char *why, size_t cap);
/* Executes sql on dbc with the query timeout; the statement (to fetch
 * from, then SQLFreeHandle), or SQL_NULL_HSTMT with why filled in. */
SQLHSTMT odbc_exec(SQLHDBC dbc, const char *sql, char *why, size_t cap);

#endif
