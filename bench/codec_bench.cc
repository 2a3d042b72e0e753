// SPDX-License-Identifier: MIT
//
// codec_bench.cc - google-benchmark programs for libstunring: request
// validation and the full respond path (parse + build the response) for the
// request kinds a server sees.  Each iteration is one message, so the
// reported time is ns per message.
//
// Requests are built once with the codec's own client helpers and answered
// into a separate buffer, as the daemon does with its send buffers.

#include <benchmark/benchmark.h>

#include <cstring>

#include "stunring.h"

namespace {

struct Request {
	uint8_t buf[256];
	size_t len;
};

Request make_request(const stun_request_opts &o, bool classic = false)
{
	Request r;
	uint8_t tid[16];
	for (int i = 0; i < 16; i++)
		tid[i] = static_cast<uint8_t>(0x30 + i);
	stun_request_opts opts = o;
	opts.classic = classic;
	r.len = stun_build_request(r.buf, sizeof(r.buf), tid, &opts);
	return r;
}

stun_addr addr(const char *s)
{
	stun_addr a;
	stun_addr_parse(&a, s, 0);
	return a;
}

void run_respond(benchmark::State &state, const Request &req, bool v6,
		 const stun_server_cfg &cfg)
{
	const stun_addr peer = addr(v6 ? "[2001:db8::42]:40000" : "192.0.2.1:32853");
	const stun_addr local = addr(v6 ? "[2001:db8::1]:3478" : "198.51.100.1:3478");
	uint8_t out[512];
	stun_reply rep;

	for (auto _ : state) {
		benchmark::DoNotOptimize(stun_respond(req.buf, req.len, &peer, &local, &cfg,
						      out, sizeof(out), &rep));
		benchmark::ClobberMemory();
	}
	if (rep.verdict == STUN_VERDICT_DROP)
		state.SkipWithError("request was dropped");
	state.SetItemsProcessed(state.iterations());
	state.counters["resp_bytes"] = rep.len;
}

stun_server_cfg basic_cfg()
{
	stun_server_cfg c;
	stun_server_cfg_init(&c);
	return c;
}

stun_server_cfg rfc5780_cfg()
{
	stun_server_cfg c;
	stun_server_cfg_init(&c);
	c.mode = STUN_MODE_RFC5780;
	c.has_alt = true;
	c.primary = addr("198.51.100.1:3478");
	c.alt = addr("198.51.100.2:3479");
	return c;
}

void BM_validate_plain(benchmark::State &state)
{
	Request r = make_request({});
	stun_msg m;
	for (auto _ : state)
		benchmark::DoNotOptimize(stun_parse(&m, r.buf, r.len, STUN_TRANSPORT_UDP,
						    STUN_CLASSIC_REQUEST, 0));
	state.SetItemsProcessed(state.iterations());
}

void BM_validate_fingerprint(benchmark::State &state)
{
	stun_request_opts o{};
	o.fingerprint = true;
	o.software = "stunload 0.1 (benchmark client)";
	Request r = make_request(o);
	stun_msg m;
	for (auto _ : state)
		benchmark::DoNotOptimize(stun_parse(&m, r.buf, r.len, STUN_TRANSPORT_UDP,
						    STUN_CLASSIC_REQUEST, 0));
	state.SetItemsProcessed(state.iterations());
	state.counters["req_bytes"] = static_cast<double>(r.len);
}

void BM_respond_v4_plain(benchmark::State &state)
{
	run_respond(state, make_request({}), false, basic_cfg());
}

void BM_respond_v4_fingerprint(benchmark::State &state)
{
	stun_request_opts o{};
	o.fingerprint = true;
	run_respond(state, make_request(o), false, basic_cfg());
}

void BM_respond_v6_plain(benchmark::State &state)
{
	run_respond(state, make_request({}), true, basic_cfg());
}

void BM_respond_v6_fingerprint(benchmark::State &state)
{
	stun_request_opts o{};
	o.fingerprint = true;
	run_respond(state, make_request(o), true, basic_cfg());
}

void BM_respond_v4_software_fingerprint(benchmark::State &state)
{
	stun_request_opts o{};
	o.fingerprint = true;
	o.software = "stunload 0.1 (benchmark client)";
	stun_server_cfg c = basic_cfg();
	stun_server_cfg_software(&c, "stunring 0.1");
	run_respond(state, make_request(o), false, c);
}

void BM_respond_classic(benchmark::State &state)
{
	run_respond(state, make_request({}, true), false, basic_cfg());
}

void BM_respond_rfc5780_change_request(benchmark::State &state)
{
	stun_request_opts o{};
	o.change_request = true;
	o.change_flags = STUN_CHANGE_IP | STUN_CHANGE_PORT;
	run_respond(state, make_request(o), false, rfc5780_cfg());
}

void BM_respond_420(benchmark::State &state)
{
	stun_request_opts o{};
	o.change_request = true;	// not understood in basic mode
	run_respond(state, make_request(o), false, basic_cfg());
}

void BM_crc32(benchmark::State &state)
{
	uint8_t buf[1500];
	std::memset(buf, 0x5a, sizeof(buf));
	const size_t n = static_cast<size_t>(state.range(0));
	for (auto _ : state)
		benchmark::DoNotOptimize(stun_crc32(buf, n));
	state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}

} // namespace

BENCHMARK(BM_validate_plain);
BENCHMARK(BM_validate_fingerprint);
BENCHMARK(BM_respond_v4_plain);
BENCHMARK(BM_respond_v4_fingerprint);
BENCHMARK(BM_respond_v6_plain);
BENCHMARK(BM_respond_v6_fingerprint);
BENCHMARK(BM_respond_v4_software_fingerprint);
BENCHMARK(BM_respond_classic);
BENCHMARK(BM_respond_rfc5780_change_request);
BENCHMARK(BM_respond_420);
BENCHMARK(BM_crc32)->Arg(20)->Arg(64)->Arg(512);

BENCHMARK_MAIN();
