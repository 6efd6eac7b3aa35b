#!/bin/sh
# Golden config tests (run from the top of the tree by `make unit`):
# `portcullis -t -v NAME.cfg` must print NAME.ok exactly and say
# "configuration OK" on stderr; its output, read back from stdin, must
# print the same lines again (comments aside: they name the source);
# and `portcullis -t` must accept both configurations in contrib/.
# The model-level round trip is tests/unit/test_print.c.
#   sh tests/conf/golden.sh [-u] [BIN]    -u: rewrite the .ok files
set -u
update=0
if [ "${1:-}" = "-u" ]; then update=1; shift; fi
bin=${1:-build/portcullis}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

for cfg in tests/conf/*.cfg; do
	ok=${cfg%.cfg}.ok
	n=$((n + 1))
	if ! "$bin" -t -v "$cfg" >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL $cfg: -t -v exited non-zero"; cat "$tmp/err"
		fail=1; continue
	fi
	if ! grep -qx "$cfg: configuration OK" "$tmp/err"; then
		echo "FAIL $cfg: no \"configuration OK\" on stderr"
		cat "$tmp/err"; fail=1
	fi
	if [ $update = 1 ]; then
		cp "$tmp/out" "$ok"
	elif ! diff -u "$ok" "$tmp/out"; then
		echo "FAIL $cfg: output differs from $ok" \
		    "(sh tests/conf/golden.sh -u rewrites it)"
		fail=1
	fi
	if ! "$bin" -t -v - <"$tmp/out" >"$tmp/again" 2>"$tmp/err2"; then
		echo "FAIL $cfg: its rendering does not parse"
		cat "$tmp/err2"; fail=1; continue
	fi
	grep -v '^#' "$tmp/out" >"$tmp/a"
	grep -v '^#' "$tmp/again" >"$tmp/b"
	if ! diff -u "$tmp/a" "$tmp/b"; then
		echo "FAIL $cfg: printed again differs"; fail=1
	fi
done
for cfg in contrib/portcullis.cfg.sample contrib/3proxy-howto.cfg; do
	n=$((n + 1))
	if ! out=$("$bin" -t "$cfg") ||
	    [ "$out" != "$cfg: configuration OK" ]; then
		echo "FAIL $cfg: $out"; fail=1
	fi
done
[ $n -ge 10 ] || { echo "FAIL: only $n configurations"; fail=1; }
echo "golden configs: $n checked, $([ $fail = 0 ] && echo ok || echo FAILED)"
exit $fail
