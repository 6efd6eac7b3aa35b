/*
 * Fuzz target: the IPC decoders on arbitrary bytes, as a hostile worker
 * could send them.  Every decoder runs on every input (whatever the header
 * type says), must never read out of bounds, and whatever decodes cleanly
 * must re-encode to the same payload bytes: the decoder accepts exactly
 * what the encoder can produce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc_msg.h"

static uint8_t out[PC_IPC_MAX];

static void
same_payload(const uint8_t *in, size_t n, size_t m)
{
	if (m != n || memcmp(in + 16, out + 16, n - 16) != 0)
		abort();
}

static void
run_fixed(const uint8_t *data, size_t size, const struct pc_ipc_hdr *h,
    int type)
{
	struct pc_ipcr         r;
	struct pc_ipc_hdr      hh;
	struct pc_msg_ready    rd;
	struct pc_msg_auth_req aq;
	struct pc_msg_auth_rep ap;
	struct pc_msg_stats    st;
	struct pc_msg_drain    dr;
	struct pc_msg_admin_req aq2;
	static struct pc_msg_admin_rep ar;

	if (pc_ipcr_init(&r, data, size, &hh) != 0)
		abort();
	switch (type) {
	case PC_IPC_READY:
		if (pc_msg_ready_dec(&r, &rd) == 0)
			same_payload(data, size, pc_msg_ready_enc(out, h->gen, &rd));
		break;
	case PC_IPC_AUTH_REQ:
		if (pc_msg_auth_req_dec(&r, &aq) == 0)
			same_payload(data, size,
			    pc_msg_auth_req_enc(out, h->gen, h->id, &aq));
		break;
	case PC_IPC_AUTH_REP:
		if (pc_msg_auth_rep_dec(&r, &ap) == 0)
			same_payload(data, size,
			    pc_msg_auth_rep_enc(out, h->gen, h->id, &ap));
		break;
	case PC_IPC_STATS:
		if (pc_msg_stats_dec(&r, &st) == 0)
			same_payload(data, size, pc_msg_stats_enc(out, h->gen, &st));
		break;
	case PC_IPC_DRAIN:
		if (pc_msg_drain_dec(&r, &dr) == 0)
			same_payload(data, size, pc_msg_drain_enc(out, h->gen, &dr));
		break;
	case PC_IPC_ADMIN_REQ:
		if (pc_msg_admin_req_dec(&r, &aq2) == 0)
			same_payload(data, size,
			    pc_msg_admin_req_enc(out, h->gen, h->id, &aq2));
		break;
	case PC_IPC_ADMIN_REP:
		if (pc_msg_admin_rep_dec(&r, &ar) == 0)
			same_payload(data, size,
			    pc_msg_admin_rep_enc(out, h->gen, h->id, &ar));
		break;
	case PC_IPC_SHUTDOWN:
		if (pc_ipcr_end(&r) == 0)
			same_payload(data, size, pc_msg_shutdown_enc(out, h->gen));
		break;
	}
}

static void
run_log(const uint8_t *data, size_t size, const struct pc_ipc_hdr *h)
{
	static struct pc_logrec rec;
	struct pc_ipcr          r;
	struct pc_ipc_hdr       hh;
	struct pc_ipcw          w;
	uint16_t                count, i;

	if (pc_ipcr_init(&r, data, size, &hh) != 0)
		abort();
	if (pc_msg_log_count(&r, &count) != 0)
		return;
	pc_msg_log_begin(&w, out, h->gen);
	for (i = 0; i < count; i++) {
		if (pc_msg_log_next(&r, &rec) != 0)
			return;
		if (strlen(rec.svcname) >= sizeof(rec.svcname) ||
		    strlen(rec.user) > PC_IPC_USER_MAX ||
		    strlen(rec.host) > PC_IPC_HOST_MAX ||
		    strlen(rec.text) > PC_IPC_TEXT_MAX)
			abort();
		/* what came in one message must fit in one again */
		if (pc_msg_log_add(&w, &rec) != 0)
			abort();
	}
	if (pc_ipcr_end(&r) == 0)
		same_payload(data, size, pc_msg_log_finish(&w));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc_ipcr    r;
	struct pc_ipc_hdr h;
	uint8_t          *copy;
	int               t;

	if (pc_ipcr_init(&r, data, size, &h) != 0) {
		/* a rejected header leaves a reader that reads nothing */
		if (pc_ipcr_u8(&r) != 0 || pc_ipcr_end(&r) == 0)
			abort();
		return 0;
	}
	/* an exact-size heap copy, so ASan sees any overread */
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	for (t = PC_IPC_READY; t < PC_IPC__MAX; t++) {
		if (t == PC_IPC_LOG)
			run_log(copy, size, &h);
		else
			run_fixed(copy, size, &h, t);
	}
	free(copy);
	return 0;
}
