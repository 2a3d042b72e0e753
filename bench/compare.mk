# bench/compare.mk - the side-by-side benchmark (make bench): stunringd
# (both engines) against the minimal reflector, coturn and stund, all driven
# by stunload; pion/stun's stun-bench as a second load generator to show
# stunload is not the limit.  Results in bench/results/compare.{md,csv,png}.

# pion/stun's own load tool, from the Debian source package, built offline.
COMPARE_PION := $(BUILD)/bench/stun-bench
$(COMPARE_PION):
	@mkdir -p $(@D)
	GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$(abspath $(BUILD))/gocache \
		go build -o $@ github.com/pion/stun/cmd/stun-bench

# compare.sh also runs the XDP benchmark (bpf/bench_xdp.sh) once.
.PHONY: bench-compare
# (bpf/xdp.mk is read after this file: its objects are named here.)
bench-compare: $(BUILD)/stunringd $(BUILD)/stunload $(BUILD)/stun-reflector $(COMPARE_PION) \
	       $(BUILD)/stunctl $(BUILD)/bpf/xdp_reflect.bpf.o $(BUILD)/bpf/xdp_pass.bpf.o
	bench/compare.sh
BENCH_TARGETS += bench-compare
BENCH_PKGS += coturn stun-server gnuplot-nox golang-go golang-github-pion-stun-dev

# What --metrics with a scrape every second costs the workers (bench/README.md).
.PHONY: bench-metrics
bench-metrics: $(BUILD)/stunringd $(BUILD)/stunload
	bench/metrics_overhead.sh
BENCH_TARGETS += bench-metrics

# What the abuse limits (ACL, rate limits, cap) cost when on but refusing
# nothing, in stunringd and in the XDP responder (bench/README.md).
.PHONY: bench-limits
bench-limits: $(BUILD)/stunringd $(BUILD)/stunload $(BUILD)/stunctl $(BUILD)/bpf/xdp_reflect.bpf.o
	bench/limits_overhead.sh
BENCH_TARGETS += bench-limits

# STUN over TCP (and TLS with TLS_CERT/TLS_KEY): stunringd against coturn,
# requests/s over persistent connections, connections/s under churn, memory
# per idle connection, UDP beside an idle crowd (bench/README.md).
.PHONY: bench-tcp
bench-tcp: $(BUILD)/stunringd $(BUILD)/stunload
	bench/tcp_compare.sh
BENCH_TARGETS += bench-tcp
