-- portcullis fleet mode (docs/fleet.md): the tables `counter &DSN` uses.
-- The ODBC helper creates them when they are missing; create them here
-- instead when the proxy's database user may not create tables.
--
-- One row per counter NUMBER and period: period_start is the start of the
-- counter's period (Unix time, the nodes' local calendar; 0 for a counter
-- that never resets), so a new period is a new row and the reset happens
-- once for the whole fleet.  bytes is the fleet's total.
CREATE TABLE IF NOT EXISTS portcullis_fleet_counters (
	num          integer     NOT NULL,
	period_start bigint      NOT NULL,
	bytes        bigint      NOT NULL DEFAULT 0,
	updated      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (num, period_start)
);
-- The last batch each node had applied: a batch is applied only when its
-- seq is above the node's, in the same statement, so a batch retried
-- after a lost reply, a helper restart or a node restart counts once.
CREATE TABLE IF NOT EXISTS portcullis_fleet_nodes (
	node    text        PRIMARY KEY,
	seq     bigint      NOT NULL,
	updated timestamptz NOT NULL DEFAULT now()
);
-- `users &DSN`: users beside the configuration's (docs/fleet.md); the
-- password column takes the forms of `users`: CL:secret, CR:$6$...,
-- NT:hex, or a bare cleartext password.  Read at start and each reload.
CREATE TABLE IF NOT EXISTS portcullis_users (
	name     text PRIMARY KEY,
	password text NOT NULL
);
