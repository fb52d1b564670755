// uw::metrics: Prometheus text format 0.0.4 rendering, checked against golden text.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace uw::metrics;

TEST(Metrics, RendersCountersGaugesAndHistogramsInTextFormat) {
  Registry r;
  r.counter("http_requests_total", "Requests answered.", {{"route", "/"}, {"status", "200"}}).inc(3);
  r.counter("http_requests_total", "ignored: help comes from the first call",
            {{"route", "/u"}, {"status", "404"}})
      .inc();
  r.gauge("open_streams", "Open SSE streams.").set(2.5);
  auto& h = r.histogram("latency_seconds", "Request latency.", {0.01, 0.1, 1});
  h.observe(0.005);
  h.observe(0.01);  // a value equal to a bound falls in that bucket
  h.observe(0.5);
  h.observe(7);
  const char* golden =
      "# HELP http_requests_total Requests answered.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{route=\"/\",status=\"200\"} 3\n"
      "http_requests_total{route=\"/u\",status=\"404\"} 1\n"
      "# HELP latency_seconds Request latency.\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{le=\"0.01\"} 2\n"
      "latency_seconds_bucket{le=\"0.1\"} 2\n"
      "latency_seconds_bucket{le=\"1\"} 3\n"
      "latency_seconds_bucket{le=\"+Inf\"} 4\n"
      "latency_seconds_sum 7.515\n"
      "latency_seconds_count 4\n"
      "# HELP open_streams Open SSE streams.\n"
      "# TYPE open_streams gauge\n"
      "open_streams 2.5\n";
  EXPECT_EQ(r.render(), golden);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry r;
  r.counter("odd_total", "Back\\slash and\nnewline.", {{"v", "a\"b\\c\nd"}}).inc(2);
  EXPECT_EQ(r.render(),
            "# HELP odd_total Back\\\\slash and\\nnewline.\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"a\\\"b\\\\c\\nd\"} 2\n");
}

TEST(Metrics, HistogramWithLabelsPutsLeLast) {
  Registry r;
  r.histogram("size_bytes", "Sizes.", {100}, {{"kind", "post"}}).observe(50);
  EXPECT_EQ(r.render(),
            "# HELP size_bytes Sizes.\n"
            "# TYPE size_bytes histogram\n"
            "size_bytes_bucket{kind=\"post\",le=\"100\"} 1\n"
            "size_bytes_bucket{kind=\"post\",le=\"+Inf\"} 1\n"
            "size_bytes_sum{kind=\"post\"} 50\n"
            "size_bytes_count{kind=\"post\"} 1\n");
}

TEST(Metrics, SameNameAndLabelsReturnTheSameMetric) {
  Registry r;
  Counter& a = r.counter("c_total", "C.", {{"x", "1"}});
  Counter& b = r.counter("c_total", "C.", {{"x", "1"}});
  Counter& other = r.counter("c_total", "C.", {{"x", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  // References stay valid as more children are added.
  for (int i = 0; i < 100; ++i) r.counter("c_total", "C.", {{"x", std::to_string(i + 10)}});
  a.inc();
  EXPECT_EQ(r.counter("c_total", "C.", {{"x", "1"}}).value(), 1u);
}

TEST(Metrics, HistogramCountsAreConsistentUnderConcurrentObserve) {
  Histogram h({1, 2});
  std::thread t1([&] {
    for (int i = 0; i < 10000; ++i) h.observe(0.5);
  });
  std::thread t2([&] {
    for (int i = 0; i < 10000; ++i) h.observe(5);
  });
  t1.join();
  t2.join();
  EXPECT_EQ(h.count(), 20000u);
  EXPECT_EQ(h.counts(), (std::vector<uint64_t>{10000, 0, 10000}));
  EXPECT_DOUBLE_EQ(h.sum(), 10000 * 0.5 + 10000 * 5.0);
}
