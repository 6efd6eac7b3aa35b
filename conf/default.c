/* The configuration `make run` uses when no file is given. */
#include "conf/conf.h"

const char conf_default_text[] =
	"# portcullis built-in configuration (3proxy syntax).\n"
	"# Log every request to stdout, in the 3proxy default format.\n"
	"log\n"
	"# No accounts: clients are told apart by address only.\n"
	"auth iponly\n"
	"# Listen on loopback only: a proxy open to the world is abused.\n"
	"internal 127.0.0.1\n"
	"# HTTP proxy (plain requests and CONNECT) and SOCKS 4/4a/5.\n"
	"proxy -p3128\n"
	"socks -p1080\n";
