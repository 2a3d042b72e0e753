# bench/codec.mk - google-benchmark programs for the codec.

CODEC_BENCH := $(BUILD)/codec_bench
CXXFLAGS_BENCH := -std=c++17 -O2 -g -Wall -Wextra -Isrc

$(CODEC_BENCH): bench/codec_bench.cc $(LIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_BENCH) $< $(LIB) -lbenchmark -lpthread -o $@

ALL_TARGETS += $(CODEC_BENCH)
# Five repetitions, medians reported; the JSON is kept with the results.
.PHONY: bench-codec
bench-codec: $(CODEC_BENCH)
	@mkdir -p bench/results
	$(CODEC_BENCH) --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
		--benchmark_out=bench/results/codec_bench.json --benchmark_out_format=json
BENCH_TARGETS += bench-codec
